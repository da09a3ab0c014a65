/* atan2 over arrays for the integrator build: glibc's atan2 was a fifth of the build time (two
 * calls per pixel, centre and corner). This one is branch-free so it runs four lanes at a time
 * with AVX2, and the scalar and AVX2 paths perform the same IEEE operations in the same order
 * (no FMA), so the result does not depend on the CPU.
 *
 * Method (argument reduction by a table, as fdlibm's atan): z = min(|y|,|x|) / max(|y|,|x|) in
 * [0, 1]; c = k/8 the nearest eighth; atan z = atan c + atan u with u = (z - c) / (1 + z c),
 * |u| <= 1/16, atan u by its Taylor series to u^15 (the next term is below 2^-68 relative);
 * atan c as a double-double; then the octant: pi/2 - r, pi - r, and the sign of y.
 * Accuracy: within 3 ulp of glibc's atan2 (4e6 random pairs over all quadrants; 80 % equal).
 * bf__atan2_f32_n rounds to float32 and, where the value is within 2^-49 relative of a float32
 * rounding boundary, calls libm's atan2: its float32 results are those of (float)atan2(y, x). */
#include <math.h>

#include "ai/ai_internal.h"

static const double atan_hi[9] = {0.0,
                                  0.12435499454676144,
                                  0.24497866312686414,
                                  0.35877067027057225,
                                  0.4636476090008061,
                                  0.5585993153435624,
                                  0.6435011087932844,
                                  0.7188299996216245,
                                  0.7853981633974483};
static const double atan_lo[9] = {0.0,
                                  -3.1253241424539383e-18,
                                  1.0698755618734451e-17,
                                  -2.4623815582638635e-17,
                                  2.2698777452961687e-17,
                                  -5.4556305485916264e-18,
                                  1.5834785051444286e-17,
                                  -2.1478388444456983e-17,
                                  3.061616997868383e-17};
#define PIO2_HI 1.5707963267948966
#define PIO2_LO 6.123233995736766e-17
#define PI_HI 3.141592653589793
#define PI_LO 1.2246467991473532e-16
/* 1/15, -1/13, ... as the AVX2 path uses them */
#define C15 (-1.0 / 15)
#define C13 (1.0 / 13)
#define C11 (-1.0 / 11)
#define C9 (1.0 / 9)
#define C7 (-1.0 / 7)
#define C5 (1.0 / 5)
#define C3 (-1.0 / 3)

double bf__atan2(double y, double x)
{
    const double ax = fabs(x), ay = fabs(y);
    const int swap = ay > ax;
    const double num = swap ? ax : ay, den = swap ? ay : ax;
    double z = num / den;
    z = den == 0 ? 0.0 : z;
    double z8 = z * 8.0 + 0.5;
    z8 = z8 >= 0 ? (z8 <= 8.5 ? z8 : 8.5) : 0.0; /* NaN -> 0, as the AVX2 max/min */
    const int k = (int)z8;
    const double c = (double)k * 0.125;
    const double u = (z - c) / (1.0 + z * c);
    const double u2 = u * u;
    double p = C15;
    p = p * u2 + C13;
    p = p * u2 + C11;
    p = p * u2 + C9;
    p = p * u2 + C7;
    p = p * u2 + C5;
    p = p * u2 + C3;
    p = u + u * u2 * p;
    double r = atan_hi[k] + (atan_lo[k] + p);
    r = swap ? PIO2_HI - (r - PIO2_LO) : r;
    r = signbit(x) ? PI_HI - (r - PI_LO) : r;
    return copysign(r, y);
}

/* (float)v, or (float)atan2(y, x) from libm when v (within 3 ulp of it) is too close to a
 * float32 rounding boundary to be sure. */
