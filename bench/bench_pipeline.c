/* beamflow bench pipeline: frames/s for decoding LZ4 HDF5 Pilatus CdTe 2M files (beamflow vs
 * h5py + hdf5plugin) and for read + integrate (2500 bins, bbox, Poisson, polarization 1.0) +
 * write, beamflow with 1 and 2 workers vs pyFAI + h5py, in one run on the same files; then a
 * projection to a 32-core node with its assumptions stated. */
#include "bench.h"

#include "beamflow/beamflow.h"
#include "beamflow/integrate.h"
#include "beamflow/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define NPT 2500
#define DATASET "/entry_0000/measurement/data"

typedef struct dataset {
    char dir[256], poni[300];
    char files[8][320];
    int nfiles, frames;
    size_t frame_bytes;
} dataset;

/* Busy frames: 8 distinct noisy CeO2 frames, cycled, so generating is quick and decoding sees
 * real Poisson noise (LZ4 ratio about 4, as the seed's data). */
static bf_status make_dataset(dataset *ds)
{
    bf_detector *det = NULL;
    bf_geometry *geo = NULL;
    bf_status st = bf_detector_create("Pilatus CdTe 2M", NULL, &det);
    if (st)
        return st;
    bf_geometry_params p = {.dist = 0.2, .poni1 = 0.135, .poni2 = 0.118, .rot1 = 0.01,
                            .rot2 = -0.006, .wavelength = 0.3e-10};
    st = bf_geometry_create(det, &p, &geo);
    size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det), n = rows * cols;
    ds->frame_bytes = n * 4;
    snprintf(ds->poni, sizeof ds->poni, "%s/geometry.poni", ds->dir);
    if (st == BF_OK)
        st = bf_geometry_write_poni(geo, ds->poni);
    double *tth = malloc(n * sizeof *tth);
    int32_t *frames = malloc(8 * n * sizeof *frames);
    if (st == BF_OK && (!tth || !frames))
        st = bf_error_set(BF_ENOMEM, "out of memory");
    if (st == BF_OK)
        st = bf_geometry_centres(geo, BF_UNIT_2TH_DEG, tth);
    for (int k = 0; st == BF_OK && k < 8; k++)
        st = bf_synthetic_powder(geo, tth, 5.411, 400.0, 1, (uint64_t)k, frames + (size_t)k * n);
    for (int f = 0; st == BF_OK && f < ds->nfiles; f++) {
        snprintf(ds->files[f], sizeof ds->files[f], "%s/scan_%04d.h5", ds->dir, f);
        bf_h5writer_options o = BF_H5WRITER_OPTIONS_INIT;
        bf_h5writer *w = NULL;
        st = bf_h5writer_create(ds->files[f], DATASET, BF_DTYPE_I32, rows, cols, &o, &w);
        for (int k = 0; st == BF_OK && k < ds->frames; k++)
            st = bf_h5writer_append(w, frames + (size_t)(k % 8) * n, 1);
        bf_status cst = bf_h5writer_close(w);
        st = st ? st : cst;
        fprintf(stderr, "\rbench pipeline: wrote %d/%d files", f + 1, ds->nfiles);
    }
    fprintf(stderr, "\n");
    free(tth);
    free(frames);
    bf_geometry_destroy(geo);
    bf_detector_destroy(det);
    return st;
}

/* Decode every frame of every file with nthreads, median of 3 passes. */
static double decode_fps(const dataset *ds, int nthreads)
{
    double v[3];
    void *buf = malloc(8 * ds->frame_bytes);
    for (int r = 0; r < 3 && buf; r++) {
        double t0 = bf_time_now();
        size_t n = 0;
        for (int f = 0; f < ds->nfiles; f++) {
            bf_h5frames *h = NULL;
            if (bf_h5frames_create(ds->files[f], DATASET, &h) != BF_OK)
                break;
            for (int k = 0; k < ds->frames; k += 8) {
                size_t c = ds->frames - k < 8 ? (size_t)(ds->frames - k) : 8;
                if (bf_h5frames_read_parallel(h, (size_t)k, c, buf, 8 * ds->frame_bytes,
                                              nthreads) != BF_OK)
                    break;
                n += c;
            }
            bf_h5frames_destroy(h);
        }
        v[r] = (double)n / (bf_time_now() - t0);
    }
    free(buf);
    return buf ? bf_bench_median(v, 3) : 0;
}

