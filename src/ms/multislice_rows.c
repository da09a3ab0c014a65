/* The multislice run as fused row and column passes instead of whole 2D FFTs, for one thread.
 *
 * A 2D FFT is a pass of 1D transforms along y (contiguous rows, fast) and one along x (strided
 * columns, FFTW copies them through a buffer: ~70% of its time on 512²). Between two steps
 * the wave is kept in the mixed representation ψ̃(x, ky) = FFT_y ψ, and:
 *  - a row pass does, per row x and while the row sits in L1: the transmission function's row
 *    t = IFFT_y(T̃), the wave's row IFFT_y(ψ̃), the product ψ·t and FFT_y back (abTEM's step
 *    ψ ← IFFT2(P·FFT2(ψ·t)) split at its seam);
 *  - a column pass gathers BF__MS_BLOCK columns, transforms them along x, multiplies by the
 *    propagator (or the antialias aperture for the transmission function's band limit), transforms
 *    back and scatters: one gather and one scatter per step instead of one per FFT;
 *  - columns ky that the antialias aperture zeroes for every kx (a third of them at abTEM's 2/3
 *    cutoff) are never transformed along x: row passes write zeros there.
 * The transmission function t = IFFT2(A/N·FFT2(exp(iσV))) goes the same way: exp(iσV) row by row
 * (vectorised, expi.c), FFT_y, the column pass with A/N, and its IFFT_y inside the wave's row
 * pass. Same arithmetic as the 2D path up to float rounding (rel. L2 ~1e-7).
 * Layout: one wave runs in the plan's own mixed buffer wv (a batch in place in the caller's
 * array) and the last pass writes the exit wave out; wv, tt and the column block have row and
 * column strides padded off multiples of 512 bytes, because a column pass walks down columns and
 * a 512² grid's 4 KiB strides (on huge pages, big_alloc.c) would put every row in one cache set.
 * Invariant: outside the active columns, every mixed array holds zeros after a row pass. */
#include <complex.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ms/multislice_internal.h"

static size_t nblocks(const bf_multislice *ms)
{
    const int b = BF__MS_BLOCK;
    return (size_t)((ms->band[0] + b - 1) / b + (ms->ny - ms->band[1] + b - 1) / b);
}

/* A/N in the column-block layout the column pass walks: block after block (active ranges in
 * order), each BF__MS_BLOCK columns stored as contiguous columns of nx, zeros past a range's
 * end. */
static bf_status aperture_blocks(const bf_multislice *ms, float *dst)
{
    const int B = BF__MS_BLOCK, nx = ms->nx, ny = ms->ny;
    double *kx = malloc((size_t)nx * sizeof *kx);
    if (!kx)
        return bf__error_set(BF_ENOMEM, "out of memory for a multislice plan");
    for (int x = 0; x < nx; x++)
        kx[x] = (float)bf__ms_fftfreq(x, nx, ms->dx);
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ny}};
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B)
            for (int j = c; j < c + B; j++, dst += nx) {
                if (j >= ranges[r][1]) {
                    memset(dst, 0, (size_t)nx * sizeof *dst);
                    continue;
                }
                double ky = (float)bf__ms_fftfreq(j, ny, ms->dy), ky2 = ky * ky;
                for (int x = 0; x < nx; x++) { /* the edge's cosine only where needed */
                    double k2 = kx[x] * kx[x] + ky2;
                    dst[x] = k2 < ms->ap_in2    ? ms->ap_one
                             : k2 > ms->ap_out2 ? 0.0f
                                                : bf__ms_aperture_at(ms, kx[x], ky2);
                }
            }
    free(kx);
    return BF_OK;
}

static int column_alive(const bf_multislice *ms, int j)
{
    double ky = (float)bf__ms_fftfreq(j, ms->ny, ms->dy);
    return bf__ms_aperture_at(ms, 0.0, ky * ky) > 0.0f;
}

