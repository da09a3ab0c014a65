/* CTF and multi-species references generated with abTEM 1.0.9 by tests/ms/gen_refs.py
 * (tests/ms/data/, parameters in params.json): a CTF kernel with defocus, Cs, 2-fold
 * astigmatism, coma, 3-fold astigmatism, C50, a soft 25 mrad aperture and both envelopes; SrTiO3
 * potentials (three species, both parametrizations and projections); Peng potentials of Si and of
 * Au + O; an HRTEM image of Au through a CTF, run from a job file. Tolerance 1e-4 relative L2 for all (float32 on both sides). */
#include "ms_test.h"

static void *data(const char *name, size_t *ndim, size_t shape[8])
{
    const char *src = getenv("BF_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ms/data/%s", src ? src : ".", name);
    void *d = NULL;
    char dtype[8];
    if (bf__ms_npy_read(path, dtype, ndim, shape, &d))
        fail_msg("%s", bf_last_error());
    return d;
}

static void ctf_kernel(void **s)
{
    (void)s;
    size_t nd, sh[8];
    bf_complex64 *ref = data("ctf_64x48.npy", &nd, sh);
    bf_ctf_options o = BF_CTF_OPTIONS_INIT;
    o.energy = 200e3;
    o.semiangle_cutoff = 25;
    o.focal_spread = 30;
    o.angular_spread = 0.5;
    const char *names[] = {"defocus", "Cs", "astigmatism", "astigmatism_angle", "coma",
                           "coma_angle", "C23", "phi23", "C50"};
    const double values[] = {120, -1e4, 20, 0.3, 300, 1.0, 500, 0.2, 1e6};
    for (int i = 0; i < 9; i++)
        assert_ok(bf_aberrations_set(&o.aberrations, names[i], values[i]));
    int g[2] = {64, 48};
    double smp[2] = {0.1, 0.12};
    bf_complex64 *k = malloc(64 * 48 * sizeof *k);
    assert_ok(bf_ctf_build(&o, g, smp, k));
    double err = ms_rel_l2((float *)k, (float *)ref, 2 * 64 * 48);
    printf("ctf_64x48 rel L2 %.3g\n", err);
    assert_true(err < 1e-4);
    free(k);
    free(ref);
}

static void srtio3(void **s)
{
    (void)s;
    bf_bulk_options b = BF_BULK_OPTIONS_INIT;
    b.name = "SrTiO3";
    b.crystalstructure = "perovskite";
    b.a = 3.905;
    bf_atoms *unit, *atoms;
    assert_ok(bf_bulk(&b, &unit));
    int rep[3] = {2, 2, 2};
    assert_ok(bf_atoms_repeat(unit, rep, &atoms));
    const char *par[2] = {"lobato", "kirkland"}, *proj[2] = {"infinite", "finite"};
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
            char name[128];
            snprintf(name, sizeof name, "potential_SrTiO3_%s_%s.npy", par[p], proj[q]);
            size_t nd, sh[8];
            float *ref = data(name, &nd, sh);
            bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
            o.gpts[0] = o.gpts[1] = 64;
            o.slice_thickness = 1.5;
            o.parametrization = (bf_parametrization)p;
            o.projection = (bf_projection)q;
            bf_potential *pot;
            assert_ok(bf_potential_create(atoms, &o, &pot));
            assert_int_equal(bf_potential_num_slices(pot), sh[0]);
            bf_potential_workspace *ws;
            assert_ok(bf_potential_workspace_create(pot, &ws));
            float *v = malloc(sh[0] * 64 * 64 * sizeof *v);
            for (size_t i = 0; i < sh[0]; i++)
                assert_ok(bf_potential_build_slice(pot, ws, i, v + i * 64 * 64));
            double err = ms_rel_l2(v, ref, sh[0] * 64 * 64);
            printf("%-40s rel L2 %.3g\n", name, err);
            assert_true(err < 1e-4);
            free(v);
            free(ref);
            bf_potential_workspace_destroy(ws);
            bf_potential_destroy(pot);
        }
    bf_atoms_destroy(unit);
    bf_atoms_destroy(atoms);
}

