/* The sparse matrix builder: pixels split into bins (pixel_split.c) laid out as the kernels read
 * them (ai_internal.h, bf__matrix): tiled CSR, rows ordered by (chunk, tile, bin), pixels
 * ascending within a row; or pixel-major for the histogram algorithm.
 *
 * Tiled CSR in two passes over the detector tiles, tile rows spread over threads (thread t gets
 * the same tiles in both):
 *   1. count: each tile's bins, sorted, with their entry counts (a per-thread dense counter over
 *      bins, reset through the list of bins touched; 1D no / bbox need no coefficients here);
 *   2. fill: a serial prefix over (chunk, tile) gives every tile's place in the matrix; each tile
 *      then lays out its rows from its count-pass list, splits its pixels again and puts each
 *      entry at its bin's cursor (pixel order within a row), summing each row's coef * norm and
 *      coef (the integrator's static sums) while the tile is in cache.
 * 1D no / bbox (the common case) take a faster road with the same result: a pixel's bins are a
 * range [first, last] from its bounds, computed a row of the tile at a time in vectorised loops;
 * the count adds +1 / -1 at the range's ends and sums once over the tile; the fill stages the
 * tile's entries in a per-thread buffer in their final order (the largest tile's size: for
 * very many bins, where a tile is the whole detector, that is a second copy of the matrix
 * while building), sums the rows from it and copies each block out in one stream.
 * Every tile is handled whole by one thread and owns its slots, so the matrix is the same bytes
 * for any number of threads. Invariant: the coefficients of every pixel put in the matrix sum to
 * 1 (up to float32 rounding; 2D full splitting to 1e-3, pyFAI's own approximation). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/ai_internal.h"
#include "core/error.h"

#define MAX_THREADS 16

void bf__matrix_free(bf__matrix *m)
{
    if (!m)
        return;
    free(m->row_ptr);
    free(m->col);
    free(m->coef);
    free(m->row_bin);
    free(m->chunk_row);
    free(m->row_norm);
    free(m->row_count);
    memset(m, 0, sizeof *m);
}

/* A tile's bin and its entry count, as the count pass found them (bins ascending per tile). */
typedef struct tile_bin {
    int32_t bin, n;
} tile_bin;

/* What a thread keeps between tiles. */
typedef struct worker {
    bf__split_scratch sc;
    int32_t *cnt;     /* nbins + 1, zero between tiles: entries per bin, then cursors */
    int32_t *touched; /* nbins: bins met in this tile */
    tile_bin *tb;     /* the thread's tiles' bins, in tile order (count pass), grown as needed */
    size_t ntb, cap;
    int failed;       /* out of memory growing tb */
    double *rn, *rc;  /* nbins, zero between tiles: the row sums of the tile's rows (1D no /
                         bbox: indexed by the tile's row) */
    int32_t *cur;     /* nbins (1D no / bbox): each of the tile's bins' cursor in scol/scoef */
    int32_t *scol;    /* 1D no / bbox: one tile's entries (the largest tile's count), staged */
    float *scoef;
} worker;

typedef struct build {
    const bf__split_input *in;
    size_t tr, tc, ntile_rows, ntile_cols, ntiles, nchunks;
    int64_t *ent;     /* ntiles * nchunks: entries of (tile, chunk), then their first slot */
    int64_t *rows;    /* ntiles * nchunks: rows of (tile, chunk), then their first row */
    size_t *tb_first; /* ntiles: the tile's first tile_bin in its thread's list */
    int32_t *tb_n;    /* ntiles: how many */
    worker *w;        /* one per thread; thread t gets the same tiles in both passes */
    bf__matrix *m;
    int ranges;       /* 1D no / bbox: a pixel's bins are a range from its bounds (below) */
    int simd;         /* AVX2 for the bounds (the same bits) */
} build;

/* Pixels whose bounds are computed in one vectorised call (1D no / bbox). */
#define RUN 256

