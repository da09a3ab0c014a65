/* Library-internal run profiler: a task stream per worker and sampled CPU % and resident memory,
 * written at the end as Chrome trace JSON (PREFIX.trace.json, opens in Perfetto) and as a
 * self-contained HTML page with inline SVG (PREFIX.html), like Dask's Profiler and
 * ResourceProfiler. The owning side (the thread that runs bf_run) records every unit slice, so
 * the recorder needs no lock for slices; the sampler is its own thread. */
#ifndef BF_ENGINE_PROFILER_H
#define BF_ENGINE_PROFILER_H

#include <stdint.h>
#include <sys/types.h>

#include "beamflow/engine.h"

#define BF_PHASES_MAX 8

typedef struct bf__phase {
    const char *name; /* a string literal, or a copy the profiler outlives */
    double t_begin, t_end; /* bf_time_now() seconds */
} bf__phase;

typedef struct bf__profiler bf__profiler;

/* Start recording: remembers the time origin and starts sampling CPU % and RSS of this process
 * and of every watched child at 20 Hz. */
bf_status bf__profiler_create(const char *prefix, const char *run_name, int workers,
                              bf__profiler **out);

/* Count a worker process's CPU and memory too (processes scheduler); forget it when it ends. */
void bf__profiler_watch(bf__profiler *p, pid_t pid);
void bf__profiler_unwatch(bf__profiler *p, pid_t pid);

/* One unit on one worker, t in bf_time_now() seconds, with its phases. ok is false for a unit
 * that failed or whose worker died. Owning side only. */
void bf__profiler_unit(bf__profiler *p, int worker, const bf_unit *unit, double t_begin,
                       double t_end, const bf__phase *phases, int nphases, bool ok);

/* Stop sampling and write PREFIX.trace.json and PREFIX.html (each written whole, then renamed). */
bf_status bf__profiler_finish(bf__profiler *p);
void bf__profiler_destroy(bf__profiler *p);

#endif
