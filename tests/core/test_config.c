/* Configuration: defaults, canonical text, precedence of the layers (default < file < env <
 * API, whatever the order of loading), and every error path of the file, the environment and
 * bf_config_set. Environments are explicit envp arrays; the process environment is untouched. */
#include "bf_test.h"

#include "beamflow/config.h"

#include <errno.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write text to <tmpdir>/<name> and return the path (static storage, one per name slot). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[8][512];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 512, "%s/%s", bf_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

static bf_config *fresh(void)
{
    bf_config *cfg = (bf_config *)1;
    assert_ok(bf_config_create(&cfg));
    assert_non_null(cfg);
    return cfg;
}

static int64_t cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static void defaults(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    static const char *const expect[][2] = {
        {"scheduler", "threads"},      {"workers", "auto"},       {"threads-per-worker", "1"},
        {"chunk-size", "128 MiB"},     {"chunk-size-gpu", "512 MiB"}, {"device", "cpu"},
        {"progress", "auto"},          {"log-level", "warn"},     {"fft-planning", "measure"},
        {"fft-cache-size", "256 MiB"}, {"max-retries", "3"},
    };
    size_t n = sizeof expect / sizeof expect[0];
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(bf_config_key(i), expect[i][0]);
        assert_string_equal(bf_config_get(cfg, expect[i][0]), expect[i][1]);
        assert_string_equal(bf_config_source(cfg, expect[i][0]), "default");
    }
    assert_null(bf_config_key(n));
    assert_int_equal(bf_config_size(cfg, "chunk-size"), 128ull << 20);
    assert_int_equal(bf_config_size(cfg, "chunk-size-gpu"), 512ull << 20);
    assert_int_equal(bf_config_size(cfg, "fft-cache-size"), 256ull << 20);
    assert_int_equal(bf_config_int(cfg, "threads-per-worker"), 1);
    assert_int_equal(bf_config_int(cfg, "max-retries"), 3);
    assert_int_equal(bf_config_int(cfg, "workers"), cpus());
    /* wrong-type and unknown lookups are bugs that answer 0 / NULL */
    assert_int_equal(bf_config_int(cfg, "chunk-size"), 0);
    assert_int_equal(bf_config_int(cfg, "scheduler"), 0);
    assert_int_equal(bf_config_size(cfg, "workers"), 0);
    assert_int_equal(bf_config_int(cfg, "nope"), 0);
    assert_int_equal(bf_config_size(cfg, "nope"), 0);
    assert_null(bf_config_get(cfg, "nope"));
    assert_null(bf_config_source(cfg, "nope"));
    assert_null(bf_config_get(cfg, NULL));
    assert_null(bf_config_get(NULL, "workers"));
    assert_null(bf_config_source(NULL, "workers"));
    assert_int_equal(bf_config_int(NULL, "workers"), 0);
    assert_int_equal(bf_config_size(NULL, "chunk-size"), 0);
    bf_config_destroy(cfg);
    bf_config_destroy(NULL);
}

