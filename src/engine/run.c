/* bf_run and the owning side of every run: hand-out order, results accepted in plan order, the
 * journal, progress, profiling and the failure summary (see run.h). Schedulers only move units.
 *
 * Unit states: TODO (to run), SKIPPED (finished in the journal), HELD (finished, waiting for
 * the units before it), ACCEPTED, FAILED. Units are accepted strictly in plan order, so a
 * reduction adds the same numbers in the same order whatever ran them. */
#include "engine/run.h"

#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { TODO = 0, SKIPPED, HELD, ACCEPTED, FAILED };

bf_status bf_scheduler_parse(const char *text, bf_scheduler *out)
{
    static const char *const names[] = {"threads", "serial", "processes", "mpi"};
    for (int i = 0; i < 4; i++)
        if (text && strcmp(text, names[i]) == 0) {
            *out = (bf_scheduler)i;
            return BF_OK;
        }
    return bf__error_set(BF_EINVAL,
                         "unknown scheduler '%s' (expected serial, threads, processes or mpi)",
                         text ? text : "(null)");
}

const char *bf_scheduler_name(bf_scheduler s)
{
    switch (s) {
    case BF_SCHED_THREADS: return "threads";
    case BF_SCHED_SERIAL: return "serial";
    case BF_SCHED_PROCESSES: return "processes";
    case BF_SCHED_MPI: return "mpi";
    }
    return "?";
}

/* ---- results ----------------------------------------------------------------------------- */

bf_status bf_result_alloc(bf_result *res, size_t bytes, void **data)
{
    if (bytes > res->cap) {
        /* Contents are undefined after alloc, so there is nothing to copy: free, then malloc. */
        free(res->buf);
        res->buf = malloc(bytes);
        res->cap = res->buf ? bytes : 0;
        if (!res->buf) {
            res->data = NULL;
            res->size = 0;
            *data = NULL;
            return bf__error_set(BF_ENOMEM, "out of memory for a %zu-byte unit result", bytes);
        }
    }
    res->data = res->buf;
    res->size = bytes;
    *data = res->data;
    return BF_OK;
}

bf_status bf_result_borrow(bf_result *res, const void *data, size_t bytes)
{
    if (!data && bytes)
        return bf__error_set(BF_EINVAL, "bf_result_borrow: %zu bytes at NULL", bytes);
    /* the engine only reads a result (accept, journal, pipe, MPI_Send): dropping const is safe */
    res->data = (void *)(uintptr_t)data;
    res->size = bytes;
    return BF_OK;
}

void bf_result_phase(bf_result *res, const char *name, double t_begin, double t_end)
{
    if (!res->profiling || res->nphases == BF_PHASES_MAX)
        return;
    res->phases[res->nphases++] = (bf__phase){name, t_begin, t_end};
}

bf_result *bf__run_result_get(bf__run *run)
{
    pthread_mutex_lock(&run->pool_lock);
    bf_result *res = run->pool;
    if (res)
        run->pool = res->next;
    pthread_mutex_unlock(&run->pool_lock);
    if (!res)
        res = calloc(1, sizeof *res);
    if (res) {
        res->profiling = run->prof != NULL;
        res->nphases = 0;
        res->data = NULL;
        res->size = 0;
        res->message[0] = '\0';
    }
    return res;
}

void bf__run_result_put(bf__run *run, bf_result *res)
{
    if (!res)
        return;
    pthread_mutex_lock(&run->pool_lock);
    res->next = run->pool;
    run->pool = res;
    pthread_mutex_unlock(&run->pool_lock);
}

static void free_pool(bf__run *run)
{
    while (run->pool) {
        bf_result *r = run->pool;
        run->pool = r->next;
        free(r->buf);
        free(r);
    }
}

const char *bf__run_intern(bf__run *run, const char *name)
{
    for (size_t i = 0; i < run->nnames; i++)
        if (strcmp(run->names[i], name) == 0)
            return run->names[i];
    char **grown = realloc(run->names, (run->nnames + 1) * sizeof *grown);
    if (!grown)
        return "phase";
    run->names = grown;
    char *copy = strdup(name);
    if (!copy)
        return "phase";
    run->names[run->nnames++] = copy;
    return copy;
}

/* ---- hand-out ---------------------------------------------------------------------------- */

