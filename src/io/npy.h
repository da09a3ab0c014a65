/* Minimal NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0) for frames, masks and
 * reference arrays. Library-internal: shared by src/ai, tools/ and tests.
 *
 * Reads little-endian C-order arrays of dtype |b1 |u1 |i1 <i2 <u2 <i4 <u4 <i8 <u8 <f4 <f8 <c8 <c16
 * (big-endian and Fortran-order files are refused with a message naming the file and the
 * problem). Writes float32, float64, complex64 and uint8/int32 arrays as version 1.0 files. */
#ifndef BF_IO_NPY_H
#define BF_IO_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "beamflow/core.h"

#define BF_NPY_MAX_NDIM 8

typedef struct bf_npy {
    bf_dtype dtype;
    int ndim;
    size_t shape[BF_NPY_MAX_NDIM];
    size_t count;    /* product of shape (1 for a 0-d array) */
    size_t itemsize; /* bytes per element */
    void *data;      /* count * itemsize bytes, malloc'ed; owned by this struct */
} bf_npy;

/* The numpy descr ("<f4") of a dtype. */
const char *bf__npy_descr(bf_dtype dtype);

/* Read path into *out (zeroed first; on failure nothing is left allocated). */
bf_status bf__npy_read(const char *path, bf_npy *out /* OUT */);

/* Parse an in-memory .npy image (source names it in messages). */
bf_status bf__npy_parse(const void *buf, size_t len, const char *source, bf_npy *out /* OUT */);

/* Free the data; NULL and zeroed structs are fine. */
void bf__npy_free(bf_npy *a);

/* Write count = prod(shape) elements of dtype from data to path (temporary name + rename). */
bf_status bf__npy_write(const char *path, bf_dtype dtype, int ndim, const size_t *shape,
                        const void *data);

/* Convert a's elements to float64 / float32 / uint8 (nonzero -> 1) into caller storage of
 * a->count elements. Complex types are refused. */
bf_status bf__npy_to_f64(const bf_npy *a, double *out, const char *source);
bf_status bf__npy_to_f32(const bf_npy *a, float *out, const char *source);
bf_status bf__npy_to_mask(const bf_npy *a, uint8_t *out, const char *source);

#endif