static inline float to_f32(double v, double y, double x)
{
    const float f = (float)v;
    if ((float)(v * (1 + 0x1.0p-49)) != f || (float)(v * (1 - 0x1.0p-49)) != f)
        return (float)atan2(y, x);
    return f;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static AVX2 inline __m256d atan2_4(__m256d y, __m256d x)
{
    const __m256d sm = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d ax = _mm256_andnot_pd(sm, x), ay = _mm256_andnot_pd(sm, y);
    const __m256d swap = _mm256_cmp_pd(ay, ax, _CMP_GT_OQ);
    const __m256d num = _mm256_blendv_pd(ay, ax, swap), den = _mm256_blendv_pd(ax, ay, swap);
    __m256d z = _mm256_div_pd(num, den);
    z = _mm256_blendv_pd(z, zero, _mm256_cmp_pd(den, zero, _CMP_EQ_OQ));
    __m256d z8 = _mm256_add_pd(_mm256_mul_pd(z, _mm256_set1_pd(8.0)), _mm256_set1_pd(0.5));
    z8 = _mm256_min_pd(_mm256_max_pd(z8, zero), _mm256_set1_pd(8.5));
    const __m128i k = _mm256_cvttpd_epi32(z8);
    const __m256d c = _mm256_mul_pd(_mm256_cvtepi32_pd(k), _mm256_set1_pd(0.125));
    const __m256d u =
        _mm256_div_pd(_mm256_sub_pd(z, c), _mm256_add_pd(one, _mm256_mul_pd(z, c)));
    const __m256d u2 = _mm256_mul_pd(u, u);
    __m256d p = _mm256_set1_pd(C15);
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C13));
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C11));
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C9));
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C7));
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C5));
    p = _mm256_add_pd(_mm256_mul_pd(p, u2), _mm256_set1_pd(C3));
    p = _mm256_add_pd(u, _mm256_mul_pd(_mm256_mul_pd(u, u2), p));
    const __m256d hi = _mm256_i32gather_pd(atan_hi, k, 8);
    const __m256d lo = _mm256_i32gather_pd(atan_lo, k, 8);
    __m256d r = _mm256_add_pd(hi, _mm256_add_pd(lo, p));
    const __m256d r2 = _mm256_sub_pd(_mm256_set1_pd(PIO2_HI),
                                     _mm256_sub_pd(r, _mm256_set1_pd(PIO2_LO)));
    r = _mm256_blendv_pd(r, r2, swap);
    /* blendv looks at the sign bit: x's own sign bit picks pi - r, -0.0 included */
    const __m256d r3 = _mm256_sub_pd(_mm256_set1_pd(PI_HI),
                                     _mm256_sub_pd(r, _mm256_set1_pd(PI_LO)));
    r = _mm256_blendv_pd(r, r3, x);
    return _mm256_or_pd(r, _mm256_and_pd(y, sm));
}

static AVX2 size_t atan2_avx2(const double *y, const double *x, double *out, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, atan2_4(_mm256_loadu_pd(y + i), _mm256_loadu_pd(x + i)));
    return i;
}

static AVX2 size_t atan2_f32_avx2(const double *y, const double *x, float *out, size_t n)
{
    const __m256d up = _mm256_set1_pd(1 + 0x1.0p-49), down = _mm256_set1_pd(1 - 0x1.0p-49);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d v = atan2_4(_mm256_loadu_pd(y + i), _mm256_loadu_pd(x + i));
        const __m128 f = _mm256_cvtpd_ps(v);
        /* to_f32's test, four lanes at once: the rare unsure lane goes to libm */
        const __m128 same =
            _mm_and_ps(_mm_cmpeq_ps(f, _mm256_cvtpd_ps(_mm256_mul_pd(v, up))),
                       _mm_cmpeq_ps(f, _mm256_cvtpd_ps(_mm256_mul_pd(v, down))));
        _mm_storeu_ps(out + i, f);
        if (_mm_movemask_ps(same) != 0xf)
            for (int l = 0; l < 4; l++)
                out[i + l] = to_f32((double)bf__atan2(y[i + l], x[i + l]), y[i + l], x[i + l]);
    }
    return i;
}
#else
static size_t atan2_avx2(const double *y, const double *x, double *out, size_t n)
{
    (void)y, (void)x, (void)out, (void)n;
    return 0;
}
static size_t atan2_f32_avx2(const double *y, const double *x, float *out, size_t n)
{
    (void)y, (void)x, (void)out, (void)n;
    return 0;
}
#endif

void bf__atan2_n(const double *y, const double *x, double *out, size_t n, int simd)
{
    size_t i = simd ? atan2_avx2(y, x, out, n) : 0;
    for (; i < n; i++)
        out[i] = bf__atan2(y[i], x[i]);
}

void bf__atan2_f32_n(const double *y, const double *x, float *out, size_t n, int simd)
{
    size_t i = simd ? atan2_f32_avx2(y, x, out, n) : 0;
    for (; i < n; i++)
        out[i] = to_f32(bf__atan2(y[i], x[i]), y[i], x[i]);
}
