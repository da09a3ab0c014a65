/* HDF5 LZ4 filter (id 32004) chunks, decoded with liblz4's bounds-checked LZ4_decompress_safe.
 *
 * Layout (see shared/refs/hdf5-lz4.md): uint64 BE total bytes, uint32 BE block size, then for
 * each of ceil(total / block) blocks a uint32 BE compressed size and that many bytes; a block
 * whose compressed size equals its plain size is stored raw. Invariant kept here: no byte of src
 * is read before its position is checked against srclen, no byte of dst written past expect,
 * and a chunk decodes only if it accounts for every byte of src and of dst. */
#include "io/io_internal.h"

#include <limits.h>
#include <string.h>

#include <lz4.h>

#include "core/error.h"

bf_status bf__lz4_chunk_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t expect,
                               const char *what)
{
    if (srclen < 12)
        return bf__error_set(BF_EFORMAT, "%s: LZ4 chunk of %zu bytes is shorter than its 12-byte "
                             "header", what, srclen);
    uint64_t total = bf__load_be64(src);
    uint32_t block = bf__load_be32(src + 8);
    if (total != expect)
        return bf__error_set(BF_EFORMAT, "%s: LZ4 chunk declares %llu decompressed bytes, the "
                             "dataset's chunk holds %zu", what, (unsigned long long)total, expect);
    if (block == 0 && total > 0)
        return bf__error_set(BF_EFORMAT, "%s: LZ4 chunk declares a block size of 0", what);
    if (block > (uint32_t)LZ4_MAX_INPUT_SIZE)
        return bf__error_set(BF_EFORMAT, "%s: LZ4 block size %u exceeds LZ4's limit", what,
                             (unsigned)block);
    size_t pos = 12, done = 0, iblock = 0;
    while (done < expect) {
        size_t n = expect - done < block ? expect - done : block;
        if (srclen - pos < 4)
            return bf__error_set(BF_EFORMAT, "%s: LZ4 chunk truncated at block %zu (offset %zu "
                                 "of %zu bytes)", what, iblock, pos, srclen);
        uint32_t c = bf__load_be32(src + pos);
        pos += 4;
        if (c == 0 || c > srclen - pos)
            return bf__error_set(BF_EFORMAT, "%s: LZ4 block %zu declares %u compressed bytes, "
                                 "%zu remain in the chunk", what, iblock, (unsigned)c,
                                 srclen - pos);
        if (c == n) {
            memcpy(dst + done, src + pos, n);
        } else {
            int got = LZ4_decompress_safe((const char *)src + pos, (char *)dst + done, (int)c,
                                          (int)n);
            if (got != (int)n)
                return bf__error_set(BF_EFORMAT, "%s: LZ4 block %zu is corrupt (%s %d of %zu "
                                     "bytes)", what, iblock, got < 0 ? "error at" : "decoded",
                                     got < 0 ? -got : got, n);
        }
        pos += c;
        done += n;
        iblock++;
    }
    if (pos != srclen)
        return bf__error_set(BF_EFORMAT, "%s: LZ4 chunk has %zu trailing bytes after its %zu "
                             "blocks", what, srclen - pos, iblock);
    return BF_OK;
}

static size_t effective_block(size_t n, size_t block)
{
    if (block == 0 || block > n)
        block = n;
    if (block > (size_t)LZ4_MAX_INPUT_SIZE)
        block = (size_t)LZ4_MAX_INPUT_SIZE;
    return block ? block : 1;
}

size_t bf__lz4_chunk_bound(size_t n, size_t block)
{
    block = effective_block(n, block);
    size_t nblocks = (n + block - 1) / block;
    return 12 + nblocks * (4 + (size_t)LZ4_compressBound((int)block));
}

bf_status bf__lz4_chunk_encode(const uint8_t *src, size_t n, size_t block, uint8_t *dst,
                               size_t cap, size_t *outlen)
{
    block = effective_block(n, block);
    *outlen = 0;
    if (cap < bf__lz4_chunk_bound(n, block))
        return bf__error_set(BF_EINVAL, "LZ4 encode: output of %zu bytes is below the bound %zu",
                             cap, bf__lz4_chunk_bound(n, block));
    bf__store_be64(dst, n);
    bf__store_be32(dst + 8, (uint32_t)block);
    size_t pos = 12;
    for (size_t done = 0; done < n; done += block) {
        size_t m = n - done < block ? n - done : block;
        int c = LZ4_compress_default((const char *)src + done, (char *)dst + pos + 4, (int)m,
                                     (int)(cap - pos - 4 > INT_MAX ? INT_MAX : cap - pos - 4));
        if (c <= 0 || (size_t)c >= m) { /* incompressible: store raw, as the plugin does */
            memcpy(dst + pos + 4, src + done, m);
            c = (int)m;
        }
        bf__store_be32(dst + pos, (uint32_t)c);
        pos += 4 + (size_t)c;
    }
    *outlen = pos;
    return BF_OK;
}
