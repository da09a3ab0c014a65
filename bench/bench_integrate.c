/* beamflow bench integrate: one Pilatus CdTe 2M frame, 2500 bins in 2θ, bbox splitting, CSR,
 * Poisson errors, polarization 1.0, solid angle, module gaps masked; beamflow and pyFAI (Debian's,
 * run from bench/pyfai_integrate.py in the same run) on one core and on two, with a STREAM-like
 * copy to place both under the machine's memory roofline. Medians of repeats. */
#include "bench.h"

#include "beamflow/ai.h"
#include "beamflow/beamflow.h"
#include "io/npy.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPT 2500
#define BENCH_MAX_BATCH 16

typedef struct job {
    const bf_integrator *integ;
    const int32_t *frame;
    size_t rows, cols;
    size_t batch;   /* distinct frames in turn (copies when more than 1) */
    int single;     /* 1: one bf_integrator_integrate1d call per frame, 0: one batch call */
    double seconds; /* run this long */
    size_t frames;  /* OUT */
    double elapsed; /* OUT */
} job;

/* A powder pattern: CeO2-like rings (Gaussian in 2θ) on a background, Poisson-ish noise from a
 * seeded generator, gaps at -1 as a Pilatus writes them. */
static int32_t *make_frame(const bf_geometry *geo, const uint8_t *mask, size_t n)
{
    double *tth = malloc(n * sizeof *tth);
    int32_t *f = malloc(n * sizeof *f);
    if (!tth || !f || bf_geometry_centres(geo, BF_UNIT_2TH_DEG, tth) != BF_OK) {
        free(tth);
        free(f);
        return NULL;
    }
    static const double rings[] = {8.1, 9.4, 13.3, 15.6, 16.3, 18.8, 20.5, 21.1, 23.1, 24.5};
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double v = 40.0 + 10.0 * exp(-tth[i] / 10);
        for (size_t k = 0; k < sizeof rings / sizeof rings[0]; k++)
            v += 400.0 / (double)(k + 1) * exp(-0.5 * pow((tth[i] - rings[k]) / 0.05, 2));
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double u = ((double)(s >> 11) * 0x1.0p-53) - 0.5;
        f[i] = mask[i] ? -1 : (int32_t)lround(v + 3.46 * sqrt(v) * u); /* uniform, variance v */
    }
    free(tth);
    return f;
}

/* The batch's frames are distinct copies of the frame (as distinct frames of a scan: none is
 * in cache because another was just read). */
static void *integrate_for(void *arg)
{
    job *j = arg;
    const size_t nb = j->batch, npix = j->rows * j->cols;
    float *I = malloc(nb * NPT * sizeof *I), *sig = malloc(nb * NPT * sizeof *sig);
    int32_t *copies = nb > 1 ? malloc(nb * npix * sizeof *copies) : NULL;
    bf_curve out[BENCH_MAX_BATCH];
    bf_frame fr[BENCH_MAX_BATCH];
    size_t n = 0;
    double t0 = bf_time_now();
    if (!I || !sig || (nb > 1 && !copies))
        goto done;
    for (size_t b = 0; b < nb; b++) {
        const int32_t *d = j->frame;
        if (copies) {
            memcpy(copies + b * npix, j->frame, npix * sizeof *copies);
            d = copies + b * npix;
        }
        out[b] = (bf_curve){.intensity = I + b * NPT, .sigma = sig + b * NPT};
        fr[b] = (bf_frame){.data = d, .dtype = BF_DTYPE_I32, .rows = j->rows, .cols = j->cols};
    }
    t0 = bf_time_now();
    while (bf_time_now() - t0 < j->seconds) {
        bf_status st = BF_OK;
        if (j->single)
            for (size_t b = 0; b < nb && st == BF_OK; b++)
                st = bf_integrator_integrate1d(j->integ, &fr[b], &out[b]);
        else
            st = bf_integrator_integrate1d_batch(j->integ, fr, nb, out);
        if (st != BF_OK)
            break;
        n += nb;
    }
done:
    j->elapsed = bf_time_now() - t0;
    j->frames = n;
    free(copies);
    free(I);
    free(sig);
    return NULL;
}

/* frames/s with nthreads sharing one integrator, median of reps runs */
static double fps(const bf_integrator *integ, const int32_t *frame, size_t rows, size_t cols,
                  size_t batch, int single, int nthreads, int reps)
{
    double v[9];
    for (int r = 0; r < reps; r++) {
        job jobs[8];
        pthread_t th[8];
        for (int t = 0; t < nthreads; t++) {
            jobs[t] = (job){integ, frame, rows, cols, batch, single, 1.0, 0, 0};
            pthread_create(&th[t], NULL, integrate_for, &jobs[t]);
        }
        double total = 0;
        for (int t = 0; t < nthreads; t++) {
            pthread_join(th[t], NULL);
            total += (double)jobs[t].frames / jobs[t].elapsed;
        }
        v[r] = total;
    }
    return bf_bench_median(v, (size_t)reps);
}

