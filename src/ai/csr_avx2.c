/* AVX2 versions of the CSR kernels, chosen at run time when the CPU has AVX2: the fast kernel
 * (int32, uint32 or uint16 frame, no invalid pixel possible) and the checking kernel (any of
 * those or float32, with NaN/inf values or darks, and a dark; not with a dummy or a per-frame
 * mask, which stay scalar), Poisson or no variance. Four double lanes hold
 * exactly the four accumulators of the scalar kernel (integrate.c: lane u sums entries
 * start+u, start+u+4, ...; the n % 4 tail goes to lane 0), multiplications and additions are
 * separate instructions (no FMA), so the results are bit-identical to the scalar kernel: the
 * CPU changes the speed, never the answer. The fast kernel prefetches the frame value
 * BF__PREFETCH entries ahead (integrate.h): ~+8-11 % frames/s on distinct frames, whose tiles
 * are not in cache yet. */
#include "ai/integrate.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

/* Four frame values as exact float32, then float64 (as the scalar (double)(float)x). */
static AVX2 inline __m256d load4_i32(const int32_t *data, const int32_t *col)
{
    /* scalar loads beat vpgatherdd on the AMD cores we measured */
    __m128i v = _mm_setr_epi32(data[col[0]], data[col[1]], data[col[2]], data[col[3]]);
    return _mm256_cvtps_pd(_mm_cvtepi32_ps(v));
}

static AVX2 inline __m256d load4_u16(const uint16_t *data, const int32_t *col)
{
    __m128i v = _mm_setr_epi32(data[col[0]], data[col[1]], data[col[2]], data[col[3]]);
    return _mm256_cvtps_pd(_mm_cvtepi32_ps(v));
}

/* uint32 (Eiger): scalar exact conversions, values >= 2^31 included */
static AVX2 inline __m256d load4_u32(const uint32_t *data, const int32_t *col)
{
    return _mm256_cvtps_pd(_mm_setr_ps((float)data[col[0]], (float)data[col[1]],
                                       (float)data[col[2]], (float)data[col[3]]));
}

#define DEFINE_AVX2_KERNEL(NAME, T, LOAD, VAR)                                                  \
    static AVX2 void NAME(const bf_integrator *it, const bf_frame *f, bf_curve *out)            \
    {                                                                                           \
        const T *restrict data = f->data;                                                       \
        const int32_t *restrict col = it->m.col;                                                \
        const float *restrict coef = it->m.coef;                                                \
        const int64_t *restrict ptr = it->m.row_ptr;                                            \
        const __m256d vfloor = _mm256_set1_pd(bf__var_floor(it)); /* Poisson variance floor */    \
        const float vfl = bf__var_floor(it);                                                    \
        const int64_t pf_end = (int64_t)it->m.nnz - BF__PREFETCH;                               \
        (void)vfl;                                                                              \
        bf__chunk_acc acc;                                                                      \
        for (size_t ch = 0; ch < it->m.nchunks; ch++) {                                         \
            const size_t base = ch * BF__CHUNK_BINS;                                            \
            bf__chunk_zero(&acc);                                                               \
            for (size_t r = it->m.chunk_row[ch]; r < it->m.chunk_row[ch + 1]; r++) {            \
                const int64_t e0 = ptr[r], end = ptr[r + 1], e4 = e0 + ((end - e0) & ~3);       \
                __m256d s = _mm256_setzero_pd(), v = _mm256_setzero_pd();                       \
                for (int64_t e = e0; e < e4; e += 4) {                                          \
                    if (e < pf_end)                                                             \
                        _mm_prefetch((const char *)(data + col[e + BF__PREFETCH]), _MM_HINT_T0); \
                    const __m256d raw = LOAD(data, col + e);                                    \
                    const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(coef + e));                  \
                    s = _mm256_add_pd(s, _mm256_mul_pd(c, raw));                                \
                    if (VAR)                                                                    \
                        v = _mm256_add_pd(v, _mm256_mul_pd(_mm256_mul_pd(c, c),                 \
                                                           _mm256_max_pd(raw, vfloor)));        \
                }                                                                               \
                double sl[4], vl[4];                                                            \
                _mm256_storeu_pd(sl, s);                                                        \
                _mm256_storeu_pd(vl, v);                                                        \
                for (int64_t e = e4; e < end; e++) {                                            \
                    const float raw = (float)data[col[e]];                                      \
                    const double c = coef[e];                                                   \
                    sl[0] += c * raw;                                                           \
                    if (VAR)                                                                    \
                        vl[0] += c * c * (raw > vfl ? raw : vfl);                               \
                }                                                                               \
                const size_t b = (size_t)it->m.row_bin[r] - base;                               \
                acc.s[b] += (sl[0] + sl[1]) + (sl[2] + sl[3]);                                  \
                acc.v[b] += VAR ? (vl[0] + vl[1]) + (vl[2] + vl[3]) : 0.0;                      \
                acc.n[b] += end - e0;                                                           \
            }                                                                                   \
            if (it->em == BF_ERROR_AZIMUTHAL)                                                   \
                bf__azimuthal_chunk(it, f, ch, &acc);                                           \
            bf__chunk_finish(it, base, &acc, out);                                              \
        }                                                                                       \
    }

