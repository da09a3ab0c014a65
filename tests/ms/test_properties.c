/* Physical properties of the multislice kernels, independent of any reference: free-space
 * propagation is unitary within the band limit and composes; probes are normalised; a slice's
 * integral is the parametrization's f_e(0)/κ; moving an atom by one pixel moves its potential by
 * one pixel. Random inputs come from a printed, replayable seed. */
#include "ms_test.h"

#define N 128

static double norm2(const bf_complex64 *w, size_t n)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s += (double)crealf(w[k]) * crealf(w[k]) + (double)cimagf(w[k]) * cimagf(w[k]);
    return s;
}

static void random_probe(uint64_t *rng, bf_complex64 *w)
{
    bf_probe_options opt = BF_PROBE_OPTIONS_INIT;
    opt.energy = 80e3 + 220e3 * bf_test_uniform(rng);
    opt.semiangle_cutoff = 10 + 20 * bf_test_uniform(rng);
    opt.aberrations.c[BF_C10] = 200 * (bf_test_uniform(rng) - 0.5);
    opt.aberrations.c[BF_C12] = 50 * bf_test_uniform(rng);
    opt.aberrations.c[BF_PHI12] = 3 * bf_test_uniform(rng);
    opt.aberrations.c[BF_C30] = 1e4 * bf_test_uniform(rng);
    int g[2] = {N, N};
    double smp[2] = {0.1, 0.12}, pos[2] = {12.8 * bf_test_uniform(rng), 15 * bf_test_uniform(rng)};
    assert_ok(bf_probe_build(&opt, g, smp, pos, w));
    double n = norm2(w, N * N) * N * N;
    assert_close(n, 1.0, 1e-5, 0);
}

static bf_multislice *plan(size_t batch)
{
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 200e3;
    mo.gpts[0] = mo.gpts[1] = N;
    mo.sampling[0] = 0.1;
    mo.sampling[1] = 0.12;
    mo.max_batch = batch;
    bf_multislice *ms;
    assert_ok(bf_multislice_create(&mo, &ms));
    return ms;
}

static void propagation_is_unitary_and_composes(void **s)
{
    (void)s;
    uint64_t rng = bf_test_seed();
    bf_multislice *ms = plan(3);
    bf_complex64 *a = malloc(4 * N * N * sizeof *a), *b = malloc(4 * N * N * sizeof *b);
    for (int k = 0; k < 4; k++)
        random_probe(&rng, a + k * N * N);
    memcpy(b, a, 4 * N * N * sizeof *a);
    double n0 = norm2(a, 4 * N * N);
    double dz1 = 100 * bf_test_uniform(&rng), dz2 = -30 + 100 * bf_test_uniform(&rng);
    assert_ok(bf_multislice_propagate(ms, dz1, a, 4));
    assert_close(norm2(a, 4 * N * N), n0, 1e-5, 0);
    assert_ok(bf_multislice_propagate(ms, dz2, a, 4));
    assert_ok(bf_multislice_propagate(ms, dz1 + dz2, b, 4));
    double err = ms_rel_l2((float *)a, (float *)b, 8 * N * N);
    printf("compose: rel L2 %.3g\n", err);
    assert_true(err < 1e-5);
    /* batch of 4 with batch plans of 3 (3 + 1) equals one at a time */
    bf_multislice *one = plan(1);
    memcpy(b, a, 4 * N * N * sizeof *a);
    assert_ok(bf_multislice_propagate(ms, 7.5, a, 4));
    for (int k = 0; k < 4; k++)
        assert_ok(bf_multislice_propagate(one, 7.5, b + k * N * N, 1));
    assert_true(ms_rel_l2((float *)a, (float *)b, 8 * N * N) < 1e-6);
    /* misaligned caller storage goes through the internal buffer */
    bf_complex64 *mis = (bf_complex64 *)((char *)b + 8);
    memmove(mis, b, N * N * sizeof *b);
    assert_ok(bf_multislice_propagate(one, 3.0, mis, 1));
    assert_ok(bf_multislice_propagate(ms, 3.0, a, 1));
    assert_true(ms_rel_l2((float *)mis, (float *)a, 2 * N * N) < 1e-6);
    free(a);
    free(b);
    bf_multislice_destroy(ms);
    bf_multislice_destroy(one);
}

static void transmission_of_zero_potential_is_one(void **s)
{
    (void)s;
    bf_multislice *ms = plan(1);
    float *v = calloc(N * N, sizeof *v);
    bf_complex64 *t = malloc(N * N * sizeof *t);
    assert_ok(bf_multislice_transmission(ms, v, t));
    for (size_t k = 0; k < N * N; k++)
        assert_close(crealf(t[k]), 1.0, 0, 1e-6);
    free(v);
    free(t);
    bf_multislice_destroy(ms);
}

