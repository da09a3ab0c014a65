/* The engine's promises, each provoked: the same bytes on every scheduler, worker count and unit
 * size; a worker killed mid-unit is replaced and its unit re-run; a failing unit is named and the
 * rest kept; a job killed with SIGKILL resumes to the same output; cancellation keeps results. */
#include "bf_test.h"

#include "beamflow/beamflow.h"

#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ITEMS 48
#define SAMPLES 2000

static bf_demo_options demo_options(uint64_t max_batch)
{
    bf_demo_options o = BF_DEMO_OPTIONS_INIT;
    o.items = ITEMS;
    o.samples_per_item = SAMPLES;
    o.seed = bf_test_seed() % 100000 + 1;
    o.max_batch = max_batch;
    return o;
}

/* Run the demo and return the bytes of its output file (caller frees). */
static char *run_demo(const bf_demo_options *o, bf_run_options *ro, bf_run_report *report,
                      bf_status *status)
{
    bf_plan *plan = NULL;
    bf_demo_sink *sink = NULL;
    assert_ok(bf_demo_plan(o, &plan));
    assert_ok(bf_demo_sink_create(o, &sink));
    *status = bf_run(bf_demo_pipeline(), o, plan, sink, ro, report);
    char *text = NULL;
    if (*status == BF_OK) {
        char path[512];
        snprintf(path, sizeof path, "%s/demo-%d.txt", bf_test_tmpdir(), (int)getpid());
        assert_ok(bf_demo_sink_write(sink, path));
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        text = calloc(1, 1 << 16);
        size_t n = fread(text, 1, (1 << 16) - 1, f);
        assert_true(n > 0);
        fclose(f);
    }
    bf_demo_sink_destroy(sink);
    bf_plan_destroy(plan);
    return text;
}

static void same_bytes_on_every_scheduler(void **state)
{
    (void)state;
    bf_demo_options ref_opt = demo_options(1);
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = BF_SCHED_SERIAL;
    bf_status st;
    char *reference = run_demo(&ref_opt, &ro, NULL, &st);
    assert_ok(st);
    static const struct {
        bf_scheduler s;
        int workers;
    } runs[] = {{BF_SCHED_SERIAL, 1},    {BF_SCHED_THREADS, 1},   {BF_SCHED_THREADS, 2},
                {BF_SCHED_THREADS, 4},   {BF_SCHED_PROCESSES, 1}, {BF_SCHED_PROCESSES, 3}};
    const uint64_t batches[] = {5, 16};
    for (size_t b = 0; b < 2; b++)
        for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
            bf_demo_options o = demo_options(batches[b]);
            bf_run_options r = BF_RUN_OPTIONS_INIT;
            r.scheduler = runs[i].s;
            r.workers = runs[i].workers;
            bf_run_report rep;
            char *out = run_demo(&o, &r, &rep, &st);
            assert_ok(st);
            if (strcmp(out, reference) != 0)
                fail_msg("%s x %d, batch %llu: output differs from serial",
                         bf_scheduler_name(runs[i].s), runs[i].workers,
                         (unsigned long long)batches[b]);
            assert_int_equal(rep.units_run, (ITEMS + batches[b] - 1) / batches[b]);
            free(out);
        }
    free(reference);
}

/* ---- a pipeline whose units compute in place in the sink and borrow that storage ---------- */

#define BORROW_ITEMS 24
#define BORROW_PER_ITEM 1000

typedef struct borrow_sink {
    uint32_t out[BORROW_ITEMS * BORROW_PER_ITEM]; /* where units write (in this process) */
    size_t in_place;                             /* accepts that found the data already there */
    int fail_unit;                               /* this unit fails (-1: none) */
} borrow_sink;

static bf_status borrow_start(const void *job, const bf_worker_info *info, void **state)
{
    (void)info;
    *state = (void *)job; /* the sink: units write their items into it */
    return BF_OK;
}

static bf_status borrow_run(void *state, const bf_unit *unit, bf_result *out)
{
    borrow_sink *s = state;
    uint32_t *mine = s->out + unit->first * BORROW_PER_ITEM;
    if ((int)unit->id == s->fail_unit)
        return bf_result_borrow(out, NULL, 8); /* provokes the NULL check */
    for (uint64_t k = 0; k < unit->count * BORROW_PER_ITEM; k++)
        mine[k] = (uint32_t)((unit->first * BORROW_PER_ITEM + k) * 2654435761u);
    return bf_result_borrow(out, mine, unit->count * BORROW_PER_ITEM * sizeof *mine);
}

