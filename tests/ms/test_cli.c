/* The potential and simulate subcommands end to end, through $BF_CLI: the Au 5x5x1 job of the
 * abTEM references gives the reference potential and exit wave (1e-4 relative L2, as
 * test_exitwave_ref), bad jobs fail with the key path on stderr, --help exits 0. Skipped when the
 * CLI is not built (BF_MODULES without tools) or does not have the subcommands yet. */
#include "ms_test.h"

static const char *cli(void)
{
    const char *c = getenv("BF_CLI");
    if (!c)
        return NULL;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s potential --help > /dev/null 2>&1", c);
    return system(cmd) == 0 ? c : NULL;
}

static int run(const char *fmt, const char *a, const char *b)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void au551_end_to_end(void **s)
{
    (void)s;
    const char *c = cli();
    if (!c)
        skip();
    char job[512], out[512];
    snprintf(job, sizeof job, "%s/hrtem.json", bf_test_tmpdir());
    write_text(job, "{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [5, 5, 1]},\n"
                    " \"potential\": {\"gpts\": 256, \"slice_thickness\": 1},\n"
                    " \"plane_wave\": {\"energy\": 200e3},\n"
                    " \"output\": {\"exit_wave\": \"ew.npy\", \"intensity\": \"i.npy\"}}\n");
    snprintf(out, sizeof out, "%s/pot.npy", bf_test_tmpdir());
    assert_int_equal(run("%s potential %s", c, job), 2); /* no -o */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -o %s", job, out);
    assert_int_equal(run("%s potential %s", c, cmd), 0);
    assert_int_equal(run("%s simulate %s", c, job), 0);
    size_t nd, sh[8];
    char dt[8];
    float *v, *vref = ms_ref("potential_Au551_dz1.npy", &nd, sh, dt);
    size_t n = sh[0] * sh[1] * sh[2];
    assert_ok(bf__ms_npy_read(out, dt, &nd, sh, (void **)&v));
    assert_int_equal(nd, 3);
    assert_true(ms_rel_l2(v, vref, n) < 1e-5);
    bf_complex64 *ew, *ewref = ms_ref("exitwave_planewave_Au551_dz1.npy", &nd, sh, dt);
    snprintf(out, sizeof out, "%s/ew.npy", bf_test_tmpdir());
    assert_ok(bf__ms_npy_read(out, dt, &nd, sh, (void **)&ew));
    assert_string_equal(dt, "<c8");
    assert_int_equal(nd, 2);
    double err = ms_rel_l2((float *)ew, (float *)ewref, 2 * sh[0] * sh[1]);
    printf("CLI exit wave rel L2 %.3g\n", err);
    assert_true(err < 1e-4);
    free(v);
    free(vref);
    free(ew);
    free(ewref);
}

static void bad_jobs_fail_clearly(void **s)
{
    (void)s;
    const char *c = cli();
    if (!c)
        skip();
    char job[512], log[512];
    snprintf(job, sizeof job, "%s/bad.json", bf_test_tmpdir());
    snprintf(log, sizeof log, "%s/stderr.txt", bf_test_tmpdir());
    write_text(job, "{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true}, \"potential\": {\"gpts\": "
                    "\"many\"}, \"plane_wave\": {\"energy\": 1e5}}");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s simulate %s 2> %s", c, job, log);
    assert_int_equal(system(cmd) != 0, 1);
    FILE *f = fopen(log, "r");
    char buf[512] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    if (!strstr(buf, "potential.gpts: expected an integer or [nx, ny]"))
        fail_msg("stderr was: %s", buf);
    assert_int_equal(run("%s simulate --help > /dev/null%s", c, ""), 0);
    assert_int_equal(run("%s simulate --bogus 2> /dev/null%s", c, ""), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(au551_end_to_end),
        cmocka_unit_test(bad_jobs_fail_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
