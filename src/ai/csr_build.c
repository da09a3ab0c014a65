/* Pixel-to-bin splitting and the sparse matrix builder, for pyFAI's three schemes
 * (refs/pyfai-formulas.md "Pixel -> bin coefficients"; pyFAI 0.21.3 splitBBoxCSR and
 * FullSplitCSR_1d):
 *   no    one bin per pixel, b = (int)((c - pos0_min) / delta_bin) (C truncation), dropped
 *         outside [0, npt);
 *   bbox  the interval [c - d, c + d] in bin units, truncated bounds, clipped to [0, npt), edge
 *         bins weighted by their overlap, interior bins by 1 / width;
 *   full  the pixel's quadrilateral in (bin, chi) space, exact area per bin accumulated edge by
 *         edge into a float32 buffer (as pyFAI) and normalised by the in-range total;
 *   2D    (no, bbox) the radial rule times the same rule on chi (HistoBBox2d), bin = ia*npt + ir.
 * The build runs two passes (count, fill) over bands of whole detector tiles on several threads;
 * each key (chunk, tile, bin) belongs to one band, so the matrix is the same for any number of
 * threads. Invariants: the coefficients of every pixel put in the matrix sum to 1 (up to float32
 * rounding); within a row the pixel indices ascend, so a row streams its tile forwards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/ai_internal.h"
#include "core/error.h"

void bf__matrix_free(bf__matrix *m)
{
    if (!m)
        return;
    free(m->row_ptr);
    free(m->col);
    free(m->coef);
    free(m->row_bin);
    free(m->chunk_row);
    memset(m, 0, sizeof *m);
}

typedef struct scratch {
    int32_t *bins;  /* nbins + npt + npt_azim: the pixel's bins, then 2D's per-axis bins */
    float *coefs;   /* nbins */
    double *fracs;  /* npt + npt_azim: per-axis fractions */
    float *buffer;  /* full split: area per bin, npt floats, kept zeroed between pixels */
} scratch;

static inline double piece_area(double x1, double x2, double s, double t)
{
    return (x2 - x1) * (0.5 * s * (x1 + x2) + t);
}

static inline void add_piece(float *buf, long npt, double x1, double x2, double s, double t)
{
    long b = (long)floor(x1 < x2 ? x1 : x2);
    if (b >= 0 && b < npt)
        buf[b] += (float)piece_area(x1, x2, s, t);
}

/* Integrate the edge (xa, ya) -> (xb, yb) into buf, one piece per bin, in the edge's
 * direction: a partial first piece, whole bins, a partial last piece. */
static void integrate_edge(float *buf, long npt, double xa, double ya, double xb, double yb)
{
    if (xa == xb)
        return;
    const double s = (yb - ya) / (xb - xa), t = ya - s * xa;
    if (xa < xb) {
        double P = ceil(xa);
        if (P >= xb) {
            add_piece(buf, npt, xa, xb, s, t);
            return;
        }
        if (P > xa)
            add_piece(buf, npt, xa, P, s, t);
        double last = floor(xb);
        for (double i = P; i < last; i += 1)
            add_piece(buf, npt, i, i + 1, s, t);
        if (xb > last)
            add_piece(buf, npt, last, xb, s, t);
    } else {
        double P = floor(xa);
        if (P <= xb) {
            add_piece(buf, npt, xa, xb, s, t);
            return;
        }
        if (P < xa)
            add_piece(buf, npt, xa, P, s, t);
        double last = ceil(xb);
        for (double i = P; i > last; i -= 1)
            add_piece(buf, npt, i, i - 1, s, t);
        if (xb < last)
            add_piece(buf, npt, last, xb, s, t);
    }
}

