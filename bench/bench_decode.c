/* beamflow bench decode: frames/s per core for LZ4 (32004) and bitshuffle+LZ4 (32008) Pilatus
 * CdTe 2M int32 frames (1679 x 1475), busy and sparse (powder rings and Poisson counts, 0.7 and
 * 0.05 counts per pixel: LZ4 ratios about 4 and 15). Two figures per case: the codec alone on
 * in-memory chunks, and bf_h5frames_read on a file just written (pread from the page cache +
 * decode, what a worker thread does); for LZ4 also liblz4 alone. The stages run interleaved
 * frame by frame, so the columns compare on a shared machine.
 * Goals on this kind of machine: LZ4 busy >= 250 frames/s, bitshuffle >= 400 frames/s per core.
 *
 *   beamflow bench decode [--frames N] [--reps R] [--dir DIR] [--wall]   last line: JSON */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>

#include "beamflow/io.h"
#include "io/io_internal.h"

#define H 1679
#define W 1475

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

static int32_t poisson(double lam, uint64_t *s)
{
    if (lam > 30) { /* normal approximation: fine for a benchmark's texture */
        double u1 = uniform(s) + 1e-300, u2 = uniform(s);
        double v = lam + sqrt(lam) * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        return v < 0 ? 0 : (int32_t)(v + 0.5);
    }
    double l = exp(-lam), p = 1;
    int32_t k = 0;
    do {
        k++;
        p *= uniform(s);
    } while (p > l);
    return k - 1;
}

/* A Pilatus CdTe 2M frame: 8 x 3 modules of 487 x 195 with -1 gaps, rings on a background. */
static void make_frame(int32_t *f, int busy, uint64_t seed)
{
    uint64_t s = seed;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int gap = (y % 212) >= 195 || (x % 494) >= 487;
            if (gap) {
                f[(size_t)y * W + x] = -1;
                continue;
            }
            double dx = x - 700.0, dy = y - 900.0, r = sqrt(dx * dx + dy * dy);
            double ring = 0;
            for (int k = 1; k <= 6; k++) {
                double d = r - 140.0 * k;
                ring += 400.0 / k * exp(-d * d / 18.0);
            }
            /* ~0.7 counts/pixel: LZ4 ratio ~4 (busy); ~0.05: ratio ~15 (sparse) */
            double lam = busy ? 0.05 + 5.0 / (1 + r / 50.0) + 0.05 * ring : 0.03 + 0.02 * ring;
            f[(size_t)y * W + x] = poisson(lam, &s);
        }
}

typedef struct dcase {
    const char *name;
    int busy;
    bf_codec codec;
    double ratio, mem_fps, file_fps, raw_fps; /* raw: liblz4 alone on the block (LZ4 only) */
} dcase;

/* Per-core rates divide by the thread's CPU time (user + system, pread included): on a shared
 * or busy machine wall time also counts the time the thread was not running. --wall switches. */
static int use_wall;

