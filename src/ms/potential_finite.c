/* Finite projection of the radial potentials across slice boundaries, as abTEM 1.0.9's
 * QuadratureProjectionIntegrals (integrals.py): per species a table of cumulative 8-point
 * Gauss–Legendre integrals T(z, ρ) = ∫ V(√(ρ²+ζ²)) dζ on a geometric radial grid, tapered to 0 at
 * the cutoff r_c (|V(r_c)| = tolerance); a slice [a, b) gets T(b − z) − T(a − z) per atom,
 * rasterised with linear interpolation in ρ. Periodicity comes from periodic images padded
 * within r_c in x, y and z (abTEM's pad_atoms); the raster itself is not periodic.
 * Invariants: table rows are uniform in z; every atom in a slice list lies within r_c of it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ms/potential_internal.h"

#define INTEGRATION_STEP 0.02 /* Å */
#define INNER_CUTOFF_FACTOR 2.0
#define TAPER 0.85

static const double gl_x[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
                               -0.1834346424956498, 0.1834346424956498,  0.5255324099163290,
                               0.7966664774136267,  0.9602898564975363};
static const double gl_w[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                               0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                               0.2223810344533745, 0.1012285362903763};

static double quad(const bf__radial *rad, double rho, double a, double b)
{
    double h = 0.5 * (b - a), m = 0.5 * (b + a), s = 0.0;
    for (int k = 0; k < 8; k++) {
        double z = m + h * gl_x[k];
        s += gl_w[k] * bf__radial_potential(rad, sqrt(rho * rho + z * z));
    }
    return h * s;
}

static bf_status make_table(const bf_potential *p, const bf__radial *rad, bf__proj_table *t)
{
    double rc = bf__radial_cutoff(rad, p->tolerance);
    double inner = fmin(p->sampling[0], p->sampling[1]) / INNER_CUTOFF_FACTOR;
    size_t nr = (size_t)ceil(rc / inner);
    if (nr < 2)
        nr = 2;
    size_t m = (size_t)ceil(rc / INTEGRATION_STEP); /* linspace(-rc, 0, m) */
    if (m < 2)
        m = 2;
    size_t nl = 2 * m - 1; /* limits, symmetric, 0 once */
    t->nr = nr;
    t->nz = nl - 1;
    t->cutoff = rc;
    t->r = malloc((nr + 1) * sizeof *t->r); /* r[nr] = +inf: a sentinel for the raster */
    t->values = malloc(t->nz * nr * sizeof *t->values);
    double *lim = malloc(nl * sizeof *lim);
    if (!t->r || !t->values || !lim) {
        free(lim);
        return bf__error_set(BF_ENOMEM, "out of memory for a projection table");
    }
    for (size_t i = 0; i < nr; i++)
        t->r[i] = inner * exp(log(rc / inner) * (double)i / (double)(nr - 1));
    t->r[nr - 1] = rc;
    t->r[nr] = INFINITY;
    t->dt = log(rc / inner) / (double)(nr - 1);
    double h = rc / (double)(m - 1);
    for (size_t j = 0; j < m; j++)
        lim[j] = -rc + h * (double)j;
    lim[m - 1] = 0.0;
    for (size_t j = 1; j < m; j++)
        lim[m - 1 + j] = -lim[m - 1 - j];
    t->z0 = lim[1];
    t->dzt = h;
    for (size_t i = 0; i < nr; i++) {
        double rho = t->r[i];
        double taper = 1.0;
        if (rho > TAPER * rc)
            taper = (cos(M_PI * (rho - TAPER * rc) / (rc - TAPER * rc)) + 1.0) / 2.0;
        /* abTEM's first row integrates from 2 r_c down to -r_c: a constant that cancels */
        double acc = quad(rad, rho, -lim[0] * 2.0, lim[0]);
        t->values[i] = acc * taper;
        for (size_t j = 0; j + 2 < nl; j++) {
            acc += quad(rad, rho, lim[j + 1], lim[j + 2]);
            t->values[(j + 1) * nr + i] = acc * taper;
        }
    }
    free(lim);
    return BF_OK;
}

/* Replace the wrapped atoms by the atoms and their periodic images within margin of the cell
 * (abTEM's pad_atoms, atoms_in_cell). */
