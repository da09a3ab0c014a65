/* The HRTEM benchmark of issue 5, as a library call for `beamflow bench hrtem`: the seed's case
 * (bulk("Au", cubic=True) * (5, 5, 2), gpts 512, 2 Å slices, 200 keV, 4 frozen-phonon
 * configurations with σ = 0.1 Å, seed 100, mean intensity) with 1 and 2 workers, one 512²
 * complex64 FFT, the FFT share of the 1-worker run, and the finite projection of the static
 * specimen per slice. Warm numbers: a cold run (FFTW planning) first, then the median of `repeats`
 * (as abTEM's figures in ../shared/refs/abtem/timings.md are medians of warm repeats).
 * The FFT share counts the transforms one worker runs for the four configurations (1D rows and
 * column blocks: the run does no 2D FFTs) on an instrumented replay of the same work, times the
 * median time of one of each kind measured on the worker's own plans and buffers, over the
 * 1-worker run time. */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>

#include "ms/job_internal.h"
#include "ms/multislice_internal.h"

static const char *const job_text =
    "{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [5, 5, 2]},"
    " \"potential\": {\"gpts\": 512, \"slice_thickness\": 2},"
    " \"plane_wave\": {\"energy\": 200e3},"
    " \"frozen_phonons\": {\"num_configs\": 4, \"sigmas\": 0.1, \"seed\": 100}}";

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bf_status timed_runs(const bf_ms_job *job, int workers, int repeats, double *median,
                            double *mean)
{
    bf_run_options run = BF_RUN_OPTIONS_INIT;
    run.scheduler = workers > 1 ? BF_SCHED_THREADS : BF_SCHED_SERIAL;
    run.workers = workers;
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    ro.run = &run;
    double *t = malloc((size_t)repeats * sizeof *t);
    if (!t)
        return bf__error_set(BF_ENOMEM, "out of memory");
    for (int r = 0; r <= repeats; r++) {
        double t0 = bf_time_now();
        bf_ms_result *res;
        bf_status st = bf_ms_simulate(job, &ro, &res);
        if (st) {
            free(t);
            return st;
        }
        if (r > 0) /* run 0 is cold: FFTW planning */
            t[r - 1] = bf_time_now() - t0;
        const float *in = bf_ms_result_intensity(res);
        double s = 0.0;
        for (size_t k = 0; k < 512 * 512; k++)
            s += in[k];
        *mean = s / (512.0 * 512.0);
        bf_ms_result_destroy(res);
    }
    qsort(t, (size_t)repeats, sizeof *t, by_value);
    *median = repeats % 2 ? t[repeats / 2] : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
    free(t);
    return BF_OK;
}

/* Median time (ms) of one 512² complex64 FFT, FFTW_MEASURE plan, in place. */
static bf_status fft_time(double *c2c)
{
    int n = 512;
    fftwf_complex *a = fftwf_malloc(sizeof *a * n * n);
    if (!a)
        return bf__error_set(BF_ENOMEM, "out of memory");
    bf__ms_fft_init();
    fftwf_plan p = fftwf_plan_dft_2d(n, n, a, a, FFTW_FORWARD, FFTW_MEASURE);
    memset(a, 0, sizeof *a * n * n);
    *c2c = bf__ms_fft_time(p) * 1e3;
    fftwf_destroy_plan(p);
    fftwf_free(a);
    return BF_OK;
}

static bf_status finite_per_slice(const bf_ms_job *job, int repeats, double *ms_per_slice)
{
    const bf_atoms *atoms = job->frames.frames[0];
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = o.gpts[1] = 512;
    o.slice_thickness = 2.0;
    o.projection = BF_PROJECTION_FINITE;
    bf_potential *p = NULL;
    bf_potential_workspace *ws = NULL;
    float *v = malloc(512 * 512 * sizeof *v);
    bf_status st = v ? bf_potential_create(atoms, &o, &p) : bf__error_set(BF_ENOMEM, "oom");
    if (!st)
        st = bf_potential_workspace_create(p, &ws);
    *ms_per_slice = 1e300;
    for (int r = 0; r < repeats && !st; r++) {
        double t0 = bf_time_now();
        for (size_t i = 0; i < bf_potential_num_slices(p) && !st; i++)
            st = bf_potential_build_slice(p, ws, i, v);
        double t = (bf_time_now() - t0) * 1e3 / (double)bf_potential_num_slices(p);
        if (t < *ms_per_slice)
            *ms_per_slice = t;
    }
    free(v);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(p);
    return st;
}

/* Seconds of FFT work in one 1-worker run of the job: the worker's transforms counted on a replay
 * of every configuration, each kind times its measured time. */
static bf_status fft_seconds(const bf_ms_job *job, double *seconds)
{
    bf_status st;
    bf_atoms *atoms = NULL;
    bf_potential *tmpl = NULL, *pot = NULL;
    bf_multislice *ms = NULL;
    bf_complex64 *wave = NULL;
    if ((st = bf_ms_job_atoms(job, 0, &atoms)) ||
        (st = bf_potential_create(atoms, &job->pot, &tmpl)))
        goto done;
    bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
    mo.energy = job->energy;
    bf_potential_grid(tmpl, mo.gpts, mo.sampling);
    if ((st = bf__multislice_create_rows(&mo, &ms)))
        goto done;
    if (!(wave = malloc((size_t)mo.gpts[0] * mo.gpts[1] * sizeof *wave))) {
        st = bf__error_set(BF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < job->num_configs && !st; c++) {
        bf_atoms_destroy(atoms);
        atoms = NULL;
        bf_potential_destroy(pot);
        pot = NULL;
        if (!(st = bf_ms_job_atoms(job, c, &atoms)) &&
            !(st = bf_potential_create_from(tmpl, atoms, &pot)))
            st = bf__multislice_run_plane_wave(ms, pot, wave);
    }
    if (!st) {
        size_t count[BF__FFT_KINDS];
        double t[BF__FFT_KINDS];
        bf__ms_fft_work(ms, count, t);
        *seconds = 0.0;
        for (int k = 0; k < BF__FFT_KINDS; k++)
            *seconds += (double)count[k] * t[k];
    }
done:
    free(wave);
    bf_multislice_destroy(ms);
    bf_potential_destroy(pot);
    bf_potential_destroy(tmpl);
    bf_atoms_destroy(atoms);
    return st;
}

bf_status bf_ms_bench_hrtem(int repeats, bf_ms_bench_report *out)
{
    memset(out, 0, sizeof *out);
    if (repeats < 1)
        repeats = 7;
    bf_ms_job *job = NULL;
    double mean2, c2c = 0.0;
    bf_status st = bf_ms_job_parse(job_text, "", "bench hrtem", &job);
    if (!st)
        st = fft_time(&c2c);
    if (!st)
        st = timed_runs(job, 1, repeats, &out->threads_1_s, &out->mean_intensity);
    if (!st)
        st = timed_runs(job, 2, repeats, &out->threads_2_s, &mean2);
    if (!st)
        st = finite_per_slice(job, repeats, &out->finite_ms_per_slice);
    double fft_s = 0.0;
    if (!st)
        st = fft_seconds(job, &fft_s);
    if (!st) {
        out->fft_512_ms = c2c;
        out->fft_share = fft_s / out->threads_1_s;
    }
    bf_ms_job_destroy(job);
    return st;
}