/* One end-to-end run: setup (open and check the files, build the integrator: serial, once per
 * process) and run (read + integrate + write on the workers), timed apart; cpu is the process's
 * user + system seconds for the whole run, all threads. */
typedef struct e2e {
    double setup_s, run_s, cpu_s;
} e2e;

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int end_to_end_once(const dataset *ds, int workers, e2e *r)
{
    const char *inputs[8];
    for (int f = 0; f < ds->nfiles; f++)
        inputs[f] = ds->files[f];
    char out[300];
    snprintf(out, sizeof out, "%s/out%d", ds->dir, workers);
    bf_integrate_job job = BF_INTEGRATE_JOB_INIT;
    job.inputs = inputs;
    job.ninputs = (size_t)ds->nfiles;
    job.dataset = DATASET;
    job.poni = ds->poni;
    job.options.npt = NPT;
    job.options.error_model = BF_ERROR_POISSON;
    job.options.has_polarization = 1;
    job.options.polarization_factor = 1.0;
    job.output = out;
    job.frames_per_unit = 50;
    bf_integration *ig = NULL;
    double c0 = cpu_seconds(), t0 = bf_time_now();
    bf_status st = bf_integration_create(&job, &ig);
    double t1 = bf_time_now();
    bf_run_options ro = BF_RUN_OPTIONS_INIT;
    ro.workers = workers;
    if (st == BF_OK)
        st = bf_integration_run(ig, &ro, NULL);
    *r = (e2e){t1 - t0, bf_time_now() - t1, cpu_seconds() - c0};
    bf_integration_destroy(ig);
    if (st)
        fprintf(stderr, "bench pipeline: %s\n", bf_last_error());
    return st ? -1 : 0;
}

/* 1 and 2 workers alternately, REPS times each, so that a burst of load from other processes on
 * this shared machine hits both sides alike; medians of each figure. Scaling is computed on
 * whole runs, setup included (the honest figure for this job); the run phase alone is reported
 * beside it. */
#define REPS 5
typedef struct e2e_stats {
    double fps[2], run_fps[2], setup_s[2], cpu_per_frame_ms[2], busy_cores[2];
} e2e_stats;

static int end_to_end(const dataset *ds, e2e_stats *s)
{
    double fps[2][REPS], run[2][REPS], setup[2][REPS], cpu[2][REPS], busy[2][REPS];
    double frames = (double)ds->nfiles * ds->frames;
    for (int r = 0; r < REPS; r++) {
        for (int w = 0; w < 2; w++) {
            e2e e;
            if (end_to_end_once(ds, w + 1, &e) != 0)
                return -1;
            fps[w][r] = frames / (e.setup_s + e.run_s);
            run[w][r] = frames / e.run_s;
            setup[w][r] = e.setup_s;
            cpu[w][r] = 1e3 * e.cpu_s / frames;
            busy[w][r] = e.cpu_s / (e.setup_s + e.run_s);
        }
        fprintf(stderr, "\rbench pipeline: end-to-end pass %d/%d", r + 1, REPS);
    }
    fprintf(stderr, "\n");
    for (int w = 0; w < 2; w++) {
        s->fps[w] = bf_bench_median(fps[w], REPS);
        s->run_fps[w] = bf_bench_median(run[w], REPS);
        s->setup_s[w] = bf_bench_median(setup[w], REPS);
        s->cpu_per_frame_ms[w] = bf_bench_median(cpu[w], REPS);
        s->busy_cores[w] = bf_bench_median(busy[w], REPS);
    }
    return 0;
}

