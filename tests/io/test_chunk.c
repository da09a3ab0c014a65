/* The chunk codecs on their own: the bit transposes against a bit-by-bit definition, SIMD
 * against portable paths, encode/decode round trips over sizes that are not multiples of the
 * blocks, and every malformed-chunk error path (header, sizes, truncation, corruption, trailing
 * bytes), each with its message. */
#include "bf_test.h"

#include <lz4.h>

#include "io/io_internal.h"

static void fill(uint8_t *p, size_t n, uint64_t *seed, int sparse)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = bf_test_rand(seed);
        p[i] = sparse ? (r % 13 == 0 ? (uint8_t)(r >> 20) : 0) : (uint8_t)(r >> 24);
    }
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* Plane 8b+k, byte j, bit i = bit k of byte b of element 8j+i (Masui et al. 2015). */
static void transpose_by_definition(const uint8_t *in, uint8_t *planes, size_t m, size_t s)
{
    size_t nb = m / 8;
    memset(planes, 0, m * s);
    for (size_t e = 0; e < m; e++)
        for (size_t b = 0; b < s; b++)
            for (int k = 0; k < 8; k++)
                if (in[e * s + b] >> k & 1)
                    planes[(8 * b + (size_t)k) * nb + e / 8] |= (uint8_t)(1u << (e % 8));
}

static void transposes_match_definition(void **state)
{
    (void)state;
    uint64_t seed = bf_test_seed();
    static const size_t sizes[] = {1, 2, 4, 8, 3};
    static const size_t ms[] = {8, 16, 120, 128, 136, 2048, 488, 4096, 256, 392};
    uint8_t *in = malloc(4096 * 8), *pl = malloc(4096 * 8 + 16), *ref = malloc(4096 * 8);
    uint8_t *o1 = malloc(4096 * 8);
    for (size_t si = 0; si < 5; si++)
        for (size_t mi = 0; mi < 10; mi++) {
            size_t s = sizes[si], m = ms[mi];
            fill(in, m * s, &seed, (int)(mi & 1));
            transpose_by_definition(in, ref, m, s);
            bf__bshuf_transpose(in, pl, m, s);
            if (memcmp(pl, ref, m * s) != 0)
                fail_msg("transpose differs from the definition (s=%zu, m=%zu)", s, m);
            for (int level = 0; level <= 1; level++) {
                memset(o1, 0, m * s);
                bf__bshuf_untranspose(pl, o1, m, s, level);
                if (memcmp(o1, in, m * s) != 0)
                    fail_msg("untranspose at SIMD level %d is not the inverse (s=%zu, m=%zu)",
                             level, s, m);
            }
        }
    free(in), free(pl), free(ref), free(o1);
}

static void lz4_round_trips(void **state)
{
    (void)state;
    uint64_t seed = bf_test_seed();
    static const size_t ns[] = {0, 1, 7, 1000, 8192, 65537, 300001};
    static const size_t blocks[] = {0, 1000, 4096, 65536};
    for (size_t ni = 0; ni < 7; ni++)
        for (size_t bi = 0; bi < 4; bi++)
            for (int sparse = 0; sparse < 2; sparse++) {
                size_t n = ns[ni], cap = bf__lz4_chunk_bound(n, blocks[bi]), len = 0;
                uint8_t *src = malloc(n + 1), *enc = malloc(cap), *dec = malloc(n + 1);
                fill(src, n, &seed, sparse);
                assert_ok(bf__lz4_chunk_encode(src, n, blocks[bi], enc, cap, &len));
                assert_true(len <= cap);
                assert_ok(bf__lz4_chunk_decode(enc, len, dec, n, "t"));
                assert_memory_equal(dec, src, n);
                free(src), free(enc), free(dec);
            }
}

static void bitshuffle_round_trips(void **state)
{
    (void)state;
    uint64_t seed = bf_test_seed();
    static const size_t counts[] = {0, 5, 8, 2047, 2048, 2053, 10000, 2476525 / 64};
    static const size_t sizes[] = {1, 2, 4, 8};
    static const size_t blocks[] = {0, 256, 8, 65536};
    uint8_t *scratch = malloc(BF__BSHUF_MAX_BLOCK + 16);
    for (size_t ci = 0; ci < 8; ci++)
        for (size_t si = 0; si < 4; si++)
            for (size_t bi = 0; bi < 4; bi++) {
                size_t s = sizes[si], n = counts[ci] * s, bl = blocks[bi];
                if (bl * s > BF__BSHUF_MAX_BLOCK)
                    bl = 0;
                size_t cap = bf__bshuf_chunk_bound(n, s, bl), len = 0;
                uint8_t *src = malloc(n + 1), *enc = malloc(cap), *dec = malloc(n + 1);
                fill(src, n, &seed, (int)(ci & 1));
                assert_ok(bf__bshuf_chunk_encode(src, n, s, bl, enc, cap, &len));
                assert_true(len <= cap);
                assert_ok(bf__bshuf_chunk_decode(enc, len, dec, n, s, scratch,
                                                 BF__BSHUF_MAX_BLOCK, "t"));
                if (memcmp(dec, src, n) != 0)
                    fail_msg("bitshuffle round trip differs: %zu x %zu bytes, block %zu",
                             counts[ci], s, bl);
                free(src), free(enc), free(dec);
            }
    free(scratch);
    size_t len;
    uint8_t b[64];
    assert_fails(bf__bshuf_chunk_encode(b, 6, 4, 0, b, 64, &len), BF_EINVAL, "not possible");
    assert_fails(bf__bshuf_chunk_encode(b, 8, 4, 0, b, 16, &len), BF_EINVAL, "bound");
    assert_fails(bf__lz4_chunk_encode(b, 60, 0, b, 16, &len), BF_EINVAL, "bound");
}

