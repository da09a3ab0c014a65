/* exp(i·s·v) of a float array, vectorised: the transmission function's phase factor, one call per
 * potential row. glibc's scalar sincosf was ~8% of an HRTEM run; this loop has no calls and only
 * 32-bit lanes, so the compiler vectorises it (and target_clones adds an AVX2+FMA version picked
 * at load time on machines that have it, without -march flags in the build).
 *
 * Method (Cephes sinf/cosf): x = s·v rounded to float as abTEM does, reduced by the nearest
 * multiple q of π/2 with a three-part π/2 (Cody-Waite), minimax polynomials on [-π/4, π/4], and
 * the quadrant q mod 4 swaps and negates. Error about 1e-7 absolute for |x| < 1e4, far inside the
 * 1e-4 comparisons with abTEM (numpy's float32 exp). Rows with larger phases (never seen in a
 * physical potential) go through libm's sincosf instead. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ms/ms_internal.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define EXPI_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define EXPI_CLONES
#endif

#define EXPI_MAX 1e4f

EXPI_CLONES
static int expi_poly(const float *restrict v, float s, float *restrict out, size_t n)
{
    const float two_over_pi = 0.636619772f, round = 12582912.0f; /* 1.5·2^23 */
    const float dp1 = 1.5703125f, dp2 = 4.837512969970703125e-4f, dp3 = 7.54978995489188216e-8f;
    int big = 0;
    for (size_t k = 0; k < n; k++) {
        float x = s * v[k];
        float t = x * two_over_pi + round; /* q in the low mantissa bits */
        int32_t bits;
        memcpy(&bits, &t, sizeof bits);
        float q = t - round;
        float r = ((x - q * dp1) - q * dp2) - q * dp3;
        float z = r * r;
        float sn = r + r * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
        float cs = 1.0f - 0.5f * z +
                   z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f +
                                                        z * 2.443315711809948e-5f));
        int32_t swap = bits & 1, sneg = bits & 2, cneg = (bits + 1) & 2;
        float sv = swap ? cs : sn, cv = swap ? sn : cs;
        out[2 * k] = cneg ? -cv : cv;
        out[2 * k + 1] = sneg ? -sv : sv;
        big |= !(fabsf(x) <= EXPI_MAX); /* NaN counts as big */
    }
    return big;
}

void bf__ms_expi(const float *v, float s, float *out, size_t n)
{
    if (!expi_poly(v, s, out, n))
        return;
    for (size_t k = 0; k < n; k++)
        sincosf(s * v[k], &out[2 * k + 1], &out[2 * k]);
}
