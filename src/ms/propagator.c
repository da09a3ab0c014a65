/* Multislice worker state and steps, as abTEM 1.0.9's conventional multislice (multislice.py,
 * antialias.py, potentials/iam.py): transmission t = bandlimit(exp(iσV)), step ψ ← IFFT(FFT(ψ·t)·P)
 * with the Fresnel propagator P = exp(-iπλΔz(kx² + ky²))·A(k) (times the beam-tilt phase) and the
 * antialias aperture A (1 inside 2/3 of Nyquist minus a cosine taper). FFTW single-precision
 * plans for one wave and for a batch are made once at create; execution reuses them on the
 * caller's arrays (copying through the aligned internal buffer when the alignment differs) and
 * allocates nothing except a propagator for a new Δz, cached in a small table. Invariant: the
 * cached propagators and the aperture include the 1/N of the inverse transform. With one thread
 * a run goes through the fused row/column passes of multislice_rows.c instead of 2D FFTs; the
 * 2D plans serve the single-step calls and multi-threaded workers (FFTW threads). Plans made for
 * row/column runs only (bf__multislice_create_rows: the HRTEM workers) skip the 2D state (four
 * plans, three grid buffers, the grid aperture) unless a later call needs it. */
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ms/multislice_internal.h"

#define CACHE BF__MS_CACHE

static double antialias(double r, double cutoff, double taper)
{
    if (r > cutoff)
        return 0.0;
    if (taper > 0.0 && r > cutoff - taper)
        return 0.5 * (1.0 + cos(M_PI * (r - cutoff + taper) / taper));
    return 1.0;
}

/* A(k)/N at kx, ky² (both from float frequencies). sqrt and the taper's cosine only near the
 * edge: well inside and well outside (by a relative 1e-9 in k², far above rounding) the values
 * are 1/N and 0. */
float bf__ms_aperture_at(const bf_multislice *ms, double kx, double ky2)
{
    double k2 = kx * kx + ky2;
    if (k2 < ms->ap_in2)
        return ms->ap_one;
    if (k2 > ms->ap_out2)
        return 0.0f;
    return (float)(antialias(sqrt(k2), ms->ap_cutoff, ms->ap_taper) / (double)ms->n);
}

/* A(k)/N on the grid, for the 2D transforms. */
static bf_status fill_aperture(bf_multislice *ms)
{
    double *ky2 = malloc((size_t)ms->ny * sizeof *ky2);
    if (!ky2)
        return bf__error_set(BF_ENOMEM, "out of memory for a multislice plan");
    for (int j = 0; j < ms->ny; j++) {
        double ky = (float)bf__ms_fftfreq(j, ms->ny, ms->dy);
        ky2[j] = ky * ky;
    }
    for (int i = 0; i < ms->nx; i++) {
        double kx = (float)bf__ms_fftfreq(i, ms->nx, ms->dx);
        float *a = ms->aperture + (size_t)i * ms->ny;
        for (int j = 0; j < ms->ny; j++)
            a[j] = bf__ms_aperture_at(ms, kx, ky2[j]);
    }
    free(ky2);
    return BF_OK;
}

/* The whole-grid state of the 2D transforms (single steps, FFTW-threaded runs): buffers, the
 * grid aperture and plans. Made at create, except for plans made for fused row/column runs only
 * (bf__multislice_create_rows), which make it the first time they need it. */
