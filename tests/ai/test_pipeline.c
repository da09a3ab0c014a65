/* The integrate pipeline end to end on small LZ4 files: every frame's curve equals the kernel's
 * own result for that frame; outputs are bitwise identical on every scheduler and unit size; a
 * corrupt chunk fails only its unit, names file and frame, keeps the other outputs, and --resume
 * redoes only that unit; bad inputs are refused before any work. */
#include "bf_test.h"

#include "beamflow/beamflow.h"
#include "beamflow/integrate.h"
#include "beamflow/io.h"
#include "io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <hdf5.h>
#include <unistd.h>

enum { ROWS = 48, COLS = 64, FRAMES = 7, FILES = 3, NPT = 90 };

static char dir[512], poni[600], files[FILES][600];

static void frame_values(int file, int frame, int32_t *v)
{
    uint64_t s = (uint64_t)(file * 100 + frame + 1) * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < ROWS * COLS; i++) {
        int r = i / COLS, c = i % COLS;
        double d = sqrt((r - 20.0) * (r - 20.0) + (c - 30.0) * (c - 30.0));
        v[i] = (int32_t)(50 + 200 * exp(-0.5 * pow((d - 12 - frame) / 1.5, 2)) +
                         (double)(bf_test_rand(&s) % 10));
    }
}

static void write_file(int file, const char *path)
{
    bf_h5writer_options o = BF_H5WRITER_OPTIONS_INIT;
    bf_h5writer *w;
    assert_ok(bf_h5writer_create(path, "/entry/data/data", BF_DTYPE_I32, ROWS, COLS, &o, &w));
    static int32_t v[ROWS * COLS];
    for (int k = 0; k < FRAMES; k++) {
        frame_values(file, k, v);
        assert_ok(bf_h5writer_append(w, v, 1));
    }
    assert_ok(bf_h5writer_close(w));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", bf_test_tmpdir());
    snprintf(poni, sizeof poni, "%s/geo.poni", dir);
    FILE *f = fopen(poni, "w");
    fprintf(f, "poni_version: 2\nDetector: Detector\n"
               "Detector_config: {\"pixel1\": 0.0001, \"pixel2\": 0.0001, \"max_shape\": [%d, %d]}\n"
               "Distance: 0.05\nPoni1: 0.002\nPoni2: 0.003\nRot1: 0.01\nRot2: 0.02\nRot3: 0\n"
               "Wavelength: 1e-10\n", ROWS, COLS);
    fclose(f);
    for (int i = 0; i < FILES; i++) {
        snprintf(files[i], sizeof files[i], "%s/scan_%04d.h5", dir, i);
        write_file(i, files[i]);
    }
    return 0;
}

static bf_integrate_job job_for(const char *out)
{
    static const char *inputs[1];
    static char glob[600];
    snprintf(glob, sizeof glob, "%s/scan_*.h5", dir);
    inputs[0] = glob;
    bf_integrate_job j = BF_INTEGRATE_JOB_INIT;
    j.inputs = inputs;
    j.ninputs = 1;
    j.poni = poni;
    j.options.npt = NPT;
    j.options.error_model = BF_ERROR_POISSON;
    j.options.has_polarization = 1;
    j.options.polarization_factor = 0.95;
    j.output = out;
    return j;
}

static float *read_I(const char *path, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    float *v = malloc(FRAMES * NPT * sizeof *v);
    assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    return v;
}

static void run_job(const bf_integrate_job *j, bf_scheduler s, int workers, bf_run_report *rep,
                    bf_status expect)
{
    bf_integration *ig;
    assert_ok(bf_integration_create(j, &ig));
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = s;
    ro.workers = workers;
    bf_status st = bf_integration_run(ig, &ro, rep);
    if (st != expect)
        fail_msg("run returned %s: %s", bf_status_name(st), bf_last_error());
    bf_integration_destroy(ig);
}

