/* Pixel splitting for pyFAI's three schemes (refs/pyfai-formulas.md "Pixel -> bin coefficients";
 * pyFAI 0.21.3 splitBBoxCSR and FullSplitCSR_1d):
 *   no    one bin per pixel, b = (int)((c - pos0_min) / delta_bin) (C truncation), dropped
 *         outside [0, npt);
 *   bbox  the interval [c - d, c + d] in bin units, truncated bounds, clipped to [0, npt), edge
 *         bins weighted by their overlap, interior bins by 1 / width;
 *   full  the pixel's quadrilateral in (bin, chi) space, exact area per bin accumulated edge by
 *         edge into a float32 buffer (as pyFAI) and normalised by the in-range total;
 *   2D    (no, bbox) the radial rule times the same rule on chi (HistoBBox2d), bin = ia*npt + ir;
 *         full: split_full2d.c.
 * Invariant: the coefficients of a pixel sum to 1 (up to float32 rounding) and its bins ascend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/ai_internal.h"
#include "core/error.h"

bf_status bf__split_scratch_init(bf__split_scratch *sc, const bf__split_input *in)
{
    const size_t npt = in->npt, na = in->npt_azim, nbins = npt * (na ? na : 1);
    memset(sc, 0, sizeof *sc);
    sc->bins = malloc((nbins + npt + na) * sizeof(int32_t));
    sc->coefs = malloc(nbins * sizeof(float));
    sc->fracs = malloc((npt + na) * sizeof(double));
    /* full split: 1D area per bin (npt), 2D area per cell of a pixel's window */
    const size_t nbuf = na && in->split == BF_SPLIT_FULL ? (npt + 2) * (na + 2) : npt;
    sc->buffer = calloc(nbuf, sizeof(float));
    if (!sc->bins || !sc->coefs || !sc->fracs || !sc->buffer) {
        bf__split_scratch_free(sc);
        return bf__error_set(BF_ENOMEM, "out of memory for pixel splitting (%zu bins)", nbins);
    }
    return BF_OK;
}

void bf__split_scratch_free(bf__split_scratch *sc)
{
    free(sc->bins);
    free(sc->coefs);
    free(sc->fracs);
    free(sc->buffer);
    memset(sc, 0, sizeof *sc);
}

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

