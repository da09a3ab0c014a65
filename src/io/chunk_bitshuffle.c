/* HDF5 bitshuffle filter (id 32008) chunks with LZ4 compression: liblz4's safe decoder per block,
 * then our own bit transpose back from bit-planes to elements.
 *
 * Bitshuffle (Masui et al., Astronomy and Computing 12, 2015): a block of m elements (m a multiple
 * of 8) of s bytes is stored as 8s bit-planes of m/8 bytes; plane 8b+k holds bit k of byte b of
 * every element, element 8j+i in bit i of the plane's byte j. Chunk layout: uint64 BE total bytes,
 * uint32 BE block size in bytes, then per block (full blocks, then one of the remaining elements
 * rounded down to 8) a uint32 BE compressed size and an LZ4 raw block; the last n % 8 elements
 * follow verbatim.
 *
 * Untranspose, per byte b and per 16 consecutive plane bytes j: the 8 planes' 16-byte rows form
 * sixteen 8x8 bit matrices side by side; three rounds of masked shift/xor swap them into element
 * order in place (vertical 8x8 transpose in SSE2 registers), then byte unpacks and word
 * transposes put bytes b = 0..s-1 of each element together (1-, 2- and 4-byte elements; other
 * sizes gather bytes from a small tile). The portable path, used without SSE2 and for the last
 * plane bytes of a block, does one 64-bit 8x8 bit transpose per plane byte and element byte. */
#include "io/io_internal.h"

#include <limits.h>
#include <string.h>

#include <lz4.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"

/* Transpose the 8x8 bit matrix x (bit 8r+c = row r, column c); its own inverse. */
static inline uint64_t transpose8x8(uint64_t x)
{
    uint64_t t;
    t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x = x ^ t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x = x ^ t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    x = x ^ t ^ (t << 28);
    return x;
}

size_t bf__bshuf_default_block(size_t elem_size)
{
    size_t b = elem_size ? 8192 / elem_size : 0;
    b -= b % 8;
    return b < 128 ? 128 : b;
}

/* Portable path for plane bytes j in [j0, j1): gather 8 plane bytes, transpose, scatter. */
static void untranspose_scalar(const uint8_t *planes, uint8_t *out, size_t nb, size_t s,
                               size_t j0, size_t j1)
{
    for (size_t j = j0; j < j1; j++) {
        uint8_t *o = out + 8 * j * s;
        for (size_t b = 0; b < s; b++) {
            const uint8_t *p = planes + 8 * b * nb + j;
            uint64_t x = 0;
            for (int k = 0; k < 8; k++)
                x |= (uint64_t)p[(size_t)k * nb] << (8 * k);
            x = transpose8x8(x);
            for (int i = 0; i < 8; i++)
                o[(size_t)i * s + b] = (uint8_t)(x >> (8 * i));
        }
    }
}

#if defined(__SSE2__)
/* Vertical 8x8 transpose of r[0..7]: afterwards bit k of byte j of r[i] = bit i of byte j of the
 * old r[k]. Shifts in 16-bit lanes never leak across bytes because of the masks. */
#define SWAP_BITS(a, b, sh, mask)                                                           \
    do {                                                                                    \
        __m128i t_ = _mm_and_si128(_mm_xor_si128(_mm_srli_epi16(a, sh), b), mask);          \
        b = _mm_xor_si128(b, t_);                                                           \
        a = _mm_xor_si128(a, _mm_slli_epi16(t_, sh));                                       \
    } while (0)

__attribute__((always_inline)) static inline void vtranspose8(__m128i r[8])
{
    const __m128i m1 = _mm_set1_epi8(0x55), m2 = _mm_set1_epi8(0x33), m4 = _mm_set1_epi8(0x0F);
    SWAP_BITS(r[0], r[1], 1, m1);
    SWAP_BITS(r[2], r[3], 1, m1);
    SWAP_BITS(r[4], r[5], 1, m1);
    SWAP_BITS(r[6], r[7], 1, m1);
    SWAP_BITS(r[0], r[2], 2, m2);
    SWAP_BITS(r[1], r[3], 2, m2);
    SWAP_BITS(r[4], r[6], 2, m2);
    SWAP_BITS(r[5], r[7], 2, m2);
    SWAP_BITS(r[0], r[4], 4, m4);
    SWAP_BITS(r[1], r[5], 4, m4);
    SWAP_BITS(r[2], r[6], 4, m4);
    SWAP_BITS(r[3], r[7], 4, m4);
}

