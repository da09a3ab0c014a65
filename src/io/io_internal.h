/* Library-private side of src/io: the chunk codecs (pure functions on buffers, no HDF5, no
 * allocation), the process-wide HDF5 lock, and the single-image parsers the fuzz targets call.
 *
 * Codec contract: a decoder reads exactly srclen bytes of src and writes exactly expect bytes of
 * dst, or fails with BF_EFORMAT and a message that starts with `what` (the caller's "file::/dset:
 * frame N" context). Every size field is checked against the remaining input and the output
 * before it is used. */
#ifndef BF_IO_INTERNAL_H
#define BF_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "beamflow/io.h"

#define BF__H5Z_FILTER_LZ4 32004
#define BF__H5Z_FILTER_BSHUF 32008
#define BF__BSHUF_LZ4 2            /* cd_values[4] of 32008: LZ4 compression */
#define BF__BSHUF_MAX_BLOCK 262144 /* largest bitshuffle block we accept, bytes */

/* ---- LZ4 (filter 32004) ---- */

/* Decode one chunk whose decompressed size must be expect bytes. */
bf_status bf__lz4_chunk_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t expect,
                               const char *what);

/* Largest encoded size of n bytes in blocks of block bytes (0: one block). */
size_t bf__lz4_chunk_bound(size_t n, size_t block);

/* Encode n bytes as a 32004 chunk into dst (cap >= bf__lz4_chunk_bound); *outlen = bytes. */
bf_status bf__lz4_chunk_encode(const uint8_t *src, size_t n, size_t block, uint8_t *dst,
                               size_t cap, size_t *outlen /* OUT */);

/* ---- bitshuffle + LZ4 (filter 32008) ---- */

/* Default block of bitshuffle for an element size, in elements (8192 bytes, multiple of 8). */
size_t bf__bshuf_default_block(size_t elem_size);

/* Decode one chunk of elements of elem_size bytes (expect bytes in all). scratch holds one
 * block (scratch_cap bytes, at least BF__BSHUF_MAX_BLOCK is always enough), 16-byte aligned. */
bf_status bf__bshuf_chunk_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t expect,
                                 size_t elem_size, uint8_t *scratch, size_t scratch_cap,
                                 const char *what);

size_t bf__bshuf_chunk_bound(size_t n, size_t elem_size, size_t block_elems);

/* Encode n bytes of elem_size elements; block_elems 0 = default. scratch: block bytes. */
bf_status bf__bshuf_chunk_encode(const uint8_t *src, size_t n, size_t elem_size,
                                 size_t block_elems, uint8_t *dst, size_t cap,
                                 size_t *outlen /* OUT */);

/* The bit transposes on one block of m elements (m multiple of 8): planes -> elements.
 * simd = 0 forces the portable path, 1 takes SSE2 where built with it; tests compare them.
 * (An AVX2 variant measured slower than SSE2 here: the 10 MB of stores per frame bound it.) */
void bf__bshuf_untranspose(const uint8_t *planes, uint8_t *out, size_t m, size_t elem_size,
                           int simd);
void bf__bshuf_transpose(const uint8_t *in, uint8_t *planes, size_t m, size_t elem_size);

/* ---- HDF5 lock: every HDF5 call in beamflow runs under it (HDF5 1.10 may be built without
 * thread safety; with it, this costs one uncontended mutex). ---- */
void bf__h5_lock(void);
void bf__h5_unlock(void);
/* Silence HDF5's automatic error printing (once, under the lock). */
void bf__h5_quiet(void);
/* Map an HDF5 native type to our dtype; big-endian types map too (*big_endian set). */
bf_status bf__h5_dtype(int64_t type_id, bf_dtype *out, int *big_endian);
int64_t bf__h5_native(bf_dtype dt);

/* ---- images ---- */

struct bf_image {
    bf_dtype dtype;
    size_t height, width;
    void *data;
};

/* Allocate an image of h x w pixels (zeroed), checking the size. source names it. */
bf_status bf__image_alloc(bf_dtype dt, size_t h, size_t w, const char *source,
                          bf_image **out /* OUT */);

/* In-memory parsers: buf/len is the whole file; source names it in messages. */
bf_status bf__cbf_parse(const uint8_t *buf, size_t len, const char *source,
                        bf_image **out /* OUT */);
bf_status bf__edf_parse(const uint8_t *buf, size_t len, const char *source,
                        bf_image **out /* OUT */);
bf_status bf__tiff_parse(const uint8_t *buf, size_t len, const char *source,
                         bf_image **out /* OUT */);

/* CBF byte-offset decoding of exactly n int32 values (fuzzed on its own). */
bf_status bf__cbf_byte_offset_decode(const uint8_t *src, size_t srclen, int32_t *dst, size_t n,
                                     const char *source);

/* Whole file into memory (at most max bytes). */
bf_status bf__read_file(const char *path, size_t max, uint8_t **buf /* OUT */,
                        size_t *len /* OUT */);

/* Big-endian fields of the HDF5 LZ4 (32004) and bitshuffle (32008) chunk headers. */
static inline uint64_t bf__load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static inline uint32_t bf__load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void bf__store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline void bf__store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
