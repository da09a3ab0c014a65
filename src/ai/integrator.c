/* The integrator plan: validates the options, computes the per-pixel geometry, the radial (and
 * for 2D azimuthal) range and bin grid, the static normalisation (solid angle, polarization,
 * flat, normalization factor) and builds the pixel-to-bin matrix (refs/pyfai-formulas.md,
 * "Radial range and bin edges"; the 2D grid and the azimuth range as measured on pyFAI 0.21.3:
 * chi range min/max*EPS32 of chi -+ deltaChi clipped to float32 pi, deltaChi the shorter way
 * round the circle; for full splitting the raw corners' chi extremes; over all pixels, masked
 * ones too, for the unsplit histogram and the 2D full-split histogram, whose pyFAI 0.21.3 engine
 * fullSplit2D_engine computes its boundaries before it reads the mask). One parallel pass over
 * the pixels after the geometry gives the bbox half-widths, the matrix mask and the range
 * extremes.
 *
 * Invariants once built (read-only afterwards, so one integrator serves many threads):
 *  - the matrix holds only pixels that are unmasked, inside the azimuth range and have a
 *    finite non-zero normalisation; the static mask never reaches the per-frame kernel;
 *  - bin_norm / bin_count are the pyFAI sums for a frame where every matrix pixel is valid;
 *  - radial[] are pyFAI's bin centres scaled to the output unit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/integrate.h"
#include "core/error.h"

#define EPS32 (1.0 + 0x1.0p-23) /* 1 + float32 epsilon, pyFAI's pos0_max stretch */
#define NPT_MAX 100000000

void bf_integrator_destroy(bf_integrator *it)
{
    if (!it)
        return;
    bf__matrix_free(&it->m);
    free(it->radial);
    free(it->azimuthal);
    free(it->norm);
    free(it->bin_norm);
    free(it->bin_count);
    free(it);
}

size_t bf_integrator_npt(const bf_integrator *it) { return it->npt; }
const double *bf_integrator_radial(const bf_integrator *it) { return it->radial; }
size_t bf_integrator_nnz(const bf_integrator *it) { return it->m.nnz; }
size_t bf_integrator_npt_azim(const bf_integrator *it) { return it->npt_azim; }
const double *bf_integrator_azimuthal(const bf_integrator *it) { return it->azimuthal; }

static bf_status check_options(const bf_integrator_options *o)
{
    if (o->npt <= 0 || o->npt > NPT_MAX)
        return bf__error_set(BF_EINVAL, "npt must be in 1..%d, got %d", NPT_MAX, o->npt);
    if (o->npt_azim < 0 || o->npt_azim > NPT_MAX ||
        (double)o->npt * (o->npt_azim ? o->npt_azim : 1) > (double)(1 << 30))
        return bf__error_set(BF_EINVAL, "npt_azim must be in 0..%d with npt x npt_azim <= 2^30, "
                                        "got %d", NPT_MAX, o->npt_azim);
    if ((unsigned)o->split > BF_SPLIT_FULL)
        return bf__error_set(BF_EINVAL, "unknown pixel splitting %d", (int)o->split);
    if ((unsigned)o->algorithm > BF_ALGO_HISTOGRAM)
        return bf__error_set(BF_EINVAL, "unknown algorithm %d", (int)o->algorithm);
    if ((unsigned)o->error_model > BF_ERROR_AZIMUTHAL)
        return bf__error_set(BF_EINVAL, "unknown error model %d", (int)o->error_model);
    if (o->has_polarization &&
        !(o->polarization_factor >= -1 && o->polarization_factor <= 1 &&
          isfinite(o->polarization_offset)))
        return bf__error_set(BF_EINVAL, "polarization factor must be in [-1, 1], got %g",
                             o->polarization_factor);
    if (o->has_dummy && !(isfinite(o->dummy) && o->delta_dummy >= 0 && isfinite(o->delta_dummy)))
        return bf__error_set(BF_EINVAL, "dummy must be finite and delta_dummy >= 0");
    if (o->has_radial_range && !(isfinite(o->radial_range[0]) &&
                                 isfinite(o->radial_range[1]) &&
                                 o->radial_range[0] < o->radial_range[1]))
        return bf__error_set(BF_EINVAL, "radial range must be finite with min < max, got "
                                        "[%g, %g]", o->radial_range[0], o->radial_range[1]);
    if (o->has_azimuth_range && !(isfinite(o->azimuth_range[0]) &&
                                  isfinite(o->azimuth_range[1]) &&
                                  o->azimuth_range[0] < o->azimuth_range[1]))
        return bf__error_set(BF_EINVAL, "azimuth range must be finite with min < max, got "
                                        "[%g, %g] deg", o->azimuth_range[0], o->azimuth_range[1]);
    if (!isfinite(o->normalization_factor) || !isfinite(o->empty))
        return bf__error_set(BF_EINVAL, "normalization factor and empty must be finite");
    return BF_OK;
}