/* 4x4 transpose of 32-bit words. */
__attribute__((always_inline)) static inline void transpose4x4(__m128i *a, __m128i *b, __m128i *c,
                                                                __m128i *d)
{
    __m128i t0 = _mm_unpacklo_epi32(*a, *b), t1 = _mm_unpackhi_epi32(*a, *b);
    __m128i t2 = _mm_unpacklo_epi32(*c, *d), t3 = _mm_unpackhi_epi32(*c, *d);
    *a = _mm_unpacklo_epi64(t0, t2);
    *b = _mm_unpackhi_epi64(t0, t2);
    *c = _mm_unpacklo_epi64(t1, t3);
    *d = _mm_unpackhi_epi64(t1, t3);
}

/* 4-byte elements, plane bytes [j0, j0 + 16): 128 elements, 512 output bytes. Three passes
 * through small L1 arrays keep at most ~12 vectors live (no register spills). */
__attribute__((always_inline)) static inline void untranspose16_s4(const uint8_t *planes,
                                                                     uint8_t *out, size_t nb,
                                                                     size_t j0)
{
    __m128i r[4][8]; /* r[b][i] byte j: byte b of element 8(j0+j)+i */
    __m128i e[4][8]; /* e[q][i]: elements 8j+i for j = j0+4q .. j0+4q+3, as 32-bit words */
    for (int b = 0; b < 4; b++) {
        __m128i v[8];
        for (int k = 0; k < 8; k++)
            v[k] = _mm_loadu_si128((const __m128i *)(planes + (size_t)(8 * b + k) * nb + j0));
        vtranspose8(v);
        for (int i = 0; i < 8; i++)
            r[b][i] = v[i];
    }
    for (int i = 0; i < 8; i++) {
        __m128i lo01 = _mm_unpacklo_epi8(r[0][i], r[1][i]);
        __m128i hi01 = _mm_unpackhi_epi8(r[0][i], r[1][i]);
        __m128i lo23 = _mm_unpacklo_epi8(r[2][i], r[3][i]);
        __m128i hi23 = _mm_unpackhi_epi8(r[2][i], r[3][i]);
        e[0][i] = _mm_unpacklo_epi16(lo01, lo23);
        e[1][i] = _mm_unpackhi_epi16(lo01, lo23);
        e[2][i] = _mm_unpacklo_epi16(hi01, hi23);
        e[3][i] = _mm_unpackhi_epi16(hi01, hi23);
    }
    uint8_t *o = out + 32 * j0;
    for (int q = 0; q < 4; q++) {
        __m128i a = e[q][0], b = e[q][1], c = e[q][2], d = e[q][3];
        __m128i a2 = e[q][4], b2 = e[q][5], c2 = e[q][6], d2 = e[q][7];
        transpose4x4(&a, &b, &c, &d);
        transpose4x4(&a2, &b2, &c2, &d2);
        uint8_t *dst = o + 128 * q;
        _mm_storeu_si128((__m128i *)dst, a);
        _mm_storeu_si128((__m128i *)(dst + 16), a2);
        _mm_storeu_si128((__m128i *)(dst + 32), b);
        _mm_storeu_si128((__m128i *)(dst + 48), b2);
        _mm_storeu_si128((__m128i *)(dst + 64), c);
        _mm_storeu_si128((__m128i *)(dst + 80), c2);
        _mm_storeu_si128((__m128i *)(dst + 96), d);
        _mm_storeu_si128((__m128i *)(dst + 112), d2);
    }
}