static void set_canonicalises(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    static const char *const cases[][3] = {
        {"scheduler", "PROCESSES", "processes"}, {"log-level", "warning", "warn"},
        {"log-level", " Debug ", "debug"},       {"chunk-size", "512MB", "512 MB"},
        {"chunk-size", "1.5GiB", "1.50 GiB"},    {"chunk-size", "4097", "4097 B"},
        {"chunk-size", "2 GB", "2 GB"},          {"fft-cache-size", "0", "0 B"},
        {"workers", " 7 ", "7"},                 {"workers", "AUTO", "auto"},
        {"max-retries", "0", "0"},               {"threads-per-worker", "+2", "2"},
        {"progress", "json", "json"},            {"device", "gpu", "gpu"},
        {"fft-planning", "patient", "patient"},  {"chunk-size-gpu", "1 TiB", "1 TiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_ok(bf_config_set(cfg, cases[i][0], cases[i][1], "--set"));
        assert_string_equal(bf_config_get(cfg, cases[i][0]), cases[i][2]);
        assert_string_equal(bf_config_source(cfg, cases[i][0]), "--set");
        /* canonical text reads back to the same value */
        assert_ok(bf_config_set(cfg, cases[i][0], cases[i][2], NULL));
        assert_string_equal(bf_config_get(cfg, cases[i][0]), cases[i][2]);
        assert_string_equal(bf_config_source(cfg, cases[i][0]), "api");
    }
    assert_int_equal(bf_config_size(cfg, "chunk-size"), 2000000000ull);
    assert_int_equal(bf_config_int(cfg, "threads-per-worker"), 2);
    /* "auto" follows threads-per-worker and never drops below one worker */
    int64_t ncpu = cpus();
    assert_int_equal(bf_config_int(cfg, "workers"), ncpu / 2 > 0 ? ncpu / 2 : 1);
    assert_ok(bf_config_set(cfg, "threads-per-worker", "100000", "--threads-per-worker"));
    assert_int_equal(bf_config_int(cfg, "workers"), 1);
    assert_ok(bf_config_set(cfg, "workers", "12", "--workers"));
    assert_int_equal(bf_config_int(cfg, "workers"), 12);
    bf_config_destroy(cfg);
}

static void set_rejects(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    assert_fails(bf_config_set(cfg, "wrokers", "2", "--set wrokers"), BF_ENOTFOUND,
                 "--set wrokers: unknown key 'wrokers' (did you mean 'workers'?)");
    assert_fails(bf_config_set(cfg, "colour", "2", "--set colour"), BF_ENOTFOUND,
                 "--set colour: unknown key 'colour'");
    assert_null(strstr(bf_last_error(), "did you mean"));
    assert_fails(bf_config_set(cfg, "workers", "0", "--workers"), BF_EINVAL,
                 "--workers: expected an integer >= 1 or \"auto\", got \"0\"");
    assert_fails(bf_config_set(cfg, "workers", "many", "api"), BF_EINVAL,
                 "api: workers: expected an integer >= 1 or \"auto\", got \"many\"");
    assert_fails(bf_config_set(cfg, "workers", "", "api"), BF_EINVAL, "got \"\"");
    assert_fails(bf_config_set(cfg, "workers", "4.0", "api"), BF_EINVAL, "got \"4.0\"");
    assert_fails(bf_config_set(cfg, "workers", "99999999999999999999", "api"), BF_EINVAL,
                 "(too large)");
    assert_fails(bf_config_set(cfg, "workers", "3000000000", "api"), BF_EINVAL, "(too large)");
    assert_fails(bf_config_set(cfg, "threads-per-worker", "0", "api"), BF_EINVAL,
                 "threads-per-worker: expected an integer >= 1, got \"0\"");
    assert_fails(bf_config_set(cfg, "max-retries", "-1", "api"), BF_EINVAL,
                 "max-retries: expected an integer >= 0, got \"-1\"");
    assert_fails(bf_config_set(cfg, "scheduler", "dask", "--scheduler"), BF_EINVAL,
                 "--scheduler: expected one of serial, threads, processes, mpi, got \"dask\"");
    assert_fails(bf_config_set(cfg, "log-level", "loud", "-v"), BF_EINVAL,
                 "-v: log-level: expected one of error, warn, info, debug, got \"loud\"");
    assert_fails(bf_config_set(cfg, "chunk-size", "12 parsecs", "--chunk-size"), BF_EINVAL,
                 "--chunk-size: bad size '12 parsecs': unknown unit 'parsecs'");
    assert_fails(bf_config_set(cfg, "chunk-size-gpu", "lots", "api"), BF_EINVAL,
                 "api: chunk-size-gpu: bad size 'lots'");
    assert_fails(bf_config_set(cfg, "chunk-size", "0 MiB", "api"), BF_EINVAL,
                 "chunk-size: expected a size > 0 such as 128 MiB, got \"0 MiB\"");
    char long_value[200];
    memset(long_value, '7', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    assert_fails(bf_config_set(cfg, "workers", long_value, "api"), BF_EINVAL, "(too long)");
    assert_fails(bf_config_set(NULL, "workers", "1", "api"), BF_EINVAL, "needs a config");
    assert_fails(bf_config_set(cfg, NULL, "1", "api"), BF_EINVAL, "needs a config");
    assert_fails(bf_config_set(cfg, "workers", NULL, NULL), BF_EINVAL, "api: bf_config_set");
    /* failures changed nothing */
    for (size_t i = 0; bf_config_key(i); i++)
        assert_string_equal(bf_config_source(cfg, bf_config_key(i)), "default");
    bf_config_destroy(cfg);
}

static void file_layer(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    const char *path = write_file("good.json", "{\n"
                                               "  \"scheduler\": \"processes\",\n"
                                               "  \"workers\": 3,\n"
                                               "  \"threads-per-worker\": \"2\",\n"
                                               "  \"chunk-size\": 1048576,\n"
                                               "  \"chunk-size-gpu\": \"1 GiB\",\n"
                                               "\n"
                                               "  \"fft-cache-size\": 1.5e9\n"
                                               "}\n");
    assert_ok(bf_config_load_file(cfg, path));
    char src[600];
    snprintf(src, sizeof src, "%s:3", path);
    assert_string_equal(bf_config_get(cfg, "workers"), "3");
    assert_string_equal(bf_config_source(cfg, "workers"), src);
    snprintf(src, sizeof src, "%s:2", path);
    assert_string_equal(bf_config_source(cfg, "scheduler"), src);
    assert_int_equal(bf_config_int(cfg, "threads-per-worker"), 2);
    assert_string_equal(bf_config_get(cfg, "chunk-size"), "1 MiB");
    assert_int_equal(bf_config_size(cfg, "chunk-size-gpu"), 1ull << 30);
    assert_string_equal(bf_config_get(cfg, "fft-cache-size"), "1500 MB");
    snprintf(src, sizeof src, "%s:8", path);
    assert_string_equal(bf_config_source(cfg, "fft-cache-size"), src);
    assert_string_equal(bf_config_source(cfg, "device"), "default");
    /* an empty object is a valid, empty layer */
    assert_ok(bf_config_load_file(cfg, write_file("empty.json", "{}")));
    assert_string_equal(bf_config_get(cfg, "workers"), "3");
    bf_config_destroy(cfg);
}

static void file_errors(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    char needle[700];
    const char *p;

    p = write_file("zero.json", "{\n  \"scheduler\": \"serial\",\n  \"workers\": 0\n}\n");
    snprintf(needle, sizeof needle,
             "%s:3: workers: expected an integer >= 1 or \"auto\", got 0", p);
    assert_fails(bf_config_load_file(cfg, p), BF_EINVAL, needle);
    /* all or nothing: the valid scheduler line before the error was not applied */
    assert_string_equal(bf_config_get(cfg, "scheduler"), "threads");

    p = write_file("unknown.json", "{\n\n  \"wrokers\": 2}");
    snprintf(needle, sizeof needle, "%s:3: unknown key 'wrokers' (did you mean 'workers'?)", p);
    assert_fails(bf_config_load_file(cfg, p), BF_ENOTFOUND, needle);

    /* a key that also appears as a value earlier is found at its own line */
    p = write_file("shadow.json", "{\"progress\": \"bar\",\n \"x\": \"progress\",\n \"y\": 1}");
    snprintf(needle, sizeof needle, "%s:2: unknown key 'x'", p);
    assert_fails(bf_config_load_file(cfg, p), BF_ENOTFOUND, needle);

    /* a key written with an escape cannot be found in the text: the path alone */
    p = write_file("escaped.json", "{\"w\\u006frkers\": 0}");
    snprintf(needle, sizeof needle, "%s: workers: expected", p);
    assert_fails(bf_config_load_file(cfg, p), BF_EINVAL, needle);

    /* a path that contains a key's name still names the key */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/workers", bf_test_tmpdir());
    assert_int_equal(mkdir(sub, 0700) == 0 || errno == EEXIST, 1);
    p = write_file("workers/c.json", "{\"workers\": \"none\"}");
    snprintf(needle, sizeof needle, "%s:1: workers: expected", p);
    assert_fails(bf_config_load_file(cfg, p), BF_EINVAL, needle);

    p = write_file("syntax.json", "{\n  \"workers\": 2,\n  \"scheduler\" \"serial\"\n}\n");
    snprintf(needle, sizeof needle, "%s:3:", p);
    assert_fails(bf_config_load_file(cfg, p), BF_EFORMAT, needle);

    p = write_file("dup.json", "{\"workers\": 2,\n \"workers\": 3}");
    assert_fails(bf_config_load_file(cfg, p), BF_EFORMAT, "duplicate object key");

    p = write_file("empty.txt", "");
    assert_fails(bf_config_load_file(cfg, p), BF_EFORMAT, "empty.txt:");

    p = write_file("array.json", "[1, 2]");
    assert_fails(bf_config_load_file(cfg, p), BF_EFORMAT, "expected a JSON object");

    static const char *const bad[][3] = {
        {"{\"device\": true}", "device: expected one of cpu, gpu, got true", ""},
        {"{\"workers\": null}", "workers: expected an integer >= 1 or \"auto\", got null", ""},
        {"{\"workers\": [2]}", "workers: expected an integer >= 1 or \"auto\", got an array", ""},
        {"{\"workers\": {}}", "workers: expected an integer >= 1 or \"auto\", got an object", ""},
        {"{\"progress\": false}",
         "progress: expected one of auto, bar, plain, json, none, got false", ""},
        {"{\"workers\": 2.5}", "workers: expected an integer >= 1 or \"auto\", got 2.5", ""},
        {"{\"device\": 1}", "device: expected one of cpu, gpu, got 1", ""},
        {"{\"chunk-size\": -5}", "chunk-size: bad size '-5'", ""},
        {"{\"chunk-size\": 1.5}", "chunk-size: bad size '1.5': a byte count must be whole", ""},
        {"{\"chunk-size\": \"12 parsecs\"}", "chunk-size: bad size '12 parsecs'", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = write_file("bad.json", bad[i][0]);
        snprintf(needle, sizeof needle, "%s:1: %s", p, bad[i][1]);
        assert_fails(bf_config_load_file(cfg, p), BF_EINVAL, needle);
    }

    char absent[600];
    snprintf(absent, sizeof absent, "%s/absent.json", bf_test_tmpdir());
    assert_fails(bf_config_load_file(cfg, absent), BF_ENOTFOUND, "cannot open config file");
    assert_fails(bf_config_load_file(cfg, bf_test_tmpdir()), BF_EIO, "cannot read config file");

    char *big = malloc((1u << 20) + 16);
    assert_non_null(big);
    memset(big, ' ', (1u << 20) + 8);
    memcpy(big, "{}", 2);
    big[(1u << 20) + 8] = '\0';
    p = write_file("big.json", big);
    free(big);
    assert_fails(bf_config_load_file(cfg, p), BF_EFORMAT, "larger than 1 MiB");

    assert_fails(bf_config_load_file(NULL, p), BF_EINVAL, "needs a config");
    assert_fails(bf_config_load_file(cfg, NULL), BF_EINVAL, "needs a config");
    for (size_t i = 0; bf_config_key(i); i++)
        assert_string_equal(bf_config_source(cfg, bf_config_key(i)), "default");
    bf_config_destroy(cfg);
}

static void environment_layer(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    char *env[] = {"PATH=/usr/bin", "BEAMFLOW_WORKERS=5", "BEAMFLOW_CHUNK_SIZE=64 MiB",
                   "BEAMFLOW_FFT_PLANNING=measure", "BEAMFLOW_LOG=debug", "HOME=/nonexistent/home",
                   "BF_SOURCE_DIR=/x", NULL};
    assert_ok(bf_config_load_standard(cfg, env));
    assert_string_equal(bf_config_get(cfg, "workers"), "5");
    assert_string_equal(bf_config_source(cfg, "workers"), "BEAMFLOW_WORKERS");
    assert_int_equal(bf_config_size(cfg, "chunk-size"), 64ull << 20);
    assert_string_equal(bf_config_source(cfg, "chunk-size"), "BEAMFLOW_CHUNK_SIZE");
    assert_string_equal(bf_config_get(cfg, "fft-planning"), "measure");
    assert_string_equal(bf_config_get(cfg, "log-level"), "debug");
    assert_string_equal(bf_config_source(cfg, "log-level"), "BEAMFLOW_LOG");
    bf_config_destroy(cfg);

    /* the key's own variable beats its alias, in either order */
    char *both1[] = {"BEAMFLOW_LOG=debug", "BEAMFLOW_LOG_LEVEL=error", NULL};
    char *both2[] = {"BEAMFLOW_LOG_LEVEL=error", "BEAMFLOW_LOG=debug", NULL};
    char *const *both[] = {both1, both2};
    for (int i = 0; i < 2; i++) {
        cfg = fresh();
        assert_ok(bf_config_load_standard(cfg, both[i]));
        assert_string_equal(bf_config_get(cfg, "log-level"), "error");
        assert_string_equal(bf_config_source(cfg, "log-level"), "BEAMFLOW_LOG_LEVEL");
        bf_config_destroy(cfg);
    }

    /* no HOME, or a HOME without a config file: defaults only */
    cfg = fresh();
    char *bare[] = {NULL};
    assert_ok(bf_config_load_standard(cfg, bare));
    char home_env[600];
    snprintf(home_env, sizeof home_env, "HOME=%s", bf_test_tmpdir());
    char *nohome_file[] = {home_env, NULL};
    assert_ok(bf_config_load_standard(cfg, nohome_file));
    for (size_t i = 0; bf_config_key(i); i++)
        assert_string_equal(bf_config_source(cfg, bf_config_key(i)), "default");
    bf_config_destroy(cfg);
}

static void environment_errors(void **state)
{
    (void)state;
    bf_config *cfg = fresh();
    char *typo[] = {"BEAMFLOW_SCHEDULER=serial", "BEAMFLOW_WROKERS=2", NULL};
    assert_fails(bf_config_load_standard(cfg, typo), BF_ENOTFOUND,
                 "BEAMFLOW_WROKERS: not a beamflow setting (did you mean BEAMFLOW_WORKERS?)");
    assert_string_equal(bf_config_get(cfg, "scheduler"), "threads"); /* all or nothing */
    char *stranger[] = {"BEAMFLOW_COLOUR=red", NULL};
    assert_fails(bf_config_load_standard(cfg, stranger), BF_ENOTFOUND,
                 "BEAMFLOW_COLOUR: not a beamflow setting");
    assert_null(strstr(bf_last_error(), "did you mean"));
    char *noeq[] = {"BEAMFLOW_WORKERS", NULL};
    assert_fails(bf_config_load_standard(cfg, noeq), BF_EINVAL, "BEAMFLOW_WORKERS: expected");
    char *zero[] = {"BEAMFLOW_WORKERS=0", NULL};
    assert_fails(bf_config_load_standard(cfg, zero), BF_EINVAL,
                 "BEAMFLOW_WORKERS: expected an integer >= 1 or \"auto\", got \"0\"");
    char *size[] = {"BEAMFLOW_CHUNK_SIZE_GPU=2 GB extra", NULL};
    assert_fails(bf_config_load_standard(cfg, size), BF_EINVAL,
                 "BEAMFLOW_CHUNK_SIZE_GPU: bad size '2 GB extra': unexpected 'extra'");
    char *alias[] = {"BEAMFLOW_LOG=shout", NULL};
    assert_fails(bf_config_load_standard(cfg, alias), BF_EINVAL,
                 "BEAMFLOW_LOG: log-level: expected one of error, warn, info, debug, "
                 "got \"shout\"");
    char *empty_cfg[] = {"BEAMFLOW_CONFIG=", NULL};
    assert_fails(bf_config_load_standard(cfg, empty_cfg), BF_EINVAL,
                 "BEAMFLOW_CONFIG is set but empty");
    char missing[600];
    snprintf(missing, sizeof missing, "BEAMFLOW_CONFIG=%s/missing.json", bf_test_tmpdir());
    char *missing_cfg[] = {missing, NULL};
    assert_fails(bf_config_load_standard(cfg, missing_cfg), BF_ENOTFOUND,
                 "missing.json: No such file");
    char bad[600];
    const char *bad_path = write_file("env_bad.json", "{\"device\": \"tpu\"}");
    snprintf(bad, sizeof bad, "BEAMFLOW_CONFIG=%s", bad_path);
    char *bad_cfg[] = {bad, NULL};
    assert_fails(bf_config_load_standard(cfg, bad_cfg), BF_EINVAL,
                 "env_bad.json:1: device: expected one of cpu, gpu, got \"tpu\"");
    assert_fails(bf_config_load_standard(NULL, bad_cfg), BF_EINVAL, "needs a config");
    for (size_t i = 0; bf_config_key(i); i++)
        assert_string_equal(bf_config_source(cfg, bf_config_key(i)), "default");
    bf_config_destroy(cfg);
}

/* default < file < env < API, and loading order does not change it. */
static void precedence(void **state)
{
    (void)state;
    char dir[600], home[600], named[600];
    snprintf(dir, sizeof dir, "%s/home/.config/beamflow", bf_test_tmpdir());
    char mk[700];
    snprintf(mk, sizeof mk, "%s/home", bf_test_tmpdir());
    mkdir(mk, 0700);
    snprintf(mk, sizeof mk, "%s/home/.config", bf_test_tmpdir());
    mkdir(mk, 0700);
    assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
    const char *home_file = write_file("home/.config/beamflow/config.json",
                                       "{\"workers\": 2, \"scheduler\": \"serial\",\n"
                                       " \"device\": \"gpu\", \"progress\": \"plain\"}");
    snprintf(home, sizeof home, "HOME=%s/home", bf_test_tmpdir());
    char *env[] = {home, "BEAMFLOW_WORKERS=3", "BEAMFLOW_SCHEDULER=processes", NULL};

    bf_config *cfg = fresh();
    assert_ok(bf_config_load_standard(cfg, env));
    char src[700];
    snprintf(src, sizeof src, "%s:2", home_file);
    assert_string_equal(bf_config_get(cfg, "device"), "gpu"); /* file over default */
    assert_string_equal(bf_config_source(cfg, "device"), src);
    assert_string_equal(bf_config_get(cfg, "workers"), "3"); /* env over file */
    assert_string_equal(bf_config_source(cfg, "workers"), "BEAMFLOW_WORKERS");
    assert_ok(bf_config_set(cfg, "workers", "4", "--workers")); /* API over env */
    assert_int_equal(bf_config_int(cfg, "workers"), 4);
    assert_string_equal(bf_config_source(cfg, "workers"), "--workers");
    assert_string_equal(bf_config_get(cfg, "max-retries"), "3");
    bf_config_destroy(cfg);

    /* flags first (as a CLI parses them), layers after: the flag still wins, and a file loaded
     * after the environment does not override it */
    cfg = fresh();
    assert_ok(bf_config_set(cfg, "workers", "4", "--workers"));
    assert_ok(bf_config_load_standard(cfg, env));
    assert_string_equal(bf_config_source(cfg, "workers"), "--workers");
    assert_string_equal(bf_config_get(cfg, "scheduler"), "processes");
    const char *later =
        write_file("later.json", "{\"scheduler\": \"mpi\", \"progress\": \"json\"}");
    assert_ok(bf_config_load_file(cfg, later));
    assert_string_equal(bf_config_get(cfg, "scheduler"), "processes"); /* env above file */
    assert_string_equal(bf_config_get(cfg, "progress"), "json");       /* later file over earlier */
    assert_string_equal(bf_config_get(cfg, "workers"), "4");
    bf_config_destroy(cfg);

    /* BEAMFLOW_CONFIG replaces the default file rather than adding to it */
    snprintf(named, sizeof named, "BEAMFLOW_CONFIG=%s", later);
    char *env2[] = {home, named, NULL};
    cfg = fresh();
    assert_ok(bf_config_load_standard(cfg, env2));
    assert_string_equal(bf_config_get(cfg, "scheduler"), "mpi");
    assert_string_equal(bf_config_get(cfg, "device"), "cpu");
    assert_string_equal(bf_config_source(cfg, "device"), "default");
    bf_config_destroy(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),          cmocka_unit_test(set_canonicalises),
        cmocka_unit_test(set_rejects),       cmocka_unit_test(file_layer),
        cmocka_unit_test(file_errors),       cmocka_unit_test(environment_layer),
        cmocka_unit_test(environment_errors), cmocka_unit_test(precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