static double slice_integral(int z, bf_parametrization p, bf_projection proj, double x, double y,
                             float **out)
{
    bf_atoms *atoms;
    assert_ok(ms_atoms1(z, x, y, 1.0, 12.0, 12.0, 2.0, &atoms));
    bf_potential_options opt = BF_POTENTIAL_OPTIONS_INIT;
    opt.gpts[0] = opt.gpts[1] = N;
    opt.slice_thickness = 2.0;
    opt.parametrization = p;
    opt.projection = proj;
    bf_potential *pot;
    assert_ok(bf_potential_create(atoms, &opt, &pot));
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(pot, &ws));
    float *v = malloc(N * N * sizeof *v);
    assert_ok(bf_potential_build_slice(pot, ws, 0, v));
    double sum = 0.0;
    for (size_t k = 0; k < N * N; k++)
        sum += v[k];
    double smp[2];
    bf_potential_grid(pot, NULL, smp);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(pot);
    bf_atoms_destroy(atoms);
    if (out)
        *out = v;
    else
        free(v);
    return sum * smp[0] * smp[1];
}

static void slice_integral_is_fe0_over_kappa(void **s)
{
    (void)s;
    /* f_e(0) in Å from the published coefficients: Lobato 2 Σ a_i; Kirkland Σ a_i/b_i + c_i */
    static const double si_lobato_a[5] = {2.87189142611612, -2.06173501195173, 2.17114024204478,
                                          -0.0663073633058801, 0.00301070709670513};
    static const double si_k[4][3] = {{1.06543892, 0.120143691, 0.180915263},
                                      {1.04118455, 68.7113368, 0.0887533926},
                                      {1.1206562, 0.0305452816, 1.59963502},
                                      {3.70062619, 0.214097897, 9.99096638}};
    const double kappa = 0.0208865737082965;
    double fe_l = 0.0, fe_k = 0.0;
    for (int i = 0; i < 5; i++)
        fe_l += 2.0 * si_lobato_a[i];
    for (int i = 0; i < 3; i++)
        fe_k += si_k[0][i] / si_k[1][i] + si_k[2][i];
    uint64_t rng = bf_test_seed() + 1;
    double x = 12 * bf_test_uniform(&rng), y = 12 * bf_test_uniform(&rng);
    double il = slice_integral(14, BF_LOBATO, BF_PROJECTION_INFINITE, x, y, NULL);
    double ik = slice_integral(14, BF_KIRKLAND, BF_PROJECTION_INFINITE, x, y, NULL);
    assert_close(il, fe_l / kappa, 1e-5, 0);
    assert_close(ik, fe_k / kappa, 1e-5, 0);
    double f0;
    assert_ok(bf_scattering_factor(BF_LOBATO, 14, 0.0, &f0));
    assert_close(f0, fe_l / kappa, 1e-6, 0);
    /* abTEM's own number for this integral (params.json: integral_dxdy_per_slice) */
    assert_close(il, 279.41393787837404, 1e-5, 0);
    /* the finite projection truncates at r_c (|V| = 1e-4 V) and tapers: within 1 % */
    double fl = slice_integral(14, BF_LOBATO, BF_PROJECTION_FINITE, 6.0, 6.0, NULL);
    assert_close(fl, fe_l / kappa, 1e-2, 0);
}

static void translation_by_one_pixel(void **s)
{
    (void)s;
    uint64_t rng = bf_test_seed() + 2;
    double d = 12.0 / N;
    double x = 3 + 6 * bf_test_uniform(&rng), y = 3 + 6 * bf_test_uniform(&rng);
    for (int proj = 0; proj < 2; proj++) {
        float *a, *b;
        slice_integral(79, BF_LOBATO, (bf_projection)proj, x, y, &a);
        slice_integral(79, BF_LOBATO, (bf_projection)proj, x + d, y, &b);
        double num = 0.0, den = 0.0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double u = a[((i + N - 1) % N) * N + j], w = b[i * N + j];
                num += (u - w) * (u - w);
                den += w * w;
            }
        printf("translation (%s): rel L2 %.3g\n", proj ? "finite" : "infinite", sqrt(num / den));
        assert_true(sqrt(num / den) < 1e-4);
        free(a);
        free(b);
    }
}

static void vacuum_leaves_a_plane_wave(void **s)
{
    (void)s;
    double cell[3] = {6.0, 7.0, 5.0};
    bf_atoms *none;
    assert_ok(bf_atoms_create(0, NULL, NULL, cell, &none));
    for (int proj = 0; proj < 2; proj++) {
        bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
        o.gpts[0] = 30;
        o.gpts[1] = 35;
        o.projection = (bf_projection)proj;
        bf_potential *p;
        assert_ok(bf_potential_create(none, &o, &p));
        assert_int_equal(bf_potential_num_slices(p), 5);
        bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
        mo.energy = 80e3;
        bf_potential_grid(p, mo.gpts, mo.sampling);
        bf_multislice *ms;
        assert_ok(bf_multislice_create(&mo, &ms));
        bf_complex64 w[30 * 35];
        for (int k = 0; k < 30 * 35; k++)
            w[k] = 1.0f;
        assert_ok(bf_multislice_run(ms, p, w, 1));
        for (int k = 0; k < 30 * 35; k++) {
            assert_close(crealf(w[k]), 1.0, 0, 1e-5);
            assert_close(cimagf(w[k]), 0.0, 0, 1e-5);
        }
        bf_multislice_destroy(ms);
        bf_potential_destroy(p);
    }
    bf_atoms_destroy(none);
}