static void lz4_rejects_malformed(void **state)
{
    (void)state;
    uint8_t src[4096], enc[8192], dec[4096];
    size_t len = 0;
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i / 7);
    assert_ok(bf__lz4_chunk_encode(src, 4096, 1024, enc, sizeof enc, &len));
    assert_fails(bf__lz4_chunk_decode(enc, 11, dec, 4096, "f.h5::/d: frame 3"), BF_EFORMAT,
                 "f.h5::/d: frame 3: LZ4 chunk of 11 bytes");
    assert_fails(bf__lz4_chunk_decode(enc, len, dec, 4095, "w"), BF_EFORMAT,
                 "declares 4096 decompressed bytes");
    assert_fails(bf__lz4_chunk_decode(enc, len - 1, dec, 4096, "w"), BF_EFORMAT, "remain");
    assert_fails(bf__lz4_chunk_decode(enc, 12 + 2, dec, 4096, "w"), BF_EFORMAT, "truncated");
    uint8_t big[8300];
    memcpy(big, enc, len);
    big[len] = 0;
    assert_fails(bf__lz4_chunk_decode(big, len + 1, dec, 4096, "w"), BF_EFORMAT, "trailing");
    memcpy(big, enc, len);
    be32(big + 8, 0);
    assert_fails(bf__lz4_chunk_decode(big, len, dec, 4096, "w"), BF_EFORMAT, "block size of 0");
    be32(big + 8, 0x7F000000u);
    assert_fails(bf__lz4_chunk_decode(big, len, dec, 4096, "w"), BF_EFORMAT, "limit");
    memcpy(big, enc, len);
    be32(big + 12, 0);
    assert_fails(bf__lz4_chunk_decode(big, len, dec, 4096, "w"), BF_EFORMAT, "declares 0");
    memcpy(big, enc, len);
    memset(big + 16, 0xF0, 8); /* a literal run far past the block */
    assert_fails(bf__lz4_chunk_decode(big, len, dec, 4096, "w"), BF_EFORMAT, "corrupt");
    /* a block that decodes to fewer bytes than declared */
    int c = LZ4_compress_default((const char *)src, (char *)big + 16, 1000, 4000);
    memset(big, 0, 8);
    big[6] = 1024 >> 8, big[7] = 0; /* total 1024 */
    be32(big + 8, 1024);
    be32(big + 12, (uint32_t)c);
    assert_fails(bf__lz4_chunk_decode(big, 16 + (size_t)c, dec, 1024, "w"), BF_EFORMAT,
                 "corrupt");
    /* an empty chunk is valid */
    memset(big, 0, 12);
    assert_ok(bf__lz4_chunk_decode(big, 12, dec, 0, "w"));
}

static void bitshuffle_rejects_malformed(void **state)
{
    (void)state;
    uint8_t src[4100], enc[8192], dec[4100], *scratch = malloc(BF__BSHUF_MAX_BLOCK + 16);
    size_t len = 0, n = 4100; /* 1025 int32: blocks of 256 + one leftover element */
    for (size_t i = 0; i < n; i++)
        src[i] = (uint8_t)(i % 5 ? 0 : i);
    assert_ok(bf__bshuf_chunk_encode(src, n, 4, 256, enc, sizeof enc, &len));
    size_t sc = BF__BSHUF_MAX_BLOCK;
    assert_ok(bf__bshuf_chunk_decode(enc, len, dec, n, 4, scratch, sc, "w"));
    assert_fails(bf__bshuf_chunk_decode(enc, 5, dec, n, 4, scratch, sc, "g.h5::/e: frame 9"),
                 BF_EFORMAT, "g.h5::/e: frame 9: bitshuffle chunk of 5 bytes");
    assert_fails(bf__bshuf_chunk_decode(enc, len, dec, n, 3, scratch, sc, "w"), BF_EINVAL,
                 "whole 3-byte");
    assert_fails(bf__bshuf_chunk_decode(enc, len, dec, n - 4, 4, scratch, sc, "w"), BF_EFORMAT,
                 "declares 4100");
    assert_fails(bf__bshuf_chunk_decode(enc, len, dec, n, 4, scratch, 512, "w"), BF_EFORMAT,
                 "invalid");
    assert_fails(bf__bshuf_chunk_decode(enc, len - 1, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "after its");
    assert_fails(bf__bshuf_chunk_decode(enc, 14, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "truncated");
    assert_fails(bf__bshuf_chunk_decode(enc, 20, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "remain");
    uint8_t bad[8192];
    memcpy(bad, enc, len);
    be32(bad + 8, 1000); /* 250 elements: not a multiple of 8 */
    assert_fails(bf__bshuf_chunk_decode(bad, len, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "multiple of 8");
    memcpy(bad, enc, len);
    be32(bad + 12, 0);
    assert_fails(bf__bshuf_chunk_decode(bad, len, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "declares 0");
    memcpy(bad, enc, len);
    memset(bad + 16, 0xF0, 6);
    assert_fails(bf__bshuf_chunk_decode(bad, len, dec, n, 4, scratch, sc, "w"), BF_EFORMAT,
                 "corrupt");
    free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transposes_match_definition), cmocka_unit_test(lz4_round_trips),
        cmocka_unit_test(bitshuffle_round_trips),      cmocka_unit_test(lz4_rejects_malformed),
        cmocka_unit_test(bitshuffle_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