static bf_status borrow_accept(void *sink, const bf_unit *unit, const void *data, size_t bytes)
{
    borrow_sink *s = sink;
    uint32_t *dst = s->out + unit->first * BORROW_PER_ITEM;
    if (bytes != unit->count * BORROW_PER_ITEM * sizeof *dst)
        return bf_error_set(BF_EFORMAT, "unit %llu brought %zu bytes",
                            (unsigned long long)unit->id, bytes);
    if (data == dst)
        s->in_place++;
    else
        memcpy(dst, data, bytes);
    return BF_OK;
}

static const bf_pipeline borrow_pipeline = {"borrow", borrow_start, borrow_run, NULL,
                                            borrow_accept, BF_PIPELINE_REDUCES};

/* Results borrowed from the pipeline reach accept() without a copy in process, as bytes from
 * worker processes, and through the journal on --resume: the same output every time. */
static void borrowed_results_are_the_same_everywhere(void **state)
{
    (void)state;
    static borrow_sink ref, got;
    bf_plan *plan;
    assert_ok(bf_plan_create("borrow", &plan));
    assert_ok(bf_plan_add_range(plan, 0, BORROW_ITEMS, BORROW_PER_ITEM * 4, 0, 5, 0, "items"));
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = BF_SCHED_SERIAL;
    memset(&ref, 0, sizeof ref);
    ref.fail_unit = -1;
    assert_ok(bf_run(&borrow_pipeline, &ref, plan, &ref, &ro, NULL));
    assert_int_equal(ref.in_place, bf_plan_size(plan));
    static const struct {
        bf_scheduler s;
        int workers;
        bool in_place;
    } runs[] = {{BF_SCHED_THREADS, 2, true}, {BF_SCHED_PROCESSES, 2, false}};
    char journal[512];
    snprintf(journal, sizeof journal, "%s/borrow-%d.journal", bf_test_tmpdir(), (int)getpid());
    for (size_t i = 0; i < 2; i++) {
        unlink(journal);
        ro = (bf_run_options)BF_RUN_OPTIONS_INIT;
        ro.scheduler = runs[i].s;
        ro.workers = runs[i].workers;
        ro.journal = journal;
        memset(&got, 0, sizeof got);
        got.fail_unit = 2;
        bf_run_report rep;
        assert_fails(bf_run(&borrow_pipeline, &got, plan, &got, &ro, &rep), BF_EWORKER,
                     "bf_result_borrow: 8 bytes at NULL");
        assert_int_equal(rep.units_failed, 1);
        assert_int_equal(got.in_place, runs[i].in_place ? bf_plan_size(plan) - 1 : 0);
        /* --resume runs unit 2 and replays the others' journaled bytes into an empty sink */
        ro.resume = true;
        memset(&got, 0, sizeof got);
        got.fail_unit = -1;
        assert_ok(bf_run(&borrow_pipeline, &got, plan, &got, &ro, &rep));
        assert_int_equal(rep.units_skipped, bf_plan_size(plan) - 1);
        assert_int_equal(got.in_place, runs[i].in_place ? 1 : 0);
        assert_memory_equal(got.out, ref.out, sizeof ref.out);
    }
    unlink(journal);
    bf_plan_destroy(plan);
}

/* ---- a pipeline that kills its worker process, or fails, on a chosen unit ----------------- */

typedef struct faulty_job {
    bf_demo_options demo;
    uint64_t bad_unit;
    char marker[512]; /* kill only while this file does not exist; "" kills every time */
    bool fail_instead;
} faulty_job;

static bf_status faulty_start(const void *job, const bf_worker_info *info, void **state)
{
    (void)info;
    *state = (void *)job;
    return BF_OK;
}

static bf_status faulty_run(void *state, const bf_unit *unit, bf_result *out)
{
    const faulty_job *job = state;
    if (unit->id == job->bad_unit) {
        if (job->fail_instead)
            return bf_error_set(BF_EFORMAT, "frame %llu is corrupt", (unsigned long long)unit->first);
        if (!job->marker[0] || access(job->marker, F_OK) != 0) {
            if (job->marker[0])
                fclose(fopen(job->marker, "w"));
            raise(SIGKILL);
        }
    }
    void *demo_state;
    bf_demo_pipeline()->worker_start(&job->demo, NULL, &demo_state);
    return bf_demo_pipeline()->run_unit(demo_state, unit, out);
}