bool bf__run_next(bf__run *run, size_t *unit)
{
    if (atomic_load(&run->stop))
        return false;
    if (run->nretry > 0) {
        *unit = run->retry[--run->nretry];
        return true;
    }
    while (run->next_hand < run->n && run->journal && bf__journal_done(run->journal, run->next_hand))
        run->next_hand++;
    if (run->next_hand >= run->n || run->next_hand >= atomic_load(&run->accepted_upto) + run->window)
        return false;
    *unit = run->next_hand++;
    return true;
}

bool bf__run_finished(const bf__run *run)
{
    return run->next_accept >= run->n || atomic_load(&run->stop);
}

void bf__run_unit(const bf__run *run, void *state, int worker, size_t unit, bf_result *res)
{
    const bf_unit *u = bf_plan_unit(run->plan, unit);
    res->unit = unit;
    res->worker = worker;
    res->data = NULL;
    res->size = 0;
    res->nphases = 0;
    res->message[0] = '\0';
    bf_error_clear();
    res->t_begin = bf_time_now();
    res->status = run->pipe->run_unit(state, u, res);
    res->t_end = bf_time_now();
    if (res->status != BF_OK) {
        const char *msg = bf_last_error();
        snprintf(res->message, sizeof res->message, "%s",
                 msg[0] ? msg : bf_status_name(res->status));
    }
}

/* ---- the owning side --------------------------------------------------------------------- */

void bf__run_fail(bf__run *run, bf_status st, const char *message)
{
    if (run->fatal == BF_OK) {
        run->fatal = st;
        snprintf(run->fatal_message, sizeof run->fatal_message, "%s", message);
    }
    atomic_store(&run->stop, true);
}

static void add_failure(bf__run *run, size_t unit, const char *message)
{
    char line[BF_RESULT_MESSAGE_MAX + 160];
    int n = snprintf(line, sizeof line, "unit %zu (%s): %s\n", unit,
                     bf_plan_unit(run->plan, unit)->label, message);
    char *grown = realloc(run->failures, run->failures_len + (size_t)n + 1);
    if (!grown)
        return;
    memcpy(grown + run->failures_len, line, (size_t)n + 1);
    run->failures = grown;
    run->failures_len += (size_t)n;
    run->state[unit] = FAILED;
    run->report.units_failed++;
    bf__log(BF_LOG_WARN, "%s", line);
}

static bf_status accept_one(bf__run *run, size_t u, const void *data, size_t size)
{
    const bf_unit *unit = bf_plan_unit(run->plan, u);
    bf_status st = run->pipe->accept(run->sink, unit, data, size);
    if (st != BF_OK)
        return st;
    if (run->journal && !(run->pipe->flags & BF_PIPELINE_REDUCES))
        st = bf__journal_record(run->journal, u, data, size);
    run->items_done += unit->count;
    return st;
}

static void drain(bf__run *run)
{
    while (run->next_accept < run->n && run->fatal == BF_OK) {
        size_t u = run->next_accept;
        bf_status st = BF_OK;
        if (run->state[u] == HELD) {
            bf_result *res = run->held[u];
            st = accept_one(run, u, res->data, res->size);
            run->held[u] = NULL;
            bf__run_result_put(run, res);
        } else if (run->state[u] == SKIPPED) {
            if (run->pipe->flags & BF_PIPELINE_REDUCES) {
                void *data = NULL;
                size_t size = 0;
                st = bf__journal_load(run->journal, u, &data, &size);
                if (st == BF_OK)
                    st = run->pipe->accept(run->sink, bf_plan_unit(run->plan, u), data, size);
                free(data);
            }
            run->items_done += bf_plan_unit(run->plan, u)->count;
        } else if (run->state[u] != FAILED) {
            break;
        }
        if (st != BF_OK) {
            bf__run_fail(run, st, bf_last_error());
            break;
        }
        if (run->state[u] != FAILED)
            run->state[u] = ACCEPTED;
        run->next_accept++;
    }
    atomic_store(&run->accepted_upto, run->next_accept);
}

