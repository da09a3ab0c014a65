/* The integrator plan: validates the options, computes the per-pixel geometry, the radial (and
 * for 2D azimuthal) range and bin grid, the static normalisation (solid angle, polarization,
 * flat, normalization factor) and builds the pixel-to-bin matrix (refs/pyfai-formulas.md,
 * "Radial range and bin edges"; the 2D grid and the azimuth range as measured on pyFAI 0.21.3:
 * chi range min/max*EPS32 of chi -+ deltaChi clipped to float32 pi, deltaChi the shorter way
 * round the circle).
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
    if (o->has_azimuth_range && !o->npt_azim && o->split == BF_SPLIT_FULL)
        return bf__error_set(BF_EUNSUPPORTED, "an azimuth range with full pixel splitting is not "
                                              "implemented (pyFAI clips the pixel polygons; use "
                                              "no or bbox)");
    if (o->npt_azim && o->split == BF_SPLIT_FULL)
        return bf__error_set(BF_EUNSUPPORTED, "2D integration with full pixel splitting is not "
                                              "implemented (use no or bbox)");
    if ((unsigned)o->split > BF_SPLIT_FULL)
        return bf__error_set(BF_EINVAL, "unknown pixel splitting %d", (int)o->split);
    if ((unsigned)o->algorithm > BF_ALGO_HISTOGRAM)
        return bf__error_set(BF_EINVAL, "unknown algorithm %d", (int)o->algorithm);
    if ((unsigned)o->error_model > BF_ERROR_AZIMUTHAL)
        return bf__error_set(BF_EINVAL, "unknown error model %d", (int)o->error_model);
    if (o->error_model == BF_ERROR_AZIMUTHAL && o->npt_azim)
        return bf__error_set(BF_EUNSUPPORTED, "the azimuthal error model is implemented for 1D "
                                              "curves only");
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
    uint8_t *valid, *use;
    size_t cols;
    int nthreads;
} work;

/* bbox half-widths: max over the 4 corners of |corner - centre| (pyFAI's delta_array). */
static void delta_rows(void *arg, size_t r0, size_t r1, int tid)
{
    work *w = arg;
    const size_t C = w->cols, C1 = C + 1;
    (void)tid;
    for (size_t i = r0; i < r1; i++)
        for (size_t j = 0; j < C; j++) {
            const size_t k = i * C + j, a = i * C1 + j;
            const size_t idx[4] = {a, a + C1, a + C1 + 1, a + 1};
            double d = 0, dc = 0;
            for (int c = 0; c < 4; c++)
                d = fmax(d, fabs((double)w->crad[idx[c]] - w->centre[k]));
            w->delta[k] = d;
            if (!w->dchi)
                continue;
            /* pyFAI's deltaChi: the shorter way round, so pixels across chi = +-pi stay small */
            for (int c = 0; c < 4; c++) {
                const double a = (double)w->cchi[idx[c]] - w->chi[k];
                const double up = a - 2 * M_PI * floor(a / (2 * M_PI));
                const double down = -a - 2 * M_PI * floor(-a / (2 * M_PI));
                dc = fmax(dc, fmin(up, down));
            }
            w->dchi[k] = dc;
        }
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
    free(w->valid);
    free(w->use);
}

