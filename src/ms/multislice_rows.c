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
 * Invariant: outside the active columns, every mixed array holds zeros after a row pass. */
#include <complex.h>
#include <string.h>

#include "ms/multislice_internal.h"

static size_t nblocks(const bf_multislice *ms)
{
    const int b = BF__MS_BLOCK;
    return (size_t)((ms->band[0] + b - 1) / b + (ms->ny - ms->band[1] + b - 1) / b);
}

/* The real grid src (nx*ny) in the column-block layout the column pass walks: block after block
 * (active ranges in order), each BF__MS_BLOCK columns stored as contiguous columns of nx, zeros
 * past a range's end. */
static void block_layout(const bf_multislice *ms, const float *src, float *dst)
{
    const int B = BF__MS_BLOCK, nx = ms->nx, ny = ms->ny;
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ny}};
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B)
            for (int j = c; j < c + B; j++, dst += nx)
                for (int x = 0; x < nx; x++)
                    dst[x] = j < ranges[r][1] ? src[(size_t)x * ny + j] : 0.0f;
}

bf_status bf__ms_rows_create(bf_multislice *ms, unsigned flags)
{
    int nx = ms->nx, ny = ms->ny, b0 = 0, b1 = ny;
    /* A depends on |k| only and falls with it: column ky is dead iff A(0, ky) = 0 */
    while (b0 < ny && ms->aperture[b0] > 0.0f)
        b0++;
    while (b1 > b0 && ms->aperture[b1 - 1] > 0.0f)
        b1--;
    if (b0 == ny)
        b1 = ny;
    ms->band[0] = b0;
    ms->band[1] = b1;
    ms->ldt = ((size_t)ny + 7) & ~(size_t)7;
    size_t nb = nblocks(ms);
    ms->tt = fftwf_malloc((size_t)nx * ms->ldt * sizeof *ms->tt);
    ms->blk = fftwf_malloc((size_t)nx * BF__MS_BLOCK * sizeof *ms->blk);
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
    ms->rii = fftwf_plan_dft_1d(ny, ms->row[0], ms->row[0], FFTW_BACKWARD, flags);
    ms->cf = fftwf_plan_many_dft(1, &nx, BF__MS_BLOCK, ms->blk, NULL, 1, nx, ms->blk, NULL, 1, nx,
                                 FFTW_FORWARD, flags);
    ms->ci = fftwf_plan_many_dft(1, &nx, BF__MS_BLOCK, ms->blk, NULL, 1, nx, ms->blk, NULL, 1, nx,
                                 FFTW_BACKWARD, flags);
    if (!ms->rf || !ms->ri || !ms->rii || !ms->cf || !ms->ci)
        return bf__error_set(BF_EINTERNAL, "FFTW could not plan %d-point rows and %d-point "
                             "columns", ny, nx);
    block_layout(ms, ms->aperture, ms->abk);
    return BF_OK;
}

void bf__ms_rows_destroy(bf_multislice *ms)
{
    fftwf_plan plans[5] = {ms->rf, ms->ri, ms->rii, ms->cf, ms->ci};
    for (int i = 0; i < 5; i++)
        if (plans[i])
            fftwf_destroy_plan(plans[i]);
    for (int i = 0; i < 4; i++)
        fftwf_free(ms->row[i]);
    fftwf_free(ms->tt);
    fftwf_free(ms->blk);
    fftwf_free(ms->abk);
}