void bf__run_complete(bf__run *run, bf_result *res)
{
    size_t u = res->unit;
    if (run->prof)
        bf__profiler_unit(run->prof, res->worker, bf_plan_unit(run->plan, u), res->t_begin,
                          res->t_end, res->phases, res->nphases, res->status == BF_OK);
    run->report.units_run++;
    if (res->status != BF_OK) {
        add_failure(run, u, res->message);
        bf__run_result_put(run, res);
    } else {
        bf_status st = BF_OK;
        if (run->journal && (run->pipe->flags & BF_PIPELINE_REDUCES))
            st = bf__journal_record(run->journal, u, res->data, res->size);
        if (st != BF_OK) {
            bf__run_fail(run, st, bf_last_error());
            bf__run_result_put(run, res);
            return;
        }
        run->state[u] = HELD;
        run->held[u] = res;
    }
    drain(run);
}

void bf__run_lost(bf__run *run, size_t unit, int worker, double t_begin, const char *why)
{
    const bf_unit *u = bf_plan_unit(run->plan, unit);
    if (run->prof)
        bf__profiler_unit(run->prof, worker, u, t_begin, bf_time_now(), NULL, 0, false);
    run->attempts[unit]++;
    if ((int)run->attempts[unit] > run->opt.max_retries) {
        char msg[BF_RESULT_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "worker process %s, %u times; giving up", why,
                 run->attempts[unit]);
        run->report.units_run++;
        add_failure(run, unit, msg);
        drain(run);
        return;
    }
    bf__log(BF_LOG_WARN, "unit %zu (%s): worker process %s; running it again", unit, u->label, why);
    run->report.retries++;
    run->retry[run->nretry++] = unit;
}

static void report_progress(bf__run *run, bool final)
{
    if (!run->opt.progress)
        return;
    bf_progress p = {
        .name = bf_plan_name(run->plan),
        .units_done = run->next_accept,
        .units_total = run->n,
        .units_failed = run->report.units_failed,
        .retries = run->report.retries,
        .items_done = run->items_done,
        .items_total = run->items_total,
        .elapsed_s = bf_time_now() - run->t_start,
        .final = final,
    };
    if (run->opt.progress(&p, run->opt.progress_user) != 0 && !atomic_load(&run->stop)) {
        bf__log(BF_LOG_INFO, "canceled by the progress callback");
        atomic_store(&run->stop, true);
    }
}

void bf__run_tick(bf__run *run)
{
    if (run->opt.cancel && *run->opt.cancel && !atomic_load(&run->stop)) {
        bf__log(BF_LOG_WARN, "stopping: finishing the units in flight, keeping what finished");
        atomic_store(&run->stop, true);
    }
    double now = bf_time_now();
    if (now - run->t_last_progress >= run->opt.progress_interval_s) {
        run->t_last_progress = now;
        report_progress(run, false);
    }
}

/* ---- bf_run ------------------------------------------------------------------------------ */

static bf_status setup(bf__run *run)
{
    bf_run_options *o = &run->opt;
    if (o->workers <= 0)
        o->workers = 1;
    if (o->threads_per_worker <= 0)
        o->threads_per_worker = 1;
    if (o->max_retries == 0)
        o->max_retries = 3;
    else if (o->max_retries < 0)
        o->max_retries = 0;
    if (o->progress_interval_s <= 0)
        o->progress_interval_s = 0.1;
    if (o->scheduler == BF_SCHED_SERIAL)
        o->workers = 1;
    /* Units may run this far ahead of the first one not yet accepted: enough that workers rarely
     * wait for a slow unit, few enough that held results stay a small multiple of one each. */
    run->window = 4 * (size_t)o->workers + 4;
    size_t n = run->n;
    run->state = calloc(n + 1, 1);
    run->held = calloc(n + 1, sizeof *run->held);
    run->attempts = calloc(n + 1, sizeof *run->attempts);
    run->retry = calloc(n + 1, sizeof *run->retry);
    if (!run->state || !run->held || !run->attempts || !run->retry)
        return bf__error_set(BF_ENOMEM, "out of memory preparing a run of %zu units", n);
    for (size_t i = 0; i < n; i++)
        run->items_total += bf_plan_unit(run->plan, i)->count;
    bf_status st;
    if (o->scheduler == BF_SCHED_MPI) {
        int rank, size;
        if ((st = bf__mpi_role(&rank, &size)))
            return st;
        run->worker_rank = rank > 0;
        o->workers = size > 1 ? size - 1 : 1;
        if (run->worker_rank) { /* the owner keeps the journal, the profile and the progress */
            o->progress = NULL;
            return BF_OK;
        }
    }
    if (o->journal) {
        st = bf__journal_open(o->journal, run->plan, run->pipe->name, o->resume,
                              (run->pipe->flags & BF_PIPELINE_REDUCES) != 0, &run->journal);
        if (st)
            return st;
        for (size_t i = 0; i < n; i++)
            if (bf__journal_done(run->journal, i)) {
                run->state[i] = SKIPPED;
                run->report.units_skipped++;
            }
        if (run->report.units_skipped)
            bf__log(BF_LOG_INFO, "resuming: %llu of %zu units already finished",
                    (unsigned long long)run->report.units_skipped, n);
    }
    if (o->profile &&
        (st = bf__profiler_create(o->profile, bf_plan_name(run->plan), o->workers, &run->prof)))
        return st;
    return BF_OK;
}

