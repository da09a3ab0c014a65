/* The profiler: the trace parses as Chrome trace JSON with exactly one unit slice per recorded
 * unit, phases nested in their unit, CPU and memory counters, a watched child's CPU counted and
 * its disappearance tolerated; the HTML report is self-contained; every error path. */
#include "bf_test.h"

#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/profiler.h"

#define NWORKERS 3
#define NUNITS 12

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A child that burns `cpu_s` seconds of its own CPU time, however loaded the machine, then
 * exits. */
static pid_t spawn_busy_child(double cpu_s)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        volatile uint64_t x = 1;
        struct timespec ts;
        do {
            for (int i = 0; i < 100000; i++)
                x = x * 6364136223846793005ull + 1;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        } while ((double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec < cpu_s);
        _exit(0);
    }
    return pid;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Record NUNITS units round-robin over the workers, each with two phases; unit 5 fails. The
 * label of unit 7 carries characters that JSON and HTML must escape and a byte that is not
 * UTF-8. */
static void record_units(bf__profiler *p)
{
    for (int i = 0; i < NUNITS; i++) {
        bf_unit u = {.id = (uint64_t)i, .first = (uint64_t)i * 10, .count = 10};
        if (i == 7)
            snprintf(u.label, sizeof u.label, "odd \"<label>\" \\ \n \xff & 'x'");
        else
            snprintf(u.label, sizeof u.label, "frames %d-%d", i * 10, i * 10 + 9);
        double t0 = bf_time_now();
        sleep_s(0.004);
        double t1 = bf_time_now();
        sleep_s(0.004);
        double t2 = bf_time_now();
        /* the second phase claims to end after the unit: the profiler clamps it */
        bf__phase ph[2] = {{"decode", t0, t1}, {"integrate", t1, t2 + 1.0}};
        bf__profiler_unit(p, i % NWORKERS, &u, t0, t2, ph, 2, i != 5);
    }
}