DEFINE_AVX2_KERNEL(avx2_i32_0, int32_t, load4_i32, 0)
DEFINE_AVX2_KERNEL(avx2_i32_1, int32_t, load4_i32, 1)
DEFINE_AVX2_KERNEL(avx2_u32_0, uint32_t, load4_u32, 0)
DEFINE_AVX2_KERNEL(avx2_u32_1, uint32_t, load4_u32, 1)
DEFINE_AVX2_KERNEL(avx2_u16_0, uint16_t, load4_u16, 0)
DEFINE_AVX2_KERNEL(avx2_u16_1, uint16_t, load4_u16, 1)

/* Four frame values as float32 (as the scalar kernels convert them). */
static AVX2 inline __m128 raw4_i32(const int32_t *d, const int32_t *c)
{
    return _mm_cvtepi32_ps(_mm_setr_epi32(d[c[0]], d[c[1]], d[c[2]], d[c[3]]));
}
static AVX2 inline __m128 raw4_u32(const uint32_t *d, const int32_t *c)
{
    return _mm_setr_ps((float)d[c[0]], (float)d[c[1]], (float)d[c[2]], (float)d[c[3]]);
}
static AVX2 inline __m128 raw4_u16(const uint16_t *d, const int32_t *c)
{
    return _mm_cvtepi32_ps(_mm_setr_epi32(d[c[0]], d[c[1]], d[c[2]], d[c[3]]));
}
static AVX2 inline __m128 raw4_f32(const float *d, const int32_t *c)
{
    return _mm_setr_ps(d[c[0]], d[c[1]], d[c[2]], d[c[3]]);
}

/* The checking kernel without dummy or per-frame mask: non-finite values (and non-finite darks)
 * are invalid, the dark is subtracted. A block of 4 with an invalid entry is done entry by
 * entry in the scalar kernel's order, so the bits equal the scalar checking kernel's. */
#define DEFINE_AVX2_CHECK(NAME, T, RAW4, FLOATS, VAR)                                           \
    static AVX2 void NAME(const bf_integrator *it, const bf_frame *f, bf_curve *out)            \
    {                                                                                           \
        const T *restrict data = f->data;                                                       \
        const float *restrict dark = f->dark;                                                   \
        const int32_t *restrict col = it->m.col;                                                \
        const float *restrict coef = it->m.coef;                                                \
        const int64_t *restrict ptr = it->m.row_ptr;                                            \
        const __m256d vfloor = _mm256_set1_pd(bf__var_floor(it)); /* Poisson variance floor */    \
        const float vfl = bf__var_floor(it);                                                    \
        (void)vfl;                                                                              \
        const __m128 zero = _mm_setzero_ps();                                                   \
        bf__chunk_acc acc;                                                                      \
        for (size_t ch = 0; ch < it->m.nchunks; ch++) {                                         \
            const size_t base = ch * BF__CHUNK_BINS;                                            \
            bf__chunk_zero(&acc);                                                               \
            for (size_t r = it->m.chunk_row[ch]; r < it->m.chunk_row[ch + 1]; r++) {            \
                const int64_t e0 = ptr[r], end = ptr[r + 1], e4 = e0 + ((end - e0) & ~3);       \
                __m256d s = _mm256_setzero_pd(), v = _mm256_setzero_pd();                       \
                double bad_n = 0, bad_c = 0;                                                    \
                int64_t nbad = 0;                                                               \
                for (int64_t e = e0; e < e4; e += 4) {                                          \
                    const __m128 raw = RAW4(data, col + e);                                     \
                    __m128 sig = raw;                                                           \
                    int ok = 0xF;                                                               \
                    if (FLOATS) /* x - x is 0 exactly when x is finite */                       \
                        ok &= _mm_movemask_ps(_mm_cmp_ps(_mm_sub_ps(raw, raw), zero, _CMP_EQ_OQ)); \
                    if (dark) {                                                                 \
                        const __m128 dk = raw4_f32(dark, col + e);                              \
                        ok &= _mm_movemask_ps(_mm_cmp_ps(_mm_sub_ps(dk, dk), zero, _CMP_EQ_OQ)); \
                        sig = _mm_sub_ps(raw, dk);                                              \
                    }                                                                           \
                    const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(coef + e));                  \
                    if (ok == 0xF) {                                                            \
                        s = _mm256_add_pd(s, _mm256_mul_pd(c, _mm256_cvtps_pd(sig)));           \
                        if (VAR)                                                                \
                            v = _mm256_add_pd(v, _mm256_mul_pd(_mm256_mul_pd(c, c),             \
                                                               _mm256_max_pd(                   \
                                                                   _mm256_cvtps_pd(raw), vfloor)));\
                        continue;                                                               \
                    }                                                                           \
                    double sl[4], vl[4], cl[4];                                                 \
                    float rl[4], gl[4];                                                         \
                    _mm256_storeu_pd(sl, s);                                                    \
                    _mm256_storeu_pd(vl, v);                                                    \
                    _mm256_storeu_pd(cl, c);                                                    \
                    _mm_storeu_ps(rl, raw);                                                     \
                    _mm_storeu_ps(gl, sig);                                                     \
                    for (int u = 0; u < 4; u++) {                                               \
                        if (!(ok >> u & 1)) {                                                   \
                            bad_n += cl[u] * it->norm[col[e + u]];                              \
                            bad_c += cl[u];                                                     \
                            nbad++;                                                             \
                            continue;                                                           \
                        }                                                                       \
                        sl[u] += cl[u] * gl[u];                                                 \
                        if (VAR)                                                                \
                            vl[u] += cl[u] * cl[u] * (rl[u] > vfl ? rl[u] : vfl);               \
                    }                                                                           \
                    s = _mm256_loadu_pd(sl);                                                    \
                    v = _mm256_loadu_pd(vl);                                                    \
                }                                                                               \
                double sl[4], vl[4];                                                            \
                _mm256_storeu_pd(sl, s);                                                        \
                _mm256_storeu_pd(vl, v);                                                        \
                for (int64_t e = e4; e < end; e++) {                                            \
                    const int32_t k = col[e];                                                   \
                    const float raw = (float)data[k];                                           \
                    const double c = coef[e];                                                   \
                    if (!isfinite(raw) || (dark && !isfinite(dark[k]))) {                       \
                        bad_n += c * it->norm[k];                                               \
                        bad_c += c;                                                             \
                        nbad++;                                                                 \
                        continue;                                                               \
                    }                                                                           \
                    const float sig = dark ? raw - dark[k] : raw;                              \
                    sl[0] += c * sig;                                                           \
                    if (VAR)                                                                    \
                        vl[0] += c * c * (raw > vfl ? raw : vfl);                               \
                }                                                                               \
                const size_t b = (size_t)it->m.row_bin[r] - base;                               \
                acc.s[b] += (sl[0] + sl[1]) + (sl[2] + sl[3]);                                  \
                acc.v[b] += VAR ? (vl[0] + vl[1]) + (vl[2] + vl[3]) : 0.0;                      \
                acc.bad_n[b] += bad_n;                                                          \
                acc.bad_c[b] += bad_c;                                                          \
                acc.nbad[b] += nbad;                                                            \
                acc.n[b] += end - e0;                                                           \
            }                                                                                   \
            if (it->em == BF_ERROR_AZIMUTHAL)                                                   \
                bf__azimuthal_chunk(it, f, ch, &acc);                                           \
            bf__chunk_finish(it, base, &acc, out);                                              \
        }                                                                                       \
    }

