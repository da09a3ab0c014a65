/* End to end: `beamflow integrate` on .npy inputs against the library's own curve, and its
 * errors (wrong mask shape, bad options, missing files). Needs the CLI ($BF_CLI); in a
 * -DBF_MODULES build without tools/ the binary is absent and the test is skipped, saying so. */
#include "bf_test.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include "beamflow/ai.h"
#include "io/npy.h"

static char dir[200];
static const char *cli;

static int run(const char *args, char *out, size_t outlen)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s integrate %s 2>&1", cli, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void integrates_like_the_library(void **state)
{
    (void)state;
    struct stat sb;
    if (!cli || stat(cli, &sb) != 0) {
        printf("beamflow CLI not built (%s): skipped\n", cli ? cli : "BF_CLI unset");
        skip();
    }
    char help[8192];
    if (run("--help", help, sizeof help) != 0 || !strstr(help, "usage: beamflow integrate"))
        fail_msg("%s integrate --help failed (is bf_cmd_integrate in tools/beamflow.c's command "
                 "table?): %s", cli, help);
    snprintf(dir, sizeof dir, "%.190s", bf_test_tmpdir());
    bf_detector *det;
    assert_ok(bf_detector_create("Pilatus 300k", NULL, &det));
    bf_geometry_params p = {0.15, 0.05, 0.04, 0.01, 0.02, 0, 1e-10};
    bf_geometry *g;
    assert_ok(bf_geometry_create(det, &p, &g));
    char poni[256], frame[256], mask[256], xy[256], args[2048], out[8192];
    snprintf(poni, sizeof poni, "%s/g.poni", dir);
    snprintf(frame, sizeof frame, "%s/f.npy", dir);
    snprintf(mask, sizeof mask, "%s/badmask.npy", dir);
    snprintf(xy, sizeof xy, "%s/f.xy", dir);
    assert_ok(bf_geometry_write_poni(g, poni));
    const size_t n = 619 * 487, shape[2] = {619, 487}, badshape[2] = {487, 619};
    uint16_t *f = malloc(n * 2);
    uint64_t rng = bf_test_seed();
    for (size_t k = 0; k < n; k++)
        f[k] = (uint16_t)(bf_test_rand(&rng) % 1000);
    assert_ok(bf__npy_write(frame, BF_DTYPE_U16, 2, shape, f));
    uint8_t *m = calloc(n, 1);
    assert_ok(bf__npy_write(mask, BF_DTYPE_U8, 2, badshape, m));

    snprintf(args, sizeof args, "-p %s -n 300 -u q_nm^-1 --method full,csr -e poisson -P 0.99 "
                                "%s -o %s", poni, frame, xy);
    assert_int_equal(run(args, out, sizeof out), 0);
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    o.npt = 300;
    o.unit = BF_UNIT_Q_NM;
    o.split = BF_SPLIT_FULL;
    o.error_model = BF_ERROR_POISSON;
    o.has_polarization = 1;
    o.polarization_factor = 0.99;
    bf_integrator *it;
    assert_ok(bf_integrator_create(g, &o, &it));
    double radial[300];
    float inten[300], sigma[300];
    bf_curve cv = {.radial = radial, .intensity = inten, .sigma = sigma};
    bf_frame fr = {f, BF_DTYPE_U16, 619, 487, NULL, NULL};
    assert_ok(bf_integrator_integrate1d(it, &fr, &cv));
    FILE *x = fopen(xy, "r");
    assert_non_null(x);
    char line[512];
    int row = 0, saw_unit = 0;
    while (fgets(line, sizeof line, x)) {
        if (line[0] == '#') {
            saw_unit |= strstr(line, "q_nm^-1") != NULL;
            continue;
        }
        if (line[0] == '\n')
            continue;
        double r, i, s;
        assert_int_equal(sscanf(line, "%lf %lf %lf", &r, &i, &s), 3);
        assert_true(row < 300);
        assert_close(r, radial[row], 1e-6, 0); /* %14.6e: 7 significant digits */
        assert_close(i, inten[row], 1e-6, 1e-30);
        assert_close(s, sigma[row], 1e-6, 1e-30);
        row++;
    }
    fclose(x);
    assert_int_equal(row, 300);
    assert_true(saw_unit);

    /* errors */
    snprintf(args, sizeof args, "-p %s -m %s %s -o %s", poni, mask, frame, xy);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "mask of shape 487 x 619 does not match the detector's 619 x 487"));
    snprintf(args, sizeof args, "-p %s -n 0 %s", poni, frame);
    assert_int_equal(run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "--npt"));
    snprintf(args, sizeof args, "-p %s -u furlong %s", poni, frame);
    assert_int_equal(run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "unknown unit 'furlong'"));
    snprintf(args, sizeof args, "-p %s/none.poni %s", dir, frame);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "none.poni"));
    snprintf(args, sizeof args, "%s", frame);
    assert_int_equal(run(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "missing -p/--poni"));
    snprintf(args, sizeof args, "-p %s %s", poni, mask);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "frame of shape 487 x 619"));
    assert_int_equal(run("--help", out, sizeof out), 0);
    assert_non_null(strstr(out, "usage: beamflow integrate"));

    bf_integrator_destroy(it);
    bf_geometry_destroy(g);
    bf_detector_destroy(det);
    free(f);
    free(m);
}

int main(void)
{
    cli = getenv("BF_CLI");
    const struct CMUnitTest tests[] = {cmocka_unit_test(integrates_like_the_library)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