static void writes_trace_and_html(void **state)
{
    (void)state;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/run1", bf_test_tmpdir());
    bf__profiler *p = NULL;
    assert_ok(bf__profiler_create(prefix, "test", NWORKERS, &p));
    record_units(p);
    sleep_s(0.15);

    /* A busy child, watched; it exits, stays a zombie a while, is reaped and still watched
     * for a few samples, and only then unwatched: the sampler must shrug at each stage. */
    pid_t child = spawn_busy_child(0.3);
    bf__profiler_watch(p, child);
    siginfo_t info;
    assert_int_equal(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT), 0);
    sleep_s(0.12);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    sleep_s(0.12);
    bf__profiler_unwatch(p, child);
    bf__profiler_unwatch(p, 1); /* never watched: ignored */
    assert_ok(bf__profiler_finish(p));
    bf__profiler_destroy(p);

    char path[600];
    snprintf(path, sizeof path, "%s.trace.json", prefix);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("%s does not parse: %s (line %d)", path, err.text, err.line);
    assert_string_equal(json_string_value(json_object_get(root, "displayTimeUnit")), "ms");
    json_t *events = json_object_get(root, "traceEvents");
    assert_true(json_is_array(events));

    int unit_seen[NUNITS] = {0}, phases = 0, cpu = 0, mem = 0, threads = 0, process = 0;
    double unit_ts[NUNITS] = {0}, unit_end[NUNITS] = {0}, cpu_integral_s = 0.0, last_cpu_ts = 0;
    int unit_tid[NUNITS] = {0};
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *ph = json_string_value(json_object_get(e, "ph"));
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *cat = json_string_value(json_object_get(e, "cat"));
        json_t *args = json_object_get(e, "args");
        assert_non_null(ph);
        assert_non_null(name);
        double ts = json_number_value(json_object_get(e, "ts"));
        if (strcmp(ph, "M") == 0) {
            const char *v = json_string_value(json_object_get(args, "name"));
            if (strcmp(name, "process_name") == 0) {
                assert_string_equal(v, "beamflow test");
                process++;
            } else if (strcmp(name, "thread_name") == 0) {
                char want[32];
                snprintf(want, sizeof want, "worker %d",
                         (int)json_integer_value(json_object_get(e, "tid")));
                assert_string_equal(v, want);
                threads++;
            }
        } else if (strcmp(ph, "X") == 0 && strcmp(cat, "unit") == 0) {
            int id = (int)json_integer_value(json_object_get(args, "unit"));
            assert_in_range(id, 0, NUNITS - 1);
            unit_seen[id]++;
            unit_ts[id] = ts;
            unit_end[id] = ts + json_number_value(json_object_get(e, "dur"));
            unit_tid[id] = (int)json_integer_value(json_object_get(e, "tid"));
            assert_int_equal(unit_tid[id], id % NWORKERS);
            assert_int_equal(json_integer_value(json_object_get(args, "items")), 10);
            assert_int_equal(json_is_true(json_object_get(args, "ok")), id != 5);
            if (id == 7)
                assert_non_null(strstr(name, "\"<label>\" \\ \n ? & 'x'"));
        } else if (strcmp(ph, "X") == 0 && strcmp(cat, "phase") == 0) {
            /* units come before their phases, so the parent is already known */
            int id = (int)json_integer_value(json_object_get(args, "unit"));
            assert_int_equal(unit_seen[id], 1);
            assert_int_equal(json_integer_value(json_object_get(e, "tid")), unit_tid[id]);
            assert_true(ts >= unit_ts[id] - 1e-3);
            assert_true(ts + json_number_value(json_object_get(e, "dur")) <= unit_end[id] + 1e-3);
            phases++;
        } else if (strcmp(ph, "C") == 0 && strcmp(name, "cpu") == 0) {
            double v = json_number_value(json_object_get(args, "cpu_percent"));
            assert_true(v >= 0.0);
            cpu_integral_s += v / 100.0 * (ts - last_cpu_ts) * 1e-6;
            last_cpu_ts = ts;
            cpu++;
        } else if (strcmp(ph, "C") == 0 && strcmp(name, "memory") == 0) {
            assert_true(json_number_value(json_object_get(args, "rss_mib")) > 0.0);
            mem++;
        } else {
            fail_msg("unexpected event %s (%s)", name, ph);
        }
    }
    for (int u = 0; u < NUNITS; u++)
        assert_int_equal(unit_seen[u], 1);
    assert_int_equal(phases, 2 * NUNITS);
    assert_int_equal(process, 1);
    assert_int_equal(threads, NWORKERS);
    assert_true(cpu >= 2);
    assert_int_equal(mem, cpu);
    /* The child burned 0.3 s of CPU while watched; at most a sampling interval at each end goes
     * uncounted. A property of the accounting, not a timing: the child's CPU time is fixed. */
    if (cpu_integral_s < 0.15)
        fail_msg("CPU counted over the run: %.3f s, expected at least the child's 0.15 s",
                 cpu_integral_s);
    json_decref(root);

    size_t len;
    snprintf(path, sizeof path, "%s.html", prefix);
    char *html = slurp(path, &len);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "beamflow test"));
    assert_non_null(strstr(html, "worker 2"));
    assert_non_null(strstr(html, "&quot;&lt;label&gt;&quot;"));
    assert_null(strstr(html, "<label>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "url("));
    /* the only URL is the SVG namespace, which names and never loads */
    for (const char *h = strstr(html, "http"); h; h = strstr(h + 1, "http")) {
        static const char ns[] = "xmlns=\"http://www.w3.org/2000/svg\"";
        assert_true(h - html >= 7);
        assert_memory_equal(h - 7, ns, sizeof ns - 1);
    }
    int tooltips = 0;
    for (const char *t = strstr(html, "<title>"); t; t = strstr(t + 1, "<title>"))
        tooltips++;
    /* page title + one per unit + one per phase of the ok units */
    assert_int_equal(tooltips, 1 + NUNITS + 2 * (NUNITS - 1));
    assert_non_null(strstr(html, "time (s)"));
    assert_non_null(strstr(html, "CPU (%"));
    assert_non_null(strstr(html, "(MiB)"));
    free(html);

    /* nothing left under a temporary name */
    snprintf(path, sizeof path, "%s.html.tmp-%ld", prefix, (long)getpid());
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
}

static void short_run_without_units(void **state)
{
    (void)state;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/empty", bf_test_tmpdir());
    bf__profiler *p = NULL;
    assert_ok(bf__profiler_create(prefix, NULL, 1, &p));
    assert_ok(bf__profiler_finish(p)); /* immediately: the stop sample may be the only one */
    bf__profiler_destroy(p);
    char path[600];
    snprintf(path, sizeof path, "%s.trace.json", prefix);
    json_t *root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    json_decref(root);

    /* destroyed without finishing: the sampler stops, nothing is written, nothing leaks */
    snprintf(prefix, sizeof prefix, "%s/abandoned", bf_test_tmpdir());
    assert_ok(bf__profiler_create(prefix, "x", 2, &p));
    bf__profiler_watch(p, getpid());
    sleep_s(0.06);
    bf__profiler_destroy(p);
    snprintf(path, sizeof path, "%s.trace.json", prefix);
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);

    /* NULL profiler: every recording call is a no-op, as the engine's off switch relies on */
    bf_unit u = {.id = 0};
    bf__profiler_unit(NULL, 0, &u, 0, 1, NULL, 0, true);
    bf__profiler_watch(NULL, 1);
    bf__profiler_unwatch(NULL, 1);
    bf__profiler_destroy(NULL);
}

static void rejects_bad_arguments(void **state)
{
    (void)state;
    bf__profiler *p = (bf__profiler *)&p;
    assert_fails(bf__profiler_create(NULL, "x", 1, &p), BF_EINVAL, "prefix is missing");
    assert_null(p);
    assert_fails(bf__profiler_create("", "x", 1, &p), BF_EINVAL, "prefix is missing");
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/run", bf_test_tmpdir());
    assert_fails(bf__profiler_create(prefix, "x", 0, &p), BF_EINVAL, "got 0");
    snprintf(prefix, sizeof prefix, "%s/no/such/dir/run", bf_test_tmpdir());
    assert_fails(bf__profiler_create(prefix, "x", 1, &p), BF_EIO, "no/such/dir");
    assert_null(p);
    assert_fails(bf__profiler_finish(NULL), BF_EINVAL, "missing");

    /* the directory vanishes during the run: finish names the file it could not write */
    char dir[400];
    snprintf(dir, sizeof dir, "%s/gone", bf_test_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(prefix, sizeof prefix, "%s/run", dir);
    assert_ok(bf__profiler_create(prefix, "x", 1, &p));
    assert_int_equal(rmdir(dir), 0);
    assert_fails(bf__profiler_finish(p), BF_EIO, "gone/run.trace.json");
    bf__profiler_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_trace_and_html),
        cmocka_unit_test(short_run_without_units),
        cmocka_unit_test(rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