DEFINE_AVX2_CHECK(avx2c_i32_0, int32_t, raw4_i32, 0, 0)
DEFINE_AVX2_CHECK(avx2c_i32_1, int32_t, raw4_i32, 0, 1)
DEFINE_AVX2_CHECK(avx2c_u32_0, uint32_t, raw4_u32, 0, 0)
DEFINE_AVX2_CHECK(avx2c_u32_1, uint32_t, raw4_u32, 0, 1)
DEFINE_AVX2_CHECK(avx2c_u16_0, uint16_t, raw4_u16, 0, 0)
DEFINE_AVX2_CHECK(avx2c_u16_1, uint16_t, raw4_u16, 0, 1)
DEFINE_AVX2_CHECK(avx2c_f32_0, float, raw4_f32, 1, 0)
DEFINE_AVX2_CHECK(avx2c_f32_1, float, raw4_f32, 1, 1)

bf__csr_kernel bf__csr_avx2_check_kernel(bf_dtype dtype, int var)
{
    switch (dtype) {
    case BF_DTYPE_I32: return var ? avx2c_i32_1 : avx2c_i32_0;
    case BF_DTYPE_U32: return var ? avx2c_u32_1 : avx2c_u32_0;
    case BF_DTYPE_U16: return var ? avx2c_u16_1 : avx2c_u16_0;
    case BF_DTYPE_F32: return var ? avx2c_f32_1 : avx2c_f32_0;
    default: return NULL;
    }
}

int bf__cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

bf__csr_kernel bf__csr_avx2_kernel(bf_dtype dtype, int var)
{
    if (dtype == BF_DTYPE_I32)
        return var ? avx2_i32_1 : avx2_i32_0;
    if (dtype == BF_DTYPE_U32)
        return var ? avx2_u32_1 : avx2_u32_0;
    if (dtype == BF_DTYPE_U16)
        return var ? avx2_u16_1 : avx2_u16_0;
    return NULL;
}
#else
int bf__cpu_has_avx2(void) { return 0; }

bf__csr_kernel bf__csr_avx2_check_kernel(bf_dtype dtype, int var)
{
    (void)dtype;
    (void)var;
    return NULL;
}

bf__csr_kernel bf__csr_avx2_kernel(bf_dtype dtype, int var)
{
    (void)dtype;
    (void)var;
    return NULL;
}
#endif