static void peng_potentials(void **s)
{
    (void)s;
    const char *proj[2] = {"infinite", "finite"};
    for (int q = 0; q < 2; q++) {
        bf_atoms *si, *auo;
        assert_ok(ms_atoms1(14, 4.9873, 5.0219, 1.0, 10.0, 10.0, 2.0, &si));
        int z[2] = {79, 8};
        double xyz[6] = {3.1, 2.2, 1.0, 6.3, 7.1, 2.9}, cell[3] = {10, 9, 4};
        assert_ok(bf_atoms_create(2, z, xyz, cell, &auo));
        const bf_atoms *atoms[2] = {si, auo};
        const char *names[2] = {"Si", "AuO"};
        for (int a = 0; a < 2; a++) {
            char name[128];
            snprintf(name, sizeof name, "potential_%s_peng_%s.npy", names[a], proj[q]);
            size_t nd, sh[8];
            float *ref = data(name, &nd, sh);
            bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
            o.gpts[0] = a ? 96 : 128;
            o.gpts[1] = a ? 80 : 128;
            o.slice_thickness = a ? 1.0 : 2.0;
            o.parametrization = BF_PENG;
            o.projection = (bf_projection)q;
            bf_potential *pot;
            assert_ok(bf_potential_create(atoms[a], &o, &pot));
            assert_int_equal(bf_potential_num_slices(pot), sh[0]);
            bf_potential_workspace *ws;
            assert_ok(bf_potential_workspace_create(pot, &ws));
            size_t n = sh[1] * sh[2];
            float *v = malloc(sh[0] * n * sizeof *v);
            for (size_t i = 0; i < sh[0]; i++)
                assert_ok(bf_potential_build_slice(pot, ws, i, v + i * n));
            double err = ms_rel_l2(v, ref, sh[0] * n);
            printf("%-40s rel L2 %.3g\n", name, err);
            assert_true(err < 1e-4);
            free(v);
            free(ref);
            bf_potential_workspace_destroy(ws);
            bf_potential_destroy(pot);
        }
        bf_atoms_destroy(si);
        bf_atoms_destroy(auo);
    }
    /* Peng's fit stops at Cf (Z = 98) */
    bf_atoms *es;
    assert_ok(ms_atoms1(99, 1, 1, 1, 5, 5, 5, &es));
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = o.gpts[1] = 16;
    o.parametrization = BF_PENG;
    bf_potential *pot;
    assert_fails(bf_potential_create(es, &o, &pot), BF_EUNSUPPORTED, "Peng parametrization has no Es");
    bf_atoms_destroy(es);
}

static void hrtem_image_from_job(void **s)
{
    (void)s;
    const char *job_text =
        "{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [2, 2, 1]},"
        " \"potential\": {\"gpts\": 128, \"slice_thickness\": 2},"
        " \"plane_wave\": {\"energy\": 200e3},"
        " \"ctf\": {\"defocus\": 50, \"Cs\": -2e4, \"semiangle_cutoff\": 30,"
        " \"focal_spread\": 20}}";
    bf_ms_job *job;
    assert_ok(bf_ms_job_parse(job_text, "", "hrtem.json", &job));
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    bf_ms_result *res;
    assert_ok(bf_ms_simulate(job, &ro, &res));
    size_t nd, sh[8];
    float *ref = data("hrtem_Au221_ctf.npy", &nd, sh);
    double err = ms_rel_l2(bf_ms_result_image(res), ref, 128 * 128);
    printf("hrtem_Au221_ctf rel L2 %.3g\n", err);
    assert_true(err < 1e-4);
    free(ref);
    bf_ms_result_destroy(res);
    bf_ms_job_destroy(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ctf_kernel),
        cmocka_unit_test(srtio3),
        cmocka_unit_test(peng_potentials),
        cmocka_unit_test(hrtem_image_from_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
