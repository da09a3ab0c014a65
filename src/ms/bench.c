/* The HRTEM benchmark of issue 5, as a library call for `beamflow bench hrtem`: the seed's case
 * (bulk("Au", cubic=True) * (5, 5, 2), gpts 512, 2 Å slices, 200 keV, 4 frozen-phonon
 * configurations with σ = 0.1 Å, seed 100, mean intensity) with 1 and 2 workers, one 512²
 * complex64 FFT, the FFT share of the 1-worker run (FFT count times the measured FFT time), and
 * the finite projection of the static specimen per slice. Warm numbers: a cold run (FFTW
 * planning) first, then the best of `repeats`. */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>

#include "ms/job_internal.h"

static const char *const job_text =
    "{\"atoms\": {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [5, 5, 2]},"
    " \"potential\": {\"gpts\": 512, \"slice_thickness\": 2},"
    " \"plane_wave\": {\"energy\": 200e3},"
    " \"frozen_phonons\": {\"num_configs\": 4, \"sigmas\": 0.1, \"seed\": 100}}";

static bf_status timed_runs(const bf_ms_job *job, int workers, int repeats, double *best,
                            double *mean)
{
    bf_run_options run = BF_RUN_OPTIONS_INIT;
    run.scheduler = workers > 1 ? BF_SCHED_THREADS : BF_SCHED_SERIAL;
    run.workers = workers;
    bf_ms_run_options ro = BF_MS_RUN_OPTIONS_INIT;
    ro.run = &run;
    *best = 1e300;
    for (int r = 0; r <= repeats; r++) {
        double t0 = bf_time_now();
        bf_ms_result *res;
        bf_status st = bf_ms_simulate(job, &ro, &res);
        if (st)
            return st;
        double t = bf_time_now() - t0;
        if (r > 0 && t < *best)
            *best = t;
        const float *in = bf_ms_result_intensity(res);
        double s = 0.0;
        for (size_t k = 0; k < 512 * 512; k++)
            s += in[k];
        *mean = s / (512.0 * 512.0);
        bf_ms_result_destroy(res);
    }
    return BF_OK;
}

/* Median time (ms) of one transform of each kind on 512², FFTW_MEASURE plans. */
static bf_status fft_times(double *c2c, double *r2c, double *c2r)
{
    int n = 512;
    fftwf_complex *a = fftwf_malloc(sizeof *a * n * n), *h = fftwf_malloc(sizeof *h * n * (n / 2 + 1));
    float *r = fftwf_malloc(sizeof *r * n * n);
    bf_status st = BF_OK;
    if (!a || !h || !r) {
        st = bf__error_set(BF_ENOMEM, "out of memory");
        goto done;
    }
    bf__ms_fft_init();
    fftwf_plan p[3] = {fftwf_plan_dft_2d(n, n, a, a, FFTW_FORWARD, FFTW_MEASURE),
                       fftwf_plan_dft_r2c_2d(n, n, r, h, FFTW_MEASURE),
                       fftwf_plan_dft_c2r_2d(n, n, h, r, FFTW_MEASURE)};
    double *out[3] = {c2c, r2c, c2r};
    for (int k = 0; k < 3; k++) {
        double t[15];
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i][0] = r[i] = (float)(i % 7);
            a[i][1] = 0.0f;
        }
        for (int i = 0; i < 15; i++) {
            double t0 = bf_time_now();
            fftwf_execute(p[k]);
            t[i] = bf_time_now() - t0;
            if (k == 2) /* c2r destroys its input */
                memset(h, 0, sizeof *h * n * (n / 2 + 1));
        }
        for (int i = 1; i < 15; i++) /* insertion sort for the median */
            for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
                double x = t[j];
                t[j] = t[j - 1];
                t[j - 1] = x;
            }
        *out[k] = t[7] * 1e3;
        fftwf_destroy_plan(p[k]);
    }
done:
    fftwf_free(a);
    fftwf_free(h);
    fftwf_free(r);
    return st;
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

bf_status bf_ms_bench_hrtem(int repeats, bf_ms_bench_report *out)
{
    memset(out, 0, sizeof *out);
    if (repeats < 1)
        repeats = 3;
    bf_ms_job *job = NULL;
    double mean2, c2c, r2c, c2r;
    bf_status st = bf_ms_job_parse(job_text, "", "bench hrtem", &job);
    if (!st)
        st = fft_times(&c2c, &r2c, &c2r);
    if (!st)
        st = timed_runs(job, 1, repeats, &out->threads_1_s, &out->mean_intensity);
    if (!st)
        st = timed_runs(job, 2, repeats, &out->threads_2_s, &mean2);
    if (!st)
        st = finite_per_slice(job, repeats, &out->finite_ms_per_slice);
    if (!st) {
        /* per configuration and slice: the potential's r2c + c2r, the transmission function's
         * band limit (2 c2c), the step (2 c2c); per configuration nothing else */
        double slices = 5.0, configs = 4.0;
        out->fft_512_ms = c2c;
        out->fft_share = configs * slices * (r2c + c2r + 4.0 * c2c) * 1e-3 / out->threads_1_s;
    }
    bf_ms_job_destroy(job);
    return st;
}