typedef struct work {
    double *centre, *delta, *chi, *dchi;
    float *norm; /* handed over to the integrator */
    float *crad, *cchi;
    uint8_t *use;
    size_t cols;
    int nthreads;
} work;

#define MAXT 16 /* bf__build_threads' cap */

/* One parallel pass over the pixels after the geometry: bbox half-widths, the matrix mask, and
 * per-thread radial / azimuthal extremes (min and max are exact, so combining them in any order
 * gives the same range). */
typedef struct pixel_pass {
    work *w;
    const bf_integrator_options *o;
    const uint8_t *mask;
    /* extremes over all pixels, masked ones too: pyFAI's unsplit histogram, and its 2D full
     * histogram engine (0.21.3's fullSplit2D_engine computes its boundaries before it reads the
     * mask) */
    int all;
    int clamp0; /* radial minimum clamped at 0 (all but the unsplit histogram) */
    double lo[MAXT], hi[MAXT], alo[MAXT], ahi[MAXT];
} pixel_pass;

static inline double maxd(double a, double b) { return b > a ? b : a; }
static inline double mind(double a, double b) { return b < a ? b : a; }

/* pixel_rows for 1D no / bbox without an azimuth range (the common case): the half-widths a
 * row at a time in a vectorised loop (bf__bbox_delta_row, the same bits), then the extremes and
 * the mask by the same rules as pixel_rows. */
static void pixel_rows_1d(void *arg, size_t r0, size_t r1, int tid)
{
    pixel_pass *pp = arg;
    work *w = pp->w;
    const size_t C = w->cols;
    const int bbox = pp->o->split == BF_SPLIT_BBOX, simd = bf__cpu_has_avx2();
    double lo = INFINITY, hi = -INFINITY, d[256];
    for (size_t i = r0; i < r1; i++)
        for (size_t j0 = 0; j0 < C; j0 += 256) {
            const size_t n = C - j0 < 256 ? C - j0 : 256, k0 = i * C + j0;
            const double *cen = w->centre + k0;
            if (bbox)
                bf__bbox_delta_row(w->crad, C, i, j0, n, cen, d, simd);
            else
                memset(d, 0, n * sizeof *d);
            for (size_t j = 0; j < n; j++) {
                const int valid = !(pp->mask && pp->mask[k0 + j]);
                if (valid || pp->all) {
                    lo = mind(lo, cen[j] - d[j]);
                    hi = maxd(hi, cen[j] + d[j]);
                }
                const float nv = w->norm[k0 + j];
                w->use[k0 + j] = (uint8_t)(valid && isfinite(nv) && nv != 0);
            }
        }
    pp->lo[tid] = mind(pp->lo[tid], lo);
    pp->hi[tid] = maxd(pp->hi[tid], hi);
}