static void curves_match_the_kernel(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/serial", dir);
    bf_integrate_job j = job_for(out);
    run_job(&j, BF_SCHED_SERIAL, 1, NULL, BF_OK);

    bf_geometry *geo;
    assert_ok(bf_geometry_read_poni(poni, &geo));
    bf_integrator *integ;
    assert_ok(bf_integrator_create(geo, &j.options, &integ));
    static int32_t v[ROWS * COLS];
    float I[NPT], s[NPT];
    bf_curve c = {.intensity = I, .sigma = s};
    for (int file = 0; file < FILES; file++) {
        char path[700];
        snprintf(path, sizeof path, "%s/scan_%04d_azint.h5", out, file);
        float *got = read_I(path, "/entry/data/I"), *gots = read_I(path, "/entry/data/I_errors");
        for (int k = 0; k < FRAMES; k++) {
            frame_values(file, k, v);
            bf_frame fr = {v, BF_DTYPE_I32, ROWS, COLS, NULL, NULL};
            assert_ok(bf_integrator_integrate1d(integ, &fr, &c));
            assert_memory_equal(got + k * NPT, I, sizeof I);
            assert_memory_equal(gots + k * NPT, s, sizeof s);
        }
        free(got);
        free(gots);
    }
    bf_integrator_destroy(integ);
    bf_geometry_destroy(geo);
}

static void same_output_on_every_scheduler(void **state)
{
    (void)state;
    static const struct {
        bf_scheduler s;
        int workers;
        uint64_t per_unit;
    } runs[] = {{BF_SCHED_THREADS, 2, 0}, {BF_SCHED_PROCESSES, 2, 3}, {BF_SCHED_THREADS, 3, 2}};
    char ref[600];
    snprintf(ref, sizeof ref, "%s/serial", dir);
    for (size_t r = 0; r < 3; r++) {
        char out[600];
        snprintf(out, sizeof out, "%s/run%zu", dir, r);
        bf_integrate_job j = job_for(out);
        j.frames_per_unit = runs[r].per_unit;
        j.batch_bytes = 2 * ROWS * COLS * 4; /* two frames per pass */
        run_job(&j, runs[r].s, runs[r].workers, NULL, BF_OK);
        for (int file = 0; file < FILES; file++) {
            char a[700], b[700];
            snprintf(a, sizeof a, "%s/scan_%04d_azint.h5", ref, file);
            snprintf(b, sizeof b, "%s/scan_%04d_azint.h5", out, file);
            float *x = read_I(a, "/entry/data/I"), *y = read_I(b, "/entry/data/I");
            assert_memory_equal(x, y, FRAMES * NPT * sizeof *x);
            free(x);
            free(y);
        }
    }
}

static void corrupt_chunk(const char *path, int frame)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/entry/data/data", H5P_DEFAULT);
    hsize_t offset[3];
    unsigned mask;
    haddr_t addr;
    hsize_t size;
    hid_t space = H5Dget_space(d);
    assert_true(H5Dget_chunk_info(d, space, (hsize_t)frame, offset, &mask, &addr, &size) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    int fd = open(path, O_WRONLY);
    char junk[64];
    memset(junk, 0xA5, sizeof junk);
    assert_int_equal(pwrite(fd, junk, sizeof junk, (off_t)addr + 12), (ssize_t)sizeof junk);
    close(fd);
}

