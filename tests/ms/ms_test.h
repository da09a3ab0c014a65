/* Helpers for the ms tests: reading abTEM's reference arrays from $BF_SHARED_DIR/refs/abtem and
 * relative L2 errors. */
#ifndef BF_MS_TEST_H
#define BF_MS_TEST_H

#include "bf_test.h"

#include <complex.h>

#include "beamflow/ms.h"
#include "ms/ms_internal.h"

/* Read refs/abtem/<name>; fails the test if missing. Returns malloc'd data (caller frees). */
static inline void *ms_ref(const char *name, size_t *ndim, size_t shape[8], char dtype[8])
{
    const char *dir = getenv("BF_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/refs/abtem/%s", dir ? dir : "/work/shared", name);
    void *data = NULL;
    bf_status st = bf__ms_npy_read(path, dtype, ndim, shape, &data);
    if (st)
        fail_msg("reading %s: %s", path, bf_last_error());
    return data;
}

/* ||a - b|| / ||b|| over n floats */
static inline double ms_rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

static inline int ms_atoms1(int z, double x, double y, double zz, double cx, double cy, double cz,
                            bf_atoms **out)
{
    double xyz[3] = {x, y, zz}, cell[3] = {cx, cy, cz};
    return bf_atoms_create(1, &z, xyz, cell, out);
}

#endif
