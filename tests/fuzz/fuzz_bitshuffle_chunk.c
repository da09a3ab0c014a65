/* Fuzz target: the bitshuffle+LZ4 (32008) chunk decoder and its bit transposes. The first byte
 * picks the element size (1, 2, 4 or 8), the rest is the chunk, decoded into an output of exactly
 * the declared size (capped) with an exact-size scratch block; failures must carry the caller's
 * context. The chunk bytes are also encoded as data and must decode back to themselves, which
 * checks the SIMD untranspose against the portable transpose on arbitrary bit patterns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

#define MAX_OUT (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t es = (size_t)1 << (data[0] & 3);
    const uint8_t *chunk = data + 1;
    size_t n = size - 1;
    uint64_t total = 0;
    for (size_t i = 0; i < 8 && i < n; i++)
        total = total << 8 | chunk[i];
    size_t expect = total > MAX_OUT ? MAX_OUT : (size_t)total;
    uint8_t *out = malloc(expect ? expect : 1), *scratch = malloc(BF__BSHUF_MAX_BLOCK);
    if (out && scratch &&
        bf__bshuf_chunk_decode(chunk, n, out, expect, es, scratch, BF__BSHUF_MAX_BLOCK,
                               "fuzz::/d: frame 0") != BF_OK &&
        !strstr(bf_last_error(), "fuzz::/d: frame 0"))
        __builtin_trap();
    free(out);

    size_t m = n - n % es, block = (size_t)(data[0] >> 2) * 8, len = 0;
    if (block * es > BF__BSHUF_MAX_BLOCK)
        block = 0;
    size_t cap = bf__bshuf_chunk_bound(m, es, block);
    uint8_t *enc = malloc(cap), *dec = malloc(m ? m : 1);
    if (enc && dec && scratch) {
        if (bf__bshuf_chunk_encode(chunk, m, es, block, enc, cap, &len) != BF_OK ||
            bf__bshuf_chunk_decode(enc, len, dec, m, es, scratch, BF__BSHUF_MAX_BLOCK,
                                   "round trip") != BF_OK ||
            memcmp(dec, chunk, m) != 0)
            __builtin_trap();
    }
    free(enc);
    free(dec);
    free(scratch);
    return 0;
}
