/* Internals of the ai module shared between its files (never installed). The detector and
 * geometry structs, the per-pixel geometry arrays, the matrix builder and the integrator. */
#ifndef BF_AI_INTERNAL_H
#define BF_AI_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "beamflow/ai.h"
#include "core/memory.h"

/* No fused multiply-add anywhere in this module: pyFAI's float32 positions and our scalar and
 * AVX2 kernels must round the same way on every compiler and -march (GCC's -std=c11 already
 * means -ffp-contract=off; clang contracts unless told). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

struct bf_detector {
    char name[48];      /* pyFAI class name */
    size_t rows, cols;
    double pixel1, pixel2;
    int family;         /* detector.c's enum family */
    int mod_rows, mod_cols, gap_rows, gap_cols;
    double def_pixel1, def_pixel2; /* catalogue defaults, to write Detector_config */
    size_t def_rows, def_cols;
    uint8_t *mask;      /* rows*cols, 1 = masked, or NULL */
};

struct bf_geometry {
    bf_detector *det;   /* owned */
    bf_geometry_params p;
};

/* Internal radial spaces (pyFAI's "internal representation"): 2theta [rad], q [nm^-1], r [m]. */
typedef enum bf__space { BF__SPACE_2TH = 0, BF__SPACE_Q, BF__SPACE_R } bf__space;

/* Parallel for over rows [0, n) in pieces aligned to align rows (parallel.c). */
typedef void (*bf__rows_fn)(void *ctx, size_t r0, size_t r1, int tid);
void bf__parallel_rows(size_t n, size_t align, int nthreads, bf__rows_fn fn, void *ctx);
/* Threads for a build: requested if > 0, else the online CPUs (at most 8). */
int bf__build_threads(int requested);

/* atan2 within 3 ulp of libm's, the same bits with and without AVX2 (atan2.c); simd: use AVX2
 * (the caller checked the CPU). The _f32 form returns exactly (float)atan2(y, x) of libm. */
double bf__atan2(double y, double x);
void bf__atan2_n(const double *y, const double *x, double *out, size_t n, int simd);
void bf__atan2_f32_n(const double *y, const double *x, float *out, size_t n, int simd);
/* 1 if the CPU runs AVX2 (csr_avx2.c). */
int bf__cpu_has_avx2(void);


/* Space and scale (output = internal * scale) of a radial unit. */
bf_status bf__unit_space(bf_ai_unit unit, bf__space *space, double *scale);

/* Shortest decimal that reads back as x, like Python's repr ("0.3", "1.5e-11", "0.0"). */
void bf__format_repr(double x, char *buf, size_t buflen);

/* Per-pixel values at the pixel centres, as pyFAI (float32 positions in the detector plane).
 * Any output may be NULL. rad: radial in the internal space; chi [rad]; omega: cos^3(alpha)
 * (solid angle relative to the PONI); cos2tth: cos(2theta); cos2chi_off: cos(2(chi+offset)). */
typedef struct bf__centre_arrays {
    double *rad, *chi, *omega, *cos2tth, *cos2chi;
    double chi_offset; /* [rad] polarization axis offset for cos2chi */
    int nthreads;      /* threads to compute with (results do not depend on it) */
    /* norm (optional): pyFAI's static normalisation in float32, nf * flat * P * omega, with
     * P = 0.5 (1 + cos^2 2th - pol_factor cos(2 (chi + chi_offset)) (1 - cos^2 2th)) */
    float *norm;
    float nf;
    const float *flat; /* or NULL */
    int has_pol, solid;
    double pol_factor;
} bf__centre_arrays;
bf_status bf__geometry_centre_arrays(const bf_geometry *geo, bf__space space,
                                     const bf__centre_arrays *out);

/* pyFAI's corner grid: (rows+1)*(cols+1) points at pixel corners (float64 positions), radial in
 * the internal space and chi [rad], both rounded to float32 as pyFAI stores them. Either output
 * may be NULL. */
bf_status bf__geometry_corner_grid(const bf_geometry *geo, bf__space space, float *rad,
                                   float *chi, int nthreads);

/* Check the geometry can be integrated (finite parameters, dist > 0, beam not parallel to the
 * detector, wavelength for q). */
bf_status bf__geometry_check(const bf_geometry *geo, bf__space space);

/* A pixel-to-bin matrix in the two layouts the kernels use.
 * CSR (bins x pixels), tiled: the detector is cut into tiles of BF__TILE_ROWS x BF__TILE_COLS
 * pixels (larger for very many bins, see csr_build.c) and the bins into chunks of
 * BF__CHUNK_BINS; a row of the matrix is a segment = the entries of one bin inside one tile,
 * rows are ordered by (chunk, tile, bin), so the kernel
 * gathers from one cache-resident tile of the frame at a time and accumulates one chunk of bins
 * at a time in a small stack buffer. row_bin gives the bin of each row.
 * Pixel-major (histogram): one row per pixel, col = bin, row_bin = NULL. */
