/* AVX2 CSR kernels for NF frames at once (NF = 2), one pass over the matrix: each entry's
 * column index, coefficient (and c*c) are loaded and converted once and serve NF frames, whose
 * values are gathered from the NF frames separately (frames stay as the caller laid them out:
 * no interleaving copy, no workspace). Only the fast case: int32, uint32 or uint16 frames that
 * cannot hold invalid pixels (no dark, no per-frame mask, no dummy); every error model (the
 * azimuthal one's second pass runs per frame, per chunk).
 * Each frame keeps exactly the four accumulators of the single-frame kernels (lane u sums
 * entries start+u, start+u+4, ...; the n % 4 tail goes to lane 0; no FMA), so a frame's bits do
 * not depend on the batch it came in (integrate.c).
 * Why 2 and not 4: the kernels wait on the frame gathers (a tile's first touch misses the cache;
 * hence the prefetch BF__PREFETCH entries ahead), which a batch does not share; only the index,
 * coefficient and c*c are shared. Pilatus CdTe 2M, bbox, 2500 bins, one core, distinct frames:
 * 2 frames per pass ~+12 % over frame after frame, 4 per pass ~-17 % (eight accumulators and
 * four tiles' gathers in flight). */
#include "ai/integrate.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static AVX2 inline __m256d get4_i32(const void *d, const int32_t *c)
{
    const int32_t *p = d; /* scalar loads beat vpgatherdd on the AMD cores we measured */
    return _mm256_cvtps_pd(_mm_cvtepi32_ps(_mm_setr_epi32(p[c[0]], p[c[1]], p[c[2]], p[c[3]])));
}
static AVX2 inline __m256d get4_u16(const void *d, const int32_t *c)
{
    const uint16_t *p = d;
    return _mm256_cvtps_pd(_mm_cvtepi32_ps(_mm_setr_epi32(p[c[0]], p[c[1]], p[c[2]], p[c[3]])));
}
static AVX2 inline __m256d get4_u32(const void *d, const int32_t *c)
{
    const uint32_t *p = d; /* exact conversions of values >= 2^31 too */
    return _mm256_cvtps_pd(
        _mm_setr_ps((float)p[c[0]], (float)p[c[1]], (float)p[c[2]], (float)p[c[3]]));
}
static inline float get1_i32(const void *d, int32_t k) { return (float)((const int32_t *)d)[k]; }
static inline float get1_u16(const void *d, int32_t k) { return (float)((const uint16_t *)d)[k]; }
static inline float get1_u32(const void *d, int32_t k) { return (float)((const uint32_t *)d)[k]; }

#define PTR_I32(d, k) ((const char *)((const int32_t *)(d) + (k)))
#define PTR_U32(d, k) ((const char *)((const uint32_t *)(d) + (k)))
#define PTR_U16(d, k) ((const char *)((const uint16_t *)(d) + (k)))

