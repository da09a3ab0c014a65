/* The shortcuts taken for speed give the same answers as the plain paths: stamped rasters of
 * identical atoms (finite projection) against per-atom rasters, potential plans made from a
 * template against fresh ones, probes built with the plan's FFTs against bf_probe_build, the
 * one-thread row/column run against the 2D-FFT run of a multi-threaded plan (odd grids, a batch,
 * two species, an empty slice, both projections), a plan made for row/column runs only that makes
 * its 2D state when first asked, FFTW wisdom round trips, and the planning names. */
#include "ms_test.h"

#include "ms/multislice_internal.h"

static float *finite_slices(const bf_atoms *atoms, size_t *n)
{
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = o.gpts[1] = 96;
    o.slice_thickness = 2.0;
    o.projection = BF_PROJECTION_FINITE;
    bf_potential *p;
    assert_ok(bf_potential_create(atoms, &o, &p));
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(p, &ws));
    *n = bf_potential_num_slices(p) * 96 * 96;
    float *v = malloc(*n * sizeof *v);
    for (size_t i = 0; i < bf_potential_num_slices(p); i++)
        assert_ok(bf_potential_build_slice(p, ws, i, v + i * 96 * 96));
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(p);
    return v;
}

static void stamps_match_per_atom_rasters(void **s)
{
    (void)s;
    bf_bulk_options b = BF_BULK_OPTIONS_INIT;
    b.name = "GaAs";
    b.crystalstructure = "zincblende";
    b.a = 5.65;
    b.cubic = 1;
    bf_atoms *unit, *crystal, *moved;
    assert_ok(bf_bulk(&b, &unit));
    int rep[3] = {2, 2, 1};
    assert_ok(bf_atoms_repeat(unit, rep, &crystal));
    /* displacements of 1e-7 Å put every atom in its own group: the per-atom path */
    size_t na = bf_atoms_count(crystal);
    double *xyz = malloc(3 * na * sizeof *xyz);
    uint64_t rng = bf_test_seed();
    for (size_t i = 0; i < 3 * na; i++)
        xyz[i] = bf_atoms_positions(crystal)[i] + 1e-7 * (bf_test_uniform(&rng) - 0.5);
    assert_ok(bf_atoms_create(na, bf_atoms_numbers(crystal), xyz, bf_atoms_cell(crystal), &moved));
    size_t n, m;
    float *a = finite_slices(crystal, &n), *c = finite_slices(moved, &m);
    assert_int_equal(n, m);
    double err = ms_rel_l2(a, c, n);
    printf("stamped vs per-atom: rel L2 %.3g\n", err);
    assert_true(err < 1e-5);
    free(a);
    free(c);
    free(xyz);
    bf_atoms_destroy(unit);
    bf_atoms_destroy(crystal);
    bf_atoms_destroy(moved);
}

static void template_plans_match_fresh_ones(void **s)
{
    (void)s;
    bf_atoms *a, *b2;
    assert_ok(ms_atoms1(79, 2.0, 3.0, 1.0, 8.0, 8.0, 4.0, &a));
    assert_ok(ms_atoms1(79, 5.1, 1.3, 3.5, 8.0, 8.0, 4.0, &b2));
    for (int proj = 0; proj < 2; proj++) {
        bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
        o.gpts[0] = o.gpts[1] = 64;
        o.projection = (bf_projection)proj;
        bf_potential *t, *from, *fresh;
        assert_ok(bf_potential_create(a, &o, &t));
        assert_ok(bf_potential_create_from(t, b2, &from));
        assert_ok(bf_potential_create(b2, &o, &fresh));
        bf_potential_workspace *ws;
        assert_ok(bf_potential_workspace_create(t, &ws));
        float u[64 * 64], v[64 * 64];
        for (size_t i = 0; i < bf_potential_num_slices(fresh); i++) {
            assert_ok(bf_potential_build_slice(from, ws, i, u));
            assert_ok(bf_potential_build_slice(fresh, ws, i, v));
            assert_memory_equal(u, v, sizeof u);
        }
        bf_potential_workspace_destroy(ws);
        bf_potential_destroy(t);
        bf_potential_destroy(from);
        bf_potential_destroy(fresh);
    }
    bf_atoms *other;
    double cell[3] = {9, 8, 4}, xyz[3] = {1, 1, 1};
    int z = 6;
    assert_ok(bf_atoms_create(1, &z, xyz, cell, &other));
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = o.gpts[1] = 16;
    bf_potential *t, *bad;
    assert_ok(bf_potential_create(a, &o, &t));
    assert_fails(bf_potential_create_from(t, other, &bad), BF_EINVAL, "cell differs");
    /* a workspace for another grid is refused */
    o.gpts[0] = 20;
    bf_potential *g20;
    assert_ok(bf_potential_create(a, &o, &g20));
    bf_potential_workspace *ws;
    assert_ok(bf_potential_workspace_create(t, &ws));
    float v[20 * 16];
    assert_fails(bf_potential_build_slice(g20, ws, 0, v), BF_EINVAL, "another grid");
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(g20);
    bf_potential_destroy(t);
    bf_atoms_destroy(other);
    bf_atoms_destroy(a);
    bf_atoms_destroy(b2);
}

