/* Simulation job files (job-format.md): parsing, key-path errors, frozen-phonon configurations
 * (reproducible per (seed, config)), multi-frame XYZ as configurations, and a small HRTEM run
 * writing every output. */
#include "ms_test.h"

#include <sys/stat.h>
#include <unistd.h>

static bf_ms_job *parse(const char *text)
{
    bf_ms_job *job;
    assert_ok(bf_ms_job_parse(text, bf_test_tmpdir(), "job.json", &job));
    return job;
}

#define BASE "\"atoms\": {\"bulk\": \"Au\", \"cubic\": true}, \"potential\": {\"gpts\": 32}, "

static void errors_name_the_key(void **s)
{
    (void)s;
    bf_ms_job *j;
    static const struct {
        const char *text, *needle;
        bf_status code;
    } cases[] = {
        {"{" BASE "\"plane_wave\": {\"energy\": 2e5}, \"extra\": 1}", "job.json: extra: unknown key",
         BF_EINVAL},
        {"{" BASE "\"plane_wave\": {\"energy\": 2e5, \"tilt\": \"x\"}}", "plane_wave.tilt: expected",
         BF_EINVAL},
        {"{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true}, \"potential\": {\"gpts\": [1.5, 2]},"
         " \"plane_wave\": {\"energy\": 2e5}}", "potential.gpts: expected an integer or [nx, ny]",
         BF_EINVAL},
        {"{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true}, \"potential\": {\"gpts\": 0},"
         " \"plane_wave\": {\"energy\": 2e5}}", "potential.gpts: must be in 1..65536", BF_EINVAL},
        {"{" BASE "\"plane_wave\": {\"energy\": -2e5}}", "plane_wave.energy: must be positive",
         BF_EINVAL},
        {"{" BASE "\"plane_wave\": {}}", "plane_wave.energy: missing", BF_EINVAL},
        {"{" BASE "\"probe\": {\"energy\": 2e5, \"Cz\": 3}}", "probe.Cz: unknown key", BF_EINVAL},
        {"{" BASE "\"probe\": {\"energy\": 2e5}, \"plane_wave\": {\"energy\": 2e5}}",
         "exactly one of plane_wave or probe", BF_EINVAL},
        {"{\"atoms\": {\"bulk\": \"Qq\"}, \"potential\": {\"gpts\": 8}, \"plane_wave\": "
         "{\"energy\": 1}}", "atoms: bulk: unknown element 'Qq'", BF_EINVAL},
        {"{\"atoms\": {\"file\": \"missing.xyz\"}, \"potential\": {\"gpts\": 8}, \"plane_wave\": "
         "{\"energy\": 1}}", "missing.xyz: cannot open", BF_EIO},
        {"{" BASE "\"plane_wave\": {\"energy\": 2e5},\n \"frozen_phonons\": {\"num_configs\": 2}}",
         "frozen_phonons.sigmas: missing", BF_EINVAL},
        {"{" BASE "\"plane_wave\": {\"energy\": 2e5}, \"frozen_phonons\": {\"num_configs\": 2,"
         " \"sigmas\": {\"Cu\": 0.1}}}", "frozen_phonons.sigmas: no number for Au", BF_EINVAL},
        {"{" BASE "\"plane_wave\": {\"energy\": 2e5}, \"output\": {\"images\": [\"gif\"]}}",
         "output.images[0]", BF_EINVAL},
        {"{" BASE "\n\"plane_wave\": {\"energy\": 2e5},}", "job.json:2:", BF_EFORMAT},
        {"[1]", "expected a JSON object", BF_EINVAL},
        {"{\"atoms\": {\"bulk\": \"Mg\", \"c\": 5.2, \"covera\": 1.6}, \"potential\": "
         "{\"gpts\": 8}, \"plane_wave\": {\"energy\": 1}}", "c or covera, not both", BF_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_fails(bf_ms_job_parse(cases[i].text, "", "job.json", &j), cases[i].code,
                     cases[i].needle);
    assert_fails(bf_ms_job_load("/nonexistent/job.json", &j), BF_EIO, "cannot open");
    /* STEM sections are kept for the STEM pipeline but not run here */
    j = parse("{" BASE "\"probe\": {\"energy\": 2e5}, \"scan\": {\"type\": \"grid\"}}");
    bf_ms_result *r;
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    assert_fails(bf_ms_simulate(j, &ro, &r), BF_EUNSUPPORTED, "scan and detectors");
    bf_ms_job_destroy(j);
}

/* ase.build.bulk's parameters pass through: hcp Mg with a and covera is orthogonalised to
 * ASE/abTEM's 4-atom a x a·sqrt(3) x c cell. */
static void bulk_parameters_reach_the_structure(void **s)
{
    (void)s;
    bf_ms_job *j = parse("{\"atoms\": {\"bulk\": \"Mg\", \"crystalstructure\": \"hcp\", "
                         "\"a\": 3.2, \"covera\": 1.625, \"repeat\": [1, 1, 1]}, "
                         "\"potential\": {\"gpts\": 32}, \"plane_wave\": {\"energy\": 2e5}}");
    bf_atoms *a;
    assert_ok(bf_ms_job_atoms(j, 0, &a));
    assert_int_equal(bf_atoms_count(a), 4);
    const double *cell = bf_atoms_cell(a);
    assert_close(cell[0], 3.2, 1e-12, 0);
    assert_close(cell[1], 3.2 * sqrt(3.0), 1e-9, 0);
    assert_close(cell[2], 3.2 * 1.625, 1e-12, 0);
    bf_atoms_destroy(a);
    bf_ms_job_destroy(j);
}

static void frozen_phonons_are_reproducible(void **s)
{
    (void)s;
    bf_ms_job *j = parse("{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [5, 5, 5]},"
                         " \"potential\": {\"gpts\": 32}, \"plane_wave\": {\"energy\": 2e5},"
                         " \"frozen_phonons\": {\"num_configs\": 3, \"sigmas\": 0.1, "
                         "\"seed\": 100}}");
    assert_int_equal(bf_ms_job_num_configs(j), 3);
    bf_atoms *a, *b, *c;
    assert_ok(bf_ms_job_atoms(j, 1, &a));
    assert_ok(bf_ms_job_atoms(j, 1, &b));
    assert_ok(bf_ms_job_atoms(j, 2, &c));
    size_t n = bf_atoms_count(a);
    assert_int_equal(n, 500);
    assert_memory_equal(bf_atoms_positions(a), bf_atoms_positions(b), 3 * n * sizeof(double));
    assert_memory_not_equal(bf_atoms_positions(a), bf_atoms_positions(c), 3 * n * sizeof(double));
    /* the displacements have σ = 0.1 Å per axis */
    bf_bulk_options bo = BF_BULK_OPTIONS_INIT;
    bo.name = "Au";
    bo.cubic = 1;
    bf_atoms *u, *ref;
    assert_ok(bf_bulk(&bo, &u));
    int rep[3] = {5, 5, 5};
    assert_ok(bf_atoms_repeat(u, rep, &ref));
    double ss = 0.0;
    for (size_t i = 0; i < 3 * n; i++) {
        double d = bf_atoms_positions(a)[i] - bf_atoms_positions(ref)[i];
        d -= 20.4 * nearbyint(d / 20.4);
        ss += d * d;
    }
    assert_close(sqrt(ss / (3 * n)), 0.1, 0.1, 0);
    bf_atoms_destroy(a);
    bf_atoms_destroy(b);
    bf_atoms_destroy(c);
    bf_atoms_destroy(u);
    bf_atoms_destroy(ref);
    bf_ms_job_destroy(j);
}

static void multiframe_xyz_configs(void **s)
{
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/md.xyz", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    fprintf(f, "1\nLattice=\"4 0 0 0 4 0 0 0 4\"\nAu 1 1 1\n1\nLattice=\"4 0 0 0 4 0 0 0 4\"\n"
               "Au 1.2 1 1\n");
    fclose(f);
    bf_ms_job *j = parse("{\"atoms\": {\"file\": \"md.xyz\", \"repeat\": [1, 1, 2]},"
                         " \"potential\": {\"sampling\": 0.1, \"slice_thickness\": [4, 4]},"
                         " \"plane_wave\": {\"energy\": 3e5}}");
    assert_int_equal(bf_ms_job_num_configs(j), 2);
    bf_atoms *a;
    assert_ok(bf_ms_job_atoms(j, 1, &a));
    assert_int_equal(bf_atoms_count(a), 2);
    assert_close(bf_atoms_positions(a)[0], 1.2, 0, 1e-12);
    bf_atoms_destroy(a);
    assert_int_equal(bf_ms_job_potential_options(j)->num_slice_thicknesses, 2);
    bf_ms_job_destroy(j);
}

static void kirkland_sigmas_drive_frozen_phonons(void **s)
{
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/k.xyz", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    fprintf(f, "two atoms\n 4 4 4\n14 1 1 1 1 0.2\n8 3 3 3 1 0\n-1\n");
    fclose(f);
    bf_ms_job *j = parse("{\"atoms\": {\"file\": \"k.xyz\", \"repeat\": [2, 1, 1]},"
                         " \"potential\": {\"gpts\": 16}, \"plane_wave\": {\"energy\": 1e5},"
                         " \"frozen_phonons\": {\"num_configs\": 2, \"seed\": 5}}");
    bf_atoms *a;
    assert_ok(bf_ms_job_atoms(j, 1, &a));
    const double *p = bf_atoms_positions(a);
    /* the O atoms (σ = 0) stay put, the Si atoms (σ = 0.2 Å) move */
    assert_close(p[3], 3.0, 0, 1e-12);
    assert_close(p[9], 7.0, 0, 1e-12);
    assert_true(fabs(p[0] - 1.0) > 1e-6);
    bf_atoms_destroy(a);
    bf_ms_job_destroy(j);
    bf_ms_job *bad;
    assert_fails(bf_ms_job_parse("{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true}, \"potential\": "
                                 "{\"gpts\": 8}, \"plane_wave\": {\"energy\": 1e5}, "
                                 "\"frozen_phonons\": {\"num_configs\": 2}}", "", "j.json", &bad),
                 BF_EINVAL, "file gives none");
}

static void hrtem_writes_outputs(void **s)
{
    (void)s;
    bf_ms_job *j = parse(
        "{\"atoms\": {\"bulk\": \"Si\", \"cubic\": true},"
        " \"potential\": {\"gpts\": [48, 40], \"slice_thickness\": 1.5, \"projection\": "
        "\"finite\", \"parametrization\": \"kirkland\"},"
        " \"plane_wave\": {\"energy\": 3e5, \"tilt\": [1, 0]},"
        " \"frozen_phonons\": {\"num_configs\": 2, \"sigmas\": {\"Si\": 0.08}, \"seed\": 1},"
        " \"ctf\": {\"defocus\": 30, \"aberrations\": {\"C30\": 1e4}},"
        " \"output\": {\"file\": \"r.h5\", \"exit_wave\": \"ew.npy\", \"intensity\": \"i.npy\", \"potential\": "
        "\"v.npy\", \"diffraction\": \"d.npy\", \"image\": \"img.npy\", \"images\": [\"png\","
        " \"tiff\"]}}");
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    bf_ms_result *r;
    assert_ok(bf_ms_simulate(j, &ro, &r));
    assert_int_equal(bf_ms_result_num_configs(r), 2);
    size_t ds[2];
    const float *d = bf_ms_result_diffraction(r, ds);
    assert_int_equal(ds[0], 26); /* floor(2/3 · extent / max(sampling)) */
    assert_int_equal(ds[1], 26);
    double sum = 0.0;
    for (size_t k = 0; k < ds[0] * ds[1]; k++)
        sum += d[k];
    assert_true(sum > 0.9 && sum <= 1.0 + 1e-5); /* inside the antialias limit */
    assert_ok(bf_ms_result_write(j, r));
    const char *names[] = {"ew.npy", "i.npy", "v.npy", "d.npy", "img.npy", "r.png", "r.tiff"};
    for (int k = 0; k < 7; k++) {
        char p[512];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", bf_test_tmpdir(), names[k]);
        if (stat(p, &sb) != 0 || sb.st_size == 0)
            fail_msg("%s was not written", p);
    }
    char p[512], dt[8];
    size_t nd, sh[8];
    void *ew;
    snprintf(p, sizeof p, "%s/ew.npy", bf_test_tmpdir());
    assert_ok(bf__ms_npy_read(p, dt, &nd, sh, &ew));
    assert_int_equal(nd, 3);
    assert_int_equal(sh[0], 2);
    assert_int_equal(sh[1], 48);
    assert_int_equal(sh[2], 40);
    assert_memory_equal(ew, bf_ms_result_exit_waves(r), 2 * 48 * 40 * 8);
    free(ew);
    /* h5py reads the NeXus file: complex exit waves, axes with units */
    const char *py = getenv("BF_PYTHON");
    if (py && access(py, X_OK) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "%s -c \"import h5py, numpy as np; f = h5py.File('%s/r.h5', 'r'); "
                 "e = f['entry/exit_wave/exit_wave'][...]; "
                 "assert e.dtype == np.complex64 and e.shape == (2, 48, 40), e.dtype; "
                 "assert f['entry/intensity'].attrs['signal'] == 'intensity'; "
                 "assert f['entry/intensity/x'].attrs['units'] == 'angstrom'; "
                 "assert f['entry/diffraction/diffraction'].shape == (26, 26); "
                 "assert 'plane_wave' in f['entry/job'][()].decode(); "
                 "assert list(f['entry/intensity'].attrs['axes']) == ['x', 'y']\"",
                 py, bf_test_tmpdir());
        assert_int_equal(system(cmd), 0);
    }
    /* the potential as NeXus: same numbers as the .npy */
    snprintf(p, sizeof p, "%s/v.h5", bf_test_tmpdir());
    assert_ok(bf_ms_write_potential(j, p));
    if (py && access(py, X_OK) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "%s -c \"import h5py, numpy as np; d = '%s'; "
                 "v = h5py.File(d + '/v.h5', 'r')['entry/potential']; "
                 "assert (v['potential'][...] == np.load(d + '/v.npy')).all(); "
                 "assert v['potential'].attrs['units'] == 'V*angstrom'; "
                 "assert np.allclose(v['slice_thickness'][...], 5.43 / 4)\"",
                 py, bf_test_tmpdir());
        assert_int_equal(system(cmd), 0);
    }
    bf_ms_result_destroy(r);
    bf_ms_job_destroy(j);
}

