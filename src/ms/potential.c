/* Projected potential slices, as abTEM 1.0.9's Potential (potentials/iam.py, slicing.py,
 * integrals.py). The plan holds the grid, the slice limits, the atoms (wrapped into the cell,
 * padded with periodic images for the finite projection) sorted into per-slice index lists, and
 * per-species tables: f(k²)/S(k) for the infinite projection (Van den Broek et al.,
 * Ultramicroscopy 158 (2015) 89), the projection-integral tables for the finite one
 * (potential_finite.c). Slices are built by workspaces (potential_infinite.c; the finite
 * projection's raster in potential_finite.c). Invariants: slice i spans [zlim[i], zlim[i+1]);
 * zlim[0] = 0; the plan is read-only after create, so one plan serves any number of threads,
 * each with its workspace; plans made from a template share its f/S tables (reference-counted). */
#include <fftw3.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ms/potential_internal.h"

static double pymod1(double f)
{
    double r = f - floor(f);
    return r >= 1.0 ? 0.0 : r;
}

/* fftfreq(n, d)[i] */
double bf__ms_fftfreq(int i, int n, double d)
{
    int k = i <= (n - 1) / 2 ? i : i - n;
    return (double)k / (d * n);
}

static bf_status grid_from_options(const bf_atoms *atoms, const bf_potential_options *opt,
                                   bf_potential *p)
{
    for (int k = 0; k < 2; k++) {
        double ext = atoms->cell[k];
        int g = opt->gpts[k];
        if (g < 0)
            return bf__error_set(BF_EINVAL, "potential.gpts[%d] must be positive, got %d", k, g);
        if (g == 0) {
            double s = opt->sampling[k];
            if (!(s > 0.0) || !isfinite(s))
                return bf__error_set(BF_EINVAL,
                                     "potential: give gpts > 0 or sampling > 0 (axis %d: gpts 0, "
                                     "sampling %g)", k, s);
            double gd = ceil(ext / s);
            if (gd > 65536)
                return bf__error_set(BF_EINVAL, "potential: %g grid points along axis %d", gd, k);
            g = (int)gd;
            if (opt->fft_friendly)
                g = bf__ms_fft_friendly(g);
        }
        if (g > 65536)
            return bf__error_set(BF_EINVAL, "potential.gpts[%d] = %d is too large", k, g);
        p->gpts[k] = g;
        p->sampling[k] = ext / g;
    }
    return BF_OK;
}

bf_status bf__potential_grid_for(const bf_atoms *atoms, const bf_potential_options *opt,
                                 int gpts[2], double sampling[2])
{
    bf_potential tmp;
    memset(&tmp, 0, sizeof tmp);
    bf_status st = grid_from_options(atoms, opt, &tmp);
    if (!st) {
        memcpy(gpts, tmp.gpts, sizeof tmp.gpts);
        memcpy(sampling, tmp.sampling, sizeof tmp.sampling);
    }
    return st;
}

int bf__ms_fft_friendly(int n)
{
    for (;; n++) {
        int m = n;
        static const int primes[] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (m % primes[i] == 0)
                m /= primes[i];
        if (m == 1)
            return n;
    }
}

static bf_status slices_from_options(const bf_atoms *atoms, const bf_potential_options *opt,
                                     bf_potential *p)
{
    double c = atoms->cell[2];
    size_t n;
    if (opt->slice_thicknesses && opt->num_slice_thicknesses) {
        n = opt->num_slice_thicknesses;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (!(opt->slice_thicknesses[i] > 0.0))
                return bf__error_set(BF_EINVAL, "potential.slice_thickness[%zu] must be positive",
                                     i);
            sum += opt->slice_thicknesses[i];
        }
        if (fabs(sum - c) > 1e-8 + 1e-5 * c)
            return bf__error_set(BF_EINVAL,
                                 "potential.slice_thickness: slices sum to %g Å, the cell is %g Å",
                                 sum, c);
    } else {
        double d = opt->slice_thickness > 0.0 ? opt->slice_thickness : 1.0;
        if (!isfinite(opt->slice_thickness) || opt->slice_thickness < 0.0)
            return bf__error_set(BF_EINVAL, "potential.slice_thickness must be positive, got %g",
                                 opt->slice_thickness);
        double nd = ceil(c / d);
        if (nd > 1e6)
            return bf__error_set(BF_EINVAL, "potential: %g slices is too many", nd);
        n = (size_t)nd;
    }
    p->nslices = n;
    p->dz = malloc(n * sizeof *p->dz);
    p->zlim = malloc((n + 1) * sizeof *p->zlim);
    if (!p->dz || !p->zlim)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu slices", n);
    p->zlim[0] = 0.0;
    for (size_t i = 0; i < n; i++) {
        p->dz[i] = opt->num_slice_thicknesses ? opt->slice_thicknesses[i] : c / (double)n;
        p->zlim[i + 1] = p->zlim[i] + p->dz[i];
    }
    return BF_OK;
}