static double now(void)
{
    struct timespec ts;
    if (use_wall || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return bf_time_now();
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The stages a case times: liblz4 alone on the single block of each encoded chunk (LZ4 only,
 * the ceiling: no chunk parsing, one block per frame as hdf5plugin writes by default), our codec
 * on the same in-memory chunks, and bf_h5frames_read from the file (pread + decode). */
enum { STAGE_RAW, STAGE_CODEC, STAGE_FILE, NSTAGES };

typedef struct dstate {
    const dcase *c;
    size_t fb;
    uint8_t **enc, *out, *scratch;
    size_t *len;
    bf_h5frames *f;
    bf_h5frames_workspace *ws;
} dstate;

/* Encode the frames in memory and write them to path through the writer (same codec). */
static int prepare(dstate *d, int32_t **frames, int nf, const char *path)
{
    const dcase *c = d->c;
    size_t cap = c->codec == BF_CODEC_LZ4 ? bf__lz4_chunk_bound(d->fb, 0)
                                          : bf__bshuf_chunk_bound(d->fb, 4, 0);
    int rc = 0;
    for (int i = 0; i < nf && rc == 0; i++) {
        if (!(d->enc[i] = malloc(cap)))
            return -1;
        if (c->codec == BF_CODEC_LZ4)
            rc = bf__lz4_chunk_encode((uint8_t *)frames[i], d->fb, 0, d->enc[i], cap, &d->len[i]);
        else
            rc = bf__bshuf_chunk_encode((uint8_t *)frames[i], d->fb, 4, 0, d->enc[i], cap,
                                        &d->len[i]);
    }
    bf_h5writer_options opt = BF_H5WRITER_OPTIONS_INIT;
    opt.codec = c->codec;
    bf_h5writer *w = NULL;
    if (rc == 0)
        rc = bf_h5writer_create(path, "/entry_0000/measurement/data", BF_DTYPE_I32, H, W, &opt,
                                &w);
    for (int i = 0; i < nf && rc == 0; i++)
        rc = bf_h5writer_append(w, frames[i], 1);
    if (w && bf_h5writer_close(w) != BF_OK)
        rc = -1;
    if (rc == 0)
        rc = bf_h5frames_create(path, NULL, &d->f);
    if (rc == 0)
        rc = bf_h5frames_workspace_create(d->f, &d->ws);
    return rc;
}

static int run_stage(dstate *d, int stage, int i)
{
    if (stage == STAGE_RAW)
        return LZ4_decompress_safe((const char *)d->enc[i] + 16, (char *)d->out,
                                   (int)(d->len[i] - 16), (int)d->fb) == (int)d->fb ? 0 : -1;
    if (stage == STAGE_CODEC)
        return d->c->codec == BF_CODEC_LZ4
                   ? bf__lz4_chunk_decode(d->enc[i], d->len[i], d->out, d->fb, "bench")
                   : bf__bshuf_chunk_decode(d->enc[i], d->len[i], d->out, d->fb, 4, d->scratch,
                                            BF__BSHUF_MAX_BLOCK, "bench");
    return bf_h5frames_read(d->f, d->ws, (size_t)i, 1, d->out, d->fb);
}

/* All stages of a case, interleaved frame by frame (the order rotating), so that a change of
 * machine load during the run weighs on every column alike: timed one after the other, the
 * columns of a shared machine differed by 20 % with no difference in the work. Each stage's
 * output is checked against the frame in the first rep, outside the timings. */
static int bench_case(dcase *c, int32_t **frames, int nf, int reps, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bf_bench_decode_%d.h5", dir, (int)getpid());
    dstate d = {.c = c, .fb = (size_t)H * W * 4};
    d.enc = calloc((size_t)nf, sizeof *d.enc);
    d.len = calloc((size_t)nf, sizeof *d.len);
    d.out = malloc(d.fb);
    d.scratch = malloc(BF__BSHUF_MAX_BLOCK + 16);
    if (d.out) /* first touch here, not in the first timed frame */
        memset(d.out, 0, d.fb);
    int rc = d.enc && d.len && d.out && d.scratch ? prepare(&d, frames, nf, path) : -1;
    int first = c->codec == BF_CODEC_LZ4 ? STAGE_RAW : STAGE_CODEC, ns = NSTAGES - first;
    double t[NSTAGES][32];
    for (int r = 0; r < reps && rc == 0; r++) {
        double acc[NSTAGES] = {0};
        for (int i = 0; i < nf && rc == 0; i++)
            for (int s = 0; s < ns && rc == 0; s++) {
                int stage = first + (s + i + r) % ns;
                double t0 = now();
                rc = run_stage(&d, stage, i);
                acc[stage] += now() - t0;
                if (rc == 0 && r == 0 && memcmp(d.out, frames[i], d.fb) != 0)
                    rc = -1;
            }
        for (int s = first; s < NSTAGES; s++)
            t[s][r] = nf / acc[s];
    }
    if (rc == 0) {
        size_t total = 0;
        for (int i = 0; i < nf; i++)
            total += d.len[i];
        c->ratio = (double)d.fb * nf / (double)total;
        c->raw_fps = first == STAGE_RAW ? bf_bench_median(t[STAGE_RAW], (size_t)reps) : 0;
        c->mem_fps = bf_bench_median(t[STAGE_CODEC], (size_t)reps);
        c->file_fps = bf_bench_median(t[STAGE_FILE], (size_t)reps);
    }
    bf_h5frames_workspace_destroy(d.ws);
    bf_h5frames_destroy(d.f);
    unlink(path);
    for (int i = 0; d.enc && i < nf; i++)
        free(d.enc[i]);
    free(d.enc), free(d.len), free(d.out), free(d.scratch);
    return rc;
}

int bf_bench_decode(int argc, char **argv)
{
    int nf = 8, reps = 7;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
            nf = atoi(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--wall") == 0)
            use_wall = 1;
        else {
            fprintf(stderr, "usage: beamflow bench decode [--frames N] [--reps R] [--dir DIR] "
                            "[--wall]\n");
            return 2;
        }
    }
    nf = nf < 1 ? 1 : nf > 64 ? 64 : nf;
    reps = reps < 1 ? 1 : reps > 31 ? 31 : reps;
    dcase cases[] = {{"lz4 busy", 1, BF_CODEC_LZ4, 0, 0, 0, 0},
                     {"lz4 sparse", 0, BF_CODEC_LZ4, 0, 0, 0, 0},
                     {"bitshuffle busy", 1, BF_CODEC_BITSHUFFLE_LZ4, 0, 0, 0, 0},
                     {"bitshuffle sparse", 0, BF_CODEC_BITSHUFFLE_LZ4, 0, 0, 0, 0}};
    int32_t *frames[2][64];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < nf; i++) {
            frames[b][i] = malloc((size_t)H * W * 4);
            make_frame(frames[b][i], b, 1000u * (unsigned)b + (unsigned)i + 1);
        }
    printf("decode, Pilatus CdTe 2M int32 frames (%d x %d), %d frames, median of %d, 1 core, "
           "%s time\n", H, W, nf, reps, use_wall ? "wall" : "thread CPU");
    printf("%-18s %7s %12s %12s %14s\n", "case", "ratio", "liblz4 fr/s", "codec fr/s",
           "h5 read fr/s");
    int rc = 0;
    for (size_t k = 0; k < 4 && rc == 0; k++) {
        dcase *c = &cases[k];
        int32_t **fr = frames[c->busy];
        rc = bench_case(c, fr, nf, reps, dir);
        if (rc)
            fprintf(stderr, "bench decode: %s failed: %s\n", c->name, bf_last_error());
        else
            printf("%-18s %7.2f %12.1f %12.1f %14.1f\n", c->name, c->ratio, c->raw_fps,
                   c->mem_fps, c->file_fps);
    }
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < nf; i++)
            free(frames[b][i]);
    if (rc)
        return 1;
    printf("{\"bench\":\"decode\",\"frame\":[%d,%d],\"dtype\":\"int32\",\"frames\":%d,\"reps\":%d,"
           "\"clock\":\"%s\"", H, W, nf, reps, use_wall ? "wall" : "thread-cpu");
    static const char *keys[] = {"lz4_busy", "lz4_sparse", "bitshuffle_busy", "bitshuffle_sparse"};
    for (size_t k = 0; k < 4; k++)
        printf(",\"%s\":{\"ratio\":%.2f,\"liblz4_fps\":%.1f,\"codec_fps\":%.1f,"
               "\"read_fps\":%.1f}", keys[k], cases[k].ratio, cases[k].raw_fps, cases[k].mem_fps,
               cases[k].file_fps);
    printf("}\n");
    return 0;
}
