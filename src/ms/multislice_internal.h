/* Private to propagator.c and multislice_rows.c: the multislice plan's layout. */
#ifndef BF_MS_MULTISLICE_INTERNAL_H
#define BF_MS_MULTISLICE_INTERNAL_H

#include <fftw3.h>

#include "ms/potential_internal.h"

#define BF__MS_CACHE 8
/* Columns per column-pass block: 8 complex floats are one 64-byte cache line per row. */
#define BF__MS_BLOCK 8

struct bf_multislice {
    int nx, ny;
    size_t n;
    double dx, dy, lambda, sigma, tilt[2];
    size_t max_batch;
    int threads;
    unsigned flags;        /* FFTW planning flags */
    double ap_cutoff, ap_taper; /* antialias aperture (1/Å) */
    double ap_in2, ap_out2;     /* k² (1/Å²) below which A/N is ap_one, above which 0 */
    float ap_one;               /* 1/N */
    int grid_ready;        /* the 2D state below is made (grid_state in propagator.c) */
    float *aperture;       /* A(k)/N on the grid */
    fftwf_complex *buf;    /* max_batch * n, aligned */
    fftwf_plan fwd1, inv1, fwdb, invb;
    double cache_dz[BF__MS_CACHE];
    fftwf_complex *cache_p[BF__MS_CACHE];
    fftwf_complex *cache_pb[BF__MS_CACHE]; /* the same in the column-block layout */
    unsigned char cache_has[BF__MS_CACHE][2]; /* which of the two is filled (made on demand) */
    int cache_next;
    float *vbuf;           /* one potential slice for bf_multislice_run */
    fftwf_complex *tbuf;   /* one transmission function */
    bf_potential_workspace *pws; /* kept between runs while potentials fit it */
    /* The row/column path (multislice_rows.c). Active ky columns (those the antialias aperture
     * does not zero for every kx): [0, band[0]) and [band[1], ny). */
    int band[2];
    size_t ldt;            /* row stride of tt and wv (complex): aligned, off powers of two */
    fftwf_complex *tt;     /* transmission function in the mixed (x, ky) representation */
    fftwf_complex *wv;     /* one wave in the mixed representation (in tt's block) */
    fftwf_complex *row[4]; /* aligned scratch rows of ny; row[3] bounces unaligned rows */
    size_t ldb;            /* column stride of blk (complex), off powers of two like ldt */
    fftwf_complex *blk;    /* BF__MS_BLOCK contiguous columns of nx, ldb apart */
    float *abk;            /* A/N in the column-block layout */
    fftwf_plan rf, ri;     /* one row along y, out of place */
    fftwf_plan cf, ci;     /* BF__MS_BLOCK contiguous columns along x, in place in blk */
    size_t nrows, nblocks; /* transforms run: rows of ny, blocks of BF__MS_BLOCK columns */
};

/* A plan for fused row/column runs (bf_multislice_run, bf__multislice_run_plane_wave): with one
 * thread, the whole-grid 2D state (plans, buffers, grid aperture) is made only if another call
 * needs it. */
bf_status bf__multislice_create_rows(const bf_multislice_options *opt, bf_multislice **out);
/* A(k)/N at kx (1/Å) and ky² (1/Å²), from the plan's cutoff and taper. */
float bf__ms_aperture_at(const bf_multislice *ms, double kx, double ky2);

/* FFT work of the row/column path, for the benchmark's FFT share: counts of each kind of
 * transform run so far (the multislice's and its potential workspace's) and the time (s) of
 * one of each, measured on the plan's own buffers. Kinds: BF__FFT_ROW (c2c of ny), BF__FFT_BLOCK
 * (BF__MS_BLOCK c2c of nx), then the potential's (bf__potential_fft_work). */
enum { BF__FFT_ROW, BF__FFT_BLOCK, BF__FFT_POT_R2C, BF__FFT_POT_C2R, BF__FFT_POT_BLOCK,
       BF__FFT_KINDS };
void bf__ms_fft_work(bf_multislice *ms, size_t count[BF__FFT_KINDS],
                     double seconds[BF__FFT_KINDS]);

/* The propagator P(dz)·A/N (cached per dz) on the grid (p) and in the column-block layout (pb);
 * either may be NULL. */
bf_status bf__multislice_propagator(bf_multislice *ms, double dz, const fftwf_complex **p,
                                    const fftwf_complex **pb);

/* x[k] *= scale·q[k] for n interleaved complex floats. */
void bf__ms_cmul(float *restrict x, const float *restrict q, size_t n, float scale);

/* Row/column plans and buffers (made at create). */
bf_status bf__ms_rows_create(bf_multislice *ms, unsigned flags);
void bf__ms_rows_destroy(bf_multislice *ms);
/* The propagator px(kx)·py(ky)·A/N in the column-block layout, into *blocked (allocated when
 * NULL). */
bf_status bf__ms_rows_kernel(bf_multislice *ms, const double _Complex *px,
                             const double _Complex *py, fftwf_complex **blocked);

/* Propagate nwaves waves (real space, contiguous) through the potential's slices with fused
 * row and column passes; plane: the waves are ψ₀ = 1 (nwaves 1), filled here. The potential
 * workspace and slice buffer must be ready (prepare_run). */
bf_status bf__ms_rows_run(bf_multislice *ms, const bf_potential *pot, bf_complex64 *waves,
                          size_t nwaves, int plane);

#endif