static size_t split_full(const bf__split_input *in, size_t k, scratch *sc)
{
    const size_t C1 = in->cols + 1, i = k / in->cols, j = k % in->cols;
    const size_t idx[4] = {i * C1 + j, (i + 1) * C1 + j, (i + 1) * C1 + j + 1, i * C1 + j + 1};
    const long npt = (long)in->npt;
    double x[4], y[4], xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int c = 0; c < 4; c++) {
        x[c] = ((double)in->crad[idx[c]] - in->pos0_min) / in->delta_bin;
        y[c] = in->cchi[idx[c]];
        xmin = fmin(xmin, x[c]);
        xmax = fmax(xmax, x[c]);
        ymin = fmin(ymin, y[c]);
        ymax = fmax(ymax, y[c]);
    }
    if (ymax - ymin > M_PI) { /* the quad straddles chi = +-pi: unwrap it */
        double mean = 0;
        for (int c = 0; c < 4; c++) {
            if (y[c] < 0)
                y[c] += 2 * M_PI;
            mean += y[c];
        }
        if (mean / 4 > M_PI)
            for (int c = 0; c < 4; c++)
                y[c] -= 2 * M_PI;
    }
    const double fmn = floor(xmin), fmx = floor(xmax);
    if (fmx < 0 || fmn >= (double)npt)
        return 0;
    if (fmn == fmx) {
        sc->bins[0] = (int32_t)fmn;
        sc->coefs[0] = 1.0f;
        return 1;
    }
    for (int c = 0; c < 4; c++)
        integrate_edge(sc->buffer, npt, x[c], y[c], x[(c + 1) % 4], y[(c + 1) % 4]);
    long lo = fmn < 0 ? 0 : (long)fmn, hi = fmx + 1 > (double)npt ? npt : (long)fmx + 1;
    float sum = 0;
    for (long b = lo; b < hi; b++)
        sum += sc->buffer[b];
    size_t n = 0;
    for (long b = lo; b < hi; b++) {
        float v = sc->buffer[b];
        sc->buffer[b] = 0;
        if (v != 0 && sum != 0) {
            sc->bins[n] = (int32_t)b;
            sc->coefs[n++] = v / sum;
        }
    }
    return n;
}

/* The bbox rule on one axis: [fmin, fmax] in bin units, truncated bounds clipped to [0, n),
 * edge bins weighted by their overlap, interior bins by 1 / width (pyFAI's splitBBox).
 * Returns the number of bins written to bins/fracs (0: outside). */
static size_t bbox_axis(double fmin, double fmax, long n, int32_t *bins, double *fracs)
{
    if (!(fmin < (double)n) || !(fmax >= -1.0)) /* far out: (long) would overflow */
        return 0;
    long bmin = (long)fmin, bmax = (long)fmax;
    if (bmax < 0 || bmin >= n)
        return 0;
    if (bmin < 0)
        bmin = 0;
    if (bmax > n - 1)
        bmax = n - 1;
    if (bmin == bmax) {
        bins[0] = (int32_t)bmin;
        fracs[0] = 1.0;
        return 1;
    }
    const double inv = 1.0 / (fmax - fmin);
    size_t m = 0;
    bins[m] = (int32_t)bmin;
    fracs[m++] = ((double)bmin + 1 - fmin) * inv;
    for (long b = bmin + 1; b < bmax; b++) {
        bins[m] = (int32_t)b;
        fracs[m++] = inv;
    }
    bins[m] = (int32_t)bmax;
    fracs[m++] = (fmax - (double)bmax) * inv;
    return m;
}

/* 2D: radial bins x azimuthal bins, coefficient = product of the two axes' fractions;
 * bin = ia * npt + ir; both axes follow the 1D bbox rule (pyFAI's HistoBBox2d). */
static size_t split_2d(const bf__split_input *in, size_t k, scratch *sc)
{
    const long npt = (long)in->npt, na = (long)in->npt_azim;
    int32_t *rb = sc->bins + in->npt * in->npt_azim, *ab = rb + in->npt;
    double *rf = sc->fracs, *af = rf + in->npt;
    const double c0 = in->centre[k], d0 = in->delta ? in->delta[k] : 0;
    const double c1 = in->chi[k], d1 = in->dchi ? in->dchi[k] : 0;
    size_t nr, nz;
    if (!in->delta) {
        long b = (long)((c0 - in->pos0_min) / in->delta_bin);
        if (b < 0 || b >= npt)
            return 0;
        rb[0] = (int32_t)b;
        rf[0] = 1;
        nr = 1;
    } else {
        nr = bbox_axis((c0 - d0 - in->pos0_min) / in->delta_bin,
                       (c0 + d0 - in->pos0_min) / in->delta_bin, npt, rb, rf);
    }
    if (!in->dchi) {
        long b = (long)((c1 - in->pos1_min) / in->delta1);
        if (b < 0 || b >= na)
            return 0;
        ab[0] = (int32_t)b;
        af[0] = 1;
        nz = 1;
    } else {
        nz = bbox_axis((c1 - d1 - in->pos1_min) / in->delta1, (c1 + d1 - in->pos1_min) / in->delta1,
                       na, ab, af);
    }
    size_t n = 0;
    for (size_t a = 0; a < nz; a++)
        for (size_t r = 0; r < nr; r++) {
            sc->bins[n] = (int32_t)(ab[a] * npt + rb[r]);
            sc->coefs[n++] = (float)(af[a] * rf[r]);
        }
    return n;
}

