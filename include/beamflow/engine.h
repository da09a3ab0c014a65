/* beamflow engine: a job becomes a plan of independent units; workers build an expensive state
 * once and run many units; a sink accepts each unit's result, in unit order, and writes or
 * reduces it. The same pipeline runs unchanged on every scheduler, with bitwise identical output.
 *
 * Rules a pipeline keeps so that this holds:
 *  - a unit's result depends only on the job and the unit (random numbers are drawn per item or
 *    per unit from the seed, never per worker), so a lost unit can simply run again;
 *  - results travel as flat bytes (no pointers), so threads, processes and MPI ranks carry them
 *    alike;
 *  - accept() runs on the owning side only, one unit at a time, in plan order. */
#ifndef BEAMFLOW_ENGINE_H
#define BEAMFLOW_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- plans ------------------------------------------------------------------------------- */

#define BF_UNIT_LABEL_MAX 96

typedef struct bf_unit {
    uint64_t id;    /* position in the plan, from 0; stable for a given job */
    uint64_t first; /* first item covered (frame, probe position, configuration) */
    uint64_t count; /* number of items covered */
    uint64_t bytes; /* working memory the unit needs, in bytes */
    uint64_t key;   /* pipeline-defined grouping (input file index, configuration index) */
    char label[BF_UNIT_LABEL_MAX]; /* what it covers, for people: "frames 0-199 of a.h5" */
} bf_unit;

typedef struct bf_plan bf_plan;

/** An empty plan named for the job ("integrate", "demo"). [thread-safe] */
bf_status bf_plan_create(const char *name, bf_plan **out /* OUT */);
void bf_plan_destroy(bf_plan *plan);

/** Describe the data the plan covers, for `beamflow plan`: ndim axes (the first is the one
 *  units split), their names, the element type and its size in bytes. [handle-confined] */
bf_status bf_plan_set_shape(bf_plan *plan, size_t ndim, const uint64_t *shape,
                            const char *const *axis_names, const char *dtype, size_t itemsize);

/** Append one unit; its id is its position. [handle-confined] */
bf_status bf_plan_add(bf_plan *plan, uint64_t first, uint64_t count, uint64_t bytes, uint64_t key,
                      const char *label);

/** Append units covering items [first, first + n) of bytes_per_item each: as many items per unit
 *  as fit in budget bytes (at least one), or exactly max_items when max_items > 0 (the user's
 *  --max-batch). Labels read "<what> a-b". [handle-confined] */
bf_status bf_plan_add_range(bf_plan *plan, uint64_t first, uint64_t n, uint64_t bytes_per_item,
                            uint64_t budget, uint64_t max_items, uint64_t key, const char *what);

size_t bf_plan_size(const bf_plan *plan);
const bf_unit *bf_plan_unit(const bf_plan *plan, size_t i);
const char *bf_plan_name(const bf_plan *plan);

/** A hash of the plan's name, shape and units, so a journal is never resumed by another job. */
uint64_t bf_plan_fingerprint(const bf_plan *plan);

/** Print the plan as Dask prints an array: shape, chunk shape, units, bytes in total and per
 *  unit, then the first and last units. [thread-safe] */
bf_status bf_plan_write_summary(const bf_plan *plan, FILE *f);

/** Write the plan as a Graphviz digraph: units -> sink. [thread-safe] */
bf_status bf_plan_write_dot(const bf_plan *plan, FILE *f);

/* ---- results ----------------------------------------------------------------------------- */

typedef struct bf_result bf_result;

/** Engine-owned storage of `bytes` for a unit's result; the buffer is reused from unit to unit,
 *  so steady state allocates nothing. Contents are undefined until written. [handle-confined] */
bf_status bf_result_alloc(bf_result *res, size_t bytes, void **data /* OUT */);

/** The unit's result is the `bytes` at `data`, storage the pipeline owns and leaves unchanged
 *  until accept() has taken this unit, instead of engine storage: a unit that computes straight
 *  into its output's final place (the worker's view of the sink) is not copied. In-process
 *  schedulers (serial, threads) pass this pointer to accept(); processes and MPI send the bytes,
 *  so accept() must copy whenever data is not already where it belongs. Replaces an earlier
 *  bf_result_alloc of this unit. [handle-confined] */
bf_status bf_result_borrow(bf_result *res, const void *data, size_t bytes);

/** Mark a named phase of the unit (decode, integrate, write) for the profiler; name must be a
 *  string literal. Costs one branch when profiling is off. [handle-confined] */
void bf_result_phase(bf_result *res, const char *name, double t_begin, double t_end);

/* ---- pipelines --------------------------------------------------------------------------- */

typedef struct bf_worker_info {
    int worker;   /* 0 .. workers-1 */
    int workers;  /* how many workers the run has */
    int threads;  /* threads this worker may use inside a unit */
    bool process; /* true when the worker is a separate process (processes, mpi) */
} bf_worker_info;

/* The pipeline keeps its results' meaning in accept(); the engine only moves bytes. */
enum {
    /* accept() reduces into memory that is written only at the end: keep each finished unit's
     * result beside the journal, so that --resume can replay it instead of running it again */
    BF_PIPELINE_REDUCES = 1u << 0,
};