static double copy_bandwidth_gbs(void)
{
    size_t n = 256u << 20;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        free(a);
        free(b);
        return 0;
    }
    memset(a, 1, n);
    memset(b, 2, n);
    double v[5];
    for (int r = 0; r < 5; r++) {
        double t0 = bf_time_now();
        memcpy(b, a, n);
        v[r] = 2.0 * (double)n / (bf_time_now() - t0) / 1e9; /* STREAM counts read + write */
        a[r] = b[n - 1 - (size_t)r];
    }
    free(a);
    free(b);
    return bf_bench_median(v, 5);
}

/* pyFAI's figures from bench/pyfai_integrate.py; NAN when pyFAI cannot run */
static void run_pyfai(const char *dir, int threads, double *fps_out, double *build_out)
{
    *fps_out = *build_out = NAN;
    const char *py = getenv("BF_PYTHON") ? getenv("BF_PYTHON") : "/usr/bin/python3";
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967295 "
             "MALLOC_TOP_PAD_=268435456 %s %s/bench/pyfai_integrate.py %s %d 15 2>/dev/null",
             threads, py, BF_SOURCE_DIR, dir, NPT);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char line[1024] = "";
    while (fgets(line, sizeof line, p)) {
        char *b = strstr(line, "\"build_s\": "), *f = strstr(line, "\"fps\": ");
        if (b && f) {
            *build_out = atof(b + 11);
            *fps_out = atof(f + 7);
        }
    }
    pclose(p);
}

static int prepare(const char *dir, bf_geometry **geo, int32_t **frame)
{
    bf_detector *det = NULL;
    if (bf_detector_create("Pilatus CdTe 2M", NULL, &det) != BF_OK)
        return -1;
    size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det);
    bf_geometry_params p = {.dist = 0.25, .poni1 = 0.5 * rows * 172e-6 + 0.001,
                            .poni2 = 0.5 * cols * 172e-6 - 0.002, .rot1 = 0.012, .rot2 = -0.007,
                            .rot3 = 0.0, .wavelength = 0.5e-10};
    bf_status st = bf_geometry_create(det, &p, geo);
    const uint8_t *mask = bf_detector_mask(det);
    char path[4200];
    if (st == BF_OK) {
        snprintf(path, sizeof path, "%s/geo.poni", dir);
        st = bf_geometry_write_poni(*geo, path);
    }
    if (st == BF_OK && !(*frame = make_frame(*geo, mask, rows * cols)))
        st = BF_ENOMEM;
    size_t shape[2] = {rows, cols};
    if (st == BF_OK) {
        snprintf(path, sizeof path, "%s/frame.npy", dir);
        st = bf__npy_write(path, BF_DTYPE_I32, 2, shape, *frame);
    }
    if (st == BF_OK) {
        snprintf(path, sizeof path, "%s/mask.npy", dir);
        st = bf__npy_write(path, BF_DTYPE_U8, 2, shape, mask);
    }
    bf_detector_destroy(det);
    if (st)
        fprintf(stderr, "bench integrate: %s\n", bf_last_error());
    return st ? -1 : 0;
}