static void plan_probes_match_probe_build(void **s)
{
    (void)s;
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 300e3;
    mo.gpts[0] = 64;
    mo.gpts[1] = 48;
    mo.sampling[0] = 0.1;
    mo.sampling[1] = 0.13;
    mo.max_batch = 2;
    bf_multislice *ms;
    assert_ok(bf_multislice_create(&mo, &ms));
    bf_probe_options po = BF_PROBE_OPTIONS_INIT;
    po.energy = 300e3;
    po.semiangle_cutoff = 25;
    po.aberrations.c[BF_C30] = 5e4;
    double pos[6] = {1.0, 2.0, 3.3, 0.5, 6.0, 6.0};
    bf_complex64 *a = malloc(3 * 64 * 48 * sizeof *a), *b = malloc(64 * 48 * sizeof *b);
    assert_ok(bf_multislice_probes(ms, &po, pos, 3, a));
    for (int i = 0; i < 3; i++) {
        int g[2] = {64, 48};
        double smp[2] = {0.1, 0.13};
        assert_ok(bf_probe_build(&po, g, smp, pos + 2 * i, b));
        assert_true(ms_rel_l2((float *)(a + i * 64 * 48), (float *)b, 2 * 64 * 48) < 1e-5);
    }
    po.energy = 200e3;
    assert_fails(bf_multislice_probes(ms, &po, pos, 1, a), BF_EINVAL, "differs from the plan");
    free(a);
    free(b);
    bf_multislice_destroy(ms);
}

static void plane_wave_shortcut_matches_full_run(void **s)
{
    (void)s;
    bf_ms_job *j;
    assert_ok(bf_ms_job_parse("{\"atoms\": {\"bulk\": \"Pt\", \"cubic\": true, \"repeat\": [2, 2, 1]},"
                              " \"potential\": {\"gpts\": [72, 64], \"slice_thickness\": 1.1},"
                              " \"plane_wave\": {\"energy\": 3e5, \"tilt\": [2, -1]}}",
                              "", "pw.json", &j));
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    bf_ms_result *r;
    assert_ok(bf_ms_simulate(j, &ro, &r));
    bf_atoms *atoms;
    assert_ok(bf_ms_job_atoms(j, 0, &atoms));
    bf_potential *pot;
    assert_ok(bf_potential_create(atoms, bf_ms_job_potential_options(j), &pot));
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 3e5;
    mo.tilt[0] = 2;
    mo.tilt[1] = -1;
    bf_potential_grid(pot, mo.gpts, mo.sampling);
    bf_multislice *ms;
    assert_ok(bf_multislice_create(&mo, &ms));
    bf_complex64 *w = malloc(72 * 64 * sizeof *w);
    for (int k = 0; k < 72 * 64; k++)
        w[k] = 1.0f;
    assert_ok(bf_multislice_run(ms, pot, w, 1));
    double err = ms_rel_l2((const float *)bf_ms_result_exit_waves(r), (const float *)w, 2 * 72 * 64);
    printf("plane-wave shortcut vs full run: rel L2 %.3g\n", err);
    assert_true(err < 1e-6);
    free(w);
    bf_multislice_destroy(ms);
    bf_potential_destroy(pot);
    bf_atoms_destroy(atoms);
    bf_ms_result_destroy(r);
    bf_ms_job_destroy(j);
}

/* bf_multislice_run with one thread takes the fused row/column passes (multislice_rows.c); with
 * two FFTW threads, whole 2D FFTs (propagator.c). Same physics up to float rounding. */