static bf_status pad(bf_potential *p)
{
    int reps[3];
    size_t total = p->natoms;
    for (int k = 0; k < 3; k++) {
        double r = 1.0 + 2.0 * ceil(p->margin / p->cell[k]);
        if (r > 1001.0)
            return bf__error_set(BF_EINVAL, "cell length %g Å is tiny for the %g Å cutoff",
                                 p->cell[k], p->margin);
        reps[k] = (int)r;
        total *= (size_t)reps[k];
    }
    int *z = malloc((total ? total : 1) * sizeof *z);
    double *xyz = malloc((total ? total : 1) * 3 * sizeof *xyz);
    if (!z || !xyz) {
        free(z);
        free(xyz);
        return bf__error_set(BF_ENOMEM, "out of memory for %zu padded atoms", total);
    }
    size_t o = 0;
    for (int i = 0; i < reps[0]; i++)
        for (int j = 0; j < reps[1]; j++)
            for (int k = 0; k < reps[2]; k++)
                for (size_t a = 0; a < p->natoms; a++) {
                    int sh[3] = {i - reps[0] / 2, j - reps[1] / 2, k - reps[2] / 2};
                    double q[3];
                    int keep = 1;
                    for (int d = 0; d < 3; d++) {
                        q[d] = p->xyz[3 * a + d] + sh[d] * p->cell[d];
                        double f = q[d] / p->cell[d], mf = p->margin / p->cell[d];
                        if (!(f >= -mf - 1e-12 && f < 1.0 + mf))
                            keep = 0;
                    }
                    if (!keep)
                        continue;
                    z[o] = p->z[a];
                    memcpy(xyz + 3 * o, q, sizeof q);
                    o++;
                }
    free(p->z);
    free(p->xyz);
    p->z = z;
    p->xyz = xyz;
    p->natoms = o;
    return BF_OK;
}

/* Slice s lists every atom with zlim[s] - margin <= z < zlim[s+1] + margin. */
static bf_status index_finite(bf_potential *p)
{
    p->slice_off = calloc(p->nslices + 1, sizeof *p->slice_off);
    if (!p->slice_off)
        return bf__error_set(BF_ENOMEM, "out of memory for slice lists");
    for (int pass = 0; pass < 2; pass++) {
        size_t o = 0;
        for (size_t s = 0; s < p->nslices; s++) {
            double lo = p->zlim[s] - p->margin, hi = p->zlim[s + 1] + p->margin;
            for (size_t i = 0; i < p->natoms; i++) {
                double z = p->xyz[3 * i + 2];
                if (z >= lo && z < hi) {
                    if (pass)
                        p->slice_idx[o] = i;
                    o++;
                }
            }
            if (!pass)
                p->slice_off[s + 1] = o;
        }
        if (!pass) {
            p->slice_idx = malloc((o ? o : 1) * sizeof *p->slice_idx);
            if (!p->slice_idx)
                return bf__error_set(BF_ENOMEM, "out of memory for slice lists");
        }
    }
    return BF_OK;
}

static bf_status copy_table(const bf__proj_table *from, bf__proj_table *to)
{
    *to = *from;
    to->r = malloc((from->nr + 1) * sizeof *to->r);
    to->values = malloc(from->nz * from->nr * sizeof *to->values);
    if (!to->r || !to->values)
        return bf__error_set(BF_ENOMEM, "out of memory for a projection table");
    memcpy(to->r, from->r, (from->nr + 1) * sizeof *to->r);
    memcpy(to->values, from->values, from->nz * from->nr * sizeof *to->values);
    return BF_OK;
}

static const bf__proj_table *template_table(const bf_potential *t, int z)
{
    for (int k = 0; t && k < t->nspecies; k++)
        if (t->species[k] == z && t->table[k].values)
            return &t->table[k];
    return NULL;
}

bf_status bf__finite_prepare(bf_potential *p, const bf_potential *tmpl)
{
    bf_status st;
    p->margin = 0.0;
    for (int s = 0; s < p->nspecies; s++) {
        const bf__proj_table *from = template_table(tmpl, p->species[s]);
        if ((st = from ? copy_table(from, &p->table[s])
                       : make_table(p, &p->radial[s], &p->table[s])))
            return st;
        if (p->table[s].cutoff > p->margin)
            p->margin = p->table[s].cutoff;
        if (p->table[s].nr > p->max_table_r)
            p->max_table_r = p->table[s].nr;
    }
    if ((st = pad(p)) || (st = index_finite(p)))
        return st;
    p->finite_scratch = bf__finite_scratch(p);
    return BF_OK;
}