typedef struct bf_pipeline {
    const char *name;
    /* once per worker: build the expensive state (integrator, FFT plans) from the job */
    bf_status (*worker_start)(const void *job, const bf_worker_info *info, void **state);
    /* one unit with that state; the result goes into engine-owned storage */
    bf_status (*run_unit)(void *state, const bf_unit *unit, bf_result *out);
    void (*worker_stop)(void *state);
    /* owning side, in plan order: write or reduce one unit's result */
    bf_status (*accept)(void *sink, const bf_unit *unit, const void *data, size_t bytes);
    unsigned flags;
} bf_pipeline;

/* ---- running ----------------------------------------------------------------------------- */

typedef enum bf_scheduler {
    BF_SCHED_THREADS = 0, /* a pool of workers in this process (the default) */
    BF_SCHED_SERIAL,      /* one worker, in the calling thread */
    BF_SCHED_PROCESSES,   /* forked workers; a dead one is replaced and its unit re-run */
    BF_SCHED_MPI          /* launched by mpirun/srun: rank 0 owns the run, the others work */
} bf_scheduler;

bf_status bf_scheduler_parse(const char *text, bf_scheduler *out /* OUT */);
const char *bf_scheduler_name(bf_scheduler s);

typedef struct bf_progress {
    const char *name;     /* the plan's name */
    uint64_t units_done;  /* accepted or skipped */
    uint64_t units_total;
    uint64_t units_failed;
    uint64_t retries;     /* units re-run after a worker died */
    uint64_t items_done;  /* items of the finished units */
    uint64_t items_total;
    double elapsed_s;
    bool final;           /* the last update of the run */
} bf_progress;

/* Called on the owning side at most every interval and once with final set. Returning non-zero
 * cancels the run as Ctrl-C does. */
typedef int (*bf_progress_fn)(const bf_progress *p, void *user);

typedef struct bf_run_options {
    bf_scheduler scheduler;
    int workers;              /* 0: 1 */
    int threads_per_worker;   /* 0: 1 */
    int max_retries;          /* reruns of a unit whose worker process died; <0: none; 0: 3 */
    const char *journal;      /* journal path (NULL: no journal) */
    bool resume;              /* skip units the journal records as finished */
    const char *profile;      /* write PROFILE.trace.json and PROFILE.html (NULL: off) */
    bf_progress_fn progress;  /* NULL: no progress */
    void *progress_user;
    double progress_interval_s; /* 0: 0.1 s */
    volatile sig_atomic_t *cancel; /* when it becomes non-zero, stop handing out units */
} bf_run_options;

#define BF_RUN_OPTIONS_INIT {BF_SCHED_THREADS, 0, 0, 0, NULL, false, NULL, NULL, NULL, 0.0, NULL}

typedef struct bf_run_report {
    uint64_t units_run;     /* run in this call */
    uint64_t units_skipped; /* finished before (journal) */
    uint64_t units_failed;
    uint64_t retries;
    double elapsed_s;
} bf_run_report;

/** Run every unit of the plan not yet finished and hand the results to accept(), in plan order.
 *  A unit whose run_unit fails is reported and the others go on; the call then fails naming
 *  every failed unit, and the journal lets --resume retry only those. Cancellation keeps what
 *  finished and returns BF_ECANCELED. report may be NULL. [thread-safe per distinct sink] */
bf_status bf_run(const bf_pipeline *pipeline, const void *job, const bf_plan *plan, void *sink,
                 const bf_run_options *opt, bf_run_report *report /* OUT */);

/** This process's MPI rank: 0 when MPI is not in use. After bf_run on the mpi scheduler only
 *  rank 0 has results (its sink accepted them); other ranks must not write outputs. */
int bf_mpi_rank(void);

/** Finalize MPI if beamflow initialised it; call once before the program exits. */
void bf_mpi_finalize(void);

/* ---- progress on a terminal, a log or a pipe --------------------------------------------- */

typedef enum bf_progress_style {
    BF_PROGRESS_AUTO = 0, /* bar on a terminal, plain lines otherwise */
    BF_PROGRESS_BAR,      /* [#####     ] | 50% Completed | 9.8 s, rate and ETA, redrawn in place */
    BF_PROGRESS_PLAIN,    /* one line every few seconds: for SLURM logs */
    BF_PROGRESS_JSON,     /* one JSON object per line and update: for programs */
    BF_PROGRESS_NONE
} bf_progress_style;

bf_status bf_progress_style_parse(const char *text, bf_progress_style *out /* OUT */);

typedef struct bf_progress_printer bf_progress_printer;

/** A printer that writes progress to stream (borrowed; usually stderr). [thread-safe] */
bf_status bf_progress_printer_create(bf_progress_style style, FILE *stream,
                                     bf_progress_printer **out /* OUT */);
void bf_progress_printer_destroy(bf_progress_printer *printer);

/** A bf_progress_fn: pass the printer as user. Never cancels. [handle-confined] */
int bf_progress_print(const bf_progress *p, void *printer);

#ifdef __cplusplus
}
#endif
#endif