static bf_status grid_state(bf_multislice *ms)
{
    if (ms->grid_ready)
        return BF_OK;
    size_t n = ms->n;
    /* after a failure part of it may exist: make only what is missing */
    if (!ms->aperture)
        ms->aperture = fftwf_malloc(n * sizeof *ms->aperture);
    if (!ms->buf)
        ms->buf = fftwf_malloc(ms->max_batch * n * sizeof *ms->buf);
    if (!ms->tbuf)
        ms->tbuf = fftwf_malloc(n * sizeof *ms->tbuf);
    if (!ms->aperture || !ms->buf || !ms->tbuf)
        return bf__error_set(BF_ENOMEM, "out of memory for a multislice plan");
    int dims[2] = {ms->nx, ms->ny};
    unsigned flags = ms->flags;
    bf__ms_fft_init();
    fftwf_plan_with_nthreads(ms->threads);
    /* MEASURE overwrites the arrays: plan before anything lives in buf */
    if (!ms->fwd1)
        ms->fwd1 = fftwf_plan_dft_2d(ms->nx, ms->ny, ms->buf, ms->buf, FFTW_FORWARD, flags);
    if (!ms->inv1)
        ms->inv1 = fftwf_plan_dft_2d(ms->nx, ms->ny, ms->buf, ms->buf, FFTW_BACKWARD, flags);
    if (!ms->fwdb)
        ms->fwdb = fftwf_plan_many_dft(2, dims, (int)ms->max_batch, ms->buf, NULL, 1, (int)n,
                                       ms->buf, NULL, 1, (int)n, FFTW_FORWARD, flags);
    if (!ms->invb)
        ms->invb = fftwf_plan_many_dft(2, dims, (int)ms->max_batch, ms->buf, NULL, 1, (int)n,
                                       ms->buf, NULL, 1, (int)n, FFTW_BACKWARD, flags);
    fftwf_plan_with_nthreads(1);
    if (!ms->fwd1 || !ms->inv1 || !ms->fwdb || !ms->invb)
        return bf__error_set(BF_EINTERNAL, "FFTW could not plan %dx%d transforms", ms->nx,
                             ms->ny);
    bf_status st = fill_aperture(ms);
    if (!st)
        ms->grid_ready = 1;
    return st;
}

static bf_status create(const bf_multislice_options *opt, int rows_only, bf_multislice **out)
{
    bf_status st = BF_OK;
    bf_multislice *ms = NULL;
    *out = NULL;
    if (!opt) {
        st = bf__error_set(BF_EINVAL, "missing multislice options");
        goto done;
    }
    if ((st = bf__ms_check_grid(opt->gpts, opt->sampling)))
        goto done;
    if (opt->antialias_cutoff < 0.0 || opt->antialias_cutoff > 1.0 || opt->antialias_taper < 0.0) {
        st = bf__error_set(BF_EINVAL, "antialias cutoff must be in (0, 1] and taper >= 0");
        goto done;
    }
    size_t batch = opt->max_batch ? opt->max_batch : 1;
    size_t n = (size_t)opt->gpts[0] * opt->gpts[1];
    if (batch > 4096 || batch * n > ((size_t)1 << 31)) {
        st = bf__error_set(BF_EINVAL, "batch of %zu waves of %zu points is too large", batch, n);
        goto done;
    }
    ms = calloc(1, sizeof *ms);
    if (!ms) {
        st = bf__error_set(BF_ENOMEM, "out of memory for a multislice plan");
        goto done;
    }
    ms->nx = opt->gpts[0];
    ms->ny = opt->gpts[1];
    ms->n = n;
    ms->dx = opt->sampling[0];
    ms->dy = opt->sampling[1];
    ms->tilt[0] = opt->tilt[0];
    ms->tilt[1] = opt->tilt[1];
    ms->max_batch = batch;
    ms->threads = opt->threads > 0 ? opt->threads : 1;
    ms->flags = bf__ms_fft_flags(opt->planning);
    double smax = fmax(ms->dx, ms->dy);
    ms->ap_cutoff = (opt->antialias_cutoff > 0.0 ? opt->antialias_cutoff : 0.6666666) / smax / 2;
    ms->ap_taper = (opt->antialias_taper > 0.0 ? opt->antialias_taper : 0.01) / smax;
    double inner = ms->ap_taper > 0.0 ? fmax(ms->ap_cutoff - ms->ap_taper, 0.0) : ms->ap_cutoff;
    ms->ap_in2 = inner * inner * (1.0 - 1e-9);
    ms->ap_out2 = ms->ap_cutoff * ms->ap_cutoff * (1.0 + 1e-9);
    ms->ap_one = (float)(1.0 / (double)ms->n);
    if ((st = bf_energy2wavelength(opt->energy, &ms->lambda)) ||
        (st = bf_energy2sigma(opt->energy, &ms->sigma)))
        goto done;
    if ((!rows_only || ms->threads > 1) && (st = grid_state(ms)))
        goto done;
    if ((st = bf__ms_rows_create(ms, ms->flags)))
        goto done;
    *out = ms;
    ms = NULL;
done:
    bf_multislice_destroy(ms);
    return st;
}

