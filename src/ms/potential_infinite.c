/* Building slices of the infinite projection, and the workspaces that do it (abTEM 1.0.9's
 * infinite_potential_projections: bilinear deposits of the atoms, FFT, times f(k)/S(k) per species,
 * inverse FFT).
 *
 * The 2D transforms are split into their passes, as multislice_rows.c does: the deposits touch
 * two pixel rows per atom, so only those rows are transformed along y (a slice of 40 atoms: 80 of
 * 512 rows); the pass along x works on blocks of BF__POT_BLOCK columns (gather, FFT_x, times the
 * species' tables summed over species, IFFT_x, scatter); the last pass along y (c2r) is left to
 * the reader, one row at a time (bf__potential_real_row), so the multislice turns each row into
 * its transmission function while the row is in cache. Invariants: between slices `real` is all
 * zeros; after bf__potential_build_mixed, vmix holds Ṽ(x, ky) = FFT_y V for ky in [0, ny/2]. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/potential_internal.h"

struct bf_potential_workspace {
    int gpts[2];
    bf_projection proj;
    size_t radial_cap;      /* finite: longest table served */
    int species_cap;        /* infinite: species the mixed arrays have room for */
    size_t ldh;             /* row stride (complex) of the mixed arrays, a multiple of 8 */
    size_t ldb;             /* column stride (complex) of blk and acc, off powers of two */
    float *real;            /* nx*ny deposits */
    fftwf_complex *dmix;    /* species_cap * nx * ldh: FFT_y of the deposit rows */
    unsigned char *rows;    /* species_cap * nx: row has deposits */
    int any[BF__MAX_SPECIES];
    fftwf_complex *vmix;    /* nx * ldh */
    fftwf_complex *blk, *acc; /* BF__POT_BLOCK contiguous columns of nx, ldb apart */
    float *rrow;            /* aligned scratch row of ny */
    fftwf_complex *crow;    /* aligned scratch row of ny/2+1 */
    fftwf_plan r2c, c2r, cf, ci;
    int empty;              /* the slice built last has no atoms */
    size_t count[3];        /* r2c rows, c2r rows, column blocks run */
    double *radial;         /* finite: scratch */
};

static bf_status infinite_buffers(const bf_potential *pot, bf_potential_workspace *w)
{
    int nx = pot->gpts[0], ny = pot->gpts[1], nyh = ny / 2 + 1, B = BF__POT_BLOCK;
    size_t ns = (size_t)(pot->nspecies > 0 ? pot->nspecies : 1);
    w->species_cap = (int)ns;
    w->ldh = ((size_t)nyh + 7) & ~(size_t)7;
    /* columns 2^k bytes apart would put each row's 8 values in one cache set */
    w->ldb = ((size_t)nx + 7) & ~(size_t)7;
    if (w->ldb % 64 == 0)
        w->ldb += 8;
    int ldb = (int)w->ldb;
    w->real = bf__big_alloc((size_t)nx * ny * sizeof *w->real);
    w->dmix = bf__big_alloc(ns * nx * w->ldh * sizeof *w->dmix);
    w->rows = calloc(ns * nx, 1);
    w->vmix = bf__big_alloc((size_t)nx * w->ldh * sizeof *w->vmix);
    w->blk = fftwf_malloc(w->ldb * B * sizeof *w->blk);
    w->acc = fftwf_malloc(w->ldb * B * sizeof *w->acc);
    w->rrow = fftwf_malloc((size_t)ny * sizeof *w->rrow);
    w->crow = fftwf_malloc((size_t)nyh * sizeof *w->crow);
    if (!w->real || !w->dmix || !w->rows || !w->vmix || !w->blk || !w->acc || !w->rrow ||
        !w->crow)
        return bf__error_set(BF_ENOMEM, "out of memory for a potential workspace");
    bf__ms_fft_init();
    unsigned flags = bf__ms_fft_flags(BF_FFT_DEFAULT);
    w->r2c = fftwf_plan_dft_r2c_1d(ny, w->rrow, w->crow, flags);
    w->c2r = fftwf_plan_dft_c2r_1d(ny, w->crow, w->rrow, flags);
    /* B contiguous columns: FFTs along x run ~2x faster than on interleaved ones */
    w->cf = fftwf_plan_many_dft(1, &nx, B, w->blk, NULL, 1, ldb, w->blk, NULL, 1, ldb,
                                FFTW_FORWARD, flags);
    w->ci = fftwf_plan_many_dft(1, &nx, B, w->blk, NULL, 1, ldb, w->blk, NULL, 1, ldb,
                                FFTW_BACKWARD, flags);
    if (!w->r2c || !w->c2r || !w->cf || !w->ci)
        return bf__error_set(BF_EINTERNAL, "FFTW could not plan %d-point rows and %d-point "
                             "columns", ny, nx);
    memset(w->real, 0, (size_t)nx * ny * sizeof *w->real); /* after planning: MEASURE writes */
    return BF_OK;
}

