/* Library-internal: the owning side of one run, shared by every scheduler.
 *
 * A scheduler only moves units and results; everything that decides the output lives here: which
 * unit comes next (retries first, units finished in the journal skipped, at most `window` units
 * ahead of the first one not yet accepted, so held results stay bounded), accepting results in
 * plan order, the journal, progress, the profiler and the failure list. All of it runs on the
 * owning thread, except bf__run_next and the result pool, which the threads scheduler calls under
 * its own lock (they touch only hand-out state and the pool's mutex). */
#ifndef BF_ENGINE_RUN_H
#define BF_ENGINE_RUN_H

#include <pthread.h>
#include <stdatomic.h>

#include "beamflow/engine.h"
#include "engine/journal.h"
#include "engine/profiler.h"

#define BF_RESULT_MESSAGE_MAX 512

struct bf_result {
    void *data;  /* the result: buf, or the pipeline's storage (bf_result_borrow) */
    size_t size;
    void *buf;   /* engine-owned storage of cap bytes, kept from unit to unit */
    size_t cap;
    bool profiling;
    int nphases;
    bf__phase phases[BF_PHASES_MAX];
    /* filled by the scheduler */
    size_t unit;
    int worker;
    bf_status status;
    double t_begin, t_end;
    char message[BF_RESULT_MESSAGE_MAX];
    struct bf_result *next; /* free list */
};

typedef struct bf__run {
    const bf_pipeline *pipe;
    const void *job;
    const bf_plan *plan;
    void *sink;
    bf_run_options opt; /* defaults resolved */
    size_t n;
    size_t window;
    bool worker_rank; /* an MPI rank other than 0: runs units, owns nothing */

    /* hand-out state */
    size_t next_hand;
    size_t *retry;      /* units to run again, a stack */
    size_t nretry;
    atomic_size_t accepted_upto; /* next_accept, published for the window check */
    atomic_bool stop;

    /* owner state */
    unsigned char *state;  /* per unit: see run.c */
    bf_result **held;      /* finished, waiting for their turn */
    unsigned *attempts;
    size_t next_accept;
    bf__journal *journal;
    bf__profiler *prof;
    bf_status fatal;
    char fatal_message[BF_RESULT_MESSAGE_MAX];
    char *failures;        /* "unit 3 (frames 600-799): message\n..." */
    size_t failures_len;
    bf_run_report report;
    double t_start, t_last_progress;
    uint64_t items_done, items_total;

    pthread_mutex_t pool_lock;
    bf_result *pool;
    char **names;          /* phase names interned from worker processes */
    size_t nnames;
} bf__run;

/* The next unit to run, or false when there is none now (all handed out, window full, or the
 * run is stopping). */
bool bf__run_next(bf__run *run, size_t *unit);

/* True when nothing is left to hand out or run: every unit is accepted, failed or the run stops
 * and nothing is in flight (the scheduler tracks in-flight units itself). */
bool bf__run_finished(const bf__run *run);

bf_result *bf__run_result_get(bf__run *run);
void bf__run_result_put(bf__run *run, bf_result *res);

/* A unit's outcome, on the owning side: res->unit, status, message, times and data are set.
 * Takes res back into the pool once used. */
void bf__run_complete(bf__run *run, bf_result *res);

/* A worker process died running unit: run it again, or fail it after max_retries. */
void bf__run_lost(bf__run *run, size_t unit, int worker, double t_begin, const char *why);

/* Stop the run for good with this message (a worker could not start, accept failed). */
void bf__run_fail(bf__run *run, bf_status st, const char *message);

/* Progress and cancellation, called by the owner at least every 100 ms while waiting. */
void bf__run_tick(bf__run *run);

/* A copy of name that lives as long as the run (phase names from worker processes). */
const char *bf__run_intern(bf__run *run, const char *name);

/* Run one unit on this worker's state and fill res (used by every scheduler's worker side). */
void bf__run_unit(const bf__run *run, void *state, int worker, size_t unit, bf_result *res);

bf_status bf__sched_serial(bf__run *run);
bf_status bf__sched_threads(bf__run *run);
bf_status bf__sched_processes(bf__run *run);
bf_status bf__sched_mpi(bf__run *run);

/* This process's MPI rank and the number of ranks (initialising MPI if needed); 0 and 1 when
 * beamflow was built without MPI. */
bf_status bf__mpi_role(int *rank, int *size);

#endif
