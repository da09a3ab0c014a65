/* Probes through a specimen against abTEM 1.0.9 (refs/abtem/haadf_Au222.npy,
 * cbed_Au222_valid.npy): bulk("Au", cubic=True) * (2, 2, 2), 256², 2 Å slices requested, 200 keV,
 * 20 mrad soft aperture. This exercises batched propagation (14 probes per call through one
 * transmission function per slice, FFT batches of 5 + 5 + 1·4); the annular detector and the
 * "valid" crop are written here from abtem-conventions.md, STEM proper is a separate issue.
 * Tolerances: HAADF 1e-4 relative L2 (sums of float32 intensities); CBED 1e-4. */
#include "ms_test.h"

#include "ms/ms_result.h"

#define N 256

static bf_potential *au222(void)
{
    bf_bulk_options b = BF_BULK_OPTIONS_INIT;
    b.name = "Au";
    b.cubic = 1;
    bf_atoms *unit, *atoms;
    assert_ok(bf_bulk(&b, &unit));
    int rep[3] = {2, 2, 2};
    assert_ok(bf_atoms_repeat(unit, rep, &atoms));
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = o.gpts[1] = N;
    o.slice_thickness = 2.0;
    bf_potential *pot;
    assert_ok(bf_potential_create(atoms, &o, &pot));
    assert_int_equal(bf_potential_num_slices(pot), 5);
    bf_atoms_destroy(unit);
    bf_atoms_destroy(atoms);
    return pot;
}

static bf_multislice *plan(const bf_potential *pot, size_t batch)
{
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = 200e3;
    bf_potential_grid(pot, mo.gpts, mo.sampling);
    mo.max_batch = batch;
    bf_multislice *ms;
    assert_ok(bf_multislice_create(&mo, &ms));
    return ms;
}

static void haadf(void **s)
{
    (void)s;
    bf_potential *pot = au222();
    bf_multislice *ms = plan(pot, 5);
    size_t nd, sh[8];
    char dt[8];
    float *ref = ms_ref("haadf_Au222.npy", &nd, sh, dt);
    int g[2];
    double smp[2];
    bf_potential_grid(pot, g, smp);
    double lam = bf_multislice_wavelength(ms), dalpha = lam * 1e3 / (N * smp[0]);
    bf_probe_options po = BF_PROBE_OPTIONS_INIT;
    po.energy = 200e3;
    po.semiangle_cutoff = 20;
    bf_complex64 *w = malloc(14 * N * N * sizeof *w);
    float img[14 * 14];
    for (int i = 0; i < 14; i++) {
        double pos[28];
        for (int j = 0; j < 14; j++) {
            pos[2 * j] = (float)(i * 4.08 / 14);
            pos[2 * j + 1] = (float)(j * 4.08 / 14);
        }
        assert_ok(bf_multislice_probes(ms, &po, pos, 14, w));
        assert_ok(bf_multislice_run(ms, pot, w, 14));
        assert_ok(bf_multislice_fft(ms, w, 14));
        for (int j = 0; j < 14; j++) {
            double sum = 0.0;
            for (int a = 0; a < N; a++) {
                float ax = (float)(bf__ms_fftfreq(a, N, 1.0) * N * dalpha);
                for (int b = 0; b < N; b++) {
                    float ay = (float)(bf__ms_fftfreq(b, N, 1.0) * N * dalpha);
                    float r2 = ax * ax + ay * ay;
                    if (r2 >= 50.0f * 50.0f && r2 < 200.0f * 200.0f) {
                        bf_complex64 v = w[(size_t)j * N * N + (size_t)a * N + b];
                        sum += crealf(v) * crealf(v) + cimagf(v) * cimagf(v);
                    }
                }
            }
            img[i * 14 + j] = (float)sum;
        }
    }
    double err = ms_rel_l2(img, ref, 14 * 14);
    printf("haadf_Au222 rel L2 %.3g (centre %.6f vs %.6f)\n", err, img[0], ref[0]);
    assert_true(err < 1e-4);
    free(w);
    free(ref);
    bf_multislice_destroy(ms);
    bf_potential_destroy(pot);
}

static void cbed(void **s)
{
    (void)s;
    bf_potential *pot = au222();
    bf_multislice *ms = plan(pot, 1);
    size_t nd, sh[8];
    char dt[8];
    float *ref = ms_ref("cbed_Au222_valid.npy", &nd, sh, dt);
    int g[2];
    double smp[2];
    bf_potential_grid(pot, g, smp);
    bf_probe_options po = BF_PROBE_OPTIONS_INIT;
    po.energy = 200e3;
    po.semiangle_cutoff = 20;
    bf_complex64 *w = malloc(N * N * sizeof *w);
    double pos[2] = {4.08, 4.08};
    assert_ok(bf_probe_build(&po, g, smp, pos, w));
    assert_ok(bf_multislice_run(ms, pot, w, 1));
    assert_ok(bf_multislice_fft(ms, w, 1));
    float *full = malloc(N * N * sizeof *full);
    for (size_t k = 0; k < N * N; k++)
        full[k] = crealf(w[k]) * crealf(w[k]) + cimagf(w[k]) * cimagf(w[k]);
    size_t m = bf__ms_crop_size(N, N * smp[0], smp[0], 1);
    assert_int_equal(m, sh[0]);
    float *crop = malloc(m * m * sizeof *crop);
    bf__ms_shift_crop(full, N, N, m, m, crop);
    double err = ms_rel_l2(crop, ref, m * m);
    printf("cbed_Au222_valid rel L2 %.3g\n", err);
    assert_true(err < 1e-4);
    free(crop);
    free(full);
    free(w);
    free(ref);
    bf_multislice_destroy(ms);
    bf_potential_destroy(pot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cbed),
        cmocka_unit_test(haadf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