/* Bins and coefficients of pixel k into sc; returns how many. */
static size_t split_pixel(const bf__split_input *in, size_t k, scratch *sc)
{
    if (in->npt_azim)
        return split_2d(in, k, sc);
    const long npt = (long)in->npt;
    if (in->split == BF_SPLIT_NO) {
        long b = (long)((in->centre[k] - in->pos0_min) / in->delta_bin);
        if (b < 0 || b >= npt)
            return 0;
        sc->bins[0] = (int32_t)b;
        sc->coefs[0] = 1.0f;
        return 1;
    }
    if (in->split == BF_SPLIT_FULL)
        return split_full(in, k, sc);
    const double c = in->centre[k], d = in->delta[k];
    size_t n = bbox_axis((c - d - in->pos0_min) / in->delta_bin,
                         (c + d - in->pos0_min) / in->delta_bin, npt, sc->bins, sc->fracs);
    for (size_t e = 0; e < n; e++)
        sc->coefs[e] = (float)sc->fracs[e];
    return n;
}

/* Sort key of pixel k in bin b for the tiled CSR layout: (chunk, tile, bin-in-chunk). */
/* The tiled layout's keys: one per (chunk, tile, bin) that a tile can reach. A tile reaches a
 * contiguous range of bins [lo, hi] (its pixels' bins, found by a first pass), so the keys are
 * few (about 40 per tile on a 2M detector) and their order (chunk, tile, bin) is the row order
 * of the matrix. key(tile, b) = kb[tile * nchunks + b / CHUNK] + b. */
typedef struct tiling {
    size_t cols, tr, tc, ntile_cols, ntiles, nchunks;
    int64_t *lo, *hi;   /* ntiles: bin range reached by each tile (lo > hi: none) */
    int64_t *kb;        /* ntiles * nchunks: key base (key = kb + bin) */
    int32_t *key_bin;   /* nkeys: the bin of each key */
    size_t *chunk_key;  /* nchunks + 1: first key of each chunk */
    size_t nkeys;
} tiling;

static inline size_t tile_of(const tiling *t, size_t i, size_t j)
{
    return (i / t->tr) * t->ntile_cols + j / t->tc;
}

static inline size_t tiled_key(const tiling *t, size_t tile, size_t b)
{
    return (size_t)(t->kb[tile * t->nchunks + b / BF__CHUNK_BINS] + (int64_t)b);
}

/* The build passes run in parallel over bands of whole tiles (pixel-major: any rows): different
 * bands touch different tiles and keys, so the threads never write the same counter. */
typedef struct pass {
    const bf__split_input *in;
    tiling *t;
    int transpose;
    scratch *sc;     /* one per thread */
    int64_t *count;  /* pass 1 */
    int64_t *fill;   /* pass 2 */
    bf__matrix *m;   /* pass 2 */
} pass;

static void range_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const pass *p = arg;
    const bf__split_input *in = p->in;
    scratch *sc = &p->sc[tid];
    for (size_t i = r0; i < r1; i++)
        for (size_t j = 0, k = i * in->cols; j < in->cols; j++, k++) {
            if (!in->use[k])
                continue;
            size_t n = split_pixel(in, k, sc); /* bins ascend */
            if (!n)
                continue;
            const size_t tile = tile_of(p->t, i, j);
            if (sc->bins[0] < p->t->lo[tile])
                p->t->lo[tile] = sc->bins[0];
            if (sc->bins[n - 1] > p->t->hi[tile])
                p->t->hi[tile] = sc->bins[n - 1];
        }
}

static void count_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const pass *p = arg;
    const bf__split_input *in = p->in;
    scratch *sc = &p->sc[tid];
    for (size_t i = r0; i < r1; i++)
        for (size_t j = 0, k = i * in->cols; j < in->cols; j++, k++) {
            if (!in->use[k])
                continue;
            size_t n = split_pixel(in, k, sc);
            if (p->transpose) {
                p->count[k + 1] = (int64_t)n;
                continue;
            }
            const size_t tile = tile_of(p->t, i, j);
            for (size_t e = 0; e < n; e++)
                p->count[tiled_key(p->t, tile, (size_t)sc->bins[e]) + 1]++;
        }
}