static void pixel_rows(void *arg, size_t r0, size_t r1, int tid)
{
    pixel_pass *pp = arg;
    work *w = pp->w;
    const bf_integrator_options *o = pp->o;
    const size_t C = w->cols, C1 = C + 1;
    const double deg = M_PI / 180;
    double lo = INFINITY, hi = -INFINITY, alo = INFINITY, ahi = -INFINITY;
    for (size_t i = r0; i < r1; i++)
        for (size_t j = 0; j < C; j++) {
            const size_t k = i * C + j, a = i * C1 + j;
            const size_t idx[4] = {a, a + C1, a + C1 + 1, a + 1};
            double d = 0, dc = 0;
            if (o->split == BF_SPLIT_BBOX) { /* stored for 2D, recomputed by the 1D splitter */
                d = bf__bbox_delta(w->crad, C, i, j, w->centre[k]);
                if (w->delta)
                    w->delta[k] = d;
            }
            if (w->dchi) {
                /* pyFAI's deltaChi: the shorter way round, so pixels across chi = +-pi stay
                 * small */
                for (int c = 0; c < 4; c++) {
                    const double x = (double)w->cchi[idx[c]] - w->chi[k];
                    const double up = x - 2 * M_PI * floor(x / (2 * M_PI));
                    const double down = -x - 2 * M_PI * floor(-x / (2 * M_PI));
                    dc = maxd(dc, mind(up, down));
                }
                w->dchi[k] = dc;
            }
            const int valid = !(pp->mask && pp->mask[k]);
            if (valid || pp->all) {
                if (o->split == BF_SPLIT_FULL) {
                    for (int c = 0; c < 4; c++) {
                        lo = mind(lo, w->crad[idx[c]]);
                        hi = maxd(hi, w->crad[idx[c]]);
                    }
                } else {
                    lo = mind(lo, w->centre[k] - d);
                    hi = maxd(hi, w->centre[k] + d);
                }
                if (w->chi && o->split == BF_SPLIT_FULL) { /* pyFAI: raw corner extremes */
                    for (int c = 0; c < 4; c++) {
                        alo = mind(alo, w->cchi[idx[c]]);
                        ahi = maxd(ahi, w->cchi[idx[c]]);
                    }
                } else if (w->chi) {
                    alo = mind(alo, w->chi[k] - dc);
                    ahi = maxd(ahi, w->chi[k] + dc);
                }
            }
            const float n = w->norm[k];
            int use = valid && isfinite(n) && n != 0;
            if (use && o->has_azimuth_range && !o->npt_azim && o->split == BF_SPLIT_FULL) {
                /* pyFAI's FullSplitCSR_1d keeps a whole pixel whose corners' chi extent meets
                 * [lo, hi * EPS32) (no clipping of the polygon in 1D) */
                double clo, chi;
                bf__full_chi_extent(w->cchi, C, i, j, &clo, &chi);
                const double top = o->azimuth_range[1] * deg;
                use = chi >= o->azimuth_range[0] * deg &&
                      clo < (top > 0 ? top * EPS32 : top / EPS32);
            } else if (use && w->chi && o->has_azimuth_range && !o->npt_azim) {
                /* pyFAI keeps a pixel whose chi box (bbox: chi -+ deltaChi) meets the range */
                use = w->chi[k] + dc >= o->azimuth_range[0] * deg &&
                      w->chi[k] - dc <= o->azimuth_range[1] * deg;
            }
            w->use[k] = (uint8_t)use;
        }
    pp->lo[tid] = mind(pp->lo[tid], lo);
    pp->hi[tid] = maxd(pp->hi[tid], hi);
    pp->alo[tid] = mind(pp->alo[tid], alo);
    pp->ahi[tid] = maxd(pp->ahi[tid], ahi);
}

static void work_free(work *w)
{
    free(w->centre);
    free(w->delta);
    free(w->chi);
    free(w->dchi);
    free(w->norm);
    free(w->crad);
    free(w->cchi);
    free(w->use);
}

/* Per-pixel geometry the options need, then the pixel pass (pp: extremes out). */
static bf_status compute_pixels(const bf_geometry *geo, const bf_integrator_options *o,
                                bf__space space, size_t npix, work *w, pixel_pass *pp)
{
    const size_t G = (geo->det->rows + 1) * (geo->det->cols + 1);
    w->centre = bf__big_alloc(npix * sizeof(double));
    w->use = malloc(npix);
    int ok = w->centre && w->use;
    const int twod_bbox =
        o->split == BF_SPLIT_BBOX && (o->npt_azim > 0 || o->has_azimuth_range);
    if (o->has_azimuth_range || o->npt_azim > 0)
        ok = ok && (w->chi = bf__big_alloc(npix * sizeof(double)));
    if (twod_bbox)
        ok = ok && (w->dchi = bf__big_alloc(npix * sizeof(double)));
    ok = ok && (w->norm = bf__big_alloc(npix * sizeof(float)));
    if (o->split != BF_SPLIT_NO)
        ok = ok && (w->crad = bf__big_alloc(G * sizeof(float)));
    if (o->split == BF_SPLIT_FULL || twod_bbox)
        ok = ok && (w->cchi = bf__big_alloc(G * sizeof(float)));
    if (twod_bbox && o->npt_azim > 0) /* 2D's splitter tells bbox from no by delta */
        ok = ok && (w->delta = bf__big_alloc(npix * sizeof(double)));
    if (!ok)
        return bf__error_set(BF_ENOMEM, "out of memory for the per-pixel geometry");
    bf__centre_arrays ca = {w->centre,
                            w->chi,
                            NULL,
                            NULL,
                            NULL,
                            o->polarization_offset,
                            w->nthreads,
                            w->norm,
                            (float)(o->normalization_factor == 0 ? 1.0 : o->normalization_factor),
                            o->flat,
                            o->has_polarization,
                            !o->no_solid_angle,
                            o->polarization_factor};
    const double t0 = bf_time_now();
    bf_status st = bf__geometry_centre_arrays(geo, space, &ca);
    const double t1 = bf_time_now();
    if (!st && w->crad)
        st = bf__geometry_corner_grid(geo, space, w->crad, w->cchi, w->nthreads);
    if (st)
        return st;
    const double t2 = bf_time_now();
    w->cols = geo->det->cols;
    *pp = (pixel_pass){.w = w, .o = o, .mask = o->mask ? o->mask : geo->det->mask,
                       .all = o->algorithm == BF_ALGO_HISTOGRAM &&
                              (o->split == BF_SPLIT_NO || (o->split == BF_SPLIT_FULL && o->npt_azim)),
                       .clamp0 = !(o->split == BF_SPLIT_NO && o->algorithm == BF_ALGO_HISTOGRAM)};
    for (int t = 0; t < MAXT; t++) {
        pp->lo[t] = pp->alo[t] = INFINITY;
        pp->hi[t] = pp->ahi[t] = -INFINITY;
    }
    const int plain_1d = o->split != BF_SPLIT_FULL && !w->chi && !w->dchi && !w->delta;
    bf__parallel_rows(geo->det->rows, 1, w->nthreads, plain_1d ? pixel_rows_1d : pixel_rows, pp);
    bf__log(BF_LOG_DEBUG, "geometry: centres %.3f s, corners %.3f s, pixel pass %.3f s", t1 - t0,
            t2 - t1, bf_time_now() - t2);
    for (int t = 1; t < MAXT; t++) {
        pp->lo[0] = mind(pp->lo[0], pp->lo[t]);
        pp->hi[0] = maxd(pp->hi[0], pp->hi[t]);
        pp->alo[0] = mind(pp->alo[0], pp->alo[t]);
        pp->ahi[0] = maxd(pp->ahi[0], pp->ahi[t]);
    }
    return BF_OK;
}