/* 2-byte elements, plane bytes [j0, j0 + 16): 128 elements, 256 output bytes. */
__attribute__((always_inline)) static inline void untranspose16_s2(const uint8_t *planes,
                                                                     uint8_t *out, size_t nb,
                                                                     size_t j0)
{
    __m128i r[2][8];
    for (int b = 0; b < 2; b++) {
        for (int k = 0; k < 8; k++)
            r[b][k] = _mm_loadu_si128((const __m128i *)(planes + (size_t)(8 * b + k) * nb + j0));
        vtranspose8(r[b]);
    }
    /* h[i][q]: elements 8j+i, j = j0+8q..j0+8q+7, as 16-bit words; then 8x8 word transpose. */
    __m128i h[8][2];
    for (int i = 0; i < 8; i++) {
        h[i][0] = _mm_unpacklo_epi8(r[0][i], r[1][i]);
        h[i][1] = _mm_unpackhi_epi8(r[0][i], r[1][i]);
    }
    uint8_t *o = out + 16 * j0;
    for (int q = 0; q < 2; q++) {
        __m128i a0 = _mm_unpacklo_epi16(h[0][q], h[1][q]);
        __m128i a1 = _mm_unpackhi_epi16(h[0][q], h[1][q]);
        __m128i a2 = _mm_unpacklo_epi16(h[2][q], h[3][q]);
        __m128i a3 = _mm_unpackhi_epi16(h[2][q], h[3][q]);
        __m128i a4 = _mm_unpacklo_epi16(h[4][q], h[5][q]);
        __m128i a5 = _mm_unpackhi_epi16(h[4][q], h[5][q]);
        __m128i a6 = _mm_unpacklo_epi16(h[6][q], h[7][q]);
        __m128i a7 = _mm_unpackhi_epi16(h[6][q], h[7][q]);
        /* a0: (e0,e1) for j=0..3 ; a2: (e2,e3) for j=0..3 ; ... 32-bit pairs */
        __m128i b0 = _mm_unpacklo_epi32(a0, a2), b1 = _mm_unpackhi_epi32(a0, a2);
        __m128i b2 = _mm_unpacklo_epi32(a4, a6), b3 = _mm_unpackhi_epi32(a4, a6);
        __m128i b4 = _mm_unpacklo_epi32(a1, a3), b5 = _mm_unpackhi_epi32(a1, a3);
        __m128i b6 = _mm_unpacklo_epi32(a5, a7), b7 = _mm_unpackhi_epi32(a5, a7);
        __m128i rows[8] = {
            _mm_unpacklo_epi64(b0, b2), _mm_unpackhi_epi64(b0, b2),
            _mm_unpacklo_epi64(b1, b3), _mm_unpackhi_epi64(b1, b3),
            _mm_unpacklo_epi64(b4, b6), _mm_unpackhi_epi64(b4, b6),
            _mm_unpacklo_epi64(b5, b7), _mm_unpackhi_epi64(b5, b7),
        };
        for (int t = 0; t < 8; t++)
            _mm_storeu_si128((__m128i *)(o + 16 * (8 * q + t)), rows[t]);
    }
}