int bf_bench_integrate(int argc, char **argv)
{
    bool with_pyfai = true;
    long batch = 1;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--no-pyfai") == 0) {
            with_pyfai = false;
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc &&
                   (batch = strtol(argv[i + 1], &end, 10)) >= 1 && batch <= BENCH_MAX_BATCH &&
                   *end == '\0') {
            i++;
        } else {
            printf("usage: beamflow bench integrate [--no-pyfai] [--batch B]\n\n"
                   "Pilatus CdTe 2M frame, 2500 bins, bbox + csr, Poisson, polarization 1.0,\n"
                   "solid angle, gaps masked: frames/s of beamflow and pyFAI on 1 and 2 cores.\n"
                   "--batch B (1..%d): also frames/s on 1 core of the batch call with B frames,\n"
                   "alternated with single-frame calls (beamflow_fps_1core_batch, _paired).\n",
                   BENCH_MAX_BATCH);
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    char dir[] = "/tmp/bf_bench_integrate_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    bf_geometry *geo = NULL;
    int32_t *frame = NULL;
    if (prepare(dir, &geo, &frame)) {
        bf_geometry_destroy(geo);
        return 1;
    }
    const bf_detector *det = bf_geometry_detector(geo);
    size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det);
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    o.npt = NPT;
    o.unit = BF_UNIT_2TH_DEG;
    o.split = BF_SPLIT_BBOX;
    o.algorithm = BF_ALGO_CSR;
    o.error_model = BF_ERROR_POISSON;
    o.has_polarization = 1;
    o.polarization_factor = 1.0;
    /* build time: median of 5, on 1 thread, on 2, and with the default (all online CPUs) */
    bf_integrator *integ = NULL;
    double build_t[3];
    const int build_threads[3] = {1, 2, 0};
    for (int t = 0; t < 3; t++) {
        double builds[5];
        o.threads = build_threads[t];
        for (int r = 0; r < 5; r++) {
            bf_integrator_destroy(integ);
            integ = NULL;
            double t0 = bf_time_now();
            if (bf_integrator_create(geo, &o, &integ) != BF_OK) {
                fprintf(stderr, "bench integrate: %s\n", bf_last_error());
                return 1;
            }
            builds[r] = bf_time_now() - t0;
        }
        build_t[t] = bf_bench_median(builds, 5);
    }
    double build = build_t[2];
    double f1 = fps(integ, frame, rows, cols, 1, 1, 1, 5), f2 = fps(integ, frame, rows, cols, 1, 1, 2, 5);
    /* the batch call against frame-by-frame calls over the same B distinct frames (with one frame
     * repeated it stays in the last-level cache and flatters the single-frame figure),
     * alternated (the machine's load drifts): medians of 5 */
    double fb = NAN, fp = NAN;
    if (batch > 1) {
        double vb[5], vp[5];
        for (int r = 0; r < 5; r++) {
            vp[r] = fps(integ, frame, rows, cols, (size_t)batch, 1, 1, 1);
            vb[r] = fps(integ, frame, rows, cols, (size_t)batch, 0, 1, 1);
        }
        fb = bf_bench_median(vb, 5);
        fp = bf_bench_median(vp, 5);
    }
    double bw = copy_bandwidth_gbs();
    /* what one frame streams: the matrix (column index + coefficient per entry) and the frame */
    double bytes = (double)bf_integrator_nnz(integ) * 8.0 + (double)rows * cols * 4.0;
    double p1 = NAN, pb1 = NAN, p2 = NAN, pb2 = NAN;
    if (with_pyfai) {
        run_pyfai(dir, 1, &p1, &pb1);
        run_pyfai(dir, 2, &p2, &pb2);
    }
    printf("Pilatus CdTe 2M, %d bins, bbox+csr, poisson, polarization 1.0, solid angle, gaps\n", NPT);
    printf("  %-22s %10s %10s %8s\n", "", "beamflow", "pyFAI", "ratio");
    printf("  %-22s %10.1f %10.1f %8.2f\n", "frames/s, 1 core", f1, p1, f1 / p1);
    printf("  %-22s %10.1f %10.1f %8.2f\n", "frames/s, 2 cores", f2, p2, f2 / p2);
    printf("  %-22s %10.3f %10.3f %8.2f\n", "build (s)", build, pb1, pb1 / build);
    printf("  %-22s %10.3f %10.3f %8.2f\n", "build, 1 thread (s)", build_t[0], pb1,
           pb1 / build_t[0]);
    printf("  %-22s %10.3f %10.3f %8.2f\n", "build, 2 threads (s)", build_t[1], pb2,
           pb2 / build_t[1]);
    printf("  roofline: %.1f GB/s copy, %.1f MB per frame -> %.0f frames/s; beamflow at %.0f%%\n",
           bw, bytes / 1e6, bw * 1e9 / bytes, 100.0 * f2 / (bw * 1e9 / bytes));
    if (batch > 1)
        printf("  batch of %ld, 1 core: %.1f frames/s against %.1f frame by frame (x%.2f)\n", batch,
               fb, fp, fb / fp);
    char j[6][32]; /* pyFAI's figures are null with --no-pyfai */
    printf("{\"beamflow_fps_1core\": %.2f, \"pyfai_fps_1core\": %s, \"ratio_1core\": %s, "
           "\"beamflow_fps_2core\": %.2f, \"pyfai_fps_2core\": %s, \"ratio_2core\": %s, "
           "\"beamflow_build_s\": %.4f, \"pyfai_build_s\": %s, "
           "\"beamflow_build_1thread_s\": %.4f, "
           "\"beamflow_build_2threads_s\": %.4f, \"pyfai_build_2threads_s\": %s, "
           "\"bytes_per_frame\": %.0f, "
           "\"copy_bandwidth_gbs\": %.2f, \"nnz\": %zu, \"batch\": %ld, "
           "\"beamflow_fps_1core_batch\": %.2f, \"beamflow_fps_1core_paired\": %.2f}\n",
           f1, bf_bench_json_number(j[0], p1, 2), bf_bench_json_number(j[1], f1 / p1, 3), f2,
           bf_bench_json_number(j[2], p2, 2), bf_bench_json_number(j[3], f2 / p2, 3), build,
           bf_bench_json_number(j[4], pb1, 4), build_t[0], build_t[1],
           bf_bench_json_number(j[5], pb2, 4), bytes, bw, bf_integrator_nnz(integ), batch,
           batch > 1 ? fb : f1, batch > 1 ? fp : f1);
    bf_integrator_destroy(integ);
    bf_geometry_destroy(geo);
    free(frame);
    char rm[256];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0)
        fprintf(stderr, "bench integrate: could not remove %s\n", dir);
    return 0;
}