/* Per-pixel geometry the options need. */
static bf_status compute_pixels(const bf_geometry *geo, const bf_integrator_options *o,
                                bf__space space, size_t npix, work *w)
{
    const size_t G = (geo->det->rows + 1) * (geo->det->cols + 1);
    w->centre = malloc(npix * sizeof(double));
    w->valid = malloc(npix);
    w->use = malloc(npix);
    int ok = w->centre && w->valid && w->use;
    const int twod_bbox =
        o->split == BF_SPLIT_BBOX && (o->npt_azim > 0 || o->has_azimuth_range);
    if (o->has_azimuth_range || o->npt_azim > 0)
        ok = ok && (w->chi = malloc(npix * sizeof(double)));
    if (twod_bbox)
        ok = ok && (w->dchi = malloc(npix * sizeof(double)));
    ok = ok && (w->norm = malloc(npix * sizeof(float)));
    if (o->split != BF_SPLIT_NO)
        ok = ok && (w->crad = malloc(G * sizeof(float)));
    if (o->split == BF_SPLIT_FULL || twod_bbox)
        ok = ok && (w->cchi = malloc(G * sizeof(float)));
    if (o->split == BF_SPLIT_BBOX)
        ok = ok && (w->delta = malloc(npix * sizeof(double)));
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
    bf_status st = bf__geometry_centre_arrays(geo, space, &ca);
    if (!st && w->crad)
        st = bf__geometry_corner_grid(geo, space, w->crad, w->cchi, w->nthreads);
    if (st)
        return st;
    w->cols = geo->det->cols;
    if (w->delta)
        bf__parallel_rows(geo->det->rows, 1, w->nthreads, delta_rows, w);
    return BF_OK;
}

/* The radial range: pyFAI's pos0_min / pos0_max over valid pixels (all pixels for the unsplit
 * histogram), or the user's range. */
static bf_status radial_range(const bf_integrator_options *o, const work *w, size_t npix,
                              size_t cols, double scale, double *pmin, double *pmax)
{
    if (o->has_radial_range) {
        *pmin = o->radial_range[0] / scale;
        *pmax = o->radial_range[1] / scale * EPS32;
        return BF_OK;
    }
    const int all = o->split == BF_SPLIT_NO && o->algorithm == BF_ALGO_HISTOGRAM;
    double lo = INFINITY, hi = -INFINITY;
    const size_t C1 = cols + 1;
    for (size_t k = 0; k < npix; k++) {
        if (!all && !w->valid[k])
            continue;
        if (o->split == BF_SPLIT_FULL) {
            const size_t a = (k / cols) * C1 + k % cols;
            const size_t idx[4] = {a, a + C1, a + C1 + 1, a + 1};
            for (int c = 0; c < 4; c++) {
                lo = fmin(lo, w->crad[idx[c]]);
                hi = fmax(hi, w->crad[idx[c]]);
            }
        } else {
            double d = w->delta ? w->delta[k] : 0;
            lo = fmin(lo, w->centre[k] - d);
            hi = fmax(hi, w->centre[k] + d);
        }
    }
    if (!(lo <= hi))
        return bf__error_set(BF_EINVAL, "every pixel is masked: nothing to integrate");
    *pmin = all ? lo : fmax(0.0, lo);
    *pmax = hi * EPS32;
    if (!(*pmax > *pmin))
        return bf__error_set(BF_EINVAL, "the valid pixels span an empty radial range");
    return BF_OK;
}

/* The 2D azimuthal grid [rad]: min / max * EPS32 of chi (chi -+ dchi for bbox, clipped to
 * [-pi, pi] in float32 as pyFAI) over valid pixels (all pixels for the unsplit histogram, as
 * its radial range), or the user's range. */