static void corrupt_chunk_fails_only_its_unit(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/corrupt", dir);
    corrupt_chunk(files[1], 4);
    bf_integrate_job j = job_for(out);
    bf_integration *ig;
    assert_ok(bf_integration_create(&j, &ig));
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.workers = 2;
    bf_run_report rep;
    assert_fails(bf_integration_run(ig, &ro, &rep), BF_EWORKER, "scan_0001.h5");
    if (!strstr(bf_last_error(), "frames 4"))
        fail_msg("message lacks the frame: %s", bf_last_error());
    assert_int_equal(rep.units_failed, 1);
    bf_integration_destroy(ig);
    char path[700];
    snprintf(path, sizeof path, "%s/scan_0000_azint.h5", out);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/scan_0002_azint.h5", out);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/scan_0001_azint.h5", out);
    assert_int_equal(access(path, F_OK), -1);

    write_file(1, files[1]); /* the file is fixed; only its unit runs again */
    assert_ok(bf_integration_create(&j, &ig));
    ro.resume = true;
    assert_ok(bf_integration_run(ig, &ro, &rep));
    assert_int_equal(rep.units_run, 1);
    assert_int_equal(rep.units_skipped, 2);
    bf_integration_destroy(ig);
    assert_int_equal(access(path, F_OK), 0);
}

static float *read_all(const char *path, size_t n)
{
    float *v = malloc(n * sizeof *v);
    assert_ok(bf_azint_read(path, v, NULL, n));
    return v;
}

static void per_scan_and_cakes(void **state)
{
    (void)state;
    /* one output for the scan folder, holding every file's frames in order */
    char out[600], path[700], ref[700];
    snprintf(out, sizeof out, "%s/perscan", dir);
    bf_integrate_job j = job_for(out);
    j.per_scan = true;
    j.frames_per_unit = 4;
    run_job(&j, BF_SCHED_THREADS, 2, NULL, BF_OK);
    const char *leaf = strrchr(dir, '/') + 1;
    snprintf(path, sizeof path, "%s/%s_azint.h5", out, leaf);
    float *all = read_all(path, FILES * FRAMES * NPT);
    for (int file = 0; file < FILES; file++) {
        snprintf(ref, sizeof ref, "%s/serial/scan_%04d_azint.h5", dir, file);
        float *one = read_all(ref, FRAMES * NPT);
        assert_memory_equal(all + (size_t)file * FRAMES * NPT, one, FRAMES * NPT * sizeof *one);
        free(one);
    }
    free(all);

    /* 2D cakes: NXazint2d, each frame equal to the kernel's integrate2d */
    enum { NAZ = 12 };
    snprintf(out, sizeof out, "%s/cake", dir);
    j = job_for(out);
    j.options.npt_azim = NAZ;
    run_job(&j, BF_SCHED_PROCESSES, 2, NULL, BF_OK);
    snprintf(path, sizeof path, "%s/scan_0002_azint.h5", out);
    float *cakes = read_all(path, FRAMES * NAZ * NPT);
    bf_geometry *geo;
    bf_integrator *integ;
    assert_ok(bf_geometry_read_poni(poni, &geo));
    assert_ok(bf_integrator_create(geo, &j.options, &integ));
    static int32_t v[ROWS * COLS];
    static float I[NAZ * NPT], s[NAZ * NPT];
    bf_curve c = {.intensity = I, .sigma = s};
    frame_values(2, 5, v);
    bf_frame fr = {v, BF_DTYPE_I32, ROWS, COLS, NULL, NULL};
    assert_ok(bf_integrator_integrate2d(integ, &fr, &c));
    assert_memory_equal(cakes + 5 * NAZ * NPT, I, sizeof I);
    free(cakes);
    bf_integrator_destroy(integ);
    bf_geometry_destroy(geo);

    j.xy = true;
    bf_integration *ig;
    assert_fails(bf_integration_create(&j, &ig), BF_EINVAL, "--xy writes 1D curves");
}

/* A folder of single images (one frame per .npy file, file 0's frames) is one series: one
 * output named after the folder, units of unit_bytes, every curve equal to the HDF5 file's. */