static int species_index(const bf_potential *p, int z)
{
    for (int s = 0; s < p->nspecies; s++)
        if (p->species[s] == z)
            return s;
    return -1;
}

static bf_status collect_species(const bf_atoms *atoms, bf_potential *p)
{
    for (size_t i = 0; i < atoms->n; i++) {
        if (species_index(p, atoms->z[i]) >= 0)
            continue;
        bf_status st = bf__radial_check(p->param, atoms->z[i]);
        if (st)
            return st;
        if (p->nspecies == BF__MAX_SPECIES)
            return bf__error_set(BF_EUNSUPPORTED, "more than %d elements in one structure",
                                 BF__MAX_SPECIES);
        p->species[p->nspecies] = atoms->z[i];
        bf__radial_init(&p->radial[p->nspecies], p->param, atoms->z[i]);
        p->nspecies++;
    }
    return BF_OK;
}

/* Wrapped copy of the atoms (abTEM: atoms.wrap(eps=0) before slicing). */
static bf_status wrap_atoms(const bf_atoms *atoms, bf_potential *p)
{
    p->natoms = atoms->n;
    p->z = malloc((atoms->n ? atoms->n : 1) * sizeof *p->z);
    p->xyz = malloc((atoms->n ? atoms->n : 1) * 3 * sizeof *p->xyz);
    if (!p->z || !p->xyz)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu atoms", atoms->n);
    for (size_t i = 0; i < atoms->n; i++) {
        p->z[i] = atoms->z[i];
        for (int k = 0; k < 3; k++)
            p->xyz[3 * i + k] = pymod1(atoms->xyz[3 * i + k] / atoms->cell[k]) * atoms->cell[k];
    }
    return BF_OK;
}

/* Infinite projection: each atom belongs to the one slice with zlim[i] <= z < zlim[i+1]. */
static bf_status index_infinite(bf_potential *p)
{
    p->slice_off = calloc(p->nslices + 1, sizeof *p->slice_off);
    p->slice_idx = malloc((p->natoms ? p->natoms : 1) * sizeof *p->slice_idx);
    size_t *which = malloc((p->natoms ? p->natoms : 1) * sizeof *which);
    if (!p->slice_off || !p->slice_idx || !which) {
        free(which);
        return bf__error_set(BF_ENOMEM, "out of memory for slice lists");
    }
    for (size_t i = 0; i < p->natoms; i++) {
        double z = p->xyz[3 * i + 2];
        size_t lo = 0, hi = p->nslices; /* first boundary zlim[k+1] > z */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (p->zlim[mid + 1] > z)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (lo >= p->nslices)
            lo = p->nslices - 1;
        which[i] = lo;
        p->slice_off[lo + 1]++;
    }
    for (size_t s = 0; s < p->nslices; s++)
        p->slice_off[s + 1] += p->slice_off[s];
    size_t *fill = calloc(p->nslices, sizeof *fill);
    if (!fill) {
        free(which);
        return bf__error_set(BF_ENOMEM, "out of memory for slice lists");
    }
    for (size_t i = 0; i < p->natoms; i++)
        p->slice_idx[p->slice_off[which[i]] + fill[which[i]]++] = i;
    free(fill);
    free(which);
    return BF_OK;
}

/* The f/S tables are shared between a template and the plans made from it (one per frozen-phonon
 * configuration): reference-counted, the count in a 64-byte header before the floats, atomic
 * because plans are made and destroyed on any thread. */
#define TABLE_HEADER 64

static float *table_alloc(size_t n)
{
    char *b = fftwf_malloc(TABLE_HEADER + n * sizeof(float));
    if (!b)
        return NULL;
    atomic_init((atomic_int *)(void *)b, 1);
    return (float *)(void *)(b + TABLE_HEADER);
}