static void bad_input(void **s)
{
    (void)s;
    int z;
    assert_fails(bf_element_number("Xx", &z), BF_EINVAL, "unknown element 'Xx'");
    assert_ok(bf_element_number("Au", &z));
    assert_int_equal(z, 79);
    assert_string_equal(bf_element_symbol(14), "Si");
    bf_atoms *atoms;
    int bad = 0;
    double xyz[3] = {0, 0, 0}, cell[3] = {5, 5, 5}, cell0[3] = {5, 0, 5};
    assert_fails(bf_atoms_create(1, &bad, xyz, cell, &atoms), BF_EINVAL, "unknown element Z=0");
    assert_fails(bf_atoms_create(0, NULL, NULL, cell0, &atoms), BF_EINVAL, "cell length 1");
    assert_ok(ms_atoms1(14, 1, 1, 1, 5, 5, 5, &atoms));
    bf_potential_options opt = BF_POTENTIAL_OPTIONS_INIT;
    bf_potential *pot;
    assert_fails(bf_potential_create(atoms, &opt, &pot), BF_EINVAL, "gpts > 0 or sampling");
    assert_null(pot);
    opt.gpts[0] = -3;
    assert_fails(bf_potential_create(atoms, &opt, &pot), BF_EINVAL, "must be positive");
    opt.gpts[0] = 0;
    opt.sampling[0] = opt.sampling[1] = 0.1;
    opt.fft_friendly = 1;
    double th[2] = {2.0, 2.0};
    opt.slice_thicknesses = th;
    opt.num_slice_thicknesses = 2;
    assert_fails(bf_potential_create(atoms, &opt, &pot), BF_EINVAL, "sum to 4");
    th[1] = 3.0;
    assert_ok(bf_potential_create(atoms, &opt, &pot));
    int g[2];
    bf_potential_grid(pot, g, NULL);
    assert_int_equal(g[0], 50);
    assert_int_equal(bf_potential_num_slices(pot), 2);
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(pot, &ws));
    float *v = malloc(50 * 50 * sizeof *v);
    assert_fails(bf_potential_build_slice(pot, ws, 2, v), BF_EINVAL, "out of range");
    free(v);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(pot);
    /* atoms on one site, also across the periodic boundary */
    int zz[3] = {14, 8, 8};
    double two[9] = {1, 1, 1, 3, 3, 3, 1, 1, 1.0000001}, cell5[3] = {5, 5, 5};
    bf_atoms *dup;
    assert_ok(bf_atoms_create(3, zz, two, cell5, &dup));
    opt.slice_thicknesses = NULL;
    opt.num_slice_thicknesses = 0;
    assert_fails(bf_potential_create(dup, &opt, &pot), BF_EINVAL, "atoms 0 (Si) and 2 (O) overlap");
    bf_atoms_destroy(dup);
    double edge[6] = {0.0000001, 2, 2, 4.9999999, 2, 2};
    assert_ok(bf_atoms_create(2, zz, edge, cell5, &dup));
    assert_fails(bf_potential_create(dup, &opt, &pot), BF_EINVAL, "overlap");
    bf_atoms_destroy(dup);
    bf_parametrization p;
    assert_fails(bf_parametrization_parse("doyle", &p), BF_EINVAL, "unknown parametrization");
    bf_projection pr;
    assert_fails(bf_projection_parse("half", &pr), BF_EINVAL, "unknown projection");
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    bf_multislice *ms;
    mo.gpts[0] = mo.gpts[1] = 8;
    mo.sampling[0] = mo.sampling[1] = 0.1;
    mo.energy = -1;
    assert_fails(bf_multislice_create(&mo, &ms), BF_EINVAL, "energy must be positive");
    assert_null(ms);
    mo.energy = 1e5;
    mo.gpts[1] = 0;
    assert_fails(bf_multislice_create(&mo, &ms), BF_EINVAL, "gpts[1]");
    bf_atoms_destroy(atoms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(propagation_is_unitary_and_composes),
        cmocka_unit_test(transmission_of_zero_potential_is_one),
        cmocka_unit_test(slice_integral_is_fe0_over_kappa),
        cmocka_unit_test(translation_by_one_pixel),
        cmocka_unit_test(vacuum_leaves_a_plane_wave),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