/* The call's status and message once the scheduler has returned. */
static bf_status conclude(bf__run *run, bf_status sched_status)
{
    if (sched_status != BF_OK && run->fatal == BF_OK)
        bf__run_fail(run, sched_status, bf_last_error());
    if (run->fatal != BF_OK)
        return bf__error_set(run->fatal, "%s", run->fatal_message);
    if (run->report.units_failed > 0) {
        /* name every failed unit the message has room for */
        return bf__error_set(BF_EWORKER, "%llu of %zu units failed (run again with --resume to "
                                         "retry only those):\n%.900s",
                             (unsigned long long)run->report.units_failed, run->n, run->failures);
    }
    if (run->next_accept < run->n)
        return bf__error_set(BF_ECANCELED, "canceled with %zu of %zu units finished; %s", run->next_accept,
                             run->n,
                             run->journal ? "run again with --resume to finish"
                                          : "they were kept by the sink");
    if (run->journal)
        bf__journal_drop_spool(run->journal);
    return BF_OK;
}

bf_status bf_run(const bf_pipeline *pipeline, const void *job, const bf_plan *plan, void *sink,
                 const bf_run_options *opt, bf_run_report *report)
{
    static const bf_run_options defaults = BF_RUN_OPTIONS_INIT;
    if (!pipeline || !pipeline->worker_start || !pipeline->run_unit || !pipeline->accept || !plan)
        return bf__error_set(BF_EINVAL, "bf_run: the pipeline needs worker_start, run_unit and accept");
    bf__run run = {.pipe = pipeline, .job = job, .plan = plan, .sink = sink,
                   .opt = opt ? *opt : defaults, .n = bf_plan_size(plan)};
    pthread_mutex_init(&run.pool_lock, NULL);
    atomic_init(&run.stop, false);
    atomic_init(&run.accepted_upto, 0);
    run.t_start = run.t_last_progress = bf_time_now();
    bf_status st = setup(&run);
    if (st == BF_OK) {
        drain(&run); /* replays units the journal already has, up to the first one to run */
        switch (run.opt.scheduler) {
        case BF_SCHED_SERIAL: st = bf__sched_serial(&run); break;
        case BF_SCHED_THREADS: st = bf__sched_threads(&run); break;
        case BF_SCHED_PROCESSES: st = bf__sched_processes(&run); break;
        case BF_SCHED_MPI: st = bf__sched_mpi(&run); break;
        }
        if (run.worker_rank) { /* rank 0 reports the outcome */
            run.report = (bf_run_report){0};
            st = BF_OK;
            goto done;
        }
        report_progress(&run, true);
        if (run.prof) {
            bf_status pst = bf__profiler_finish(run.prof);
            if (pst != BF_OK && st == BF_OK)
                st = pst;
        }
        st = conclude(&run, st);
    }
done:
    run.report.elapsed_s = bf_time_now() - run.t_start;
    if (report)
        *report = run.report;
    for (size_t i = 0; run.held && i < run.n; i++)
        if (run.held[i])
            bf__run_result_put(&run, run.held[i]);
    free_pool(&run);
    for (size_t i = 0; i < run.nnames; i++)
        free(run.names[i]);
    free(run.names);
    free(run.state);
    free(run.held);
    free(run.attempts);
    free(run.retry);
    free(run.failures);
    bf__journal_close(run.journal);
    bf__profiler_destroy(run.prof);
    pthread_mutex_destroy(&run.pool_lock);
    return st;
}