static int cmp_i32(const void *a, const void *b)
{
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A tile's bins arrive nearly sorted (pixel order follows the rings): insertion sort for the
 * usual few dozen, qsort beyond. */
static void sort_bins(int32_t *v, size_t n)
{
    if (n > 1024) {
        qsort(v, n, sizeof *v, cmp_i32);
        return;
    }
    for (size_t a = 1; a < n; a++) {
        const int32_t x = v[a];
        size_t b = a;
        for (; b > 0 && v[b - 1] > x; b--)
            v[b] = v[b - 1];
        v[b] = x;
    }
}

/* The pixel rows and columns of tile q. */
static void tile_box(const build *bd, size_t q, size_t *i0, size_t *i1, size_t *j0, size_t *j1)
{
    const size_t ti = q / bd->ntile_cols, tj = q % bd->ntile_cols;
    *i0 = ti * bd->tr;
    *i1 = *i0 + bd->tr < bd->in->rows ? *i0 + bd->tr : bd->in->rows;
    *j0 = tj * bd->tc;
    *j1 = *j0 + bd->tc < bd->in->cols ? *j0 + bd->tc : bd->in->cols;
}

/* Count the entries per bin of tile q in w->cnt and list the bins met; returns how many.
 * 1D no / bbox: the bins are a range from the pixel's bounds, no coefficients needed. */
static size_t tile_count(const build *bd, size_t q, worker *w)
{
    const bf__split_input *in = bd->in;
    size_t i0, i1, j0, j1, nt = 0;
    tile_box(bd, q, &i0, &i1, &j0, &j1);
    if (bd->ranges) {
        /* each pixel adds 1 to the bins [first, last]: +1 at first and -1 after last in w->cnt,
         * then one running sum over the tile's span turns them into counts (two updates per
         * pixel instead of one per entry; the bins come out ascending) */
        const long npt = (long)in->npt;
        long span_lo = npt, span_hi = -1;
        double lo[RUN], hi[RUN];
        for (size_t i = i0; i < i1; i++)
            for (size_t js = j0; js < j1; js += RUN) {
                const size_t n = j1 - js < RUN ? j1 - js : RUN;
                const uint8_t *use = in->use + i * in->cols + js;
                bf__split_bounds_row(in, i, js, n, lo, hi, bd->simd);
                for (size_t j = 0; j < n; j++) {
                    long first, last;
                    if (!use[j] || !bf__bbox_bounds(lo[j], hi[j], npt, &first, &last))
                        continue;
                    w->cnt[first]++;
                    w->cnt[last + 1]--;
                    span_lo = first < span_lo ? first : span_lo;
                    span_hi = last > span_hi ? last : span_hi;
                }
            }
        int32_t run = 0;
        for (long b = span_lo; b <= span_hi; b++) {
            run += w->cnt[b];
            w->cnt[b] = run;
            if (run)
                w->touched[nt++] = (int32_t)b;
        }
        if (span_hi >= 0)
            w->cnt[span_hi + 1] = 0;
        return nt;
    }
    for (size_t i = i0; i < i1; i++)
        for (size_t j = j0, k = i * in->cols + j0; j < j1; j++, k++) {
            if (!in->use[k])
                continue;
            const size_t n = bf__split_pixel(in, i, j, &w->sc);
            for (size_t e = 0; e < n; e++)
                if (w->cnt[w->sc.bins[e]]++ == 0)
                    w->touched[nt++] = w->sc.bins[e];
        }
    return nt;
}

static void count_tiles(void *arg, size_t r0, size_t r1, int tid)
{
    const build *bd = arg;
    worker *w = &bd->w[tid];
    for (size_t q = r0 * bd->ntile_cols; q < r1 * bd->ntile_cols && !w->failed; q++) {
        const size_t nt = tile_count(bd, q, w);
        int32_t lo = INT32_MAX, hi = -1;
        for (size_t t = 0; t < nt; t++) {
            lo = w->touched[t] < lo ? w->touched[t] : lo;
            hi = w->touched[t] > hi ? w->touched[t] : hi;
        }
        if (bd->ranges) {
            /* listed ascending already */
        } else if (nt && (size_t)(hi - lo) < 4 * nt) { /* dense: the counters list them sorted */
            size_t u = 0;
            for (int32_t b = lo; b <= hi; b++)
                if (w->cnt[b])
                    w->touched[u++] = b;
        } else {
            sort_bins(w->touched, nt);
        }
        if (w->ntb + nt > w->cap) {
            const size_t cap = 2 * (w->ntb + nt) + 1024;
            tile_bin *tb = realloc(w->tb, cap * sizeof *tb);
            if (!tb) {
                w->failed = 1;
                break;
            }
            w->tb = tb;
            w->cap = cap;
        }
        bd->tb_first[q] = w->ntb;
        bd->tb_n[q] = (int32_t)nt;
        for (size_t t = 0; t < nt; t++) {
            const int32_t b = w->touched[t];
            const size_t at = q * bd->nchunks + (size_t)b / BF__CHUNK_BINS;
            bd->ent[at] += w->cnt[b];
            bd->rows[at] += 1;
            w->tb[w->ntb++] = (tile_bin){b, w->cnt[b]};
            w->cnt[b] = 0;
        }
    }
}

/* Fill tile q: its rows in bin order from the count pass, then its pixels split again and each
 * entry put at its bin's cursor (pixel order within a row), summing the rows' coef * norm and
 * coef on the way. */
static void fill_tile(const build *bd, size_t q, worker *w)
{
    const bf__split_input *in = bd->in;
    bf__matrix *m = bd->m;
    const tile_bin *tb = w->tb + bd->tb_first[q];
    const size_t nt = (size_t)bd->tb_n[q];
    const int64_t *ent = bd->ent + q * bd->nchunks;
    size_t ch = (size_t)-1;
    int64_t slot = 0, row = 0;
    for (size_t t = 0; t < nt; t++) {
        const int32_t b = tb[t].bin;
        if ((size_t)b / BF__CHUNK_BINS != ch) {
            ch = (size_t)b / BF__CHUNK_BINS;
            slot = ent[ch];
            row = bd->rows[q * bd->nchunks + ch];
        }
        m->row_ptr[row] = slot;
        m->row_bin[row++] = b;
        /* cursor relative to the (tile, chunk) block: fits int32 (checked after the count) */
        w->cnt[b] = (int32_t)(slot - ent[ch]);
        slot += tb[t].n;
    }
    size_t i0, i1, j0, j1;
    tile_box(bd, q, &i0, &i1, &j0, &j1);
    for (size_t i = i0; i < i1; i++)
        for (size_t j = j0, k = i * in->cols + j0; j < j1; j++, k++) {
            if (!in->use[k])
                continue;
            const size_t n = bf__split_pixel(in, i, j, &w->sc);
            for (size_t e = 0; e < n; e++) {
                const int32_t b = w->sc.bins[e];
                const float c = w->sc.coefs[e];
                const int64_t at = ent[(size_t)b / BF__CHUNK_BINS] + w->cnt[b]++;
                m->col[at] = (int32_t)k;
                m->coef[at] = c;
                if (w->rn) {
                    w->rn[b] += (double)c * in->norm[k];
                    w->rc[b] += c;
                }
            }
        }
    ch = (size_t)-1;
    for (size_t t = 0; t < nt; t++) {
        const int32_t b = tb[t].bin;
        if ((size_t)b / BF__CHUNK_BINS != ch) {
            ch = (size_t)b / BF__CHUNK_BINS;
            row = bd->rows[q * bd->nchunks + ch];
        }
        w->cnt[b] = 0;
        if (w->rn) {
            m->row_norm[row] = w->rn[b];
            m->row_count[row] = w->rc[b];
            w->rn[b] = w->rc[b] = 0;
        }
        row++;
    }
}

/* The sums of coef * norm[col] and of coef over each of a tile's nt staged rows (consecutive,
 * tb[t].n entries each) into sn[t], sc[t], each in entry order; two rows at a time so that four
 * independent additions are in flight instead of two dependent chains. */
static void row_sums(const int32_t *scol, const float *scoef, const float *norm,
                     const tile_bin *tb, size_t nt, double *sn, double *sc)
{
    int64_t e = 0;
    size_t t = 0;
    for (; t + 1 < nt; t += 2) {
        int64_t a = e, b = e + tb[t].n;
        const int64_t a1 = b, b1 = b + tb[t + 1].n;
        double na = 0, ca = 0, nb = 0, cb = 0;
        for (; a < a1 && b < b1; a++, b++) {
            na += (double)scoef[a] * norm[scol[a]];
            ca += scoef[a];
            nb += (double)scoef[b] * norm[scol[b]];
            cb += scoef[b];
        }
        for (; a < a1; a++) {
            na += (double)scoef[a] * norm[scol[a]];
            ca += scoef[a];
        }
        for (; b < b1; b++) {
            nb += (double)scoef[b] * norm[scol[b]];
            cb += scoef[b];
        }
        sn[t] = na;
        sc[t] = ca;
        sn[t + 1] = nb;
        sc[t + 1] = cb;
        e = b1;
    }
    if (t < nt) {
        double na = 0, ca = 0;
        for (int64_t a = e; a < e + tb[t].n; a++) {
            na += (double)scoef[a] * norm[scol[a]];
            ca += scoef[a];
        }
        sn[t] = na;
        sc[t] = ca;
    }
}

/* fill_tile for 1D no / bbox. The tile's entries are first put in the thread's staging buffer
 * (scol / scoef), laid out as the tile's blocks of the matrix (one per chunk) one after the
 * other: each bin's cursor in w->cur, the pixels' bounds computed a run at a time and their
 * entries (bf__bbox_run_of, the splitter's rule) put at the cursors. Each row's coef * norm and coef
 * are then summed in entry order, which is pixel order, the order fill_tile adds them in (the
 * same bits), from the cache-resident buffer, and each block is copied to its place in one
 * sequential stream instead of a few hundred scattered ones into fresh pages. */
static void fill_tile_ranges(const build *bd, size_t q, worker *w)
{
    const bf__split_input *in = bd->in;
    bf__matrix *m = bd->m;
    const tile_bin *tb = w->tb + bd->tb_first[q];
    const size_t nt = (size_t)bd->tb_n[q];
    const int64_t *ent = bd->ent + q * bd->nchunks, *rows = bd->rows + q * bd->nchunks;
    int32_t *restrict scol = w->scol, *restrict cur = w->cur;
    float *restrict scoef = w->scoef;
    size_t ch = (size_t)-1;
    int64_t local = 0, row = 0, blk0 = 0; /* blk0: where the current block starts in the buffer */
    for (size_t t = 0; t < nt; t++) {
        const int32_t b = tb[t].bin;
        if ((size_t)b / BF__CHUNK_BINS != ch) {
            ch = (size_t)b / BF__CHUNK_BINS;
            row = rows[ch];
            blk0 = local;
        }
        m->row_ptr[row] = ent[ch] + (local - blk0);
        m->row_bin[row++] = b;
        cur[b] = (int32_t)local; /* < the largest tile's entries: int32 (checked) */
        local += tb[t].n;
    }
    size_t i0, i1, j0, j1;
    tile_box(bd, q, &i0, &i1, &j0, &j1);
    const long npt = (long)in->npt;
    double lo[RUN], hi[RUN];
    for (size_t i = i0; i < i1; i++)
        for (size_t js = j0; js < j1; js += RUN) {
            const size_t n = j1 - js < RUN ? j1 - js : RUN, k0 = i * in->cols + js;
            bf__split_bounds_row(in, i, js, n, lo, hi, bd->simd);
            for (size_t j = 0; j < n; j++) {
                bf__bbox_run r;
                if (!in->use[k0 + j] || !bf__bbox_run_of(lo[j], hi[j], npt, &r))
                    continue;
                const int32_t k = (int32_t)(k0 + j);
                int32_t at = cur[r.bmin]++;
                scol[at] = k;
                scoef[at] = r.first;
                if (r.bmin == r.bmax)
                    continue;
                for (long b = r.bmin + 1; b < r.bmax; b++) {
                    at = cur[b]++;
                    scol[at] = k;
                    scoef[at] = r.mid;
                }
                at = cur[r.bmax]++;
                scol[at] = k;
                scoef[at] = r.last;
            }
        }
    if (in->norm)
        row_sums(scol, scoef, in->norm, tb, nt, w->rn, w->rc);
    ch = (size_t)-1;
    local = blk0 = 0;
    for (size_t t = 0; t <= nt; t++) {
        const size_t c = t < nt ? (size_t)tb[t].bin / BF__CHUNK_BINS : (size_t)-2;
        if (c != ch) {
            if (ch != (size_t)-1) {
                memcpy(m->col + ent[ch], scol + blk0, (size_t)(local - blk0) * sizeof *scol);
                memcpy(m->coef + ent[ch], scoef + blk0, (size_t)(local - blk0) * sizeof *scoef);
            }
            if (t == nt)
                break;
            ch = c;
            row = rows[ch];
            blk0 = local;
        }
        if (in->norm) {
            m->row_norm[row] = w->rn[t];
            m->row_count[row] = w->rc[t];
        }
        row++;
        local += tb[t].n;
    }
}
static void fill_tiles(void *arg, size_t r0, size_t r1, int tid)
{
    const build *bd = arg;
    for (size_t q = r0 * bd->ntile_cols; q < r1 * bd->ntile_cols; q++)
        if (bd->ranges)
            fill_tile_ranges(bd, q, &bd->w[tid]);
        else
            fill_tile(bd, q, &bd->w[tid]);
}

/* Turn the per-(tile, chunk) counts into first slots and rows, in (chunk, tile) order; the
 * largest tile's entry count goes to *maxent. */
static void lay_out(build *bd, size_t *maxent)
{
    bf__matrix *m = bd->m;
    int64_t e = 0, r = 0;
    *maxent = 0;
    for (size_t q = 0; q < bd->ntiles; q++) {
        int64_t s = 0;
        for (size_t c = 0; c < bd->nchunks; c++)
            s += bd->ent[q * bd->nchunks + c];
        if ((size_t)s > *maxent)
            *maxent = (size_t)s;
    }
    for (size_t c = 0; c < bd->nchunks; c++) {
        m->chunk_row[c] = (size_t)r;
        for (size_t q = 0; q < bd->ntiles; q++) {
            const size_t at = q * bd->nchunks + c;
            const int64_t ne = bd->ent[at], nr = bd->rows[at];
            bd->ent[at] = e;
            bd->rows[at] = r;
            e += ne;
            r += nr;
        }
    }
    m->chunk_row[bd->nchunks] = (size_t)r;
    m->nnz = (size_t)e;
    m->nrows = (size_t)r;
}

/* Tile shape: 8 x 256 pixels (L1-resident frame pieces), grown for very many bins so the
 * per-(tile, chunk) tables stay small; one tile for huge npt. */
static void choose_tiles(build *bd)
{
    const bf__split_input *in = bd->in;
    bd->tr = BF__TILE_ROWS;
    bd->tc = BF__TILE_COLS;
    for (int grow = 0;; grow++) {
        bd->ntile_rows = (in->rows + bd->tr - 1) / bd->tr;
        bd->ntile_cols = (in->cols + bd->tc - 1) / bd->tc;
        bd->ntiles = bd->ntile_rows * bd->ntile_cols;
        if (bd->nchunks * bd->ntiles <= ((size_t)1 << 22))
            return;
        if (grow >= 3) {
            bd->tr = in->rows;
            bd->tc = in->cols;
            bd->ntile_rows = bd->ntile_cols = bd->ntiles = 1;
            return;
        }
        bd->tr *= 2;
        bd->tc *= 2;
    }
}

static bf_status build_tiled(const bf__split_input *in, int nthreads, worker *w, bf__matrix *m)
{
    const size_t nbins = in->npt * (in->npt_azim ? in->npt_azim : 1);
    build bd = {.in = in, .nchunks = (nbins + BF__CHUNK_BINS - 1) / BF__CHUNK_BINS, .w = w,
                .m = m, .ranges = !in->npt_azim && in->split != BF_SPLIT_FULL,
                .simd = bf__cpu_has_avx2()};
    choose_tiles(&bd);
    bd.ent = calloc(bd.ntiles * bd.nchunks, sizeof *bd.ent);
    bd.rows = calloc(bd.ntiles * bd.nchunks, sizeof *bd.rows);
    bd.tb_first = malloc(bd.ntiles * sizeof *bd.tb_first);
    bd.tb_n = malloc(bd.ntiles * sizeof *bd.tb_n);
    m->nchunks = bd.nchunks;
    m->chunk_row = malloc((bd.nchunks + 1) * sizeof *m->chunk_row);
    bf_status st = BF_OK;
    for (int t = 0; t < nthreads; t++) {
        w[t].cnt = calloc(nbins + 1, sizeof *w[t].cnt); /* + 1: tile_count's end marks */
        w[t].touched = malloc(nbins * sizeof *w[t].touched);
        if (!w[t].cnt || !w[t].touched)
            st = BF_ENOMEM;
        if (bd.ranges && !st && !(w[t].cur = malloc(nbins * sizeof *w[t].cur)))
            st = BF_ENOMEM;
        if (in->norm && !st) {
            w[t].rn = calloc(nbins, sizeof *w[t].rn);
            w[t].rc = calloc(nbins, sizeof *w[t].rc);
            if (!w[t].rn || !w[t].rc)
                st = BF_ENOMEM;
        }
    }
    if (st || !bd.ent || !bd.rows || !bd.tb_first || !bd.tb_n || !m->chunk_row) {
        st = bf__error_set(BF_ENOMEM, "out of memory building the integration matrix");
        goto done;
    }
    const double t0 = bf_time_now();
    bf__parallel_rows(bd.ntile_rows, 1, nthreads, count_tiles, &bd);
    const double t1 = bf_time_now();
    for (int t = 0; t < nthreads; t++)
        if (w[t].failed) {
            st = bf__error_set(BF_ENOMEM, "out of memory counting the integration matrix");
            goto done;
        }
    size_t maxent = 0;
    lay_out(&bd, &maxent);
    if (maxent > INT32_MAX) {
        st = bf__error_set(BF_EUNSUPPORTED, "a detector tile splits into %zu matrix entries",
                           maxent);
        goto done;
    }
    for (int t = 0; t < nthreads && bd.ranges; t++) {
        w[t].scol = malloc((maxent ? maxent : 1) * sizeof *w[t].scol);
        w[t].scoef = malloc((maxent ? maxent : 1) * sizeof *w[t].scoef);
        if (!w[t].scol || !w[t].scoef)
            st = BF_ENOMEM;
    }
    m->col = bf__big_alloc(m->nnz * sizeof *m->col);
    m->coef = bf__big_alloc(m->nnz * sizeof *m->coef);
    m->row_ptr = malloc((m->nrows + 1) * sizeof *m->row_ptr);
    m->row_bin = malloc((m->nrows ? m->nrows : 1) * sizeof *m->row_bin);
    if (in->norm) {
        m->row_norm = malloc((m->nrows ? m->nrows : 1) * sizeof *m->row_norm);
        m->row_count = malloc((m->nrows ? m->nrows : 1) * sizeof *m->row_count);
        if (!m->row_norm || !m->row_count)
            st = BF_ENOMEM;
    }
    if (st || !m->col || !m->coef || !m->row_ptr || !m->row_bin) {
        st = bf__error_set(BF_ENOMEM, "out of memory for an integration matrix of %zu entries",
                           m->nnz);
        goto done;
    }
    m->row_ptr[m->nrows] = (int64_t)m->nnz;
    const double t2 = bf_time_now();
    bf__parallel_rows(bd.ntile_rows, 1, nthreads, fill_tiles, &bd);
    bf__log(BF_LOG_DEBUG, "matrix: count %.3f s, lay out %.3f s, fill %.3f s", t1 - t0, t2 - t1,
            bf_time_now() - t2);
done:
    free(bd.ent);
    free(bd.rows);
    free(bd.tb_first);
    free(bd.tb_n);
    return st;
}

/* Pixel-major (histogram): one row per pixel, the pixel's bins as columns. */
typedef struct pm_job {
    const bf__split_input *in;
    worker *w;
    bf__matrix *m;
    int fill;
} pm_job;

static void pixel_major_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const pm_job *p = arg;
    const bf__split_input *in = p->in;
    bf__split_scratch *sc = &p->w[tid].sc;
    for (size_t k = r0 * in->cols, i = r0; i < r1; i++)
        for (size_t j = 0; j < in->cols; j++, k++) {
            if (!in->use[k])
                continue;
            const size_t n = bf__split_pixel(in, i, j, sc);
            if (!p->fill) {
                p->m->row_ptr[k + 1] = (int64_t)n;
                continue;
            }
            for (size_t e = 0; e < n; e++) {
                p->m->col[p->m->row_ptr[k] + (int64_t)e] = sc->bins[e];
                p->m->coef[p->m->row_ptr[k] + (int64_t)e] = sc->coefs[e];
            }
        }
}