/* I(ρ) = T(b − z) − T(a − z), linear in z with extrapolation, and its forward slope in ρ. */
static void radial_function(const bf__proj_table *t, double a, double b, double *f, double *df)
{
    double za[2] = {a, b};
    size_t row[2];
    double w[2];
    for (int k = 0; k < 2; k++) {
        double u = (za[k] - t->z0) / t->dzt;
        double j = floor(u);
        if (j < 0.0)
            j = 0.0;
        if (j > (double)(t->nz - 2))
            j = (double)(t->nz - 2);
        row[k] = (size_t)j;
        w[k] = u - j;
    }
    const double *a0 = t->values + row[0] * t->nr, *a1 = a0 + t->nr;
    const double *b0 = t->values + row[1] * t->nr, *b1 = b0 + t->nr;
    for (size_t i = 0; i < t->nr; i++)
        f[i] = (b0[i] + w[1] * (b1[i] - b0[i])) - (a0[i] + w[0] * (a1[i] - a0[i]));
    for (size_t i = 0; i + 1 < t->nr; i++)
        df[i] = (f[i + 1] - f[i]) / (t->r[i + 1] - t->r[i]);
    df[t->nr - 1] = 0.0;
}

/* r = sqrt(d2 + (m*dy - y)²) for m = m0 .. m0+n-1 into r[]: two lanes at a time with SSE2 where
 * available (the scalar libm call cannot vectorise because of errno). */
static void row_radii(double d2, double dy, double y, int m0, int n, double *r)
{
    int m = 0;
#if defined(__SSE2__)
    __m128d vd2 = _mm_set1_pd(d2), vdy = _mm_set1_pd(dy), vy = _mm_set1_pd(y);
    for (; m + 1 < n; m += 2) {
        __m128d mm = _mm_set_pd((double)(m0 + m + 1), (double)(m0 + m));
        __m128d t = _mm_sub_pd(_mm_mul_pd(mm, vdy), vy);
        _mm_storeu_pd(r + m, _mm_sqrt_pd(_mm_add_pd(vd2, _mm_mul_pd(t, t))));
    }
#endif
    for (; m < n; m++) {
        double t = (m0 + m) * dy - y;
        r[m] = sqrt(d2 + t * t);
    }
}

/* Add one atom's radial function to the pixels within R = ceil(r_c / min(dx, dy)) pixels of
 * (round(x/dx), round(y/dy)), as abTEM's interpolate_radial_functions: the segment index
 * floor(log(r/r0)/dt) of the geometric grid is found once per half row and then advanced while r
 * passes the next node, since r grows monotonically away from the atom along a row. Where the two
 * ways of finding the index could disagree (r within rounding of a node) the piecewise-linear
 * interpolant is continuous, so the value agrees to rounding. rbuf holds 2R+1 doubles. */
static void rasterise(const int gpts[2], const double sampling[2], const bf__proj_table *t,
                      const double *f, const double *df, double x, double y, float *out,
                      double *rbuf)
{
    int nx = gpts[0], ny = gpts[1];
    double dx = sampling[0], dy = sampling[1];
    int px = (int)nearbyint(x / dx), py = (int)nearbyint(y / dy);
    int R = (int)ceil(t->r[t->nr - 1] / fmin(dx, dy));
    const double *rr = t->r;
    double r0 = rr[0];
    long n = (long)t->nr;
    int i0 = px - R < 0 ? -px : -R, i1 = px + R >= nx ? nx - 1 - px : R;
    for (int di = i0; di <= i1; di++) {
        int k = px + di;
        int w = (int)floor(sqrt((double)R * R - (double)di * di) + 1e-9);
        while ((long)(w + 1) * (w + 1) + (long)di * di <= (long)R * R)
            w++;
        while ((long)w * w + (long)di * di > (long)R * R)
            w--;
        int mlo = py - w < 0 ? 0 : py - w, mhi = py + w >= ny ? ny - 1 : py + w;
        if (mlo > mhi)
            continue;
        double ddx2 = (k * dx - x) * (k * dx - x);
        row_radii(ddx2, dy, y, mlo, mhi - mlo + 1, rbuf);
        float *row = out + (size_t)k * ny;
        int mc = (int)nearbyint(y / dy);
        mc = mc < mlo ? mlo : (mc > mhi ? mhi : mc);
        for (int dir = 0; dir < 2; dir++) {
            int m = dir ? mc - 1 : mc, step = dir ? -1 : 1;
            if (m < mlo || m > mhi)
                continue;
            long idx = (long)floor(log(rbuf[m - mlo] / r0 + 1e-12) / t->dt);
            if (idx < -1)
                idx = -1;
            for (; m >= mlo && m <= mhi; m += step) {
                double r = rbuf[m - mlo];
                /* one step without a branch (rr[n] is +inf); more only near the core, where
                 * nodes are denser than pixels */
                idx += r >= rr[idx + 1];
                while (r >= rr[idx + 1])
                    idx++;
                if (idx >= n - 1)
                    break; /* beyond the table: zero, and r only grows */
                row[m] += (float)(idx < 0 ? f[0] : f[idx] + (r - rr[idx]) * df[idx]);
            }
        }
    }
}