bf_status bf_potential_workspace_create(const bf_potential *pot, bf_potential_workspace **out)
{
    bf_status st = BF_OK;
    *out = NULL;
    bf_potential_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return bf__error_set(BF_ENOMEM, "out of memory for a potential workspace");
    w->gpts[0] = pot->gpts[0];
    w->gpts[1] = pot->gpts[1];
    w->proj = pot->proj;
    w->radial_cap = pot->finite_scratch;
    if (pot->proj == BF_PROJECTION_INFINITE) {
        st = infinite_buffers(pot, w);
    } else {
        w->radial = malloc((pot->finite_scratch ? pot->finite_scratch : 1) * sizeof *w->radial);
        if (!w->radial)
            st = bf__error_set(BF_ENOMEM, "out of memory for a potential workspace");
    }
    if (st) {
        bf_potential_workspace_destroy(w);
        return st;
    }
    *out = w;
    return BF_OK;
}

void bf_potential_workspace_destroy(bf_potential_workspace *w)
{
    if (!w)
        return;
    const fftwf_plan plans[4] = {w->r2c, w->c2r, w->cf, w->ci};
    bf__ms_fft_destroy_plans(plans, 4);
    free(w->real);
    free(w->dmix);
    free(w->rows);
    free(w->vmix);
    fftwf_free(w->blk);
    fftwf_free(w->acc);
    fftwf_free(w->rrow);
    fftwf_free(w->crow);
    free(w->radial);
    free(w);
}

int bf__potential_workspace_fits(const bf_potential *p, const bf_potential_workspace *w)
{
    return w->gpts[0] == p->gpts[0] && w->gpts[1] == p->gpts[1] && w->proj == p->proj &&
           (p->proj != BF_PROJECTION_FINITE || p->finite_scratch <= w->radial_cap) &&
           (p->proj != BF_PROJECTION_INFINITE || p->nspecies <= w->species_cap);
}

/* Bilinear deposit of one atom at pixel coordinates (float32, as abTEM) with periodic wrap;
 * marks the two rows touched. */
static void deposit(float *a, unsigned char *rows, int nx, int ny, float px, float py)
{
    int r = (int)floorf(px), c = (int)floorf(py);
    double x = (double)px - r, y = (double)py - c, xy = x * y;
    int r0 = ((r % nx) + nx) % nx, r1 = (((r + 1) % nx) + nx) % nx;
    int c0 = ((c % ny) + ny) % ny, c1 = (((c + 1) % ny) + ny) % ny;
    a[(size_t)r0 * ny + c0] += (float)(1.0 + xy - y - x);
    a[(size_t)r1 * ny + c0] += (float)(x - xy);
    a[(size_t)r0 * ny + c1] += (float)(y - xy);
    a[(size_t)r1 * ny + c1] += (float)xy;
    rows[r0] = rows[r1] = 1;
}