static void fill_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const pass *p = arg;
    const bf__split_input *in = p->in;
    scratch *sc = &p->sc[tid];
    for (size_t i = r0; i < r1; i++)
        for (size_t j = 0, k = i * in->cols; j < in->cols; j++, k++) {
            if (!in->use[k])
                continue;
            size_t n = split_pixel(in, k, sc);
            const size_t tile = p->transpose ? 0 : tile_of(p->t, i, j);
            for (size_t e = 0; e < n; e++) {
                int64_t at = p->transpose ? p->fill[k]++
                                          : p->fill[tiled_key(p->t, tile, (size_t)sc->bins[e])]++;
                p->m->col[at] = p->transpose ? sc->bins[e] : (int32_t)k;
                p->m->coef[at] = sc->coefs[e];
            }
        }
}

/* The bins [a, b] of chunk c that tile q reaches (a > b: none). */
static void chunk_range(const tiling *t, size_t q, size_t c, int64_t *a, int64_t *b)
{
    const int64_t first = (int64_t)(c * BF__CHUNK_BINS), last = first + BF__CHUNK_BINS - 1;
    *a = t->lo[q] > first ? t->lo[q] : first;
    *b = t->hi[q] < last ? t->hi[q] : last;
}

/* Lay the keys out in (chunk, tile, bin) order from the tiles' bin ranges. */
static bf_status layout_keys(tiling *t)
{
    size_t nkeys = 0;
    for (size_t c = 0; c < t->nchunks; c++)
        for (size_t q = 0; q < t->ntiles; q++) {
            int64_t a, b;
            chunk_range(t, q, c, &a, &b);
            if (a <= b)
                nkeys += (size_t)(b - a + 1);
        }
    t->nkeys = nkeys;
    t->key_bin = malloc((nkeys ? nkeys : 1) * sizeof *t->key_bin);
    if (!t->key_bin)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu matrix keys", nkeys);
    size_t k = 0;
    for (size_t c = 0; c < t->nchunks; c++) {
        t->chunk_key[c] = k;
        for (size_t q = 0; q < t->ntiles; q++) {
            int64_t a, b;
            chunk_range(t, q, c, &a, &b);
            t->kb[q * t->nchunks + c] = (int64_t)k - a;
            for (int64_t bin = a; bin <= b; bin++)
                t->key_bin[k++] = (int32_t)bin;
        }
    }
    t->chunk_key[t->nchunks] = k;
    return BF_OK;
}

/* Turn the per-key offsets of the tiled layout into segments (non-empty keys only). */
static bf_status compact_segments(const tiling *t, const int64_t *key_ptr, bf__matrix *m)
{
    size_t nseg = 0;
    for (size_t q = 0; q < t->nkeys; q++)
        nseg += key_ptr[q + 1] > key_ptr[q];
    m->nrows = nseg;
    m->nchunks = t->nchunks;
    m->row_ptr = malloc((nseg + 1) * sizeof *m->row_ptr);
    m->row_bin = malloc((nseg ? nseg : 1) * sizeof *m->row_bin);
    m->chunk_row = malloc((t->nchunks + 1) * sizeof *m->chunk_row);
    if (!m->row_ptr || !m->row_bin || !m->chunk_row)
        return bf__error_set(BF_ENOMEM, "out of memory for the matrix segments");
    size_t r = 0;
    for (size_t c = 0; c < t->nchunks; c++) {
        m->chunk_row[c] = r;
        for (size_t q = t->chunk_key[c]; q < t->chunk_key[c + 1]; q++)
            if (key_ptr[q + 1] > key_ptr[q]) {
                m->row_ptr[r] = key_ptr[q];
                m->row_bin[r++] = t->key_bin[q];
            }
    }
    m->chunk_row[t->nchunks] = r;
    m->row_ptr[r] = key_ptr[t->nkeys];
    return BF_OK;
}

static void tiling_free(tiling *t)
{
    free(t->lo);
    free(t->hi);
    free(t->kb);
    free(t->key_bin);
    free(t->chunk_key);
}