/* Atoms of one species in a slice, keyed by what decides their raster: the sub-pixel offset from
 * the nearest pixel and the depth relative to the slice, from the double positions rounded to
 * 1e-9 (pixels, Å). In a crystal without displacements many atoms share a key; their raster
 * ("stamp") is computed once, at the first atom's float32 position, and added at each atom's
 * pixel: members differ from it only by the float32 rounding of their positions (~1e-6 Å), the
 * same rounding abTEM applies. */
typedef struct stamp_key {
    double qx, qy, qz, i;
} stamp_key;

static int key_cmp(const void *pa, const void *pb)
{
    const stamp_key *a = pa, *b = pb;
    if (a->qx != b->qx)
        return a->qx < b->qx ? -1 : 1;
    if (a->qy != b->qy)
        return a->qy < b->qy ? -1 : 1;
    if (a->qz != b->qz)
        return a->qz < b->qz ? -1 : 1;
    return a->i < b->i ? -1 : (a->i > b->i);
}

static double quantise(double v, double q) { return nearbyint(v / q) * q; }

static void add_stamp(const float *restrict stamp, int w, int nx, int ny, int ox, int oy,
                      float *restrict out)
{
    int i0 = ox < 0 ? -ox : 0, i1 = ox + w > nx ? nx - ox : w;
    int j0 = oy < 0 ? -oy : 0, j1 = oy + w > ny ? ny - oy : w;
    for (int i = i0; i < i1; i++) {
        float *restrict row = out + (size_t)(ox + i) * ny + oy;
        const float *restrict src = stamp + (size_t)i * w;
        int j = j0;
#if defined(__SSE2__)
        for (; j + 3 < j1; j += 4) /* -O2 does not vectorise a loop of unknown length */
            _mm_storeu_ps(row + j, _mm_add_ps(_mm_loadu_ps(row + j), _mm_loadu_ps(src + j)));
#endif
        for (; j < j1; j++)
            row[j] += src[j];
    }
}

size_t bf__finite_scratch(const bf_potential *p)
{
    size_t most = 0;
    for (size_t s = 0; s < p->nslices; s++)
        if (p->slice_off[s + 1] - p->slice_off[s] > most)
            most = p->slice_off[s + 1] - p->slice_off[s];
    size_t R = 0;
    for (int s = 0; s < p->nspecies; s++) {
        size_t r = (size_t)ceil(p->table[s].cutoff / fmin(p->sampling[0], p->sampling[1]));
        R = r > R ? r : R;
    }
    size_t w = 2 * R + 1;
    return 2 * p->max_table_r + w + (w * w + 1) / 2 + w * w + 4 * most + 4;
}

/* For a stamp of w × w pixels around an atom at (x, y) (stamp coordinates): each pixel's segment
 * index on the radial grid (-1: inside r0, -2: outside the disk or beyond the table) and its
 * distance past that node. Atoms with the same sub-pixel offset share it, whatever their depth. */
static void geometry(const bf__proj_table *t, int R, const double sampling[2], double x, double y,
                     int32_t *gi, float *gd)
{
    int w = 2 * R + 1;
    double dx = sampling[0], dy = sampling[1];
    const double *rr = t->r;
    long n = (long)t->nr;
    for (size_t k = 0; k < (size_t)w * w; k++)
        gi[k] = -2;
    int px = (int)nearbyint(x / dx), py = (int)nearbyint(y / dy);
    for (int di = -R; di <= R; di++) {
        int k = px + di;
        if (k < 0 || k >= w)
            continue;
        int hw = (int)floor(sqrt((double)R * R - (double)di * di) + 1e-9);
        while ((long)(hw + 1) * (hw + 1) + (long)di * di <= (long)R * R)
            hw++;
        while ((long)hw * hw + (long)di * di > (long)R * R)
            hw--;
        int mlo = py - hw < 0 ? 0 : py - hw, mhi = py + hw >= w ? w - 1 : py + hw;
        double ddx2 = (k * dx - x) * (k * dx - x);
        int mc = (int)nearbyint(y / dy);
        mc = mc < mlo ? mlo : (mc > mhi ? mhi : mc);
        for (int dir = 0; dir < 2; dir++) { /* r grows away from the atom: walk the index */
            int m = dir ? mc - 1 : mc, step = dir ? -1 : 1;
            if (m < mlo || m > mhi)
                continue;
            double r = sqrt(ddx2 + (m * dy - y) * (m * dy - y));
            long idx = (long)floor(log(r / rr[0] + 1e-12) / t->dt);
            if (idx < -1)
                idx = -1;
            for (; m >= mlo && m <= mhi; m += step) {
                r = sqrt(ddx2 + (m * dy - y) * (m * dy - y));
                idx += r >= rr[idx + 1];
                while (r >= rr[idx + 1])
                    idx++;
                if (idx >= n - 1)
                    break;
                gi[(size_t)k * w + m] = (int32_t)idx;
                gd[(size_t)k * w + m] = (float)(idx < 0 ? 0.0 : r - rr[idx]);
            }
        }
    }
}