/* 1-byte elements, plane bytes [j0, j0 + 16): an 8 x 16 byte transpose after the bit step. */
__attribute__((always_inline)) static inline void untranspose16_s1(const uint8_t *planes,
                                                                     uint8_t *out, size_t nb,
                                                                     size_t j0)
{
    __m128i r[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm_loadu_si128((const __m128i *)(planes + (size_t)k * nb + j0));
    vtranspose8(r);
    __m128i a[4][2], b[2][4];
    for (int p = 0; p < 4; p++) {
        a[p][0] = _mm_unpacklo_epi8(r[2 * p], r[2 * p + 1]);
        a[p][1] = _mm_unpackhi_epi8(r[2 * p], r[2 * p + 1]);
    }
    for (int h = 0; h < 2; h++) { /* h = 0: elements 0-3, h = 1: elements 4-7 */
        b[h][0] = _mm_unpacklo_epi16(a[2 * h][0], a[2 * h + 1][0]);
        b[h][1] = _mm_unpackhi_epi16(a[2 * h][0], a[2 * h + 1][0]);
        b[h][2] = _mm_unpacklo_epi16(a[2 * h][1], a[2 * h + 1][1]);
        b[h][3] = _mm_unpackhi_epi16(a[2 * h][1], a[2 * h + 1][1]);
    }
    uint8_t *o = out + 8 * j0;
    for (int q = 0; q < 4; q++) {
        _mm_storeu_si128((__m128i *)(o + 32 * q), _mm_unpacklo_epi32(b[0][q], b[1][q]));
        _mm_storeu_si128((__m128i *)(o + 32 * q + 16), _mm_unpackhi_epi32(b[0][q], b[1][q]));
    }
}

/* Any element size: the bit step in registers, then a byte gather from a 16 x 8 x s tile. */
static void untranspose16_any(const uint8_t *planes, uint8_t *out, size_t nb, size_t s,
                              size_t j0)
{
    uint8_t tile[8][16]; /* tile[i][j]: byte b of element 8(j0+j)+i */
    for (size_t b = 0; b < s; b++) {
        __m128i r[8];
        for (int k = 0; k < 8; k++)
            r[k] = _mm_loadu_si128((const __m128i *)(planes + (8 * b + (size_t)k) * nb + j0));
        vtranspose8(r);
        for (int i = 0; i < 8; i++)
            _mm_storeu_si128((__m128i *)tile[i], r[i]);
        for (size_t j = 0; j < 16; j++)
            for (size_t i = 0; i < 8; i++)
                out[(8 * (j0 + j) + i) * s + b] = tile[i][j];
    }
}
#endif

void bf__bshuf_untranspose(const uint8_t *planes, uint8_t *out, size_t m, size_t s, int simd)
{
    size_t nb = m / 8, j = 0;
#if defined(__SSE2__)
    if (simd && s == 4)
        for (; j + 16 <= nb; j += 16)
            untranspose16_s4(planes, out, nb, j);
    else if (simd && s == 2)
        for (; j + 16 <= nb; j += 16)
            untranspose16_s2(planes, out, nb, j);
    else if (simd && s == 1)
        for (; j + 16 <= nb; j += 16)
            untranspose16_s1(planes, out, nb, j);
    else if (simd)
        for (; j + 16 <= nb; j += 16)
            untranspose16_any(planes, out, nb, s, j);
#else
    (void)simd;
#endif
    untranspose_scalar(planes, out, nb, s, j, nb);
}

void bf__bshuf_transpose(const uint8_t *in, uint8_t *planes, size_t m, size_t s)
{
    size_t nb = m / 8;
    for (size_t j = 0; j < nb; j++) {
        const uint8_t *e = in + 8 * j * s;
        for (size_t b = 0; b < s; b++) {
            uint64_t x = 0;
            for (int i = 0; i < 8; i++)
                x |= (uint64_t)e[(size_t)i * s + b] << (8 * i);
            x = transpose8x8(x);
            uint8_t *p = planes + 8 * b * nb + j;
            for (int k = 0; k < 8; k++)
                p[(size_t)k * nb] = (uint8_t)(x >> (8 * k));
        }
    }
}

bf_status bf__bshuf_chunk_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t expect,
                                 size_t s, uint8_t *scratch, size_t scratch_cap, const char *what)
{
    if (s == 0 || expect % s != 0)
        return bf__error_set(BF_EINVAL, "%s: %zu bytes are not whole %zu-byte elements", what,
                             expect, s);
    if (srclen < 12)
        return bf__error_set(BF_EFORMAT, "%s: bitshuffle chunk of %zu bytes is shorter than its "
                             "12-byte header", what, srclen);
    uint64_t total = bf__load_be64(src);
    uint32_t block_bytes = bf__load_be32(src + 8);
    if (total != expect)
        return bf__error_set(BF_EFORMAT, "%s: bitshuffle chunk declares %llu decompressed bytes, "
                             "the dataset's chunk holds %zu", what, (unsigned long long)total,
                             expect);
    if (block_bytes == 0 || block_bytes % s != 0 || (block_bytes / s) % 8 != 0 ||
        block_bytes > scratch_cap || block_bytes > BF__BSHUF_MAX_BLOCK)
        return bf__error_set(BF_EFORMAT, "%s: bitshuffle block size of %u bytes is invalid for "
                             "%zu-byte elements (a multiple of 8 elements, at most %d bytes)",
                             what, (unsigned)block_bytes, s, BF__BSHUF_MAX_BLOCK);
    size_t n = expect / s, block = block_bytes / s, pos = 12, e = 0, iblock = 0;
    while (n - e >= 8) {
        size_t m = n - e >= block ? block : (n - e) - (n - e) % 8;
        size_t mb = m * s;
        if (srclen - pos < 4)
            return bf__error_set(BF_EFORMAT, "%s: bitshuffle chunk truncated at block %zu (offset "
                                 "%zu of %zu bytes)", what, iblock, pos, srclen);
        uint32_t c = bf__load_be32(src + pos);
        pos += 4;
        if (c == 0 || c > srclen - pos)
            return bf__error_set(BF_EFORMAT, "%s: bitshuffle block %zu declares %u compressed "
                                 "bytes, %zu remain in the chunk", what, iblock, (unsigned)c,
                                 srclen - pos);
        int got = LZ4_decompress_safe((const char *)src + pos, (char *)scratch, (int)c, (int)mb);
        if (got != (int)mb)
            return bf__error_set(BF_EFORMAT, "%s: bitshuffle block %zu is corrupt (%s %d of %zu "
                                 "bytes)", what, iblock, got < 0 ? "LZ4 error at" : "decoded",
                                 got < 0 ? -got : got, mb);
        bf__bshuf_untranspose(scratch, dst + e * s, m, s, 1);
        pos += c;
        e += m;
        iblock++;
    }
    size_t rest = (n - e) * s;
    if (srclen - pos != rest)
        return bf__error_set(BF_EFORMAT, "%s: bitshuffle chunk has %zu bytes after its %zu blocks, "
                             "expected %zu", what, srclen - pos, iblock, rest);
    memcpy(dst + e * s, src + pos, rest);
    return BF_OK;
}