/* 8 x 256 int32 (8 KiB) measured best on a Pilatus 2M, bbox and no split alike */
#define BF__TILE_ROWS 8
#define BF__TILE_COLS 256
#define BF__CHUNK_BINS 512
typedef struct bf__matrix {
    size_t nrows;       /* segments (CSR) or pixels (pixel-major) */
    size_t nnz;
    int64_t *row_ptr;   /* nrows+1 */
    int32_t *col;       /* nnz: pixel index (ascending within a row) or bin */
    float *coef;        /* nnz */
    int32_t *row_bin;   /* CSR: bin of each row; NULL for pixel-major */
    size_t nchunks;     /* CSR: chunks of BF__CHUNK_BINS bins */
    size_t *chunk_row;  /* CSR: nchunks+1, first row of each chunk */
    /* CSR, when the builder was given norm: per row, sum of coef * norm[col] and of coef, in
     * entry order (the build's by-product, so the static sums need not re-read the matrix) */
    double *row_norm, *row_count;
} bf__matrix;

void bf__matrix_free(bf__matrix *m);

/* What csr_build.c needs to know to split pixels into bins. */
typedef struct bf__split_input {
    size_t rows, cols, npt;
    bf_split split;
    const double *centre;   /* rows*cols radial centres (internal space) */
    const double *delta;    /* rows*cols bbox half-widths (2D bbox), else NULL (1D bbox: from
                               crad, bf__bbox_delta) */
    const float *crad;      /* corner grid radial (full), else NULL */
    const float *cchi;      /* corner grid chi (full), else NULL */
    const uint8_t *use;     /* rows*cols: 1 = pixel goes into the matrix */
    double pos0_min, delta_bin;
    int nthreads;
    /* 2D (npt_azim > 0): chi centres, bbox half-widths, grid; bin = ia * npt + ir */
    size_t npt_azim;
    const double *chi, *dchi;
    double pos1_min, delta1;
    const float *norm;      /* optional: per-pixel normalisation for the matrix's row sums */
    double pos0_maxin, pos1_maxin; /* 2D full split: the ranges' upper ends before EPS32 */
} bf__split_input;

/* Per-thread scratch of bf__split_pixel. */
typedef struct bf__split_scratch {
    int32_t *bins;  /* nbins + npt + npt_azim: the pixel's bins, then 2D's per-axis bins */
    float *coefs;   /* nbins */
    double *fracs;  /* npt + npt_azim: per-axis fractions */
    float *buffer;  /* full split: area per bin, npt floats, kept zeroed between pixels */
} bf__split_scratch;
bf_status bf__split_scratch_init(bf__split_scratch *sc, const bf__split_input *in);
void bf__split_scratch_free(bf__split_scratch *sc);
/* The bins (ascending) and coefficients of pixel (row i, column j) into sc; returns how many
 * (pixel_split.c). */
size_t bf__split_pixel(const bf__split_input *in, size_t i, size_t j, bf__split_scratch *sc);
/* A quad's corner chi values straddling chi = +-pi, unwrapped (pyFAI's _recenter). */
void bf__unwrap_chi(double y[4]);
/* 2D full splitting of pixel (i, j) (split_full2d.c): cells ascending, like bf__split_pixel. */
size_t bf__split_full_2d(const bf__split_input *in, size_t i, size_t j, bf__split_scratch *sc);

/* The chi extent [rad] of pixel (i, j)'s corners (corner grid cchi) as full splitting sees it,
 * after unwrapping a pixel across chi = +-pi (pyFAI's _recenter). */
void bf__full_chi_extent(const float *cchi, size_t cols, size_t i, size_t j, double *lo,
                         double *hi);

/* pyFAI's delta_array for pixel (i, j): max over its 4 corners of |corner - centre| (crad: the
 * corner grid, radial). The one expression for the pixel pass and the splitter. */
static inline double bf__bbox_delta(const float *crad, size_t cols, size_t i, size_t j,
                                    double centre)
{
    const size_t C1 = cols + 1, a = i * C1 + j;
    const size_t idx[4] = {a, a + C1, a + C1 + 1, a + 1};
    double d = 0;
    for (int c = 0; c < 4; c++) {
        const double v = fabs((double)crad[idx[c]] - centre);
        d = v > d ? v : d;
    }
    return d;
}

