/* Plane-wave HRTEM exit waves of bulk("Au", cubic=True) * (5, 5, 1) against abTEM 1.0.9
 * (refs/abtem/exitwave_planewave_Au551_dz{1,2}.npy and the potentials used). Potentials:
 * 1e-5 relative L2 (float32 on both sides, a few 1e-7 expected). Exit waves: 1e-4 relative L2;
 * five slices of float32 FFTs on 256² accumulate ~1e-6 rounding on each side. */
#include "ms_test.h"

static bf_potential *au551(double dz)
{
    bf_bulk_options b = BF_BULK_OPTIONS_INIT;
    b.name = "Au";
    b.cubic = 1;
    bf_atoms *unit, *atoms;
    assert_ok(bf_bulk(&b, &unit));
    assert_int_equal(bf_atoms_count(unit), 4);
    assert_close(bf_atoms_cell(unit)[0], 4.08, 0, 1e-12);
    int rep[3] = {5, 5, 1};
    assert_ok(bf_atoms_repeat(unit, rep, &atoms));
    bf_potential_options opt = BF_POTENTIAL_OPTIONS_INIT;
    opt.gpts[0] = opt.gpts[1] = 256;
    opt.slice_thickness = dz;
    bf_potential *pot;
    assert_ok(bf_potential_create(atoms, &opt, &pot));
    bf_atoms_destroy(unit);
    bf_atoms_destroy(atoms);
    return pot;
}

static void check(double dz, const char *potname, const char *ewname)
{
    bf_potential *pot = au551(dz);
    size_t ndim, shape[8];
    char dtype[8];
    float *vref = ms_ref(potname, &ndim, shape, dtype);
    assert_int_equal(bf_potential_num_slices(pot), shape[0]);
    size_t n = 256 * 256;
    float *v = malloc(shape[0] * n * sizeof *v);
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(pot, &ws));
    for (size_t i = 0; i < shape[0]; i++)
        assert_ok(bf_potential_build_slice(pot, ws, i, v + i * n));
    double perr = ms_rel_l2(v, vref, shape[0] * n);
    printf("%-40s rel L2 %.3g\n", potname, perr);
    assert_true(perr < 1e-5);

    bf_complex64 *ewref = ms_ref(ewname, &ndim, shape, dtype);
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 200e3;
    mo.gpts[0] = mo.gpts[1] = 256;
    bf_potential_grid(pot, mo.gpts, mo.sampling);
    bf_multislice *ms;
    assert_ok(bf_multislice_create(&mo, &ms));
    bf_complex64 *w = malloc(n * sizeof *w);
    for (size_t k = 0; k < n; k++)
        w[k] = 1.0f;
    assert_ok(bf_multislice_run(ms, pot, w, 1));
    double err = ms_rel_l2((const float *)w, (const float *)ewref, 2 * n);
    printf("%-40s rel L2 %.3g\n", ewname, err);
    assert_true(err < 1e-4);
    free(w);
    free(v);
    free(vref);
    free(ewref);
    bf_multislice_destroy(ms);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(pot);
}

static void dz1(void **s)
{
    (void)s;
    check(1.0, "potential_Au551_dz1.npy", "exitwave_planewave_Au551_dz1.npy");
}

static void dz2(void **s)
{
    (void)s;
    check(2.0, "potential_Au551_dz2.npy", "exitwave_planewave_Au551_dz2.npy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dz1),
        cmocka_unit_test(dz2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