bf_status bf_multislice_create(const bf_multislice_options *opt, bf_multislice **out)
{
    return create(opt, 0, out);
}

bf_status bf__multislice_create_rows(const bf_multislice_options *opt, bf_multislice **out)
{
    return create(opt, 1, out);
}

void bf_multislice_destroy(bf_multislice *ms)
{
    if (!ms)
        return;
    const fftwf_plan plans[4] = {ms->fwd1, ms->inv1, ms->fwdb, ms->invb};
    bf__ms_fft_destroy_plans(plans, 4);
    for (int i = 0; i < CACHE; i++) {
        fftwf_free(ms->cache_p[i]);
        free(ms->cache_pb[i]); /* bf__big_alloc */
    }
    bf__ms_rows_destroy(ms);
    fftwf_free(ms->aperture);
    fftwf_free(ms->buf);
    fftwf_free(ms->tbuf);
    free(ms->vbuf);
    bf_potential_workspace_destroy(ms->pws);
    free(ms);
}

double bf_multislice_wavelength(const bf_multislice *ms) { return ms->lambda; }

/* FFT of count waves in place, in batches; through buf when the caller's alignment differs. */
static void fft_many(bf_multislice *ms, fftwf_complex *w, size_t count, int inverse)
{
    int aligned = fftwf_alignment_of((float *)w) == fftwf_alignment_of((float *)ms->buf);
    size_t done = 0;
    while (done < count) {
        size_t b = count - done >= ms->max_batch ? ms->max_batch : 1;
        fftwf_plan p = b > 1 ? (inverse ? ms->invb : ms->fwdb) : (inverse ? ms->inv1 : ms->fwd1);
        fftwf_complex *x = w + done * ms->n;
        if (aligned) {
            fftwf_execute_dft(p, x, x);
        } else {
            memcpy(ms->buf, x, b * ms->n * sizeof *x);
            fftwf_execute_dft(p, ms->buf, ms->buf);
            memcpy(x, ms->buf, b * ms->n * sizeof *x);
        }
        done += b;
    }
}

/* P(dz)·A/N = px(kx)·py(ky)·A/N: the Fresnel phase and the tilt phase separate in kx and ky, so
 * only nx + ny complex exponentials are evaluated (in double). */
static void phase_factors(const bf_multislice *ms, double dz, double complex *px,
                          double complex *py)
{
    double tx = tan(ms->tilt[0] * 1e-3), ty = tan(ms->tilt[1] * 1e-3);
    for (int i = 0; i < ms->nx; i++) {
        double kx = (float)bf__ms_fftfreq(i, ms->nx, ms->dx);
        px[i] = cexp(-I * M_PI * ms->lambda * dz * kx * kx - I * 2.0 * M_PI * dz * kx * tx);
    }
    for (int j = 0; j < ms->ny; j++) {
        double ky = (float)bf__ms_fftfreq(j, ms->ny, ms->dy);
        py[j] = cexp(-I * M_PI * ms->lambda * dz * ky * ky - I * 2.0 * M_PI * dz * ky * ty);
    }
}

static void fill_propagator(const bf_multislice *ms, const double complex *px,
                            const double complex *py, fftwf_complex *p)
{
    /* written through float pointers: fftwf_complex is float _Complex in this file */
    for (int i = 0; i < ms->nx; i++) {
        double xr = creal(px[i]), xi = cimag(px[i]);
        for (int j = 0; j < ms->ny; j++) {
            size_t k = (size_t)i * ms->ny + j;
            double yr = creal(py[j]), yi = cimag(py[j]), a = ms->aperture[k];
            ((float *)p)[2 * k] = (float)((xr * yr - xi * yi) * a);
            ((float *)p)[2 * k + 1] = (float)((xr * yi + xi * yr) * a);
        }
    }
}

/* Cached per dz; the grid layout (2D path) and the column-block layout (row/column path) are each
 * made the first time they are asked for. */
