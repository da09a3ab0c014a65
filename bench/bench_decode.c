/* beamflow bench decode: frames/s per core for LZ4 (32004) and bitshuffle+LZ4 (32008) Pilatus
 * CdTe 2M int32 frames (1679 x 1475), busy and sparse (powder rings and Poisson counts, 0.7 and
 * 0.05 counts per pixel: LZ4 ratios about 4 and 15). Two figures per case: the codec alone on
 * in-memory chunks, and bf_h5frames_read on a file just written (pread from the page cache +
 * decode, what a worker thread does).
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

/* Codec alone: decode nf encoded frames, reps times; median frames/s. */
static int bench_memory(dcase *c, int32_t **frames, int nf, int reps)
{
    size_t fb = (size_t)H * W * 4, cap = c->codec == BF_CODEC_LZ4
                                             ? bf__lz4_chunk_bound(fb, 0)
                                             : bf__bshuf_chunk_bound(fb, 4, 0);
    uint8_t **enc = calloc((size_t)nf, sizeof *enc), *out = malloc(fb),
            *scratch = malloc(BF__BSHUF_MAX_BLOCK + 16);
    size_t *len = calloc((size_t)nf, sizeof *len), total = 0;
    double t[32];
    int rc = 0;
    for (int i = 0; i < nf && rc == 0; i++) {
        enc[i] = malloc(cap);
        if (c->codec == BF_CODEC_LZ4)
            rc = bf__lz4_chunk_encode((uint8_t *)frames[i], fb, 0, enc[i], cap, &len[i]);
        else
            rc = bf__bshuf_chunk_encode((uint8_t *)frames[i], fb, 4, 0, enc[i], cap, &len[i]);
        total += len[i];
    }
    c->ratio = (double)fb * nf / (double)total;
    for (int r = 0; r < reps && rc == 0; r++) {
        double t0 = now();
        for (int i = 0; i < nf && rc == 0; i++)
            rc = c->codec == BF_CODEC_LZ4
                     ? bf__lz4_chunk_decode(enc[i], len[i], out, fb, "bench")
                     : bf__bshuf_chunk_decode(enc[i], len[i], out, fb, 4, scratch,
                                              BF__BSHUF_MAX_BLOCK, "bench");
        t[r] = nf / (now() - t0);
    }
    if (rc == 0 && memcmp(out, frames[nf - 1], fb) != 0)
        rc = -1;
    c->mem_fps = bf_bench_median(t, (size_t)reps);
    /* the ceiling: LZ4_decompress_safe on the single block, no chunk parsing (one block per
     * frame, as hdf5plugin writes by default) */
    for (int r = 0; r < reps && rc == 0 && c->codec == BF_CODEC_LZ4; r++) {
        double t0 = now();
        for (int i = 0; i < nf; i++)
            if (LZ4_decompress_safe((const char *)enc[i] + 16, (char *)out, (int)(len[i] - 16),
                                    (int)fb) != (int)fb)
                rc = -1;
        t[r] = nf / (now() - t0);
    }
    c->raw_fps = c->codec == BF_CODEC_LZ4 && rc == 0 ? bf_bench_median(t, (size_t)reps) : 0;
    for (int i = 0; i < nf; i++)
        free(enc[i]);
    free(enc), free(len), free(out), free(scratch);
    return rc;
}

/* Through a file: write nf frames, read them back with one thread, reps times. */
static int bench_file(dcase *c, int32_t **frames, int nf, int reps, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bf_bench_decode_%d.h5", dir, (int)getpid());
    bf_h5writer_options opt = BF_H5WRITER_OPTIONS_INIT;
    opt.codec = c->codec;
    bf_h5writer *w = NULL;
    bf_h5frames *f = NULL;
    bf_h5frames_workspace *ws = NULL;
    size_t fb = (size_t)H * W * 4;
    uint8_t *out = malloc(fb);
    double t[32];
    int rc = bf_h5writer_create(path, "/entry_0000/measurement/data", BF_DTYPE_I32, H, W, &opt, &w);
    for (int i = 0; i < nf && rc == 0; i++)
        rc = bf_h5writer_append(w, frames[i], 1);
    if (w && bf_h5writer_close(w) != BF_OK)
        rc = -1;
    if (rc == 0)
        rc = bf_h5frames_create(path, NULL, &f);
    if (rc == 0)
        rc = bf_h5frames_workspace_create(f, &ws);
    for (int r = 0; r < reps && rc == 0; r++) {
        double t0 = now();
        for (int i = 0; i < nf && rc == 0; i++)
            rc = bf_h5frames_read(f, ws, (size_t)i, 1, out, fb);
        t[r] = nf / (now() - t0);
    }
    c->file_fps = rc == 0 ? bf_bench_median(t, (size_t)reps) : 0;
    bf_h5frames_workspace_destroy(ws);
    bf_h5frames_destroy(f);
    unlink(path);
    free(out);
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
        rc = bench_memory(c, fr, nf, reps);
        if (rc == 0)
            rc = bench_file(c, fr, nf, reps, dir);
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
