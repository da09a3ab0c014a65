/* ms's .npy names over io's reader and writer (src/io/npy.c): dtypes as numpy spells them
 * ("<f4", "<c8"), so ms code and its tests read like the abTEM arrays they compare with. */
#include "ms/ms_internal.h"

#include <string.h>

#include "core/error.h"
#include "io/npy.h"

static bf_status dtype_of(const char *path, const char *descr, bf_dtype *out)
{
    static const bf_dtype known[] = {BF_DTYPE_F32, BF_DTYPE_F64, BF_DTYPE_C64, BF_DTYPE_C128};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (descr && strcmp(descr, bf__npy_descr(known[i])) == 0) {
            *out = known[i];
            return BF_OK;
        }
    return bf__error_set(BF_EINVAL, "%s: dtype '%s' is not one ms writes (<f4, <f8, <c8, <c16)",
                         path, descr ? descr : "");
}

bf_status bf__ms_npy_write(const char *path, const char *dtype, size_t ndim, const size_t *shape,
                           const void *data)
{
    bf_dtype dt = BF_DTYPE_F32;
    bf_status st = dtype_of(path, dtype, &dt);
    if (st)
        return st;
    if (ndim > BF_NPY_MAX_NDIM)
        return bf__error_set(BF_EINVAL, "%s: %zu dimensions, at most %d", path, ndim,
                             BF_NPY_MAX_NDIM);
    return bf__npy_write(path, dt, (int)ndim, shape, data);
}

bf_status bf__ms_npy_read(const char *path, char dtype[8], size_t *ndim, size_t shape[8],
                          void **data)
{
    *data = NULL;
    bf_npy a = {0};
    bf_status st = bf__npy_read(path, &a);
    if (st)
        return st;
    snprintf(dtype, 8, "%s", bf__npy_descr(a.dtype));
    *ndim = (size_t)a.ndim;
    for (int i = 0; i < a.ndim && i < 8; i++)
        shape[i] = a.shape[i];
    *data = a.data; /* the caller frees it with free(), as bf__npy_free would */
    return BF_OK;
}