static bf_status faulty_accept(void *sink, const bf_unit *unit, const void *data, size_t bytes)
{
    return bf_demo_pipeline()->accept(sink, unit, data, bytes);
}

static const bf_pipeline faulty_pipeline = {"faulty", faulty_start, faulty_run, NULL,
                                            faulty_accept, BF_PIPELINE_REDUCES};

static bf_status run_faulty(const faulty_job *job, bf_run_options *ro, bf_run_report *rep,
                            bf_demo_sink **sink_out)
{
    bf_plan *plan = NULL;
    bf_demo_sink *sink = NULL;
    assert_ok(bf_demo_plan(&job->demo, &plan));
    assert_ok(bf_demo_sink_create(&job->demo, &sink));
    bf_status st = bf_run(&faulty_pipeline, job, plan, sink, ro, rep);
    bf_plan_destroy(plan);
    *sink_out = sink;
    return st;
}

static void killed_worker_is_replaced(void **state)
{
    (void)state;
    faulty_job job = {.demo = demo_options(4), .bad_unit = 3};
    snprintf(job.marker, sizeof job.marker, "%s/killed-once", bf_test_tmpdir());
    unlink(job.marker);
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = BF_SCHED_PROCESSES;
    ro.workers = 2;
    bf_run_report rep;
    bf_demo_sink *sink;
    assert_ok(run_faulty(&job, &ro, &rep, &sink));
    assert_int_equal(rep.retries, 1);
    assert_int_equal(rep.units_failed, 0);

    bf_demo_sink *ref;
    bf_plan *plan;
    bf_run_options serial = BF_RUN_OPTIONS_INIT;
    serial.scheduler = BF_SCHED_SERIAL;
    assert_ok(bf_demo_plan(&job.demo, &plan));
    assert_ok(bf_demo_sink_create(&job.demo, &ref));
    assert_ok(bf_run(bf_demo_pipeline(), &job.demo, plan, ref, &serial, NULL));
    assert_true(bf_demo_sink_pi(sink) == bf_demo_sink_pi(ref));
    bf_demo_sink_destroy(ref);
    bf_demo_sink_destroy(sink);
    bf_plan_destroy(plan);
}

static void worker_that_always_dies_fails_the_unit(void **state)
{
    (void)state;
    faulty_job job = {.demo = demo_options(4), .bad_unit = 5}; /* no marker: dies every time */
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = BF_SCHED_PROCESSES;
    ro.workers = 2;
    ro.max_retries = 2;
    bf_run_report rep;
    bf_demo_sink *sink;
    assert_fails(run_faulty(&job, &ro, &rep, &sink), BF_EWORKER, "unit 5 (items 20-23)");
    assert_non_null(strstr(bf_last_error(), "signal 9"));
    assert_non_null(strstr(bf_last_error(), "3 times"));
    assert_int_equal(rep.units_failed, 1);
    assert_int_equal(rep.retries, 2);
    assert_int_equal(rep.units_run, 12); /* the other 11 units and the one given up on */
    bf_demo_sink_destroy(sink);
}