bf_status bf__ms_rows_create(bf_multislice *ms, unsigned flags)
{
    int nx = ms->nx, ny = ms->ny, b0 = 0, b1 = ny;
    /* A depends on |k| only and falls with it: column ky is dead iff A(0, ky) = 0 */
    while (b0 < ny && column_alive(ms, b0))
        b0++;
    while (b1 > b0 && column_alive(ms, b1 - 1))
        b1--;
    if (b0 == ny)
        b1 = ny;
    ms->band[0] = b0;
    ms->band[1] = b1;
    /* rows padded off multiples of 512 bytes: the column pass walks down columns, and with
     * power-of-two strides (512² on huge pages) every row's line falls in the same cache sets */
    ms->ldt = ((size_t)ny + 7) & ~(size_t)7;
    if (ms->ldt % 64 == 0)
        ms->ldt += 8;
    size_t nb = nblocks(ms);
    ms->tt = bf__big_alloc(2 * (size_t)nx * ms->ldt * sizeof *ms->tt);
    ms->wv = ms->tt ? ms->tt + (size_t)nx * ms->ldt : NULL;
    /* blk's columns too: gather writes a line into each of them per row */
    ms->ldb = ((size_t)nx + 7) & ~(size_t)7;
    if (ms->ldb % 64 == 0)
        ms->ldb += 8;
    int ldb = (int)ms->ldb;
    ms->blk = fftwf_malloc(ms->ldb * BF__MS_BLOCK * sizeof *ms->blk);
    ms->abk = fftwf_malloc((nb ? nb : 1) * nx * BF__MS_BLOCK * sizeof *ms->abk);
    for (int i = 0; i < 4; i++)
        ms->row[i] = fftwf_malloc((size_t)ny * sizeof **ms->row);
    if (!ms->tt || !ms->blk || !ms->abk || !ms->row[0] || !ms->row[1] || !ms->row[2] ||
        !ms->row[3])
        return bf__error_set(BF_ENOMEM, "out of memory for a multislice plan");
    bf__ms_fft_init();
    fftwf_plan_with_nthreads(1);
    ms->rf = fftwf_plan_dft_1d(ny, ms->row[0], ms->row[1], FFTW_FORWARD, flags);
    ms->ri = fftwf_plan_dft_1d(ny, ms->row[0], ms->row[1], FFTW_BACKWARD, flags);
    ms->cf = fftwf_plan_many_dft(1, &nx, BF__MS_BLOCK, ms->blk, NULL, 1, ldb, ms->blk, NULL, 1,
                                 ldb, FFTW_FORWARD, flags);
    ms->ci = fftwf_plan_many_dft(1, &nx, BF__MS_BLOCK, ms->blk, NULL, 1, ldb, ms->blk, NULL, 1,
                                 ldb, FFTW_BACKWARD, flags);
    if (!ms->rf || !ms->ri || !ms->cf || !ms->ci)
        return bf__error_set(BF_EINTERNAL, "FFTW could not plan %d-point rows and %d-point "
                             "columns", ny, nx);
    return aperture_blocks(ms, ms->abk);
}

void bf__ms_rows_destroy(bf_multislice *ms)
{
    const fftwf_plan plans[4] = {ms->rf, ms->ri, ms->cf, ms->ci};
    bf__ms_fft_destroy_plans(plans, 4);
    for (int i = 0; i < 4; i++)
        fftwf_free(ms->row[i]);
    free(ms->tt);
    fftwf_free(ms->blk);
    fftwf_free(ms->abk);
}

bf_status bf__ms_rows_kernel(bf_multislice *ms, const double _Complex *px,
                             const double _Complex *py, fftwf_complex **blocked)
{
    const int B = BF__MS_BLOCK, nx = ms->nx, ny = ms->ny;
    size_t nb = nblocks(ms);
    if (!*blocked && !(*blocked = bf__big_alloc((nb ? nb : 1) * nx * B * sizeof **blocked)))
        return bf__error_set(BF_ENOMEM, "out of memory for a propagator");
    float *d = (float *)*blocked;
    const float *ab = ms->abk; /* A/N in the same layout */
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ny}};
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B)
            for (int j = c; j < c + B; j++, d += 2 * (size_t)nx, ab += nx) {
                if (j >= ranges[r][1]) {
                    memset(d, 0, 2 * (size_t)nx * sizeof *d);
                    continue;
                }
                double yr = creal(py[j]), yi = cimag(py[j]);
                for (int x = 0; x < nx; x++) {
                    /* (px·py)·A in double as the grid's propagator is, then float */
                    double xr = creal(px[x]), xi = cimag(px[x]);
                    double a = ab[x];
                    d[2 * x] = (float)((xr * yr - xi * yi) * a);
                    d[2 * x + 1] = (float)((xr * yi + xi * yr) * a);
                }
            }
    return BF_OK;
}