bf_status bf__ms_rows_kernel(bf_multislice *ms, const double _Complex *px,
                             const double _Complex *py, fftwf_complex **blocked)
{
    const int B = BF__MS_BLOCK, nx = ms->nx, ny = ms->ny;
    size_t nb = nblocks(ms);
    if (!*blocked && !(*blocked = fftwf_malloc((nb ? nb : 1) * nx * B * sizeof **blocked)))
        return bf__error_set(BF_ENOMEM, "out of memory for a propagator");
    float *d = (float *)*blocked;
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ny}};
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B)
            for (int j = c; j < c + B; j++, d += 2 * (size_t)nx) {
                if (j >= ranges[r][1]) {
                    memset(d, 0, 2 * (size_t)nx * sizeof *d);
                    continue;
                }
                double yr = creal(py[j]), yi = cimag(py[j]);
                for (int x = 0; x < nx; x++) {
                    /* (px·py)·A in double as the grid's propagator is, then float */
                    double xr = creal(px[x]), xi = cimag(px[x]);
                    double a = ms->aperture[(size_t)x * ny + j];
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

/* Columns [c, c + w) of a (nx rows of stride lda) into blk as BF__MS_BLOCK contiguous columns
 * (zeros past w): a transpose through 64-byte rows, so the FFTs along x run on contiguous data
 * (about twice as fast as on interleaved columns). */
static void gather(const fftwf_complex *a, size_t lda, int c, size_t w, int nx, fftwf_complex *blk)
{
    const int B = BF__MS_BLOCK;
    const float *src = (const float *)(a + c);
    float *d = (float *)blk;
    if (w == (size_t)B) {
        for (int x = 0; x < nx; x++, src += 2 * lda)
            for (int j = 0; j < B; j++) {
                d[2 * ((size_t)j * nx + x)] = src[2 * j];
                d[2 * ((size_t)j * nx + x) + 1] = src[2 * j + 1];
            }
        return;
    }
    for (int x = 0; x < nx; x++, src += 2 * lda)
        for (int j = 0; j < B; j++) {
            d[2 * ((size_t)j * nx + x)] = (size_t)j < w ? src[2 * j] : 0.0f;
            d[2 * ((size_t)j * nx + x) + 1] = (size_t)j < w ? src[2 * j + 1] : 0.0f;
        }
}

/* The first w columns of blk back into columns [c, c + w) of a. */
static void scatter(const fftwf_complex *blk, int nx, size_t w, fftwf_complex *a, size_t lda, int c)
{
    const float *s = (const float *)blk;
    float *dst = (float *)(a + c);
    for (int x = 0; x < nx; x++, dst += 2 * lda)
        for (size_t j = 0; j < w; j++) {
            dst[2 * j] = s[2 * (j * nx + x)];
            dst[2 * j + 1] = s[2 * (j * nx + x) + 1];
        }
}

/* Column pass over a (nx rows of stride lda): per block FFT_x, times the blocked kernels
 * (complex kc and/or real kr scaled by scale; NULL: none), IFFT_x. */
static void column_pass(bf_multislice *ms, fftwf_complex *a, size_t lda, const fftwf_complex *kc,
                        const float *kr, float scale)
{
    const int B = BF__MS_BLOCK, nx = ms->nx;
    const size_t len = (size_t)nx * B;
    int ranges[2][2] = {{0, ms->band[0]}, {ms->band[1], ms->ny}};
    size_t bi = 0;
    float *b = (float *)ms->blk;
    for (int r = 0; r < 2; r++)
        for (int c = ranges[r][0]; c < ranges[r][1]; c += B, bi++) {
            size_t w = (size_t)(ranges[r][1] - c < B ? ranges[r][1] - c : B);
            gather(a, lda, c, w, nx, ms->blk);
            ms->nblocks++;
            fftwf_execute(ms->cf);
            if (kr) {
                const float *k = kr + bi * len;
                for (size_t i = 0; i < len; i++) {
                    float s = k[i] * scale;
                    b[2 * i] *= s;
                    b[2 * i + 1] *= s;
                }
            }
            if (kc)
                bf__ms_cmul(b, (const float *)(kc + bi * len), len, 1.0f);
            ms->nblocks++;
            fftwf_execute(ms->ci);
            scatter(ms->blk, nx, w, a, lda, c);
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

/* The row pass of a step: ψ̃ ← FFT_y(ψ·t), with ψ = IFFT_y(ψ̃) unless first (waves in real
 * space), t = IFFT_y(tt). */
static void step_rows(bf_multislice *ms, bf_complex64 *waves, size_t nwaves, int first)
{
    const size_t ny = (size_t)ms->ny;
    fftwf_complex *t = ms->row[2], *u = ms->row[1];
    for (int x = 0; x < ms->nx; x++) {
        ms->nrows++;
        fftwf_execute_dft(ms->ri, ms->tt + x * ms->ldt, t);
        for (size_t b = 0; b < nwaves; b++) {
            fftwf_complex *w = (fftwf_complex *)waves + b * ms->n + x * ny;
            if (first)
                memcpy(u, w, ny * sizeof *u);
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
    for (size_t i = 0; i < ns; i++) {
        const fftwf_complex *pb;
        if ((st = bf__multislice_propagator(ms, bf_potential_slice_thickness(pot, i), NULL, &pb)))
            return st;
        if (i == 0 && plane) {
            /* ψ₀ = 1: FFT2(ψ₀·t) is N·(A/N)·FFT2(exp(iσV)), one FFT pair saved */
            if ((st = transmission_rows(ms, pot, 0, (fftwf_complex *)waves, (size_t)ms->ny)))
                return st;
            column_pass(ms, (fftwf_complex *)waves, (size_t)ms->ny, pb, ms->abk, (float)ms->n);
            continue;
        }
        if ((st = transmission_rows(ms, pot, i, ms->tt, ms->ldt)))
            return st;
        column_pass(ms, ms->tt, ms->ldt, NULL, ms->abk, 1.0f);
        step_rows(ms, waves, nwaves, i == 0);
        for (size_t b = 0; b < nwaves; b++)
            column_pass(ms, (fftwf_complex *)waves + b * ms->n, (size_t)ms->ny, pb, NULL, 1.0f);
    }
    if (ns == 0)
        return BF_OK;
    for (size_t b = 0; b < nwaves; b++)
        for (int x = 0; x < ms->nx; x++) {
            fftwf_complex *w = (fftwf_complex *)waves + b * ms->n + (size_t)x * ms->ny;
            if (aligned(ms, w)) {
                ms->nrows++;
                fftwf_execute_dft(ms->rii, w, w);
            } else {
                row_inverse(ms, w, ms->row[1]);
                memcpy(w, ms->row[1], (size_t)ms->ny * sizeof *w);
            }
        }
    return BF_OK;
}

static double time_plan(fftwf_plan p)
{
    double t[15];
    for (int i = 0; i < 15; i++) {
        double t0 = bf_time_now();
        fftwf_execute(p);
        t[i] = bf_time_now() - t0;
    }
    for (int i = 1; i < 15; i++) /* insertion sort for the median */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[7];
}

void bf__ms_fft_work(bf_multislice *ms, size_t count[BF__FFT_KINDS],
                     double seconds[BF__FFT_KINDS])
{
    count[BF__FFT_ROW] = ms->nrows;
    count[BF__FFT_BLOCK] = ms->nblocks;
    memset(ms->row[0], 0, (size_t)ms->ny * sizeof *ms->row[0]);
    memset(ms->blk, 0, (size_t)ms->nx * BF__MS_BLOCK * sizeof *ms->blk);
    seconds[BF__FFT_ROW] = time_plan(ms->rf);
    seconds[BF__FFT_BLOCK] = time_plan(ms->cf);
    bf__potential_fft_work(ms->pws, count + BF__FFT_POT_R2C, seconds + BF__FFT_POT_R2C);
}