static void row_column_run_matches_2d_run(void **s)
{
    (void)s;
    static const int grids[3][2] = {{45, 37}, {64, 50}, {33, 64}};
    double cell[3] = {7.1, 6.3, 6.0};
    /* Si and Au in the first 3 Å, nothing in the last slice */
    int z[4] = {14, 79, 14, 79};
    double xyz[12] = {1.0, 1.2, 0.5, 3.3, 4.1, 1.4, 5.0, 2.2, 2.5, 6.8, 6.0, 0.1};
    bf_atoms *atoms;
    assert_ok(bf_atoms_create(4, z, xyz, cell, &atoms));
    for (int g = 0; g < 4; g++) {
        bf_potential_options po = BF_POTENTIAL_OPTIONS_INIT;
        po.gpts[0] = grids[g % 3][0];
        po.gpts[1] = grids[g % 3][1];
        po.slice_thickness = 2.0;
        po.projection = g == 3 ? BF_PROJECTION_FINITE : BF_PROJECTION_INFINITE;
        bf_potential *pot;
        assert_ok(bf_potential_create(atoms, &po, &pot));
        bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
        mo.energy = 100e3;
        mo.tilt[0] = 1.5;
        bf_potential_grid(pot, mo.gpts, mo.sampling);
        size_t n = (size_t)mo.gpts[0] * mo.gpts[1];
        bf_complex64 *a = malloc(3 * n * sizeof *a), *b = malloc(3 * n * sizeof *b);
        bf_probe_options pr = BF_PROBE_OPTIONS_INIT;
        pr.energy = mo.energy;
        pr.semiangle_cutoff = 20;
        double pos[6] = {1.0, 2.0, 3.5, 3.0, 6.0, 5.5};
        bf_multislice *one, *two;
        assert_ok(bf_multislice_create(&mo, &one));
        mo.threads = 2;
        assert_ok(bf_multislice_create(&mo, &two));
        assert_ok(bf_multislice_probes(one, &pr, pos, 3, a));
        memcpy(b, a, 3 * n * sizeof *a);
        assert_ok(bf_multislice_run(one, pot, a, 3));
        assert_ok(bf_multislice_run(two, pot, b, 3));
        double err = ms_rel_l2((const float *)a, (const float *)b, 6 * n);
        printf("%dx%d %s: row/column vs 2D run: rel L2 %.3g\n", mo.gpts[0], mo.gpts[1],
               g == 3 ? "finite" : "infinite", err);
        assert_true(err < 1e-5);
        bf_multislice_destroy(one);
        bf_multislice_destroy(two);
        free(a);
        free(b);
        bf_potential_destroy(pot);
    }
    bf_atoms_destroy(atoms);
}

/* A plan made for fused row/column runs (bf__multislice_create_rows, as the HRTEM workers make
 * them) has no 2D plans until a call needs them; then it gives what a full plan gives. */
static void rows_only_plan_makes_2d_state_on_demand(void **s)
{
    (void)s;
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 200e3;
    mo.gpts[0] = 48;
    mo.gpts[1] = 40;
    mo.sampling[0] = 0.1;
    mo.sampling[1] = 0.12;
    bf_multislice *rows, *full;
    assert_ok(bf__multislice_create_rows(&mo, &rows));
    assert_ok(bf_multislice_create(&mo, &full));
    assert_false(rows->grid_ready);
    assert_true(full->grid_ready);
    size_t n = 48 * 40;
    bf_complex64 *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    uint64_t seed = bf_test_seed();
    for (size_t k = 0; k < n; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        a[k] = (float)(seed >> 40) / (float)(1 << 24) + I * (float)((seed >> 16) & 0xffff) / 65536.0f;
    }
    memcpy(b, a, n * sizeof *a);
    assert_ok(bf_multislice_propagate(rows, 3.0, a, 1));
    assert_ok(bf_multislice_propagate(full, 3.0, b, 1));
    assert_true(rows->grid_ready);
    assert_memory_equal(a, b, n * sizeof *a);
    /* the aperture in the column-block layout is the grid aperture's values */
    for (int x = 0; x < 48; x++)
        assert_true(rows->abk[x] == rows->aperture[(size_t)x * 40]);
    bf_multislice_destroy(rows);
    bf_multislice_destroy(full);
    free(a);
    free(b);
}

static void wisdom_and_planning(void **s)
{
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/wisdom", bf_test_tmpdir());
    assert_ok(bf_fft_wisdom_export(path));
    assert_ok(bf_fft_wisdom_import(path));
    snprintf(path, sizeof path, "%s/not-wisdom", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    assert_fails(bf_fft_wisdom_import(path), BF_EFORMAT, "not an FFTW");
    bf_fft_planning p;
    assert_ok(bf_fft_planning_parse("estimate", &p));
    assert_int_equal(p, BF_FFT_ESTIMATE);
    assert_fails(bf_fft_planning_parse("quick", &p), BF_EINVAL, "unknown FFT planning 'quick'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stamps_match_per_atom_rasters),
        cmocka_unit_test(template_plans_match_fresh_ones),
        cmocka_unit_test(plan_probes_match_probe_build),
        cmocka_unit_test(plane_wave_shortcut_matches_full_run),
        cmocka_unit_test(row_column_run_matches_2d_run),
        cmocka_unit_test(rows_only_plan_makes_2d_state_on_demand),
        cmocka_unit_test(wisdom_and_planning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