static int aligned(const bf_multislice *ms, const void *p)
{
    return fftwf_alignment_of((float *)p) == fftwf_alignment_of((float *)ms->row[0]);
}

/* dst = FFT_y(src) for an aligned scratch row src and a destination row anywhere; then zeros
 * in the dead columns. */
static void row_forward(bf_multislice *ms, fftwf_complex *src, fftwf_complex *dst)
{
    if (aligned(ms, dst)) {
        ms->nrows++;
        fftwf_execute_dft(ms->rf, src, dst);
    } else {
        ms->nrows++;
        fftwf_execute_dft(ms->rf, src, ms->row[3]);
        memcpy(dst, ms->row[3], (size_t)ms->ny * sizeof *dst);
    }
    memset(dst + ms->band[0], 0, (size_t)(ms->band[1] - ms->band[0]) * sizeof *dst);
}

/* dst (aligned scratch, not row[3]) = IFFT_y(src) for a source row anywhere. */
static void row_inverse(bf_multislice *ms, const fftwf_complex *src, fftwf_complex *dst)
{
    if (!aligned(ms, src)) {
        memcpy(ms->row[3], src, (size_t)ms->ny * sizeof *src);
        src = ms->row[3];
    }
    ms->nrows++;
    fftwf_execute_dft(ms->ri, (fftwf_complex *)src, dst);
}

#if defined(__SSE2__)
/* Full blocks, two rows at a time: each 16-byte load holds two columns of one row, each store
 * two rows of one column, half the memory operations of the scalar transpose. */
static void gather_sse(const float *src, size_t lda, int nx, size_t ldb, float *d)
{
    const int B = BF__MS_BLOCK;
    for (int x = 0; x + 1 < nx; x += 2, src += 4 * lda) {
        /* rows lie a page apart: the hardware prefetchers do not follow, so fetch ahead */
        _mm_prefetch((const char *)(src + 16 * lda), _MM_HINT_T0);
        _mm_prefetch((const char *)(src + 18 * lda), _MM_HINT_T0);
        for (int j = 0; j < B; j += 2) {
            __m128 a = _mm_loadu_ps(src + 2 * j), b = _mm_loadu_ps(src + 2 * lda + 2 * j);
            _mm_storeu_ps(d + 2 * ((size_t)j * ldb + x), _mm_shuffle_ps(a, b, 0x44));
            _mm_storeu_ps(d + 2 * ((size_t)(j + 1) * ldb + x), _mm_shuffle_ps(a, b, 0xee));
        }
    }
}

static void scatter_sse(const float *s, int nx, size_t ldb, float *dst, size_t lda)
{
    const int B = BF__MS_BLOCK;
    for (int x = 0; x + 1 < nx; x += 2, dst += 4 * lda) {
        _mm_prefetch((const char *)(dst + 16 * lda), _MM_HINT_T0);
        _mm_prefetch((const char *)(dst + 18 * lda), _MM_HINT_T0);
        for (int j = 0; j < B; j += 2) {
            __m128 a = _mm_loadu_ps(s + 2 * ((size_t)j * ldb + x));
            __m128 b = _mm_loadu_ps(s + 2 * ((size_t)(j + 1) * ldb + x));
            _mm_storeu_ps(dst + 2 * j, _mm_shuffle_ps(a, b, 0x44));
            _mm_storeu_ps(dst + 2 * lda + 2 * j, _mm_shuffle_ps(a, b, 0xee));
        }
    }
}
#endif

/* Columns [c, c + w) of a (nx rows of stride lda) into blk as BF__MS_BLOCK contiguous columns
 * ldb apart (zeros past w): a transpose through 64-byte rows, so the FFTs along x run on
 * contiguous data (about twice as fast as on interleaved columns). */