static float *table_ref(float *t)
{
    atomic_fetch_add((atomic_int *)(void *)((char *)t - TABLE_HEADER), 1);
    return t;
}

static void table_unref(float *t)
{
    if (t && atomic_fetch_sub((atomic_int *)(void *)((char *)t - TABLE_HEADER), 1) == 1)
        fftwf_free((char *)t - TABLE_HEADER);
}

/* f(k²)/S(k) on the r2c half grid for each species, S = sin(s)/s·dx·dy with s in cycles/pixel
 * (abTEM's integrals.sinc), 1/N folded in for the unnormalised inverse FFT; stored in the
 * column-block layout of potential_infinite.c (column-major: ky column j is nx contiguous values,
 * columns up to a multiple of BF__POT_BLOCK, zeros past ny/2). */
static int reuse_tables(bf_potential *p, const bf_potential *t, int s);

static bf_status infinite_tables(bf_potential *p, const bf_potential *tmpl)
{
    int nx = p->gpts[0], ny = p->gpts[1], nyh = ny / 2 + 1, B = BF__POT_BLOCK;
    double dx = p->sampling[0], dy = p->sampling[1];
    size_t nk = bf__fk_size(p);
    /* the frequencies along y, once (k in 1/Å rounded to float as abTEM, s in cycles/pixel) */
    float *ky = malloc((size_t)nyh * sizeof *ky);
    double *sy = malloc((size_t)nyh * sizeof *sy);
    if (!ky || !sy) {
        free(ky);
        free(sy);
        return bf__error_set(BF_ENOMEM, "out of memory for scattering factors");
    }
    for (int j = 0; j < nyh; j++) {
        ky[j] = (float)bf__ms_fftfreq(j, ny, dy);
        sy[j] = bf__ms_fftfreq(j, ny, 1.0);
    }
    bf_status st = BF_OK;
    for (int s = 0; s < p->nspecies && !st; s++) {
        if (reuse_tables(p, tmpl, s))
            continue;
        float *fk = p->fk[s] = table_alloc(nk);
        if (!fk) {
            st = bf__error_set(BF_ENOMEM, "out of memory for scattering factors");
            break;
        }
        /* rows i and nx - i have the same k² and s²: compute the first half, mirror the rest */
        for (int i = 0; i <= nx / 2; i++) {
            float kx = (float)bf__ms_fftfreq(i, nx, dx);
            double sx = bf__ms_fftfreq(i, nx, 1.0);
            for (int j = 0; j < (nyh + B - 1) / B * B; j++) {
                size_t at = (size_t)j * nx + i; /* blocks of columns: column-major */
                if (j >= nyh) {
                    fk[at] = 0.0f;
                    if (i > 0)
                        fk[(size_t)j * nx + (nx - i)] = 0.0f;
                    continue;
                }
                double k2 = (double)(kx * kx + ky[j] * ky[j]);
                double sr = sqrt(sx * sx + sy[j] * sy[j]);
                double sinc = (i == 0 && j == 0) ? dx * dy : sin(sr) / sr * dx * dy;
                double f = bf__radial_scattering(&p->radial[s], k2);
                fk[at] = (float)(f / sinc / ((double)nx * ny));
                if (i > 0)
                    fk[(size_t)j * nx + (nx - i)] = fk[at];
            }
        }
    }
    free(ky);
    free(sy);
    return st;
}

size_t bf__fk_size(const bf_potential *p)
{
    int nyh = p->gpts[1] / 2 + 1, B = BF__POT_BLOCK;
    return (size_t)p->gpts[0] * ((nyh + B - 1) / B * B);
}

/* Share the template's table for species s of p when it has one for the same element. */
static int reuse_tables(bf_potential *p, const bf_potential *t, int s)
{
    if (!t)
        return 0;
    for (int k = 0; k < t->nspecies; k++) {
        if (t->species[k] != p->species[s])
            continue;
        if (p->proj == BF_PROJECTION_INFINITE && t->fk[k]) {
            p->fk[s] = table_ref(t->fk[k]);
            return 1;
        }
        return 0;
    }
    return 0;
}

static bf_status create(const bf_atoms *atoms, const bf_potential_options *opt,
                        const bf_potential *tmpl, bf_potential **out);