void bf__unwrap_chi(double y[4])
{
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

void bf__full_chi_extent(const float *cchi, size_t cols, size_t i, size_t j, double *lo,
                         double *hi)
{
    const size_t C1 = cols + 1;
    const size_t idx[4] = {i * C1 + j, (i + 1) * C1 + j, (i + 1) * C1 + j + 1, i * C1 + j + 1};
    double y[4], ymin = INFINITY, ymax = -INFINITY;
    for (int c = 0; c < 4; c++) {
        y[c] = cchi[idx[c]];
        ymin = fmin(ymin, y[c]);
        ymax = fmax(ymax, y[c]);
    }
    if (ymax - ymin > M_PI) {
        bf__unwrap_chi(y);
        ymin = fmin(fmin(y[0], y[1]), fmin(y[2], y[3]));
        ymax = fmax(fmax(y[0], y[1]), fmax(y[2], y[3]));
    }
    *lo = ymin;
    *hi = ymax;
}

static size_t split_full(const bf__split_input *in, size_t i, size_t j, bf__split_scratch *sc)
{
    const size_t C1 = in->cols + 1;
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
    if (ymax - ymin > M_PI)
        bf__unwrap_chi(y);
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
static size_t split_2d(const bf__split_input *in, size_t k, bf__split_scratch *sc)
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
size_t bf__split_pixel(const bf__split_input *in, size_t i, size_t j, bf__split_scratch *sc)
{
    const size_t k = i * in->cols + j;
    if (in->npt_azim)
        return in->split == BF_SPLIT_FULL ? bf__split_full_2d(in, i, j, sc) : split_2d(in, k, sc);
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
        return split_full(in, i, j, sc);
    const double c = in->centre[k];
    const double d = in->delta ? in->delta[k] : bf__bbox_delta(in->crad, in->cols, i, j, c);
    return bf__bbox_1d((c - d - in->pos0_min) / in->delta_bin,
                       (c + d - in->pos0_min) / in->delta_bin, npt, sc->bins, sc->coefs);
}

/* bf__bbox_delta of pixels j0 .. j0+n-1 of row i (cen: their centres) into d, the same
 * operations in the same order (corners a, a + C1, a + C1 + 1, a + 1); vectorised as
 * bounds_row below. */
static inline __attribute__((always_inline)) void delta_row(const float *crad, size_t C, size_t i,
                                                            size_t j0, size_t n,
                                                            const double *restrict cen,
                                                            double *restrict d)
{
    const size_t C1 = C + 1;
    const float *restrict r0 = crad + i * C1 + j0, *restrict r1 = r0 + C1;
    for (size_t j = 0; j < n; j++) {
        const double c = cen[j];
        double m = 0, v;
        v = fabs((double)r0[j] - c);
        m = v > m ? v : m;
        v = fabs((double)r1[j] - c);
        m = v > m ? v : m;
        v = fabs((double)r1[j + 1] - c);
        m = v > m ? v : m;
        v = fabs((double)r0[j + 1] - c);
        m = v > m ? v : m;
        d[j] = m;
    }
}

/* The bin-unit bounds of pixels j0 .. j0+n-1 of row i (1D no / bbox), exactly as
 * bf__split_pixel forms them: (c - d - pos0_min) / delta_bin and (c + d - ...) (d = 0 for no
 * splitting). In a loop the compiler vectorises, inlined into a plain and an AVX2 copy (the same
 * IEEE operations in the same order, no FMA: the same bits). */
static inline __attribute__((always_inline)) void
bounds_row(const bf__split_input *in, size_t i, size_t j0, size_t n, double *restrict lo,
           double *restrict hi)
{
    const size_t C = in->cols, k0 = i * C + j0;
    const double *restrict cen = in->centre + k0;
    const double p0 = in->pos0_min, db = in->delta_bin;
    if (in->split == BF_SPLIT_NO) {
        for (size_t j = 0; j < n; j++)
            lo[j] = hi[j] = (cen[j] - p0) / db;
        return;
    }
    if (in->delta) {
        const double *restrict dl = in->delta + k0;
        for (size_t j = 0; j < n; j++) {
            lo[j] = (cen[j] - dl[j] - p0) / db;
            hi[j] = (cen[j] + dl[j] - p0) / db;
        }
        return;
    }
    delta_row(in->crad, C, i, j0, n, cen, lo);
    for (size_t j = 0; j < n; j++) {
        const double c = cen[j], d = lo[j];
        lo[j] = (c - d - p0) / db;
        hi[j] = (c + d - p0) / db;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
static __attribute__((target("avx2"))) void bounds_row_avx2(const bf__split_input *in, size_t i,
                                                            size_t j0, size_t n, double *lo,
                                                            double *hi)
{
    bounds_row(in, i, j0, n, lo, hi);
}
#endif

static void bounds_row_plain(const bf__split_input *in, size_t i, size_t j0, size_t n,
                             double *lo, double *hi)
{
    bounds_row(in, i, j0, n, lo, hi);
}

void bf__split_bounds_row(const bf__split_input *in, size_t i, size_t j0, size_t n, double *lo,
                          double *hi, int simd)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (simd) {
        bounds_row_avx2(in, i, j0, n, lo, hi);
        return;
    }
#endif
    (void)simd;
    bounds_row_plain(in, i, j0, n, lo, hi);
}

#if defined(__x86_64__) && defined(__GNUC__)
static __attribute__((target("avx2"))) void delta_row_avx2(const float *crad, size_t C, size_t i,
                                                           size_t j0, size_t n,
                                                           const double *cen, double *d)
{
    delta_row(crad, C, i, j0, n, cen, d);
}
#endif

static void delta_row_plain(const float *crad, size_t C, size_t i, size_t j0, size_t n,
                            const double *cen, double *d)
{
    delta_row(crad, C, i, j0, n, cen, d);
}

void bf__bbox_delta_row(const float *crad, size_t cols, size_t i, size_t j0, size_t n,
                        const double *centre, double *d, int simd)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (simd) {
        delta_row_avx2(crad, cols, i, j0, n, centre, d);
        return;
    }
#endif
    (void)simd;
    delta_row_plain(crad, cols, i, j0, n, centre, d);
}