static void gather(const fftwf_complex *a, size_t lda, int c, size_t w, int nx, size_t ldb,
                   fftwf_complex *blk)
{
    const int B = BF__MS_BLOCK;
    const float *src = (const float *)(a + c);
    float *d = (float *)blk;
    int x = 0;
    if (w == (size_t)B) {
#if defined(__SSE2__)
        gather_sse(src, lda, nx, ldb, d);
        x = nx & ~1;
        src += 2 * lda * (size_t)x;
#endif
        for (; x < nx; x++, src += 2 * lda)
            for (int j = 0; j < B; j++) {
                d[2 * ((size_t)j * ldb + x)] = src[2 * j];
                d[2 * ((size_t)j * ldb + x) + 1] = src[2 * j + 1];
            }
        return;
    }
    for (; x < nx; x++, src += 2 * lda)
        for (int j = 0; j < B; j++) {
            d[2 * ((size_t)j * ldb + x)] = (size_t)j < w ? src[2 * j] : 0.0f;
            d[2 * ((size_t)j * ldb + x) + 1] = (size_t)j < w ? src[2 * j + 1] : 0.0f;
        }
}

/* The first w columns of blk back into columns [c, c + w) of a. */
static void scatter(const fftwf_complex *blk, int nx, size_t ldb, size_t w, fftwf_complex *a,
                    size_t lda, int c)
{
    const float *s = (const float *)blk;
    float *dst = (float *)(a + c);
    int x = 0;
#if defined(__SSE2__)
    if (w == (size_t)BF__MS_BLOCK) {
        scatter_sse(s, nx, ldb, dst, lda);
        x = nx & ~1;
        dst += 2 * lda * (size_t)x;
    }
#endif
    for (; x < nx; x++, dst += 2 * lda)
        for (size_t j = 0; j < w; j++) {
            dst[2 * j] = s[2 * (j * ldb + x)];
            dst[2 * j + 1] = s[2 * (j * ldb + x) + 1];
        }
}

/* Column pass over a (nx rows of stride lda): per block FFT_x, times the blocked kernels
 * (complex kc and/or real kr scaled by scale, nx values per column; NULL: none), IFFT_x. */
static void column_pass(bf_multislice *ms, fftwf_complex *a, size_t lda, const fftwf_complex *kc,
                        const float *kr, float scale)
{
    const int B = BF__MS_BLOCK, nx = ms->nx;
    const size_t len = (size_t)nx * B, ldb = ms->ldb;
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ms->ny}};
    size_t bi = 0;
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B, bi++) {
            size_t w = (size_t)(ranges[r][1] - c < B ? ranges[r][1] - c : B);
            gather(a, lda, c, w, nx, ldb, ms->blk);
            ms->nblocks++;
            fftwf_execute(ms->cf);
            for (int j = 0; j < B; j++) {
                float *b = (float *)(ms->blk + (size_t)j * ldb);
                if (kr) {
                    const float *k = kr + bi * len + (size_t)j * nx;
                    for (int i = 0; i < nx; i++) {
                        float s = k[i] * scale;
                        b[2 * i] *= s;
                        b[2 * i + 1] *= s;
                    }
                }
                if (kc)
                    bf__ms_cmul(b, (const float *)(kc + bi * len + (size_t)j * nx), (size_t)nx,
                                1.0f);
            }
            ms->nblocks++;
            fftwf_execute(ms->ci);
            scatter(ms->blk, nx, ldb, w, a, lda, c);
        }
}

/* dst rows (stride ldd) = FFT_y(exp(iσV)) of slice i, dead columns zeroed. The infinite
 * projection hands V over row by row from its last pass (potential_infinite.c); the finite one
 * is built whole into vbuf. */
static bf_status transmission_rows(bf_multislice *ms, const bf_potential *pot, size_t i,
                                   fftwf_complex *dst, size_t ldd)
{
    int mixed = pot->proj == BF_PROJECTION_INFINITE;
    bf_status st = mixed ? bf__potential_build_mixed(pot, ms->pws, i)
                         : bf_potential_build_slice(pot, ms->pws, i, ms->vbuf);
    if (st)
        return st;
    float *v = (float *)ms->row[2];
    for (int x = 0; x < ms->nx; x++) {
        if (mixed)
            bf__potential_real_row(ms->pws, x, v);
        else
            v = ms->vbuf + (size_t)x * ms->ny;
        bf__ms_expi(v, (float)ms->sigma, (float *)ms->row[0], (size_t)ms->ny);
        row_forward(ms, ms->row[0], dst + x * ldd);
    }
    return BF_OK;
}

/* Waves in the mixed representation: wave b's row x at base + b * dist + x * ld. */
typedef struct wave_set {
    fftwf_complex *base;
    size_t dist, ld;
} wave_set;

static fftwf_complex *wave_row(const wave_set *w, size_t b, int x)
{
    return w->base + b * w->dist + (size_t)x * w->ld;
}