bf_status bf__multislice_propagator(bf_multislice *ms, double dz, const fftwf_complex **p,
                                    const fftwf_complex **pb)
{
    int slot = -1;
    for (int i = 0; i < CACHE && slot < 0; i++)
        if ((ms->cache_has[i][0] || ms->cache_has[i][1]) && ms->cache_dz[i] == dz)
            slot = i;
    if (slot < 0) {
        slot = ms->cache_next;
        ms->cache_next = (ms->cache_next + 1) % CACHE;
        ms->cache_has[slot][0] = ms->cache_has[slot][1] = 0;
        ms->cache_dz[slot] = dz;
    }
    int want_p = p && !ms->cache_has[slot][0], want_pb = pb && !ms->cache_has[slot][1];
    if (want_p || want_pb) {
        bf_status st = want_p ? grid_state(ms) : BF_OK;
        if (st)
            return st;
        double complex *px = malloc(((size_t)ms->nx + ms->ny) * sizeof *px);
        if (want_p && !ms->cache_p[slot])
            ms->cache_p[slot] = fftwf_malloc(ms->n * sizeof(fftwf_complex));
        if (!px || (want_p && !ms->cache_p[slot])) {
            free(px);
            return bf__error_set(BF_ENOMEM, "out of memory for a propagator");
        }
        phase_factors(ms, dz, px, px + ms->nx);
        if (want_p) {
            fill_propagator(ms, px, px + ms->nx, ms->cache_p[slot]);
            ms->cache_has[slot][0] = 1;
        }
        if (want_pb && !(st = bf__ms_rows_kernel(ms, px, px + ms->nx, &ms->cache_pb[slot])))
            ms->cache_has[slot][1] = 1;
        free(px);
        if (st)
            return st;
    }
    if (p)
        *p = ms->cache_p[slot];
    if (pb)
        *pb = ms->cache_pb[slot];
    return BF_OK;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CMUL_AVX 1
/* Four complex numbers per step where the CPU has AVX (picked at run time: the build targets
 * baseline x86-64). Same operations as the SSE2 loop, so the same bits. */
__attribute__((target("avx"))) static size_t cmul_avx(float *restrict x, const float *restrict q,
                                                      size_t n, float scale)
{
    size_t k = 0;
    const __m256 s = _mm256_set1_ps(scale);
    for (; k + 3 < n; k += 4) {
        __m256 a = _mm256_loadu_ps(x + 2 * k), b = _mm256_mul_ps(_mm256_loadu_ps(q + 2 * k), s);
        __m256 br = _mm256_moveldup_ps(b), bi = _mm256_movehdup_ps(b);
        __m256 as = _mm256_permute_ps(a, _MM_SHUFFLE(2, 3, 0, 1));
        _mm256_storeu_ps(x + 2 * k, _mm256_addsub_ps(_mm256_mul_ps(a, br), _mm256_mul_ps(as, bi)));
    }
    return k;
}
#endif

/* x[k] *= q[k] over interleaved (re, im) floats, written out: C's complex multiply would call
 * __mulsc3 per element for its NaN rules. */
void bf__ms_cmul(float *restrict x, const float *restrict q, size_t n, float scale)
{
    size_t k = 0;
#if defined(CMUL_AVX)
    if (__builtin_cpu_supports("avx"))
        k = cmul_avx(x, q, n, scale);
#endif
#if defined(__SSE2__)
    /* two complex numbers per step; -O2 does not vectorise this loop by itself */
    const __m128 sign = _mm_set_ps(0.0f, -0.0f, 0.0f, -0.0f), s = _mm_set1_ps(scale);
    for (; k + 1 < n; k += 2) {
        __m128 a = _mm_loadu_ps(x + 2 * k), b = _mm_mul_ps(_mm_loadu_ps(q + 2 * k), s);
        __m128 br = _mm_shuffle_ps(b, b, _MM_SHUFFLE(2, 2, 0, 0));
        __m128 bi = _mm_shuffle_ps(b, b, _MM_SHUFFLE(3, 3, 1, 1));
        __m128 as = _mm_shuffle_ps(a, a, _MM_SHUFFLE(2, 3, 0, 1));
        _mm_storeu_ps(x + 2 * k, _mm_add_ps(_mm_mul_ps(a, br),
                                            _mm_xor_ps(_mm_mul_ps(as, bi), sign)));
    }
#endif
    for (; k < n; k++) {
        float a = x[2 * k], b = x[2 * k + 1], c = q[2 * k] * scale, d = q[2 * k + 1] * scale;
        x[2 * k] = a * c - b * d;
        x[2 * k + 1] = a * d + b * c;
    }
}

static void multiply_many(fftwf_complex *w, size_t count, size_t n, const fftwf_complex *p)
{
    for (size_t b = 0; b < count; b++)
        bf__ms_cmul((float *)(w + b * n), (const float *)p, n, 1.0f);
}

bf_status bf_multislice_propagate(bf_multislice *ms, double dz, bf_complex64 *waves,
                                  size_t nwaves)
{
    if (!ms || (!waves && nwaves))
        return bf__error_set(BF_EINVAL, "propagate: missing plan or waves");
    if (!isfinite(dz))
        return bf__error_set(BF_EINVAL, "propagate: dz must be finite");
    const fftwf_complex *p;
    bf_status st = bf__multislice_propagator(ms, dz, &p, NULL);
    if (st)
        return st;
    fftwf_complex *w = (fftwf_complex *)waves;
    fft_many(ms, w, nwaves, 0);
    multiply_many(w, nwaves, ms->n, p);
    fft_many(ms, w, nwaves, 1);
    return BF_OK;
}

bf_status bf_multislice_fft(bf_multislice *ms, bf_complex64 *waves, size_t nwaves)
{
    if (!ms || (!waves && nwaves))
        return bf__error_set(BF_EINVAL, "fft: missing plan or waves");
    bf_status st = grid_state(ms);
    if (st)
        return st;
    fft_many(ms, (fftwf_complex *)waves, nwaves, 0);
    return BF_OK;
}

bf_status bf_multislice_transmission(bf_multislice *ms, const float *v, bf_complex64 *t)
{
    if (!ms || !v || !t)
        return bf__error_set(BF_EINVAL, "transmission: missing plan, potential or output");
    bf_status st = grid_state(ms);
    if (st)
        return st;
    float sigma = (float)ms->sigma;
    float *x = (float *)t;
    bf__ms_expi(v, sigma, x, ms->n);
    fft_many(ms, (fftwf_complex *)t, 1, 0);
    for (size_t k = 0; k < ms->n; k++) {
        x[2 * k] *= ms->aperture[k];
        x[2 * k + 1] *= ms->aperture[k];
    }
    fft_many(ms, (fftwf_complex *)t, 1, 1);
    return BF_OK;
}

bf_status bf_multislice_step(bf_multislice *ms, const bf_complex64 *t, double dz,
                             bf_complex64 *waves, size_t nwaves)
{
    if (!ms || !t || (!waves && nwaves))
        return bf__error_set(BF_EINVAL, "step: missing plan, transmission or waves");
    for (size_t b = 0; b < nwaves; b++)
        bf__ms_cmul((float *)(waves + b * ms->n), (const float *)t, ms->n, 1.0f);
    return bf_multislice_propagate(ms, dz, waves, nwaves);
}

/* Check the grids agree and make the potential workspace and slice buffer. */
static bf_status prepare_run(bf_multislice *ms, const bf_potential *pot)
{
    bf_status st;
    int g[2];
    double s[2];
    bf_potential_grid(pot, g, s);
    if (g[0] != ms->nx || g[1] != ms->ny || fabs(s[0] - ms->dx) > 1e-9 * ms->dx ||
        fabs(s[1] - ms->dy) > 1e-9 * ms->dy)
        return bf__error_set(BF_EINVAL,
                             "run: potential grid %dx%d at %g, %g Å differs from the waves' "
                             "%dx%d at %g, %g Å", g[0], g[1], s[0], s[1], ms->nx, ms->ny, ms->dx,
                             ms->dy);
    if (!ms->vbuf && !(ms->vbuf = malloc(ms->n * sizeof *ms->vbuf)))
        return bf__error_set(BF_ENOMEM, "out of memory for a potential slice");
    if (ms->pws && !bf__potential_workspace_fits(pot, ms->pws)) {
        bf_potential_workspace_destroy(ms->pws);
        ms->pws = NULL;
    }
    if (!ms->pws && (st = bf_potential_workspace_create(pot, &ms->pws)))
        return st;
    return BF_OK;
}

static bf_status run_slices(bf_multislice *ms, const bf_potential *pot, size_t first,
                            bf_complex64 *waves, size_t nwaves)
{
    bf_status st = BF_OK;
    for (size_t i = first; i < bf_potential_num_slices(pot) && !st; i++) {
        if ((st = bf_potential_build_slice(pot, ms->pws, i, ms->vbuf)) ||
            (st = bf_multislice_transmission(ms, ms->vbuf, (bf_complex64 *)ms->tbuf)))
            break;
        st = bf_multislice_step(ms, (bf_complex64 *)ms->tbuf, bf_potential_slice_thickness(pot, i),
                                waves, nwaves);
    }
    return st;
}

bf_status bf_multislice_run(bf_multislice *ms, const bf_potential *pot, bf_complex64 *waves,
                            size_t nwaves)
{
    if (!ms || !pot)
        return bf__error_set(BF_EINVAL, "run: missing plan or potential");
    bf_status st = prepare_run(ms, pot);
    if (st)
        return st;
    return ms->threads == 1 ? bf__ms_rows_run(ms, pot, waves, nwaves, 0)
                            : run_slices(ms, pot, 0, waves, nwaves);
}

bf_status bf_multislice_apply_kernel(bf_multislice *ms, const bf_complex64 *kernel,
                                     bf_complex64 *waves, size_t nwaves)
{
    if (!ms || !kernel || (!waves && nwaves))
        return bf__error_set(BF_EINVAL, "apply kernel: missing plan, kernel or waves");
    bf_status st = grid_state(ms);
    if (st)
        return st;
    fftwf_complex *w = (fftwf_complex *)waves;
    float scale = 1.0f / (float)ms->n;
    fft_many(ms, w, nwaves, 0);
    for (size_t b = 0; b < nwaves; b++)
        bf__ms_cmul((float *)(w + b * ms->n), (const float *)kernel, ms->n, scale);
    fft_many(ms, w, nwaves, 1);
    return BF_OK;
}

bf_status bf_multislice_probes(bf_multislice *ms, const bf_probe_options *opt,
                               const double *positions, size_t n, bf_complex64 *waves)
{
    if (!ms || !opt || (n && (!positions || !waves)))
        return bf__error_set(BF_EINVAL, "probes: missing plan, options, positions or waves");
    double lambda;
    bf_status st = bf_energy2wavelength(opt->energy, &lambda);
    if (st || (st = grid_state(ms)))
        return st;
    if (fabs(lambda - ms->lambda) > 1e-12 * ms->lambda)
        return bf__error_set(BF_EINVAL, "probes: energy %g eV differs from the plan's", opt->energy);
    int g[2] = {ms->nx, ms->ny};
    double s[2] = {ms->dx, ms->dy};
    for (size_t i = 0; i < n; i++)
        if ((st = bf__probe_fourier(opt, g, s, positions + 2 * i, waves + i * ms->n)))
            return st;
    fft_many(ms, (fftwf_complex *)waves, n, 1);
    return BF_OK;
}

/* ψ₀ = 1: the first step's FFT(ψ₀·t) is the band-limited transmission function's spectrum,
 * N·(A/N)·FFT(exp(iσV)), so the first slice needs one FFT pair instead of two. */
bf_status bf__multislice_run_plane_wave(bf_multislice *ms, const bf_potential *pot,
                                        bf_complex64 *wave)
{
    if (bf_potential_num_slices(pot) == 0) {
        for (size_t k = 0; k < ms->n; k++)
            wave[k] = 1.0f;
        return BF_OK;
    }
    bf_status st = prepare_run(ms, pot);
    if (st)
        return st;
    if (ms->threads == 1)
        return bf__ms_rows_run(ms, pot, wave, 1, 1);
    const fftwf_complex *p;
    if ((st = bf_potential_build_slice(pot, ms->pws, 0, ms->vbuf)) ||
        (st = bf__multislice_propagator(ms, bf_potential_slice_thickness(pot, 0), &p, NULL)))
        return st;
    float sigma = (float)ms->sigma, scale = (float)ms->n;
    float *x = (float *)wave;
    bf__ms_expi(ms->vbuf, sigma, x, ms->n);
    fft_many(ms, (fftwf_complex *)wave, 1, 0);
    for (size_t k = 0; k < ms->n; k++) {
        x[2 * k] *= ms->aperture[k] * scale;
        x[2 * k + 1] *= ms->aperture[k] * scale;
    }
    bf__ms_cmul(x, (const float *)p, ms->n, 1.0f);
    fft_many(ms, (fftwf_complex *)wave, 1, 1);
    return run_slices(ms, pot, 1, wave, 1);
}