size_t bf__bshuf_chunk_bound(size_t n, size_t s, size_t block)
{
    if (block == 0)
        block = bf__bshuf_default_block(s);
    size_t nblocks = n / s / block + 1;
    return 12 + nblocks * (4 + (size_t)LZ4_compressBound((int)(block * s))) + 8 * s;
}

bf_status bf__bshuf_chunk_encode(const uint8_t *src, size_t n, size_t s, size_t block,
                                 uint8_t *dst, size_t cap, size_t *outlen)
{
    *outlen = 0;
    if (block == 0)
        block = bf__bshuf_default_block(s);
    if (s == 0 || n % s || block % 8 || block * s > BF__BSHUF_MAX_BLOCK)
        return bf__error_set(BF_EINVAL, "bitshuffle encode: %zu bytes of %zu-byte elements in "
                             "blocks of %zu elements is not possible", n, s, block);
    if (cap < bf__bshuf_chunk_bound(n, s, block))
        return bf__error_set(BF_EINVAL, "bitshuffle encode: output of %zu bytes is below the "
                             "bound", cap);
    uint8_t planes[BF__BSHUF_MAX_BLOCK];
    size_t ne = n / s, e = 0, pos = 12;
    for (int i = 7; i >= 0; i--)
        dst[7 - i] = (uint8_t)((uint64_t)n >> (8 * i));
    bf__store_be32(dst + 8, (uint32_t)(block * s));
    while (ne - e >= 8) {
        size_t m = ne - e >= block ? block : (ne - e) - (ne - e) % 8;
        bf__bshuf_transpose(src + e * s, planes, m, s);
        int c = LZ4_compress_default((const char *)planes, (char *)dst + pos + 4, (int)(m * s),
                                     (int)(cap - pos - 4 > INT_MAX ? INT_MAX : cap - pos - 4));
        if (c <= 0)
            return bf__error_set(BF_EINTERNAL, "bitshuffle encode: LZ4 failed on a block");
        bf__store_be32(dst + pos, (uint32_t)c);
        pos += 4 + (size_t)c;
        e += m;
    }
    memcpy(dst + pos, src + e * s, (ne - e) * s);
    *outlen = pos + (ne - e) * s;
    return BF_OK;
}