/* bf__bbox_delta of pixels j0 .. j0+n-1 of row i (centre: their n centres) into d, vectorised
 * (simd: AVX2, the caller checked the CPU; the same bits). */
void bf__bbox_delta_row(const float *crad, size_t cols, size_t i, size_t j0, size_t n,
                        const double *centre, double *d, int simd);
/* The bin-unit bounds fmin, fmax of pixels j0 .. j0+n-1 of row i for 1D no / bbox splitting, as
 * bf__split_pixel forms them (vectorised; simd: AVX2, the caller checked the CPU). */
void bf__split_bounds_row(const bf__split_input *in, size_t i, size_t j0, size_t n, double *lo,
                          double *hi, int simd);

/* The clipped bin bounds of [f0, f1] (bin units) by pyFAI's bbox rule; 0: outside. */
static inline int bf__bbox_bounds(double f0, double f1, long n, long *bmin, long *bmax)
{
    if (!(f0 < (double)n) || !(f1 >= -1.0)) /* far out: (long) would overflow */
        return 0;
    const long lo = (long)f0, hi = (long)f1;
    if (hi < 0 || lo >= n)
        return 0;
    *bmin = lo < 0 ? 0 : lo;
    *bmax = hi > n - 1 ? n - 1 : hi;
    return 1;
}

/* A pixel's bins by the 1D bbox rule: [bmin, bmax], the first and last weighted by their overlap,
 * the ones between by 1 / width, all rounded to float32 as stored (the same values as (float) of
 * pixel_split.c's bbox_axis). One bin: coefficient 1 (also pyFAI's no splitting, with
 * f0 = f1 = (c - pos0_min) / delta_bin). */
typedef struct bf__bbox_run {
    long bmin, bmax;
    float first, mid, last;
} bf__bbox_run;

static inline int bf__bbox_run_of(double f0, double f1, long n, bf__bbox_run *r)
{
    if (!bf__bbox_bounds(f0, f1, n, &r->bmin, &r->bmax))
        return 0;
    if (r->bmin == r->bmax) {
        r->first = r->mid = r->last = 1.0f;
        return 1;
    }
    const double inv = 1.0 / (f1 - f0);
    r->first = (float)(((double)r->bmin + 1 - f0) * inv);
    r->mid = (float)inv;
    r->last = (float)((f1 - (double)r->bmax) * inv);
    return 1;
}

/* bf__bbox_run_of as lists of bins and coefficients; returns how many (0: outside). */
static inline size_t bf__bbox_1d(double f0, double f1, long n, int32_t *bins, float *coefs)
{
    bf__bbox_run r;
    if (!bf__bbox_run_of(f0, f1, n, &r))
        return 0;
    if (r.bmin == r.bmax) {
        bins[0] = (int32_t)r.bmin;
        coefs[0] = 1.0f;
        return 1;
    }
    size_t m = 0;
    bins[m] = (int32_t)r.bmin;
    coefs[m++] = r.first;
    for (long b = r.bmin + 1; b < r.bmax; b++) {
        bins[m] = (int32_t)b;
        coefs[m++] = r.mid;
    }
    bins[m] = (int32_t)r.bmax;
    coefs[m++] = r.last;
    return m;
}

/* Build the bins x pixels matrix (CSR, rows = bins) or, with transpose, the pixels x bins
 * matrix (pixel-major, for the histogram algorithm). */
bf_status bf__matrix_build(const bf__split_input *in, int transpose, bf__matrix *out);

struct bf_integrator {
    size_t rows, cols, npix, npt;
    size_t npt_azim;    /* 0 for 1D */
    size_t nbins;       /* npt * max(1, npt_azim) */
    double *azimuthal;  /* npt_azim centres [deg], 2D only */
    double pos1_min, delta1; /* 2D azimuthal grid [rad] */
    double pos1_maxin;  /* 2D: the grid's upper end before pyFAI's EPS32 stretch [rad] */
    bf_split split;
    bf_algorithm algo;
    bf_error_model em;
    bf_ai_unit unit;
    int has_dummy;
    double dummy, delta_dummy, empty;
    double *radial;     /* npt bin centres, in unit */
    double pos0_min, delta_bin; /* internal space */
    bf__matrix m;       /* CSR (bins x pixels) or pixel-major (pixels x bins) for histogram */
    float *norm;        /* npix: normalization_factor * flat * polarization * solid angle */
    double *bin_norm;   /* npt: sum of c * norm over the matrix (all pixels valid) */
    double *bin_count;  /* npt: sum of c */
    int var_raw;        /* 1: Poisson variance = raw, no floor, no dark (pyFAI's 2D; integrate.h) */
    int simd;           /* 1: use the AVX2 kernels (CPU checked at create; same bits as scalar) */
};

#endif
