/* Per-pixel geometry (no pyFAI needed): the build's vectorised atan2 against libm, and 2theta,
 * chi, q and r at pixel centres and corners on an untilted detector where they are known. */
#include "bf_test.h"

#include <float.h>
#include <math.h>

#include "ai/ai_internal.h"
#include "beamflow/ai.h"

/* The build's atan2 (atan2.c): within 4 ulp of libm's everywhere, the AVX2 and scalar paths give
 * the same bits, and the float32 form is exactly (float) of libm's atan2 (the corner grid is
 * stored in float32 as pyFAI stores it). Random pairs over all quadrants and magnitudes, plus
 * the signed zeros and axes. */
static void atan2_matches_libm(void **state)
{
    (void)state;
    enum { N = 200003 };
    double *y = malloc(N * sizeof *y), *x = malloc(N * sizeof *x);
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    float *f = malloc(N * sizeof *f), *g = malloc(N * sizeof *g);
    uint64_t s = bf_test_seed();
    for (size_t i = 0; i < N; i++) {
        double u[2];
        for (int c = 0; c < 2; c++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            u[c] = ((double)(s >> 11) * 0x1.0p-53 - 0.5) * ldexp(1.0, (int)(s % 40) - 20);
        }
        y[i] = u[0];
        x[i] = i % 5 == 0 ? 0.25 + fabs(u[1]) : u[1];
    }
    const double special[][2] = {{0.0, 1.0}, {-0.0, 1.0}, {0.0, -1.0}, {-0.0, -1.0}, {1.0, 0.0},
                                 {-1.0, 0.0}, {0.0, 0.0}, {-0.0, -0.0}, {1.0, 1.0}, {-1.0, -1.0}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        y[i] = special[i][0];
        x[i] = special[i][1];
    }
    bf__atan2_n(y, x, a, N, 0);
    bf__atan2_n(y, x, b, N, bf__cpu_has_avx2());
    bf__atan2_f32_n(y, x, f, N, 0);
    bf__atan2_f32_n(y, x, g, N, bf__cpu_has_avx2());
    assert_memory_equal(a, b, N * sizeof *a);
    assert_memory_equal(f, g, N * sizeof *f);
    for (size_t i = 0; i < N; i++) {
        const double r = atan2(y[i], x[i]);
        assert_true(signbit(a[i]) == signbit(r));
        assert_close(a[i], r, 4 * DBL_EPSILON, 0);
        assert_true(f[i] == (float)r);
        assert_true(a[i] == bf__atan2(y[i], x[i]));
    }
    free(y), free(x), free(a), free(b), free(f), free(g);
}

static void geometry_arrays(void **state)
{
    (void)state;
    /* untilted, PONI at a pixel corner: the four pixels around the PONI see the same 2theta,
     * and the corner value at the PONI is exactly 0 */
    bf_detector *det;
    assert_ok(bf_detector_create_generic(1e-4, 1e-4, 20, 30, &det));
    bf_geometry_params p = {0.1, 1e-3, 1.5e-3, 0, 0, 0, 1e-10};
    bf_geometry *g;
    assert_ok(bf_geometry_create(det, &p, &g));
    double *tth = malloc(600 * 8), *chi = malloc(600 * 8), *q = malloc(600 * 8);
    float *corners = malloc(600 * 8 * 4);
    assert_ok(bf_geometry_centres(g, BF_UNIT_2TH_DEG, tth));
    assert_ok(bf_geometry_centres(g, BF_UNIT_CHI_DEG, chi));
    assert_ok(bf_geometry_centres(g, BF_UNIT_Q_NM, q));
    /* float32 centre positions (as pyFAI) make mirror pixels differ by ~1e-6 */
    assert_close(tth[9 * 30 + 14], tth[10 * 30 + 15], 1e-5, 0);
    assert_close(tth[9 * 30 + 15], tth[10 * 30 + 14], 1e-5, 0);
    double expect = atan(sqrt(2) * 0.5e-4 / 0.1) * 180 / M_PI;
    assert_close(tth[10 * 30 + 15], expect, 1e-5, 0);
    assert_close(q[10 * 30 + 15], 4e-9 * M_PI / 1e-10 * sin(expect * M_PI / 360), 1e-5, 0);
    assert_close(chi[10 * 30 + 15], 45, 1e-4, 0);   /* chi = atan2(p1, p2) */
    assert_close(chi[9 * 30 + 14], -135, 1e-4, 0);
    assert_ok(bf_geometry_corners(g, BF_UNIT_R_MM, corners));
    assert_true(corners[(10 * 30 + 15) * 8 + 0] == 0.0f); /* corner A of pixel (10, 15) */
    assert_close(corners[(10 * 30 + 15) * 8 + 4], sqrt(2) * 0.1, 1e-6, 0); /* corner C, mm */
    assert_fails(bf_geometry_corners(g, BF_UNIT_CHI_DEG, corners), BF_EINVAL, "radial");
    free(tth), free(chi), free(q), free(corners);
    bf_geometry_destroy(g);
    bf_detector_destroy(det);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(geometry_arrays),
        cmocka_unit_test(atan2_matches_libm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