static void image_series_like_a_stack(void **state)
{
    (void)state;
    char series[600], out[600], path[700], ref[700];
    snprintf(series, sizeof series, "%s/run.7", dir);
    mkdir(series, 0755);
    static int32_t v[ROWS * COLS];
    size_t shape[2] = {ROWS, COLS};
    for (int k = 0; k < FRAMES; k++) {
        frame_values(0, k, v);
        snprintf(path, sizeof path, "%s/img_%03d.npy", series, k);
        assert_ok(bf__npy_write(path, BF_DTYPE_I32, 2, shape, v));
    }
    static const struct {
        bf_scheduler s;
        int workers;
    } runs[] = {{BF_SCHED_THREADS, 2}, {BF_SCHED_PROCESSES, 2}};
    snprintf(ref, sizeof ref, "%s/serial/scan_0000_azint.h5", dir);
    float *want = read_all(ref, FRAMES * NPT);
    for (size_t r = 0; r < 2; r++) {
        /* one series: -o is the output file, unless it names a folder */
        snprintf(out, sizeof out, r == 0 ? "%s/series%zu.h5" : "%s/series%zu/", dir, r);
        bf_integrate_job j = job_for(out);
        const char *inputs[1] = {series};
        j.inputs = inputs;
        j.unit_bytes = 3 * ROWS * COLS * 4; /* 3 images per unit: 3 units */
        bf_integration *ig;
        assert_ok(bf_integration_create(&j, &ig));
        bf_plan *plan;
        assert_ok(bf_integration_plan(ig, &plan));
        assert_int_equal(bf_plan_size(plan), 3);
        bf_plan_destroy(plan);
        bf_integration_destroy(ig);
        run_job(&j, runs[r].s, runs[r].workers, NULL, BF_OK);
        if (r == 0) /* in a folder, named after the series' folder, dots kept */
            snprintf(path, sizeof path, "%s", out);
        else
            snprintf(path, sizeof path, "%srun.7_azint.h5", out);
        float *got = read_all(path, FRAMES * NPT);
        assert_memory_equal(got, want, FRAMES * NPT * sizeof *got);
        free(got);
    }
    free(want);
}

static void bad_inputs_fail_before_work(void **state)
{
    (void)state;
    char out[600], other[700], missing[700];
    snprintf(out, sizeof out, "%s/bad", dir);
    bf_integrate_job j = job_for(out);
    bf_integration *ig;
    snprintf(other, sizeof other, "%s/other.poni", dir);
    FILE *f = fopen(other, "w");
    fprintf(f, "poni_version: 2\nDetector: Pilatus 100k\nDetector_config: {}\nDistance: 0.1\n"
               "Poni1: 0.01\nPoni2: 0.01\nRot1: 0\nRot2: 0\nRot3: 0\nWavelength: 1e-10\n");
    fclose(f);
    j.poni = other;
    assert_fails(bf_integration_create(&j, &ig), BF_EINVAL, "frames are 48 x 64 pixels");
    j = job_for(out);
    j.dataset = "/entry/nothing/here";
    assert_int_not_equal(bf_integration_create(&j, &ig), BF_OK);
    assert_non_null(strstr(bf_last_error(), "/entry/nothing/here"));
    j = job_for(out);
    snprintf(missing, sizeof missing, "%s/no_such_scan.h5", dir);
    const char *inputs[1] = {missing};
    j.inputs = inputs;
    assert_int_not_equal(bf_integration_create(&j, &ig), BF_OK);
    assert_non_null(strstr(bf_last_error(), "no_such_scan.h5"));
    j = job_for(out);
    j.options.npt = 0;
    assert_fails(bf_integration_create(&j, &ig), BF_EINVAL, "npt must be positive");
    j = job_for(out);
    j.poni = NULL;
    assert_fails(bf_integration_create(&j, &ig), BF_EINVAL, "--poni");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curves_match_the_kernel),
        cmocka_unit_test(same_output_on_every_scheduler),
        cmocka_unit_test(corrupt_chunk_fails_only_its_unit),
        cmocka_unit_test(per_scan_and_cakes),
        cmocka_unit_test(image_series_like_a_stack),
        cmocka_unit_test(bad_inputs_fail_before_work),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
