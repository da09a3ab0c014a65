/* Private to hrtem.c and hrtem_pipeline.c: the run's job as the engine sees it. */
#ifndef BF_MS_HRTEM_INTERNAL_H
#define BF_MS_HRTEM_INTERNAL_H

#include <stdio.h>

#include "beamflow/engine.h"
#include "ms/job_internal.h"
#include "ms/ms_result.h"

typedef struct bf__hrtem_job {
    const bf_ms_job *job;
    bf_fft_planning planning;
    int threads; /* FFTW threads per worker when the engine does not say */
    /* configs × n: where units write their exit waves in this process (the sink's storage, set
     * by bf__hrtem_run); a worker process writes its copy, whose bytes travel to accept() */
    bf_complex64 *exit;
    /* configuration 0's potential plan, whose per-species tables every configuration's plan
     * shares; read-only, one for all workers (set by bf__hrtem_run) */
    const bf_potential *tmpl;
} bf__hrtem_job;

/* The incident wave of the job on the grid: ψ = 1 or the probe. */
bf_status bf__hrtem_incident(const bf_ms_job *j, const int g[2], const double s[2],
                             bf_complex64 *w);

/* Run every configuration's exit wave into r->exit through the engine (serial when ro is NULL). */
bf_status bf__hrtem_run(const bf__hrtem_job *hj, bf_ms_result *r, const bf_run_options *ro);

#endif