static bf_status build_pixel_major(const bf__split_input *in, int nthreads, worker *w,
                                   bf__matrix *m)
{
    const size_t npix = in->rows * in->cols;
    if (!(m->row_ptr = calloc(npix + 1, sizeof *m->row_ptr)))
        return bf__error_set(BF_ENOMEM, "out of memory building the integration matrix");
    pm_job p = {in, w, m, 0};
    bf__parallel_rows(in->rows, 1, nthreads, pixel_major_rows, &p);
    for (size_t k = 0; k < npix; k++)
        m->row_ptr[k + 1] += m->row_ptr[k];
    m->nrows = npix;
    m->nnz = (size_t)m->row_ptr[npix];
    m->col = bf__big_alloc(m->nnz * sizeof *m->col);
    m->coef = bf__big_alloc(m->nnz * sizeof *m->coef);
    if (!m->col || !m->coef)
        return bf__error_set(BF_ENOMEM, "out of memory for an integration matrix of %zu entries",
                             m->nnz);
    p.fill = 1;
    bf__parallel_rows(in->rows, 1, nthreads, pixel_major_rows, &p);
    return BF_OK;
}

bf_status bf__matrix_build(const bf__split_input *in, int transpose, bf__matrix *m)
{
    bf_status st = BF_OK;
    const int nthreads = in->nthreads < 1 ? 1 : in->nthreads > MAX_THREADS ? MAX_THREADS
                                                                            : in->nthreads;
    worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    memset(m, 0, sizeof *m);
    if (in->rows * in->cols > INT32_MAX) {
        st = bf__error_set(BF_EUNSUPPORTED, "detector of %zu pixels is too large",
                           in->rows * in->cols);
        goto done;
    }
    for (int t = 0; t < nthreads; t++)
        if ((st = bf__split_scratch_init(&w[t].sc, in)))
            goto done;
    st = transpose ? build_pixel_major(in, nthreads, w, m) : build_tiled(in, nthreads, w, m);
done:
    for (int t = 0; t < nthreads; t++) {
        bf__split_scratch_free(&w[t].sc);
        free(w[t].cnt);
        free(w[t].touched);
        free(w[t].tb);
        free(w[t].rn);
        free(w[t].rc);
        free(w[t].cur);
        free(w[t].scol);
        free(w[t].scoef);
    }
    if (st)
        bf__matrix_free(m);
    return st;
}