/* acc points to NF chunk accumulators (on the caller's stack). */
#define DEFINE_AVX2_MULTI(NAME, NF, GET4, GET1, PTR, VAR)                                            \
    static AVX2 void NAME(const bf_integrator *it, const bf_frame *f, bf_curve *out,            \
                          bf__chunk_acc *acc)                                                   \
    {                                                                                           \
        const void *data[NF];                                                                   \
        for (int q = 0; q < NF; q++)                                                            \
            data[q] = f[q].data;                                                                \
        const int32_t *restrict col = it->m.col;                                                \
        const float *restrict coef = it->m.coef;                                                \
        const int64_t *restrict ptr = it->m.row_ptr;                                            \
        const __m256d vfloor = _mm256_set1_pd(bf__var_floor(it)); /* Poisson variance floor */    \
        const float vfl = bf__var_floor(it);                                                    \
        (void)vfl;                                                                              \
        (void)vfloor;                                                                           \
        const int64_t pf_end = (int64_t)it->m.nnz - BF__PREFETCH;                               \
        for (size_t ch = 0; ch < it->m.nchunks; ch++) {                                         \
            const size_t base = ch * BF__CHUNK_BINS;                                            \
            for (int q = 0; q < NF; q++)                                                        \
                bf__chunk_zero(&acc[q]);                                                        \
            for (size_t r = it->m.chunk_row[ch]; r < it->m.chunk_row[ch + 1]; r++) {            \
                const int64_t e0 = ptr[r], end = ptr[r + 1], e4 = e0 + ((end - e0) & ~3);       \
                __m256d s[NF], v[NF];                                                           \
                for (int q = 0; q < NF; q++)                                                    \
                    s[q] = v[q] = _mm256_setzero_pd();                                          \
                for (int64_t e = e0; e < e4; e += 4) {                                          \
                    const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(coef + e));                  \
                    const __m256d cc = _mm256_mul_pd(c, c);                                     \
                    (void)cc;                                                                   \
                    if (e < pf_end)                                                             \
                        for (int q = 0; q < NF; q++)                                            \
                            _mm_prefetch(PTR(data[q], col[e + BF__PREFETCH]), _MM_HINT_T0);      \
                    for (int q = 0; q < NF; q++) {                                              \
                        const __m256d raw = GET4(data[q], col + e);                             \
                        s[q] = _mm256_add_pd(s[q], _mm256_mul_pd(c, raw));                      \
                        if (VAR)                                                                \
                            v[q] = _mm256_add_pd(v[q],                                          \
                                                 _mm256_mul_pd(cc, _mm256_max_pd(raw, vfloor)));\
                    }                                                                           \
                }                                                                               \
                const size_t b = (size_t)it->m.row_bin[r] - base;                               \
                for (int q = 0; q < NF; q++) {                                                  \
                    double sl[4], vl[4];                                                        \
                    _mm256_storeu_pd(sl, s[q]);                                                 \
                    _mm256_storeu_pd(vl, v[q]);                                                 \
                    for (int64_t e = e4; e < end; e++) {                                        \
                        const float raw = GET1(data[q], col[e]);                                \
                        const double cf = coef[e];                                              \
                        sl[0] += cf * raw;                                                      \
                        if (VAR)                                                                \
                            vl[0] += cf * cf * (raw > vfl ? raw : vfl);                         \
                    }                                                                           \
                    acc[q].s[b] += (sl[0] + sl[1]) + (sl[2] + sl[3]);                           \
                    acc[q].v[b] += VAR ? (vl[0] + vl[1]) + (vl[2] + vl[3]) : 0.0;               \
                    acc[q].n[b] += end - e0;                                                    \
                }                                                                               \
            }                                                                                   \
            for (int q = 0; q < NF; q++) {                                                      \
                if (it->em == BF_ERROR_AZIMUTHAL)                                               \
                    bf__azimuthal_chunk(it, &f[q], ch, &acc[q]);                                \
                bf__chunk_finish(it, base, &acc[q], &out[q]);                                   \
            }                                                                                   \
        }                                                                                       \
    }

DEFINE_AVX2_MULTI(m2_i32_0, 2, get4_i32, get1_i32, PTR_I32, 0)
DEFINE_AVX2_MULTI(m2_i32_1, 2, get4_i32, get1_i32, PTR_I32, 1)
DEFINE_AVX2_MULTI(m2_u32_0, 2, get4_u32, get1_u32, PTR_U32, 0)
DEFINE_AVX2_MULTI(m2_u32_1, 2, get4_u32, get1_u32, PTR_U32, 1)
DEFINE_AVX2_MULTI(m2_u16_0, 2, get4_u16, get1_u16, PTR_U16, 0)
DEFINE_AVX2_MULTI(m2_u16_1, 2, get4_u16, get1_u16, PTR_U16, 1)

bf__csr_multi_kernel bf__csr_avx2_multi_kernel(bf_dtype dtype, int var, int nf)
{
    static const bf__csr_multi_kernel k2[3][2] = {
        {m2_i32_0, m2_i32_1}, {m2_u32_0, m2_u32_1}, {m2_u16_0, m2_u16_1}};
    const int t = dtype == BF_DTYPE_I32 ? 0 : dtype == BF_DTYPE_U32 ? 1
                : dtype == BF_DTYPE_U16 ? 2 : -1;
    if (t < 0 || nf != 2)
        return NULL;
    return k2[t][var != 0];
}
#else
bf__csr_multi_kernel bf__csr_avx2_multi_kernel(bf_dtype dtype, int var, int nf)
{
    (void)dtype;
    (void)var;
    (void)nf;
    return NULL;
}
#endif
