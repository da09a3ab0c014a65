/* The plane-wave / single-probe run as an engine pipeline (include/beamflow/engine.h): one unit
 * per configuration; the configuration-0 potential plan, whose per-species tables every other
 * configuration reuses, is built once for all workers; each worker builds its multislice plan
 * (FFTW plans, propagators) once;
 * a unit builds its configuration's atoms (random stream from (seed, config) only), potential and
 * exit wave. The exit wave is computed in its final place in the results (in a worker process:
 * that process's copy) and lent to the engine (bf_result_borrow), so in-process schedulers copy
 * nothing; accept() copies only bytes that arrive from elsewhere (a worker process, MPI, the
 * journal). The result is therefore the same bytes under every scheduler and worker count. */
#include <stdlib.h>
#include <string.h>

#include "ms/hrtem_internal.h"
#include "ms/multislice_internal.h"

typedef struct worker {
    const bf__hrtem_job *hj;
    bf_multislice *ms;
    int gpts[2];
    double sampling[2];
    size_t n;
} worker;

static void stop(void *state)
{
    worker *w = state;
    if (!w)
        return;
    bf_multislice_destroy(w->ms);
    free(w);
}

static bf_status start(const void *job, const bf_worker_info *info, void **state)
{
    const bf__hrtem_job *hj = job;
    *state = NULL;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return bf__error_set(BF_ENOMEM, "out of memory for a worker");
    w->hj = hj;
    bf_potential_grid(hj->tmpl, w->gpts, w->sampling);
    w->n = (size_t)w->gpts[0] * w->gpts[1];
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = hj->job->energy;
    memcpy(mo.gpts, w->gpts, sizeof mo.gpts);
    memcpy(mo.sampling, w->sampling, sizeof mo.sampling);
    memcpy(mo.tilt, hj->job->tilt, sizeof mo.tilt);
    mo.threads = info && info->threads > 0 ? info->threads : hj->threads;
    mo.planning = hj->planning;
    bf_status st = bf__multislice_create_rows(&mo, &w->ms);
    if (st) {
        stop(w);
        return st;
    }
    *state = w;
    return BF_OK;
}

static bf_status run_unit(void *state, const bf_unit *unit, bf_result *out)
{
    worker *w = state;
    if (unit->first + unit->count > w->hj->job->num_configs)
        return bf__error_set(BF_EINTERNAL, "hrtem: unit %llu is past the last configuration",
                             (unsigned long long)unit->id);
    size_t bytes = unit->count * w->n * sizeof(bf_complex64);
    bf_complex64 *waves = w->hj->exit + unit->first * w->n;
    bf_status st = BF_OK;
    for (uint64_t k = 0; !st && k < unit->count; k++) {
        size_t c = (size_t)(unit->first + k);
        bf_atoms *atoms = NULL;
        bf_potential *pot = NULL;
        double t0 = bf_time_now();
        bf_complex64 *wave = waves + k * w->n;
        if (!(st = bf_ms_job_atoms(w->hj->job, c, &atoms)) &&
            !(st = bf_potential_create_from(w->hj->tmpl, atoms, &pot))) {
            if (w->hj->job->wave == BF__WAVE_PLANE)
                st = bf__multislice_run_plane_wave(w->ms, pot, wave);
            else if (!(st = bf__hrtem_incident(w->hj->job, w->gpts, w->sampling, wave)))
                st = bf_multislice_run(w->ms, pot, wave, 1);
        }
        bf_result_phase(out, "multislice", t0, bf_time_now());
        bf_potential_destroy(pot);
        bf_atoms_destroy(atoms);
    }
    return st ? st : bf_result_borrow(out, waves, bytes);
}

static bf_status accept(void *sink, const bf_unit *unit, const void *data, size_t bytes)
{
    bf_ms_result *r = sink;
    if (unit->first + unit->count > r->configs || bytes != unit->count * r->n * 8)
        return bf__error_set(BF_EINTERNAL, "hrtem: unit %llu brought %zu bytes",
                             (unsigned long long)unit->id, bytes);
    bf_complex64 *dst = r->exit + unit->first * r->n;
    if (data != dst) /* from a worker process, an MPI rank or the journal */
        memcpy(dst, data, bytes);
    return BF_OK;
}

static const bf_pipeline pipeline = {
    .name = "hrtem",
    .worker_start = start,
    .run_unit = run_unit,
    .worker_stop = stop,
    .accept = accept,
    .flags = BF_PIPELINE_REDUCES, /* exit waves are kept in memory and written at the end */
};

bf_status bf__hrtem_run(const bf__hrtem_job *hj, bf_ms_result *r, const bf_run_options *ro)
{
    bf_plan *plan = NULL;
    bf_atoms *atoms = NULL;
    bf_potential *tmpl = NULL;
    bf_status st;
    if ((st = bf_ms_job_atoms(hj->job, 0, &atoms)) ||
        (st = bf_potential_create(atoms, &hj->job->pot, &tmpl)) ||
        (st = bf_plan_create("hrtem", &plan)))
        goto done;
    uint64_t shape[3] = {r->configs, (uint64_t)r->gpts[0], (uint64_t)r->gpts[1]};
    const char *axes[3] = {"config", "x", "y"};
    st = bf_plan_set_shape(plan, 3, shape, axes, "complex64", 8);
    for (size_t c = 0; !st && c < r->configs; c++) {
        char label[64];
        snprintf(label, sizeof label, "configuration %zu", c);
        st = bf_plan_add(plan, c, 1, r->n * 8, c, label);
    }
    bf_run_options serial = BF_RUN_OPTIONS_INIT;
    serial.scheduler = BF_SCHED_SERIAL;
    bf__hrtem_job here = *hj;
    here.exit = r->exit;
    here.tmpl = tmpl;
    if (!st)
        st = bf_run(&pipeline, &here, plan, r, ro ? ro : &serial, NULL);
done:
    bf_plan_destroy(plan);
    bf_potential_destroy(tmpl);
    bf_atoms_destroy(atoms);
    return st;
}