bf_status bf_potential_create(const bf_atoms *atoms, const bf_potential_options *opt,
                              bf_potential **out)
{
    return create(atoms, opt, NULL, out);
}

bf_status bf_potential_create_from(const bf_potential *t, const bf_atoms *atoms,
                                   bf_potential **out)
{
    *out = NULL;
    if (!t || !atoms)
        return bf__error_set(BF_EINVAL, "missing template or atoms");
    for (int k = 0; k < 3; k++)
        if (atoms->cell[k] != t->cell[k])
            return bf__error_set(BF_EINVAL, "potential: the atoms' cell differs from the "
                                 "template's");
    bf_potential_options o = BF_POTENTIAL_OPTIONS_INIT;
    o.gpts[0] = t->gpts[0];
    o.gpts[1] = t->gpts[1];
    o.slice_thicknesses = t->dz;
    o.num_slice_thicknesses = t->nslices;
    o.parametrization = t->param;
    o.projection = t->proj;
    o.cutoff_tolerance = t->tolerance;
    return create(atoms, &o, t, out);
}

static bf_status create(const bf_atoms *atoms, const bf_potential_options *opt,
                        const bf_potential *tmpl, bf_potential **out)
{
    bf_status st = BF_OK;
    bf_potential *p = NULL;
    *out = NULL;
    if (!atoms || !opt) {
        st = bf__error_set(BF_EINVAL, "missing atoms or options");
        goto done;
    }
    if (opt->parametrization != BF_LOBATO && opt->parametrization != BF_KIRKLAND &&
        opt->parametrization != BF_PENG) {
        st = bf__error_set(BF_EINVAL, "unknown parametrization %d", (int)opt->parametrization);
        goto done;
    }
    if (opt->projection != BF_PROJECTION_INFINITE && opt->projection != BF_PROJECTION_FINITE) {
        st = bf__error_set(BF_EINVAL, "unknown projection %d", (int)opt->projection);
        goto done;
    }
    /* two atoms on one site (a CIF's mixed occupancy, a doubled file) would add their
     * potentials silently */
    if ((st = bf__ms_check_overlaps(atoms, 1e-3)))
        goto done;
    p = calloc(1, sizeof *p);
    if (!p) {
        st = bf__error_set(BF_ENOMEM, "out of memory for a potential");
        goto done;
    }
    p->param = opt->parametrization;
    p->proj = opt->projection;
    p->tolerance = opt->cutoff_tolerance > 0.0 ? opt->cutoff_tolerance : 1e-4;
    memcpy(p->cell, atoms->cell, sizeof p->cell);
    if ((st = grid_from_options(atoms, opt, p)) || (st = slices_from_options(atoms, opt, p)) ||
        (st = collect_species(atoms, p)) || (st = wrap_atoms(atoms, p)))
        goto done;
    if (p->proj == BF_PROJECTION_INFINITE)
        st = index_infinite(p);
    if (!st && p->proj == BF_PROJECTION_INFINITE)
        st = infinite_tables(p, tmpl);
    if (!st && p->proj == BF_PROJECTION_FINITE)
        st = bf__finite_prepare(p, tmpl);
    if (st)
        goto done;
    *out = p;
    p = NULL;
done:
    bf_potential_destroy(p);
    return st;
}

void bf_potential_destroy(bf_potential *p)
{
    if (!p)
        return;
    for (int s = 0; s < BF__MAX_SPECIES; s++) {
        table_unref(p->fk[s]);
        free(p->table[s].r);
        free(p->table[s].values);
    }
    free(p->dz);
    free(p->zlim);
    free(p->z);
    free(p->xyz);
    free(p->slice_off);
    free(p->slice_idx);
    free(p);
}

size_t bf_potential_num_slices(const bf_potential *p) { return p->nslices; }

void bf_potential_grid(const bf_potential *p, int gpts[2], double sampling[2])
{
    if (gpts) {
        gpts[0] = p->gpts[0];
        gpts[1] = p->gpts[1];
    }
    if (sampling) {
        sampling[0] = p->sampling[0];
        sampling[1] = p->sampling[1];
    }
}

double bf_potential_slice_thickness(const bf_potential *p, size_t i)
{
    return i < p->nslices ? p->dz[i] : 0.0;
}

