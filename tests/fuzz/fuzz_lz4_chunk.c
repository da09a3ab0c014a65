/* Fuzz target: the HDF5 LZ4 (32004) chunk decoder. Any bytes, decoded into an output of exactly
 * the size the header declares (capped), must decode or fail with a message carrying the
 * caller's context; never read or write out of bounds. The same bytes are also encoded as plain
 * data with a block size taken from the input and must decode back to themselves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

#define MAX_OUT (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t total = 0;
    for (size_t i = 0; i < 8 && i < size; i++)
        total = total << 8 | data[i];
    size_t expect = total > MAX_OUT ? MAX_OUT : (size_t)total;
    uint8_t *out = malloc(expect ? expect : 1);
    if (!out)
        return 0;
    if (bf__lz4_chunk_decode(data, size, out, expect, "fuzz::/d: frame 0") != BF_OK &&
        !strstr(bf_last_error(), "fuzz::/d: frame 0"))
        __builtin_trap();
    free(out);

    size_t block = size ? (size_t)data[0] * 37 : 0, len = 0, cap = bf__lz4_chunk_bound(size, block);
    uint8_t *enc = malloc(cap), *dec = malloc(size ? size : 1);
    if (enc && dec) {
        if (bf__lz4_chunk_encode(data, size, block, enc, cap, &len) != BF_OK ||
            bf__lz4_chunk_decode(enc, len, dec, size, "round trip") != BF_OK ||
            memcmp(dec, data, size) != 0)
            __builtin_trap();
    }
    free(enc);
    free(dec);
    return 0;
}