static bf_status azimuth_grid(const bf_integrator_options *o, const work *w, size_t npix,
                              bf_integrator *it)
{
    double lo = INFINITY, hi = -INFINITY;
    if (o->has_azimuth_range) {
        lo = o->azimuth_range[0] * M_PI / 180;
        hi = o->azimuth_range[1] * M_PI / 180;
    } else {
        const int all = o->split == BF_SPLIT_NO && o->algorithm == BF_ALGO_HISTOGRAM;
        for (size_t k = 0; k < npix; k++) {
            if (!all && !w->valid[k])
                continue;
            double d = w->dchi ? w->dchi[k] : 0;
            lo = fmin(lo, w->chi[k] - d);
            hi = fmax(hi, w->chi[k] + d);
        }
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
    it->delta1 = (top - lo) / (double)it->npt_azim;
    it->azimuthal = malloc(it->npt_azim * sizeof(double));
    if (!it->azimuthal)
        return bf__error_set(BF_ENOMEM, "out of memory");
    for (size_t a = 0; a < it->npt_azim; a++)
        it->azimuthal[a] = (lo + ((double)a + 0.5) * it->delta1) * 180 / M_PI;
    return BF_OK;
}

/* Static normalisation per pixel, in float32 as pyFAI's preprocessing, and the matrix mask. */
static bf_status fold_corrections(bf_integrator *it, const bf_integrator_options *o, work *w)
{
    const double deg = M_PI / 180;
    it->norm = w->norm; /* computed with the geometry (bf__geometry_centre_arrays) */
    w->norm = NULL;
    for (size_t k = 0; k < it->npix; k++) {
        const float n = it->norm[k];
        int use = w->valid[k] && isfinite(n) && n != 0;
        if (use && w->chi && o->has_azimuth_range && !o->npt_azim) {
            /* pyFAI keeps a pixel whose chi box (bbox: chi -+ deltaChi) meets the range */
            const double lo = w->chi[k] - (w->dchi ? w->dchi[k] : 0);
            const double hi = w->chi[k] + (w->dchi ? w->dchi[k] : 0);
            use = hi >= o->azimuth_range[0] * deg && lo <= o->azimuth_range[1] * deg;
        }
        w->use[k] = (uint8_t)use;
    }
    return BF_OK;
}

/* bin_norm / bin_count over the rows of chunks [c0, c1) (CSR: chunks own disjoint bins, so
 * threads never share a bin and each bin is summed in row order whatever the thread count). */
static void sums_chunks(void *arg, size_t c0, size_t c1, int tid)
{
    bf_integrator *it = arg;
    const bf__matrix *m = &it->m;
    (void)tid;
    for (size_t r = m->chunk_row[c0]; r < m->chunk_row[c1]; r++)
        for (int64_t e = m->row_ptr[r]; e < m->row_ptr[r + 1]; e++) {
            const size_t b = (size_t)m->row_bin[r];
            it->bin_norm[b] += (double)m->coef[e] * it->norm[m->col[e]];
            it->bin_count[b] += m->coef[e];
        }
}

static bf_status static_sums(bf_integrator *it, int nthreads)
{
    it->bin_norm = calloc(it->nbins, sizeof(double));
    it->bin_count = calloc(it->nbins, sizeof(double));
    if (!it->bin_norm || !it->bin_count)
        return bf__error_set(BF_ENOMEM, "out of memory");
    const bf__matrix *m = &it->m;
    if (it->algo != BF_ALGO_HISTOGRAM) {
        bf__parallel_rows(m->nchunks, 1, nthreads, sums_chunks, it);
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
    it->simd = bf__cpu_has_avx2();
    w.nthreads = bf__build_threads(o->threads);
    double t0 = bf_time_now();
    if ((st = compute_pixels(geo, o, space, it->npix, &w)))
        goto done;
    double t1 = bf_time_now();
    const uint8_t *mask = o->mask ? o->mask : geo->det->mask;
    for (size_t k = 0; k < it->npix; k++)
        w.valid[k] = !(mask && mask[k]);
    double pmax = 0;
    if ((st = radial_range(o, &w, it->npix, it->cols, scale, &it->pos0_min, &pmax)))
        goto done;
    it->delta_bin = (pmax - it->pos0_min) / (double)it->npt;
    if (it->npt_azim && (st = azimuth_grid(o, &w, it->npix, it)))
        goto done;
    if ((st = fold_corrections(it, o, &w)))
        goto done;
    bf__split_input in = {it->rows, it->cols, it->npt,       o->split,      w.centre,
                          w.delta,  w.crad,   w.cchi,        w.use,         it->pos0_min,
                          it->delta_bin, w.nthreads, it->npt_azim, w.chi, w.dchi,
                          it->pos1_min, it->delta1};
    double t2 = bf_time_now();
    if ((st = bf__matrix_build(&in, it->algo == BF_ALGO_HISTOGRAM, &it->m)))
        goto done;
    double t3 = bf_time_now();
    if ((st = static_sums(it, w.nthreads)))
        goto done;
    bf__log(BF_LOG_DEBUG, "integrator: geometry %.3f s, range+corrections %.3f s, matrix %.3f s "
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