static void same_bytes_on_every_scheduler(void **s)
{
    (void)s;
    bf_ms_job *j = parse("{\"atoms\": {\"bulk\": \"Cu\", \"cubic\": true, \"repeat\": [2, 2, 2]},"
                         " \"potential\": {\"gpts\": 64, \"slice_thickness\": 1.2},"
                         " \"plane_wave\": {\"energy\": 1e5},"
                         " \"frozen_phonons\": {\"num_configs\": 5, \"sigmas\": 0.1, "
                         "\"seed\": 3}}");
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    bf_ms_result *ref;
    assert_ok(bf_ms_simulate(j, &ro, &ref));
    bf_scheduler scheds[2] = {BF_SCHED_THREADS, BF_SCHED_PROCESSES};
    for (int k = 0; k < 2; k++) {
        bf_run_options run = BF_RUN_OPTIONS_INIT;
        run.scheduler = scheds[k];
        run.workers = 2;
        ro.run = &run;
        bf_ms_result *r;
        assert_ok(bf_ms_simulate(j, &ro, &r));
        assert_memory_equal(bf_ms_result_exit_waves(r), bf_ms_result_exit_waves(ref),
                            5 * 64 * 64 * sizeof(bf_complex64));
        assert_memory_equal(bf_ms_result_intensity(r), bf_ms_result_intensity(ref),
                            64 * 64 * sizeof(float));
        bf_ms_result_destroy(r);
    }
    bf_ms_result_destroy(ref);
    bf_ms_job_destroy(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_name_the_key),
        cmocka_unit_test(bulk_parameters_reach_the_structure),
        cmocka_unit_test(frozen_phonons_are_reproducible),
        cmocka_unit_test(multiframe_xyz_configs),
        cmocka_unit_test(kirkland_sigmas_drive_frozen_phonons),
        cmocka_unit_test(hrtem_writes_outputs),
        cmocka_unit_test(same_bytes_on_every_scheduler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