static void fill_stamp(size_t npx, const int32_t *restrict gi, const float *restrict gd,
                       const double *restrict f, const double *restrict df,
                       float *restrict stamp)
{
    for (size_t k = 0; k < npx; k++) {
        int32_t i = gi[k];
        stamp[k] = i >= 0 ? (float)(f[i] + gd[k] * df[i]) : (i == -1 ? (float)f[0] : 0.0f);
    }
}

void bf__finite_build(const bf_potential *p, double *scratch, size_t slice, float *out)
{
    memset(out, 0, (size_t)p->gpts[0] * p->gpts[1] * sizeof *out);
    double a = p->zlim[slice], b = p->zlim[slice + 1];
    double dx = p->sampling[0], dy = p->sampling[1];
    for (int s = 0; s < p->nspecies; s++) {
        const bf__proj_table *t = &p->table[s];
        int R = (int)ceil(t->r[t->nr - 1] / fmin(dx, dy)), w = 2 * R + 1;
        double *f = scratch, *df = f + t->nr, *rbuf = df + t->nr;
        float *stamp = (float *)(rbuf + w);
        int32_t *gi = (int32_t *)(rbuf + w + ((size_t)w * w + 1) / 2);
        float *gd = (float *)(gi + (size_t)w * w);
        stamp_key *keys = (stamp_key *)(rbuf + w + ((size_t)w * w + 1) / 2 + (size_t)w * w);
        size_t nk = 0;
        for (size_t k = p->slice_off[slice]; k < p->slice_off[slice + 1]; k++) {
            size_t i = p->slice_idx[k];
            if (p->z[i] != p->species[s])
                continue;
            double x = p->xyz[3 * i], y = p->xyz[3 * i + 1];
            keys[nk].qx = quantise(x / dx - nearbyint(x / dx), 1e-9);
            keys[nk].qy = quantise(y / dy - nearbyint(y / dy), 1e-9);
            keys[nk].qz = quantise(a - p->xyz[3 * i + 2], 1e-9);
            keys[nk].i = (double)i;
            nk++;
        }
        qsort(keys, nk, sizeof *keys, key_cmp);
        int have_geometry = 0;
        double gqx = 0.0, gqy = 0.0;
        for (size_t g0 = 0, g1; g0 < nk; g0 = g1) {
            for (g1 = g0 + 1; g1 < nk && keys[g1].qx == keys[g0].qx &&
                              keys[g1].qy == keys[g0].qy && keys[g1].qz == keys[g0].qz;)
                g1++;
            /* abTEM rasterises with positions cast to float32 */
            size_t i = (size_t)keys[g0].i;
            double z = p->xyz[3 * i + 2], x = (float)p->xyz[3 * i], y = (float)p->xyz[3 * i + 1];
            radial_function(t, a - z, b - z, f, df);
            int same_xy = have_geometry && gqx == keys[g0].qx && gqy == keys[g0].qy;
            int next_xy = g1 < nk && keys[g1].qx == keys[g0].qx && keys[g1].qy == keys[g0].qy;
            if (g1 - g0 == 1 && !same_xy && !next_xy) {
                rasterise(p->gpts, p->sampling, t, f, df, x, y, out, rbuf);
                continue;
            }
            int px = (int)nearbyint(x / dx), py = (int)nearbyint(y / dy);
            if (!same_xy) {
                geometry(t, R, p->sampling, x - (px - R) * dx, y - (py - R) * dy, gi, gd);
                have_geometry = 1;
                gqx = keys[g0].qx;
                gqy = keys[g0].qy;
            }
            fill_stamp((size_t)w * w, gi, gd, f, df, stamp);
            for (size_t g = g0; g < g1; g++) {
                size_t j = (size_t)keys[g].i;
                double xj = (float)p->xyz[3 * j], yj = (float)p->xyz[3 * j + 1];
                add_stamp(stamp, w, p->gpts[0], p->gpts[1], (int)nearbyint(xj / dx) - R,
                          (int)nearbyint(yj / dy) - R, out);
            }
        }
    }
}