static int same_alignment(const void *a, const void *b)
{
    return fftwf_alignment_of((float *)a) == fftwf_alignment_of((float *)b);
}

/* Deposit species s's atoms of the slice and transform their rows along y into dmix. */
static void deposit_rows(const bf_potential *p, bf_potential_workspace *w, size_t slice, int s)
{
    int nx = p->gpts[0], ny = p->gpts[1];
    unsigned char *rows = w->rows + (size_t)s * nx;
    fftwf_complex *d = w->dmix + (size_t)s * nx * w->ldh;
    memset(rows, 0, (size_t)nx);
    w->any[s] = 0;
    for (size_t k = p->slice_off[slice]; k < p->slice_off[slice + 1]; k++) {
        size_t i = p->slice_idx[k];
        if (p->z[i] != p->species[s])
            continue;
        w->any[s] = 1;
        deposit(w->real, rows, nx, ny, (float)(p->xyz[3 * i] / p->sampling[0]),
                (float)(p->xyz[3 * i + 1] / p->sampling[1]));
    }
    for (int x = 0; x < nx; x++) {
        if (!rows[x])
            continue;
        float *r = w->real + (size_t)x * ny;
        if (same_alignment(r, w->rrow)) {
            fftwf_execute_dft_r2c(w->r2c, r, d + x * w->ldh);
        } else {
            memcpy(w->rrow, r, (size_t)ny * sizeof *r);
            fftwf_execute_dft_r2c(w->r2c, w->rrow, d + x * w->ldh);
        }
        memset(r, 0, (size_t)ny * sizeof *r);
        w->count[0]++;
    }
}

/* Columns [c, c + width) of every species' dmix: FFT_x, times f/S summed over species, IFFT_x,
 * into vmix. bi: the block's index in the tables' layout (columns of nx, contiguous). */
static void column_block(const bf_potential *p, bf_potential_workspace *w, int c, size_t width,
                         size_t bi)
{
    const int nx = p->gpts[0], B = BF__POT_BLOCK;
    const size_t len = (size_t)nx * B, ldb = w->ldb;
    float *acc = (float *)w->acc, *b = (float *)w->blk;
    int first = 1;
    for (int s = 0; s < p->nspecies; s++) {
        if (!w->any[s])
            continue;
        const unsigned char *rows = w->rows + (size_t)s * nx;
        const fftwf_complex *d = w->dmix + (size_t)s * nx * w->ldh;
        /* transpose into B contiguous columns: zeros, then the few rows with deposits */
        memset(b, 0, ldb * B * sizeof(fftwf_complex));
        for (int x = 0; x < nx; x++) {
            if (!rows[x])
                continue;
            const float *src = (const float *)(d + x * w->ldh + c);
            for (size_t j = 0; j < width; j++) {
                b[2 * (j * ldb + x)] = src[2 * j];
                b[2 * (j * ldb + x) + 1] = src[2 * j + 1];
            }
        }
        fftwf_execute_dft(w->cf, w->blk, w->blk);
        w->count[2]++;
        for (int j = 0; j < B; j++) {
            const float *f = p->fk[s] + bi * len + (size_t)j * nx, *bj = b + 2 * j * ldb;
            float *aj = acc + 2 * j * ldb;
            if (first)
                for (int i = 0; i < nx; i++) {
                    aj[2 * i] = bj[2 * i] * f[i];
                    aj[2 * i + 1] = bj[2 * i + 1] * f[i];
                }
            else
                for (int i = 0; i < nx; i++) {
                    aj[2 * i] += bj[2 * i] * f[i];
                    aj[2 * i + 1] += bj[2 * i + 1] * f[i];
                }
        }
        first = 0;
    }
    fftwf_execute_dft(w->ci, w->acc, w->acc);
    w->count[2]++;
    for (int x = 0; x < nx; x++) {
        float *dst = (float *)(w->vmix + x * w->ldh + c);
        /* rows lie 2 KiB apart: the hardware prefetchers do not follow, so fetch ahead */
        __builtin_prefetch(dst + 16 * w->ldh, 1);
        for (size_t j = 0; j < width; j++) {
            dst[2 * j] = acc[2 * (j * ldb + x)];
            dst[2 * j + 1] = acc[2 * (j * ldb + x) + 1];
        }
    }
}