static void failing_unit_is_named_and_resume_retries_it(void **state)
{
    (void)state;
    char journal[512];
    snprintf(journal, sizeof journal, "%s/fail.journal", bf_test_tmpdir());
    faulty_job job = {.demo = demo_options(4), .bad_unit = 2, .fail_instead = true};
    for (int s = 0; s < 3; s++) {
        bf_run_options ro = BF_RUN_OPTIONS_INIT;
        ro.scheduler = (bf_scheduler)s;
        ro.workers = 2;
        ro.journal = journal;
        bf_run_report rep;
        bf_demo_sink *sink;
        assert_fails(run_faulty(&job, &ro, &rep, &sink), BF_EWORKER,
                     "unit 2 (items 8-11): frame 8 is corrupt");
        assert_int_equal(rep.units_failed, 1);
        assert_int_equal(rep.units_run, 12);
        bf_demo_sink_destroy(sink);
    }
    faulty_job fixed = job;
    fixed.bad_unit = UINT64_MAX;
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.journal = journal;
    ro.resume = true;
    bf_run_report rep;
    bf_demo_sink *sink;
    assert_ok(run_faulty(&fixed, &ro, &rep, &sink));
    assert_int_equal(rep.units_run, 1);
    assert_int_equal(rep.units_skipped, 11);
    bf_demo_sink_destroy(sink);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void sigkill_then_resume_gives_the_same_output(void **state)
{
    (void)state;
    for (int s = 1; s >= 0; s--) { /* serial, then threads */
        char journal[512];
        snprintf(journal, sizeof journal, "%s/kill-%d.journal", bf_test_tmpdir(), s);
        unlink(journal);
        bf_demo_options o = demo_options(2);
        o.unit_delay_s = 0.05;
        bf_run_options ro = BF_RUN_OPTIONS_INIT;
        ro.scheduler = s == 1 ? BF_SCHED_SERIAL : BF_SCHED_THREADS;
        ro.workers = 2;
        ro.journal = journal;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            bf_status st;
            run_demo(&o, &ro, NULL, &st);
            _exit(0);
        }
        while (count_lines(journal) < 6) /* header + 5 units */
            usleep(2000);
        kill(pid, SIGKILL);
        int wst;
        waitpid(pid, &wst, 0);
        assert_true(WIFSIGNALED(wst));
        int lines = count_lines(journal);
        assert_true(lines < 1 + ITEMS / 2);

        ro.resume = true;
        bf_run_report rep;
        bf_status st;
        o.unit_delay_s = 0;
        char *resumed = run_demo(&o, &ro, &rep, &st);
        assert_ok(st);
        assert_true(rep.units_skipped >= 5);
        assert_int_equal(rep.units_run + rep.units_skipped, ITEMS / 2);

        bf_run_options plain = BF_RUN_OPTIONS_INIT;
        char *whole = run_demo(&o, &plain, NULL, &st);
        assert_ok(st);
        assert_string_equal(resumed, whole);
        free(resumed);
        free(whole);
    }
}

static int cancel_after_two(const bf_progress *p, void *user)
{
    int *calls = user;
    (void)p;
    return ++*calls >= 2;
}

static void cancel_keeps_finished_units(void **state)
{
    (void)state;
    char journal[512];
    snprintf(journal, sizeof journal, "%s/cancel.journal", bf_test_tmpdir());
    bf_demo_options o = demo_options(1);
    o.unit_delay_s = 0.03;
    int calls = 0;
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.scheduler = BF_SCHED_PROCESSES;
    ro.workers = 2;
    ro.journal = journal;
    ro.progress = cancel_after_two;
    ro.progress_user = &calls;
    ro.progress_interval_s = 0.05;
    bf_run_report rep;
    bf_status st;
    assert_null(run_demo(&o, &ro, &rep, &st));
    assert_int_equal(st, BF_ECANCELED);
    assert_non_null(strstr(bf_last_error(), "--resume"));
    assert_true(rep.units_run > 0 && rep.units_run < ITEMS);
    uint64_t first = rep.units_run;

    ro.resume = true;
    ro.progress = NULL;
    o.unit_delay_s = 0;
    char *text = run_demo(&o, &ro, &rep, &st);
    assert_ok(st);
    assert_int_equal(rep.units_skipped, first);
    free(text);
}

static bf_status refuse_start(const void *job, const bf_worker_info *info, void **state)
{
    (void)job, (void)state;
    return bf_error_set(BF_ENOTFOUND, "worker %d: calibration file missing", info->worker);
}

static void worker_start_failure_is_reported(void **state)
{
    (void)state;
    bf_pipeline p = *bf_demo_pipeline();
    p.worker_start = refuse_start;
    bf_demo_options o = demo_options(8);
    for (int s = 0; s < 3; s++) {
        bf_plan *plan;
        bf_demo_sink *sink;
        assert_ok(bf_demo_plan(&o, &plan));
        assert_ok(bf_demo_sink_create(&o, &sink));
        bf_run_options ro = BF_RUN_OPTIONS_INIT;
        ro.scheduler = (bf_scheduler)s;
        ro.workers = 2;
        assert_fails(bf_run(&p, &o, plan, sink, &ro, NULL), BF_ENOTFOUND, "calibration file missing");
        bf_demo_sink_destroy(sink);
        bf_plan_destroy(plan);
    }
}

static void journal_of_another_job_is_refused(void **state)
{
    (void)state;
    char journal[512];
    snprintf(journal, sizeof journal, "%s/other.journal", bf_test_tmpdir());
    bf_demo_options o = demo_options(4);
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.journal = journal;
    bf_status st;
    free(run_demo(&o, &ro, NULL, &st));
    assert_ok(st);
    bf_demo_options other = demo_options(6);
    ro.resume = true;
    assert_null(run_demo(&other, &ro, NULL, &st));
    assert_int_equal(st, BF_EINVAL);
    assert_non_null(strstr(bf_last_error(), "belongs to another job"));
    assert_non_null(strstr(bf_last_error(), "other.journal:1"));
}