/* The radial range: pyFAI's pos0_min / pos0_max over valid pixels (all pixels for the unsplit
 * and the 2D full-split histogram; the extremes from the pixel pass), or the user's range. */
static bf_status radial_range(const bf_integrator_options *o, const pixel_pass *pp, double scale,
                              double *pmin, double *pmax)
{
    if (o->has_radial_range) {
        *pmin = o->radial_range[0] / scale;
        *pmax = o->radial_range[1] / scale * EPS32;
        return BF_OK;
    }
    const double lo = pp->lo[0], hi = pp->hi[0];
    if (!(lo <= hi))
        return bf__error_set(BF_EINVAL, "every pixel is masked: nothing to integrate");
    *pmin = pp->clamp0 ? fmax(0.0, lo) : lo;
    *pmax = hi * EPS32;
    if (!(*pmax > *pmin))
        return bf__error_set(BF_EINVAL, "the valid pixels span an empty radial range");
    return BF_OK;
}

/* The 2D azimuthal grid [rad]: min / max * EPS32 of chi (chi -+ dchi for bbox, clipped to
 * [-pi, pi] in float32 as pyFAI) over valid pixels (all pixels for the unsplit and the 2D
 * full-split histogram, as their radial range), or the user's range. */
static bf_status azimuth_grid(const bf_integrator_options *o, const pixel_pass *pp,
                              bf_integrator *it)
{
    double lo = INFINITY, hi = -INFINITY;
    if (o->has_azimuth_range) {
        lo = o->azimuth_range[0] * M_PI / 180;
        hi = o->azimuth_range[1] * M_PI / 180;
    } else {
        lo = pp->alo[0];
        hi = pp->ahi[0];
        const double pi32 = (float)M_PI;
        if (lo < -M_PI)
            lo = -pi32;
        if (hi > M_PI)
            hi = pi32;
    }
    const double top = hi > 0 ? hi * EPS32 : hi / EPS32;
    if (!(top > lo))
        return bf__error_set(BF_EINVAL, "the valid pixels span an empty azimuthal range");
    it->pos1_min = lo;
    it->pos1_maxin = hi;
    it->delta1 = (top - lo) / (double)it->npt_azim;
    it->azimuthal = malloc(it->npt_azim * sizeof(double));
    if (!it->azimuthal)
        return bf__error_set(BF_ENOMEM, "out of memory");
    for (size_t a = 0; a < it->npt_azim; a++)
        it->azimuthal[a] = (lo + ((double)a + 0.5) * it->delta1) * 180 / M_PI;
    return BF_OK;
}