bf_status bf__potential_build_mixed(const bf_potential *p, bf_potential_workspace *w, size_t i)
{
    if (p->proj != BF_PROJECTION_INFINITE || !bf__potential_workspace_fits(p, w) ||
        i >= p->nslices)
        return bf__error_set(BF_EINTERNAL, "mixed potential slice: wrong workspace or slice");
    w->empty = p->slice_off[i] == p->slice_off[i + 1];
    if (w->empty)
        return BF_OK;
    for (int s = 0; s < p->nspecies; s++)
        deposit_rows(p, w, i, s);
    const int B = BF__POT_BLOCK, nyh = p->gpts[1] / 2 + 1;
    size_t bi = 0;
    for (int c = 0; c < nyh; c += B, bi++)
        column_block(p, w, c, (size_t)(nyh - c < B ? nyh - c : B), bi);
    return BF_OK;
}

void bf__potential_real_row(bf_potential_workspace *w, int x, float *out)
{
    size_t ny = (size_t)w->gpts[1];
    if (w->empty) {
        memset(out, 0, ny * sizeof *out);
        return;
    }
    /* c2r overwrites its input: each row is read once per slice */
    w->count[1]++;
    fftwf_complex *in = w->vmix + (size_t)x * w->ldh;
    if (same_alignment(out, w->rrow)) {
        fftwf_execute_dft_c2r(w->c2r, in, out);
    } else {
        fftwf_execute_dft_c2r(w->c2r, in, w->rrow);
        memcpy(out, w->rrow, ny * sizeof *out);
    }
}

bf_status bf_potential_build_slice(const bf_potential *p, bf_potential_workspace *w, size_t i,
                                   float *out)
{
    if (!p || !w || !out)
        return bf__error_set(BF_EINVAL, "potential slice: missing potential, workspace or output");
    if (!bf__potential_workspace_fits(p, w))
        return bf__error_set(BF_EINVAL, "potential slice: the workspace was made for another grid "
                             "or projection");
    if (i >= p->nslices)
        return bf__error_set(BF_EINVAL, "slice %zu out of range (%zu slices)", i, p->nslices);
    if (p->proj == BF_PROJECTION_FINITE) {
        bf__finite_build(p, w->radial, i, out);
        return BF_OK;
    }
    bf_status st = bf__potential_build_mixed(p, w, i);
    for (int x = 0; !st && x < p->gpts[0]; x++)
        bf__potential_real_row(w, x, out + (size_t)x * p->gpts[1]);
    return st;
}

void bf__potential_fft_work(bf_potential_workspace *w, size_t count[3], double seconds[3])
{
    for (int k = 0; k < 3; k++)
        count[k] = w && w->proj == BF_PROJECTION_INFINITE ? w->count[k] : 0;
    if (!seconds)
        return;
    seconds[0] = seconds[1] = seconds[2] = 0.0;
    if (!w || w->proj != BF_PROJECTION_INFINITE)
        return;
    /* zeros in: transforms of zeros take as long as any and nothing overflows */
    memset(w->rrow, 0, (size_t)w->gpts[1] * sizeof *w->rrow);
    memset(w->crow, 0, ((size_t)w->gpts[1] / 2 + 1) * sizeof *w->crow);
    memset(w->blk, 0, w->ldb * BF__POT_BLOCK * sizeof *w->blk);
    seconds[0] = bf__ms_fft_time(w->r2c);
    seconds[1] = bf__ms_fft_time(w->c2r);
    seconds[2] = bf__ms_fft_time(w->cf);
}