static void reference(const dataset *ds, int max_frames, double *decode, double *e2e)
{
    *decode = *e2e = NAN;
    const char *py = getenv("BF_PYTHON") ? getenv("BF_PYTHON") : "/usr/bin/python3";
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd,
                     "OMP_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=2147483647 "
                     "MALLOC_TRIM_THRESHOLD_=4294967295 MALLOC_TOP_PAD_=268435456 "
                     "%s %s/bench/pipeline_reference.py %s %s %d %d",
                     py, BF_SOURCE_DIR, ds->poni, DATASET, NPT, max_frames);
    for (int f = 0; f < ds->nfiles; f++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " %s", ds->files[f]);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " 2>/dev/null");
    FILE *p = popen(cmd, "r");
    char line[1024];
    while (p && fgets(line, sizeof line, p)) {
        char *a = strstr(line, "\"decode_fps\": "), *b = strstr(line, "\"end_to_end_fps\": ");
        if (a && b) {
            *decode = atof(a + 14);
            *e2e = atof(b + 18);
        }
    }
    if (p)
        pclose(p);
}

int bf_bench_pipeline(int argc, char **argv)
{
    dataset ds = {.nfiles = 2, .frames = 200};
    int ref_frames = 100;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--files") == 0 && i + 1 < argc)
            ds.nfiles = atoi(argv[++i]);
        else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
            ds.frames = atoi(argv[++i]);
        else if (strcmp(argv[i], "--reference-frames") == 0 && i + 1 < argc)
            ref_frames = atoi(argv[++i]);
        else {
            printf("usage: beamflow bench pipeline [--files N] [--frames N] "
                   "[--reference-frames N]\n\n"
                   "Writes N LZ4 HDF5 files of Pilatus CdTe 2M frames (default 2 x 200), then\n"
                   "measures decode and read+integrate+write frames/s, beamflow (1 and 2\n"
                   "workers) vs h5py + hdf5plugin + pyFAI (on the first 100 frames).\n");
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    if (ds.nfiles < 1 || ds.nfiles > 8 || ds.frames < 8) {
        fprintf(stderr, "bench pipeline: --files 1..8, --frames >= 8\n");
        return 2;
    }
    snprintf(ds.dir, sizeof ds.dir, "/tmp/bf_bench_pipeline_XXXXXX");
    if (!mkdtemp(ds.dir) || make_dataset(&ds) != BF_OK) {
        fprintf(stderr, "bench pipeline: %s\n", bf_last_error());
        return 1;
    }
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 1)
        load[0] = NAN;
    double d1 = decode_fps(&ds, 1), d2 = decode_fps(&ds, 2);
    e2e_stats es;
    if (end_to_end(&ds, &es) != 0)
        return 1;
    double e1 = es.fps[0], e2 = es.fps[1];
    double rd, re;
    reference(&ds, ref_frames, &rd, &re);
    double scaling = e2 / (2 * e1), run_scaling = es.run_fps[1] / (2 * es.run_fps[0]);
    /* Amdahl with the measured serial setup: the best 2 workers can do on an idle machine */
    double t1 = (double)ds.nfiles * ds.frames / e1, serial = es.setup_s[0];
    double ceiling = t1 / (2 * (serial + (t1 - serial) / 2));
    /* CPU seconds per frame do not depend on how many cores other processes leave us: their
     * ratio is the work a second worker adds (shared caches, memory bus, locks); with the
     * serial setup it predicts the scaling on an idle machine. A model, printed as such. */
    double cpu_eff = es.cpu_per_frame_ms[0] / es.cpu_per_frame_ms[1];
    double idle_estimate = ceiling * cpu_eff;
    /* Projection: 32 cores at the measured 1 -> 2 efficiency; assumes storage delivers the
     * compressed bytes (about 2.5 MB per frame) and that memory bandwidth per core on the node
     * is no lower than here. */
    double proj = 32 * e1 * scaling;
    printf("Pilatus CdTe 2M, LZ4 HDF5, %d files x %d frames, %d bins, bbox+csr, poisson\n",
           ds.nfiles, ds.frames, NPT);
    printf("  %-34s %10s %10s %8s\n", "", "beamflow", "reference", "ratio");
    printf("  %-34s %10.1f %10.1f %8.2f\n", "decode frames/s, 1 core", d1, rd, d1 / rd);
    printf("  %-34s %10.1f\n", "decode frames/s, 2 threads", d2);
    printf("  %-34s %10.1f %10.1f %8.2f\n", "read+integrate+write, 1 worker", e1, re, e1 / re);
    printf("  %-34s %10.1f\n", "read+integrate+write, 2 workers", e2);
    printf("  (beamflow: medians of %d alternating runs; setup = opening the files and building\n"
           "   the integrator, serial, %.2f s, included in these figures)\n", REPS, serial);
    printf("  1 -> 2 workers scaling: %.0f%% (run phase alone %.0f%%; Amdahl ceiling with the\n"
           "  serial setup %.0f%%); CPU per frame %.1f / %.1f ms; cores busy %.2f / %.2f\n",
           100 * scaling, 100 * run_scaling, 100 * ceiling, es.cpu_per_frame_ms[0],
           es.cpu_per_frame_ms[1], es.busy_cores[0], es.busy_cores[1]);
    printf("  load average before the run %.2f; cores busy below 2 with 2 workers means other\n"
           "  processes held the cores, and the wall-clock scaling above measures them, not us;\n"
           "  CPU efficiency 1 -> 2 workers %.0f%%, so an idle machine would give about %.0f%%\n"
           "  (model: Amdahl ceiling x CPU efficiency)\n", load[0], 100 * cpu_eff,
           100 * idle_estimate);
    printf("  projected 32-core node: %.0f frames/s\n", proj);
    char j[5][32]; /* the Python references (and the load) are null when they could not run */
    printf("{\"decode_fps_1core\": %.1f, \"decode_fps_2threads\": %.1f, \"h5py_decode_fps\": %s, "
           "\"decode_ratio\": %s, \"e2e_fps_1worker\": %.1f, \"e2e_fps_2workers\": %.1f, "
           "\"pyfai_h5py_e2e_fps\": %s, \"e2e_ratio_1core\": %s, \"scaling_1_to_2\": %.3f, "
           "\"setup_s\": %.3f, \"run_fps_1worker\": %.1f, \"run_fps_2workers\": %.1f, "
           "\"run_scaling_1_to_2\": %.3f, \"amdahl_ceiling_1_to_2\": %.3f, "
           "\"cpu_ms_per_frame_1worker\": %.2f, \"cpu_ms_per_frame_2workers\": %.2f, "
           "\"busy_cores_2workers\": %.2f, \"loadavg_before\": %s, "
           "\"cpu_efficiency_1_to_2\": %.3f, \"idle_scaling_model\": %.3f, "
           "\"projection_32core_fps\": %.0f, \"projection_assumptions\": \"32 workers at the "
           "measured 1->2 efficiency; storage delivers the compressed frames; per-core memory "
           "bandwidth no lower than this machine's\"}\n",
           d1, d2, bf_bench_json_number(j[0], rd, 1), bf_bench_json_number(j[1], d1 / rd, 2), e1,
           e2, bf_bench_json_number(j[2], re, 1), bf_bench_json_number(j[3], e1 / re, 2), scaling,
           serial, es.run_fps[0], es.run_fps[1], run_scaling, ceiling, es.cpu_per_frame_ms[0],
           es.cpu_per_frame_ms[1], es.busy_cores[1], bf_bench_json_number(j[4], load[0], 2),
           cpu_eff, idle_estimate, proj);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf %s", ds.dir);
    if (system(rm) != 0)
        fprintf(stderr, "bench pipeline: could not remove %s\n", ds.dir);
    return 0;
}