/* The row pass of a step: ψ̃ ← FFT_y(ψ·t) into ws, with ψ = IFFT_y(ψ̃) unless first (then ψ
 * is the caller's real-space waves, rows of ny), t = IFFT_y(tt). */
static void step_rows(bf_multislice *ms, const bf_complex64 *first, const wave_set *ws,
                      size_t nwaves)
{
    const size_t ny = (size_t)ms->ny;
    fftwf_complex *t = ms->row[2], *u = ms->row[1];
    for (int x = 0; x < ms->nx; x++) {
        ms->nrows++;
        fftwf_execute_dft(ms->ri, ms->tt + x * ms->ldt, t);
        for (size_t b = 0; b < nwaves; b++) {
            fftwf_complex *w = wave_row(ws, b, x);
            if (first)
                memcpy(u, first + b * ms->n + (size_t)x * ny, ny * sizeof *u);
            else
                row_inverse(ms, w, u);
            bf__ms_cmul((float *)u, (const float *)t, ny, 1.0f);
            row_forward(ms, u, w);
        }
    }
}

bf_status bf__ms_rows_run(bf_multislice *ms, const bf_potential *pot, bf_complex64 *waves,
                          size_t nwaves, int plane)
{
    bf_status st = BF_OK;
    size_t ns = bf_potential_num_slices(pot);
    /* one wave runs in the plan's padded buffer (see ldt), a batch in place */
    wave_set ws = {(fftwf_complex *)waves, ms->n, (size_t)ms->ny};
    if (nwaves == 1)
        ws = (wave_set){ms->wv, 0, ms->ldt};
    for (size_t i = 0; i < ns; i++) {
        const fftwf_complex *pb;
        if ((st = bf__multislice_propagator(ms, bf_potential_slice_thickness(pot, i), NULL, &pb)))
            return st;
        if (i == 0 && plane) {
            /* ψ₀ = 1: FFT2(ψ₀·t) is N·(A/N)·FFT2(exp(iσV)), one FFT pair saved */
            if ((st = transmission_rows(ms, pot, 0, ws.base, ws.ld)))
                return st;
            column_pass(ms, ws.base, ws.ld, pb, ms->abk, (float)ms->n);
            continue;
        }
        if ((st = transmission_rows(ms, pot, i, ms->tt, ms->ldt)))
            return st;
        column_pass(ms, ms->tt, ms->ldt, NULL, ms->abk, 1.0f);
        step_rows(ms, i == 0 ? waves : NULL, &ws, nwaves);
        for (size_t b = 0; b < nwaves; b++)
            column_pass(ms, wave_row(&ws, b, 0), ws.ld, pb, NULL, 1.0f);
    }
    if (ns == 0)
        return BF_OK;
    for (size_t b = 0; b < nwaves; b++)
        for (int x = 0; x < ms->nx; x++) {
            /* out of place whatever the alignment: FFTW's in-place plan rounds differently,
             * and the exit waves' bits must not depend on where the caller's array lies */
            fftwf_complex *out = (fftwf_complex *)waves + b * ms->n + (size_t)x * ms->ny;
            if (aligned(ms, out) && out != wave_row(&ws, b, x)) {
                ms->nrows++;
                fftwf_execute_dft(ms->ri, wave_row(&ws, b, x), out);
            } else {
                row_inverse(ms, wave_row(&ws, b, x), ms->row[1]);
                memcpy(out, ms->row[1], (size_t)ms->ny * sizeof *out);
            }
        }
    return BF_OK;
}

void bf__ms_fft_work(bf_multislice *ms, size_t count[BF__FFT_KINDS],
                     double seconds[BF__FFT_KINDS])
{
    count[BF__FFT_ROW] = ms->nrows;
    count[BF__FFT_BLOCK] = ms->nblocks;
    memset(ms->row[0], 0, (size_t)ms->ny * sizeof *ms->row[0]);
    memset(ms->blk, 0, ms->ldb * BF__MS_BLOCK * sizeof *ms->blk);
    seconds[BF__FFT_ROW] = bf__ms_fft_time(ms->rf);
    seconds[BF__FFT_BLOCK] = bf__ms_fft_time(ms->cf);
    bf__potential_fft_work(ms->pws, count + BF__FFT_POT_R2C, seconds + BF__FFT_POT_R2C);
}
