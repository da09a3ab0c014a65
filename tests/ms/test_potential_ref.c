/* Projected potentials of one Si atom against abTEM 1.0.9 (refs/abtem/potential_Si_*.npy):
 * Lobato and Kirkland, infinite and finite projection, on-grid and off-grid, thin (one 2 Å slice)
 * and slab (8 slices of 1 Å). Tolerance 1e-4 relative L2: abTEM works in float32 throughout
 * (positions, frequencies, f(k²) and the accumulation), we evaluate in double and round once,
 * so differences of a few 1e-7 relative are expected; 1e-4 leaves room for FFT rounding. */
#include "ms_test.h"

static void compare(const char *param, const char *proj, const char *kind, double x, double y,
                    double z, double cz, double slice)
{
    char name[128];
    snprintf(name, sizeof name, "potential_Si_%s_%s_%s.npy", kind, param, proj);
    size_t ndim, shape[8];
    char dtype[8];
    float *ref = ms_ref(name, &ndim, shape, dtype);
    assert_int_equal(ndim, 3);
    bf_atoms *atoms;
    assert_ok(ms_atoms1(14, x, y, z, 10.0, 10.0, cz, &atoms));
    bf_potential_options opt = BF_POTENTIAL_OPTIONS_INIT;
    opt.gpts[0] = opt.gpts[1] = 128;
    opt.slice_thickness = slice;
    assert_ok(bf_parametrization_parse(param, &opt.parametrization));
    assert_ok(bf_projection_parse(proj, &opt.projection));
    bf_potential *pot;
    assert_ok(bf_potential_create(atoms, &opt, &pot));
    assert_int_equal(bf_potential_num_slices(pot), shape[0]);
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(pot, &ws));
    size_t n = shape[1] * shape[2];
    float *v = malloc(shape[0] * n * sizeof *v);
    for (size_t s = 0; s < shape[0]; s++)
        assert_ok(bf_potential_build_slice(pot, ws, s, v + s * n));
    double err = ms_rel_l2(v, ref, shape[0] * n);
    printf("%-45s rel L2 %.3g\n", name, err);
    assert_true(err < 1e-4);
    free(v);
    free(ref);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(pot);
    bf_atoms_destroy(atoms);
}

static void lobato_infinite(void **s)
{
    (void)s;
    compare("lobato", "infinite", "thin", 5.0, 5.0, 1.0, 2.0, 2.0);
    compare("lobato", "infinite", "thin_offgrid", 4.9873, 5.0219, 1.0, 2.0, 2.0);
    compare("lobato", "infinite", "slab", 5.0, 5.0, 3.7, 8.0, 1.0);
}

static void kirkland_infinite(void **s)
{
    (void)s;
    compare("kirkland", "infinite", "thin", 5.0, 5.0, 1.0, 2.0, 2.0);
    compare("kirkland", "infinite", "thin_offgrid", 4.9873, 5.0219, 1.0, 2.0, 2.0);
    compare("kirkland", "infinite", "slab", 5.0, 5.0, 3.7, 8.0, 1.0);
}

static void lobato_finite(void **s)
{
    (void)s;
    compare("lobato", "finite", "thin", 5.0, 5.0, 1.0, 2.0, 2.0);
    compare("lobato", "finite", "thin_offgrid", 4.9873, 5.0219, 1.0, 2.0, 2.0);
    compare("lobato", "finite", "slab", 5.0, 5.0, 3.7, 8.0, 1.0);
}

static void kirkland_finite(void **s)
{
    (void)s;
    compare("kirkland", "finite", "thin", 5.0, 5.0, 1.0, 2.0, 2.0);
    compare("kirkland", "finite", "thin_offgrid", 4.9873, 5.0219, 1.0, 2.0, 2.0);
    compare("kirkland", "finite", "slab", 5.0, 5.0, 3.7, 8.0, 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lobato_infinite),
        cmocka_unit_test(kirkland_infinite),
        cmocka_unit_test(lobato_finite),
        cmocka_unit_test(kirkland_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