static bf_status static_sums(bf_integrator *it)
{
    it->bin_norm = calloc(it->nbins, sizeof(double));
    it->bin_count = calloc(it->nbins, sizeof(double));
    if (!it->bin_norm || !it->bin_count)
        return bf__error_set(BF_ENOMEM, "out of memory");
    bf__matrix *m = &it->m;
    if (it->algo != BF_ALGO_HISTOGRAM) {
        /* the builder's row sums, added in row order (a bin's rows in (chunk, tile) order) */
        for (size_t r = 0; r < m->nrows; r++) {
            it->bin_norm[m->row_bin[r]] += m->row_norm[r];
            it->bin_count[m->row_bin[r]] += m->row_count[r];
        }
        free(m->row_norm);
        free(m->row_count);
        m->row_norm = m->row_count = NULL;
        return BF_OK;
    }
    for (size_t k = 0; k < m->nrows; k++) /* pixel-major: one pixel per row */
        for (int64_t e = m->row_ptr[k]; e < m->row_ptr[k + 1]; e++) {
            it->bin_norm[m->col[e]] += (double)m->coef[e] * it->norm[k];
            it->bin_count[m->col[e]] += m->coef[e];
        }
    return BF_OK;
}

bf_status bf_integrator_create(const bf_geometry *geo, const bf_integrator_options *o,
                               bf_integrator **out)
{
    bf_status st;
    bf_integrator *it = NULL;
    work w = {0};
    *out = NULL;
    if (!geo || !o)
        return bf__error_set(BF_EINVAL, "missing geometry or options");
    if ((st = check_options(o)))
        return st;
    bf__space space = BF__SPACE_2TH;
    double scale = 1.0;
    if ((st = bf__unit_space(o->unit, &space, &scale)) || (st = bf__geometry_check(geo, space)))
        return st;
    if (!(it = calloc(1, sizeof *it)))
        return bf__error_set(BF_ENOMEM, "out of memory for an integrator");
    it->rows = geo->det->rows;
    it->cols = geo->det->cols;
    it->npix = it->rows * it->cols;
    it->npt = (size_t)o->npt;
    it->npt_azim = (size_t)o->npt_azim;
    it->nbins = it->npt * (it->npt_azim ? it->npt_azim : 1);
    it->split = o->split;
    it->algo = o->algorithm;
    it->em = o->error_model;
    it->unit = o->unit;
    it->has_dummy = o->has_dummy;
    it->dummy = o->dummy;
    it->delta_dummy = o->delta_dummy;
    it->empty = o->has_dummy ? o->dummy : o->empty;
    it->var_raw = it->npt_azim > 0;
    it->simd = bf__cpu_has_avx2();
    w.nthreads = bf__build_threads(o->threads);
    double t0 = bf_time_now();
    pixel_pass pp;
    if ((st = compute_pixels(geo, o, space, it->npix, &w, &pp)))
        goto done;
    double t1 = bf_time_now();
    double pmax = 0;
    if ((st = radial_range(o, &pp, scale, &it->pos0_min, &pmax)))
        goto done;
    const double pos0_maxin = o->has_radial_range ? o->radial_range[1] / scale : pp.hi[0];
    it->delta_bin = (pmax - it->pos0_min) / (double)it->npt;
    if (it->npt_azim && (st = azimuth_grid(o, &pp, it)))
        goto done;
    /* static normalisation per pixel (float32, as pyFAI's preprocessing), from the geometry */
    it->norm = w.norm;
    w.norm = NULL;
    bf__split_input in = {it->rows, it->cols, it->npt,       o->split,      w.centre,
                          w.delta,  w.crad,   w.cchi,        w.use,         it->pos0_min,
                          it->delta_bin, w.nthreads, it->npt_azim, w.chi, w.dchi,
                          it->pos1_min, it->delta1, it->norm,  pos0_maxin, it->pos1_maxin};
    double t2 = bf_time_now();
    if ((st = bf__matrix_build(&in, it->algo == BF_ALGO_HISTOGRAM, &it->m)))
        goto done;
    double t3 = bf_time_now();
    if ((st = static_sums(it)))
        goto done;
    bf__log(BF_LOG_DEBUG, "integrator: geometry %.3f s, ranges %.3f s, matrix %.3f s "
                          "(%zu entries), sums %.3f s", t1 - t0, t2 - t1, t3 - t2, it->m.nnz,
            bf_time_now() - t3);
    if (!(it->radial = malloc(it->npt * sizeof(double)))) {
        st = bf__error_set(BF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t b = 0; b < it->npt; b++)
        it->radial[b] = (it->pos0_min + ((double)b + 0.5) * it->delta_bin) * scale;
    *out = it;
    it = NULL;
done:
    work_free(&w);
    bf_integrator_destroy(it);
    return st;
}
