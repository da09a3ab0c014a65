/* AVX2 versions of the common CSR kernel (int32 or uint16 frame, no invalid pixels possible,
 * Poisson or no variance), chosen at run time when the CPU has AVX2. Four double lanes hold
 * exactly the four accumulators of the scalar kernel (integrate.c: lane u sums entries
 * start+u, start+u+4, ...; the n % 4 tail goes to lane 0), multiplications and additions are
 * separate instructions (no FMA), so the results are bit-identical to the scalar kernel: the
 * CPU changes the speed, never the answer. */
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

#define DEFINE_AVX2_KERNEL(NAME, T, LOAD, VAR)                                                  \
    static AVX2 void NAME(const bf_integrator *it, const bf_frame *f, bf_curve *out)            \
    {                                                                                           \
        const T *restrict data = f->data;                                                       \
        const int32_t *restrict col = it->m.col;                                                \
        const float *restrict coef = it->m.coef;                                                \
        const int64_t *restrict ptr = it->m.row_ptr;                                            \
        const __m256d one = _mm256_set1_pd(1.0);                                                \
        bf__chunk_acc acc;                                                                      \
        for (size_t ch = 0; ch < it->m.nchunks; ch++) {                                         \
            const size_t base = ch * BF__CHUNK_BINS;                                            \
            bf__chunk_zero(&acc);                                                               \
            for (size_t r = it->m.chunk_row[ch]; r < it->m.chunk_row[ch + 1]; r++) {            \
                const int64_t e0 = ptr[r], end = ptr[r + 1], e4 = e0 + ((end - e0) & ~3);       \
                __m256d s = _mm256_setzero_pd(), v = _mm256_setzero_pd();                       \
                for (int64_t e = e0; e < e4; e += 4) {                                          \
                    const __m256d raw = LOAD(data, col + e);                                    \
                    const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(coef + e));                  \
                    s = _mm256_add_pd(s, _mm256_mul_pd(c, raw));                                \
                    if (VAR)                                                                    \
                        v = _mm256_add_pd(v, _mm256_mul_pd(_mm256_mul_pd(c, c),                 \
                                                           _mm256_max_pd(raw, one)));           \
                }                                                                               \
                double sl[4], vl[4];                                                            \
                _mm256_storeu_pd(sl, s);                                                        \
                _mm256_storeu_pd(vl, v);                                                        \
                for (int64_t e = e4; e < end; e++) {                                            \
                    const float raw = (float)data[col[e]];                                      \
                    const double c = coef[e];                                                   \
                    sl[0] += c * raw;                                                           \
                    if (VAR)                                                                    \
                        vl[0] += c * c * (raw > 1.0f ? raw : 1.0f);                             \
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
DEFINE_AVX2_KERNEL(avx2_u16_0, uint16_t, load4_u16, 0)
DEFINE_AVX2_KERNEL(avx2_u16_1, uint16_t, load4_u16, 1)

int bf__cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

bf__csr_kernel bf__csr_avx2_kernel(bf_dtype dtype, int var)
{
    if (dtype == BF_DTYPE_I32)
        return var ? avx2_i32_1 : avx2_i32_0;
    if (dtype == BF_DTYPE_U16)
        return var ? avx2_u16_1 : avx2_u16_0;
    return NULL;
}
#else
int bf__cpu_has_avx2(void) { return 0; }

bf__csr_kernel bf__csr_avx2_kernel(bf_dtype dtype, int var)
{
    (void)dtype;
    (void)var;
    return NULL;
}
#endif