static void profile_has_one_slice_per_unit(void **state)
{
    (void)state;
    char prefix[512], trace[600];
    snprintf(prefix, sizeof prefix, "%s/prof", bf_test_tmpdir());
    snprintf(trace, sizeof trace, "%s.trace.json", prefix);
    for (int s = 0; s < 3; s++) {
        bf_demo_options o = demo_options(3);
        bf_run_options ro = BF_RUN_OPTIONS_INIT;
        ro.scheduler = (bf_scheduler)s;
        ro.workers = 2;
        ro.profile = prefix;
        bf_status st;
        free(run_demo(&o, &ro, NULL, &st));
        assert_ok(st);
        json_error_t err;
        json_t *root = json_load_file(trace, 0, &err);
        if (!root)
            fail_msg("%s:%d: %s", trace, err.line, err.text);
        json_t *events = json_object_get(root, "traceEvents");
        size_t i, units = 0;
        json_t *ev;
        json_array_foreach(events, i, ev)
        {
            const char *ph = json_string_value(json_object_get(ev, "ph"));
            const char *cat = json_string_value(json_object_get(ev, "cat"));
            if (ph && cat && strcmp(ph, "X") == 0 && strcmp(cat, "unit") == 0)
                units++;
        }
        assert_int_equal(units, ITEMS / 3);
        json_decref(root);
    }
}

static void plans_split_by_budget_and_print(void **state)
{
    (void)state;
    bf_plan *plan;
    assert_ok(bf_plan_create("frames", &plan));
    uint64_t shape[3] = {1000, 1679, 1475};
    const char *axes[3] = {"frame", "y", "x"};
    assert_ok(bf_plan_set_shape(plan, 3, shape, axes, "int32", 4));
    uint64_t per_frame = 1679ull * 1475 * 4;
    assert_ok(bf_plan_add_range(plan, 0, 1000, per_frame, 128ull << 20, 0, 0, "frames"));
    assert_int_equal(bf_plan_size(plan), 1000 / 13 + 1); /* 13 frames of 9.9 MB in 128 MiB */
    assert_int_equal(bf_plan_unit(plan, 1)->first, 13);
    assert_string_equal(bf_plan_unit(plan, 0)->label, "frames 0-12");
    assert_null(bf_plan_unit(plan, 1000));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_ok(bf_plan_write_summary(plan, f));
    assert_ok(bf_plan_write_dot(plan, f));
    fclose(f);
    assert_non_null(strstr(text, "shape        (1000, 1679, 1475)"));
    assert_non_null(strstr(text, "chunk shape  (13, 1679, 1475)"));
    assert_non_null(strstr(text, "units        77"));
    assert_non_null(strstr(text, "digraph"));
    free(text);
    uint64_t fp = bf_plan_fingerprint(plan);
    assert_ok(bf_plan_add(plan, 1000, 1, per_frame, 0, "extra"));
    assert_true(fp != bf_plan_fingerprint(plan));
    assert_fails(bf_plan_set_shape(plan, 0, shape, axes, "int32", 4), BF_EINVAL, "1 to 8 axes");
    bf_plan_destroy(plan);

    bf_scheduler s;
    assert_ok(bf_scheduler_parse("processes", &s));
    assert_int_equal(s, BF_SCHED_PROCESSES);
    assert_fails(bf_scheduler_parse("cloud", &s), BF_EINVAL, "unknown scheduler 'cloud'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plans_split_by_budget_and_print),
        cmocka_unit_test(same_bytes_on_every_scheduler),
        cmocka_unit_test(borrowed_results_are_the_same_everywhere),
        cmocka_unit_test(killed_worker_is_replaced),
        cmocka_unit_test(worker_that_always_dies_fails_the_unit),
        cmocka_unit_test(failing_unit_is_named_and_resume_retries_it),
        cmocka_unit_test(sigkill_then_resume_gives_the_same_output),
        cmocka_unit_test(cancel_keeps_finished_units),
        cmocka_unit_test(worker_start_failure_is_reported),
        cmocka_unit_test(journal_of_another_job_is_refused),
        cmocka_unit_test(profile_has_one_slice_per_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
