/* Wavelength, interaction parameter and probes against abTEM 1.0.9 (refs/abtem/params.json,
 * probe_*.npy). Probes: 1e-4 relative L2; both sides are complex64, and the phases
 * exp(-2πi k·r0 - iχ) are evaluated in double here but float32 in abTEM (a few 1e-7 rad). */
#include "ms_test.h"

static void energies(void **s)
{
    (void)s;
    static const double e[3] = {80e3, 200e3, 300e3};
    static const double lam[3] = {0.04175716056489365, 0.025079340317328468,
                                  0.01968748889772767};
    static const double sig[3] = {0.0010087066046262614, 0.0007288401085927866,
                                  0.0006526161464700888};
    for (int i = 0; i < 3; i++) {
        double l, sg;
        assert_ok(bf_energy2wavelength(e[i], &l));
        assert_ok(bf_energy2sigma(e[i], &sg));
        assert_close(l, lam[i], 1e-12, 0);
        assert_close(sg, sig[i], 1e-12, 0);
    }
    double l;
    assert_fails(bf_energy2wavelength(-5.0, &l), BF_EINVAL, "energy must be positive");
    assert_fails(bf_energy2sigma(0.0, &l), BF_EINVAL, "energy must be positive");
}

static void probe(const char *name, double defocus, int soft)
{
    size_t ndim, shape[8];
    char dtype[8];
    bf_complex64 *ref = ms_ref(name, &ndim, shape, dtype);
    assert_string_equal(dtype, "<c8");
    int gpts[2] = {256, 256};
    double sampling[2] = {20.4 / 256, 20.4 / 256}, pos[2] = {10.2, 10.2};
    bf_probe_options opt = BF_PROBE_OPTIONS_INIT;
    opt.energy = 200e3;
    opt.semiangle_cutoff = 20;
    opt.soft = soft;
    assert_ok(bf_aberrations_set(&opt.aberrations, "defocus", defocus));
    bf_complex64 *w = malloc(256 * 256 * sizeof *w);
    assert_ok(bf_probe_build(&opt, gpts, sampling, pos, w));
    double err = ms_rel_l2((const float *)w, (const float *)ref, 2 * 256 * 256);
    double norm = 0.0;
    for (size_t k = 0; k < 256 * 256; k++)
        norm += crealf(w[k] * conjf(w[k]));
    printf("%-20s rel L2 %.3g, sum |psi|^2 * N = %.9f\n", name, err, norm * 256 * 256);
    assert_true(err < 1e-4);
    assert_close(norm * 256 * 256, 1.0, 1e-5, 0); /* Σ_k |ψ(k)|² = 1 */
    free(w);
    free(ref);
}

static void probes(void **s)
{
    (void)s;
    probe("probe_df0.npy", 0.0, 1);
    probe("probe_df50.npy", 50.0, 1);
    probe("probe_df0_hard.npy", 0.0, 0);
}

static void aberration_names(void **s)
{
    (void)s;
    bf_aberrations ab = {{0}};
    assert_ok(bf_aberrations_set(&ab, "defocus", 30.0));
    assert_close(ab.c[BF_C10], -30.0, 0, 0);
    assert_ok(bf_aberrations_set(&ab, "Cs", 1e4));
    assert_close(ab.c[BF_C30], 1e4, 0, 0);
    assert_ok(bf_aberrations_set(&ab, "astigmatism_angle", 0.5));
    assert_close(ab.c[BF_PHI12], 0.5, 0, 0);
    assert_ok(bf_aberrations_set(&ab, "C56", 7.0));
    assert_close(ab.c[BF_C56], 7.0, 0, 0);
    assert_fails(bf_aberrations_set(&ab, "C99", 1.0), BF_EINVAL, "unknown aberration 'C99'");
    /* χ of pure defocus: π λ k² Δf with α = λk, sign as abTEM (exp(-iχ), C10 = -defocus) */
    bf_aberrations d = {{0}};
    assert_ok(bf_aberrations_set(&d, "C10", 100.0));
    double lam = 0.025, alpha = 0.01;
    assert_close(bf_aberrations_chi(&d, lam, alpha, 0.3), M_PI / lam * alpha * alpha * 100.0,
                 1e-12, 0);
}

static void probe_errors(void **s)
{
    (void)s;
    bf_probe_options opt = BF_PROBE_OPTIONS_INIT;
    int g[2] = {16, 16}, g0[2] = {0, 16};
    double smp[2] = {0.1, 0.1}, pos[2] = {0, 0};
    bf_complex64 w[256];
    opt.energy = -1;
    assert_fails(bf_probe_build(&opt, g, smp, pos, w), BF_EINVAL, "energy must be positive");
    opt.energy = 200e3;
    assert_fails(bf_probe_build(&opt, g0, smp, pos, w), BF_EINVAL, "gpts[0]");
    opt.semiangle_cutoff = -3;
    assert_fails(bf_probe_build(&opt, g, smp, pos, w), BF_EINVAL, "semiangle_cutoff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(energies),
        cmocka_unit_test(probes),
        cmocka_unit_test(aberration_names),
        cmocka_unit_test(probe_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