bf_status bf__matrix_build(const bf__split_input *in, int transpose, bf__matrix *m)
{
    bf_status st = BF_OK;
    const size_t npix = in->rows * in->cols, npt = in->npt;
    const size_t na = in->npt_azim, nbins = npt * (na ? na : 1);
    tiling t = {in->cols, BF__TILE_ROWS, BF__TILE_COLS, 0, 0,
                (nbins + BF__CHUNK_BINS - 1) / BF__CHUNK_BINS, NULL, NULL, NULL, NULL, NULL, 0};
    /* Smaller tiles are faster (L1-resident) but need a key base per (tile, chunk): grow the
     * tiles for very many bins; one tile for huge npt. */
    for (int grow = 0;; grow++) {
        t.ntile_cols = (in->cols + t.tc - 1) / t.tc;
        t.ntiles = ((in->rows + t.tr - 1) / t.tr) * t.ntile_cols;
        if (t.nchunks * t.ntiles <= ((size_t)1 << 22) || transpose)
            break;
        if (grow >= 3) {
            t.tr = in->rows;
            t.tc = in->cols;
            t.ntile_cols = t.ntiles = 1;
            break;
        }
        t.tr *= 2;
        t.tc *= 2;
    }
    const int nthreads = in->nthreads < 1 ? 1 : in->nthreads > 16 ? 16 : in->nthreads;
    scratch sc[16] = {{0}};
    int64_t *ptr = NULL, *fill = NULL;
    memset(m, 0, sizeof *m);
    int ok = 1;
    for (int i = 0; i < nthreads; i++) {
        sc[i].bins = malloc((nbins + npt + na) * sizeof(int32_t));
        sc[i].coefs = malloc(nbins * sizeof(float));
        sc[i].fracs = malloc((npt + na) * sizeof(double));
        sc[i].buffer = calloc(npt, sizeof(float));
        ok = ok && sc[i].bins && sc[i].coefs && sc[i].fracs && sc[i].buffer;
    }
    if (!transpose) {
        t.lo = malloc(t.ntiles * sizeof *t.lo);
        t.hi = malloc(t.ntiles * sizeof *t.hi);
        t.kb = malloc(t.ntiles * t.nchunks * sizeof *t.kb);
        t.chunk_key = malloc((t.nchunks + 1) * sizeof *t.chunk_key);
        ok = ok && t.lo && t.hi && t.kb && t.chunk_key;
        for (size_t q = 0; ok && q < t.ntiles; q++) {
            t.lo[q] = INT64_MAX;
            t.hi[q] = -1;
        }
    }
    if (!ok) {
        st = bf__error_set(BF_ENOMEM, "out of memory building the integration matrix");
        goto done;
    }
    if (npix > INT32_MAX) {
        st = bf__error_set(BF_EUNSUPPORTED, "detector of %zu pixels is too large", npix);
        goto done;
    }
    pass p = {in, &t, transpose, sc, NULL, NULL, m};
    const size_t align = transpose ? 1 : t.tr;
    if (!transpose) {
        bf__parallel_rows(in->rows, align, nthreads, range_rows, &p);
        if ((st = layout_keys(&t)))
            goto done;
    }
    const size_t nkeys = transpose ? npix : t.nkeys;
    if (!(ptr = calloc(nkeys + 1, sizeof *ptr))) {
        st = bf__error_set(BF_ENOMEM, "out of memory building the integration matrix");
        goto done;
    }
    p.count = ptr;
    bf__parallel_rows(in->rows, align, nthreads, count_rows, &p);
    for (size_t q = 0; q < nkeys; q++)
        ptr[q + 1] += ptr[q];
    m->nnz = (size_t)ptr[nkeys];
    m->col = malloc((m->nnz ? m->nnz : 1) * sizeof *m->col);
    m->coef = malloc((m->nnz ? m->nnz : 1) * sizeof *m->coef);
    fill = malloc((nkeys ? nkeys : 1) * sizeof *fill);
    if (!m->col || !m->coef || !fill) {
        st = bf__error_set(BF_ENOMEM, "out of memory for an integration matrix of %zu entries",
                           m->nnz);
        goto done;
    }
    memcpy(fill, ptr, nkeys * sizeof *fill);
    p.fill = fill;
    /* Pass 2: fill; within a band pixels go in ascending order, and a key belongs to one band,
     * so pixels ascend within every row of the matrix whatever the thread count. */
    bf__parallel_rows(in->rows, align, nthreads, fill_rows, &p);
    if (transpose) {
        m->nrows = npix;
        m->row_ptr = ptr;
        ptr = NULL;
    } else {
        st = compact_segments(&t, ptr, m);
    }
done:
    free(fill);
    free(ptr);
    tiling_free(&t);
    for (int i = 0; i < nthreads; i++) {
        free(sc[i].bins);
        free(sc[i].coefs);
        free(sc[i].fracs);
        free(sc[i].buffer);
    }
    if (st)
        bf__matrix_free(m);
    return st;
}
