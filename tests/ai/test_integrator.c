/* Integrator properties and error paths (no pyFAI needed): coefficients of every pixel sum to
 * 1, total signal is conserved, histogram and CSR agree, a shared integrator gives the same bits
 * from 8 threads as from one, batches equal single frames, all input types agree, NaN pixels
 * equal masked pixels, and every bad input gives a clear error. */
#include "bf_test.h"

#include <pthread.h>

#include "ai/ai_internal.h"
#include "beamflow/ai.h"

static bf_geometry *make_geometry(const char *det_name, double rot1, double rot2)
{
    bf_detector *det;
    assert_ok(bf_detector_create(det_name, NULL, &det));
    const double h = (double)bf_detector_rows(det) * bf_detector_pixel1(det);
    const double w = (double)bf_detector_cols(det) * bf_detector_pixel2(det);
    bf_geometry_params p = {0.2, 0.4 * h, 0.55 * w, rot1, rot2, 0.03, 1e-10};
    bf_geometry *g;
    assert_ok(bf_geometry_create(det, &p, &g));
    bf_detector_destroy(det);
    return g;
}

typedef struct curve_buf {
    size_t n;
    bf_curve c;
} curve_buf;

static curve_buf curve_new(size_t n)
{
    curve_buf b = {n, {calloc(n, 8), calloc(n, 4), calloc(n, 4), calloc(n, 8), calloc(n, 8),
                       calloc(n, 8), calloc(n, 8), NULL}};
    return b;
}

static void curve_free(curve_buf *b)
{
    free(b->c.radial), free(b->c.intensity), free(b->c.sigma), free(b->c.sum_signal);
    free(b->c.sum_variance), free(b->c.sum_normalization), free(b->c.count);
}

static int32_t *random_frame(size_t n, uint64_t seed)
{
    int32_t *f = malloc(n * sizeof *f);
    for (size_t k = 0; k < n; k++)
        f[k] = (int32_t)(bf_test_rand(&seed) % 3000) - 3;
    return f;
}

static void coefficients_sum_to_one(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 300k", 0.05, -0.03);
    const size_t npix = 619 * 487;
    for (int split = BF_SPLIT_NO; split <= BF_SPLIT_FULL; split++)
        for (int algo = 0; algo < 4; algo++) { /* 0, 1: 1D csr, histogram; 2, 3: 2D */
            bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
            o.split = (bf_split)split;
            o.algorithm = (bf_algorithm)(algo % 2);
            o.npt = 700;
            o.npt_azim = algo < 2 ? 0 : 36;
            o.unit = BF_UNIT_Q_NM;
            bf_integrator *it;
            assert_ok(bf_integrator_create(g, &o, &it));
            /* 2D full splitting stacks each column's area into cells (pyFAI's approximation,
             * split_full2d.c) and divides by the polygon's area: pyFAI itself flags a pixel
             * whose cells miss its area by more than 1e-3 */
            const double tol = algo >= 2 && split == BF_SPLIT_FULL ? 1e-3 : 1e-5;
            double *sum = calloc(npix, sizeof *sum);
            for (size_t r = 0; r < it->m.nrows; r++)
                for (int64_t e = it->m.row_ptr[r]; e < it->m.row_ptr[r + 1]; e++)
                    sum[algo % 2 ? r : (size_t)it->m.col[e]] += it->m.coef[e];
            const uint8_t *mask = bf_detector_mask(bf_geometry_detector(g));
            size_t used = 0;
            for (size_t k = 0; k < npix; k++) {
                if (mask[k]) {
                    assert_true(sum[k] == 0);
                    continue;
                }
                used++;
                assert_close(sum[k], 1.0, tol, 0);
            }
            assert_int_equal(used, npix - 16558); /* pyFAI: 16558 masked pixels */
            free(sum);
            bf_integrator_destroy(it);
        }
    bf_geometry_destroy(g);
}

/* Many bins make the build grow its tiles (or use one tile): same sums, nothing lost. */
static void many_bins(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 100k", 0.01, 0.0);
    const size_t npix = 195 * 487;
    int32_t *frame = random_frame(npix, bf_test_seed());
    const uint8_t *mask = bf_detector_mask(bf_geometry_detector(g));
    double total = 0;
    for (size_t k = 0; k < npix; k++)
        total += mask[k] ? 0 : frame[k];
    const int npts[] = {20000, 300000};
    for (int i = 0; i < 2; i++) {
        bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
        o.npt = npts[i];
        bf_integrator *it;
        assert_ok(bf_integrator_create(g, &o, &it));
        curve_buf cb = curve_new((size_t)npts[i]);
        bf_frame fr = {frame, BF_DTYPE_I32, 195, 487, NULL, NULL};
        assert_ok(bf_integrator_integrate1d(it, &fr, &cb.c));
        double sum = 0;
        for (int b = 0; b < npts[i]; b++)
            sum += cb.c.sum_signal[b];
        assert_close(sum, total, 1e-6, 0);
        curve_free(&cb);
        bf_integrator_destroy(it);
    }
    free(frame);
    bf_geometry_destroy(g);
}

static void build_is_independent_of_threads(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 300k", 0.03, 0.01);
    for (int split = BF_SPLIT_NO; split <= BF_SPLIT_FULL; split++)
        for (int algo = 0; algo < 3; algo++) { /* csr, histogram, 2D csr */
            bf_integrator *it[2];
            for (int t = 0; t < 2; t++) {
                bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
                o.split = (bf_split)split;
                o.algorithm = (bf_algorithm)(algo % 2);
                o.npt = algo < 2 ? 1100 : 110; /* three chunks of bins (2D: 110 x 10) */
                o.npt_azim = algo < 2 ? 0 : 10;
                o.threads = t ? 3 : 1;
                assert_ok(bf_integrator_create(g, &o, &it[t]));
            }
            assert_int_equal(it[0]->m.nnz, it[1]->m.nnz);
            assert_int_equal(it[0]->m.nrows, it[1]->m.nrows);
            assert_memory_equal(it[0]->m.col, it[1]->m.col, it[0]->m.nnz * 4);
            assert_memory_equal(it[0]->m.coef, it[1]->m.coef, it[0]->m.nnz * 4);
            assert_memory_equal(it[0]->m.row_ptr, it[1]->m.row_ptr, (it[0]->m.nrows + 1) * 8);
            assert_memory_equal(it[0]->bin_norm, it[1]->bin_norm, 1100 * 8);
            bf_integrator_destroy(it[0]);
            bf_integrator_destroy(it[1]);
        }
    bf_geometry_destroy(g);
}

static void signal_conserved_and_algorithms_agree(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 300k", -0.02, 0.04);
    const size_t npix = 619 * 487;
    int32_t *frame = random_frame(npix, bf_test_seed());
    const uint8_t *mask = bf_detector_mask(bf_geometry_detector(g));
    double total = 0;
    for (size_t k = 0; k < npix; k++)
        total += mask[k] ? 0 : frame[k];
    bf_frame fr = {frame, BF_DTYPE_I32, 619, 487, NULL, NULL};
    for (int run = 0; run < 6; run++) {
        const int split = run % 3;
        curve_buf cb[2] = {curve_new(900), curve_new(900)};
        for (int algo = 0; algo < 2; algo++) {
            bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
            o.split = (bf_split)split;
            o.algorithm = (bf_algorithm)algo;
            o.npt = 900;
            o.error_model = run < 3 ? BF_ERROR_POISSON : BF_ERROR_AZIMUTHAL;
            o.has_polarization = 1;
            o.polarization_factor = 0.9;
            bf_integrator *it;
            assert_ok(bf_integrator_create(g, &o, &it));
            assert_ok(bf_integrator_integrate1d(it, &fr, &cb[algo].c));
            double sum = 0;
            for (size_t b = 0; b < 900; b++)
                sum += cb[algo].c.sum_signal[b];
            assert_close(sum, total, 1e-6, 0); /* float32 coefficients: 1e-7 each */
            bf_integrator_destroy(it);
        }
        for (size_t b = 0; b < 900; b++) {
            assert_true(cb[0].c.radial[b] == cb[1].c.radial[b]);
            assert_close(cb[1].c.sum_signal[b], cb[0].c.sum_signal[b], 1e-9, 1e-9);
            assert_close(cb[1].c.count[b], cb[0].c.count[b], 1e-9, 1e-9);
            assert_close(cb[1].c.intensity[b], cb[0].c.intensity[b], 1e-6, 1e-6);
            assert_close(cb[1].c.sigma[b], cb[0].c.sigma[b], 1e-6, 1e-6);
        }
        curve_free(&cb[0]);
        curve_free(&cb[1]);
    }
    free(frame);
    bf_geometry_destroy(g);
}

typedef struct job {
    const bf_integrator *it;
    int32_t **frames;
    int nframes, start;
    curve_buf *out;
    bf_status st;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (int i = 0; i < j->nframes; i++) {
        int f = (i + j->start) % j->nframes;
        bf_frame fr = {j->frames[f], BF_DTYPE_I32, 1043, 981, NULL, NULL};
        if ((j->st = bf_integrator_integrate1d(j->it, &fr, &j->out[f].c)))
            break;
    }
    return NULL;
}

static void threads_batches_and_types_agree(void **state)
{
    (void)state;
    enum { NF = 8, NT = 8, NPT = 1500 };
    bf_geometry *g = make_geometry("Pilatus 1M", 0.01, 0.02);
    const size_t npix = 1043 * 981;
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    o.npt = NPT;
    o.error_model = BF_ERROR_POISSON;
    bf_integrator *it;
    assert_ok(bf_integrator_create(g, &o, &it));
    int32_t *frames[NF];
    curve_buf serial[NF], par[NT][NF], batch[NF];
    bf_frame fr[NF];
    for (int f = 0; f < NF; f++) {
        frames[f] = random_frame(npix, bf_test_seed() + (uint64_t)f);
        serial[f] = curve_new(NPT);
        batch[f] = curve_new(NPT);
        fr[f] = (bf_frame){frames[f], BF_DTYPE_I32, 1043, 981, NULL, NULL};
        assert_ok(bf_integrator_integrate1d(it, &fr[f], &serial[f].c));
    }
    pthread_t tid[NT];
    job jobs[NT];
    for (int t = 0; t < NT; t++) {
        for (int f = 0; f < NF; f++)
            par[t][f] = curve_new(NPT);
        jobs[t] = (job){it, frames, NF, t, par[t], BF_OK};
        assert_int_equal(pthread_create(&tid[t], NULL, worker, &jobs[t]), 0);
    }
    for (int t = 0; t < NT; t++) {
        pthread_join(tid[t], NULL);
        assert_ok(jobs[t].st);
        for (int f = 0; f < NF; f++) {
            assert_memory_equal(par[t][f].c.intensity, serial[f].c.intensity, NPT * 4);
            assert_memory_equal(par[t][f].c.sigma, serial[f].c.sigma, NPT * 4);
            curve_free(&par[t][f]);
        }
    }
    /* a batch gives the same bits, and so do the other input types (same values) */
    bf_curve outs[NF];
    for (int f = 0; f < NF; f++)
        outs[f] = batch[f].c;
    assert_ok(bf_integrator_integrate1d_batch(it, fr, NF, outs));
    for (int f = 0; f < NF; f++)
        assert_memory_equal(batch[f].c.sum_signal, serial[f].c.sum_signal, NPT * 8);
    for (int f = 0; f < NF; f++)
        assert_memory_equal(batch[f].c.intensity, serial[f].c.intensity, NPT * 4);
    float *f32 = malloc(npix * 4);
    double *f64 = malloc(npix * 8);
    uint32_t *u32 = malloc(npix * 4);
    uint16_t *u16 = malloc(npix * 2);
    int32_t *pos = malloc(npix * 4);
    for (size_t k = 0; k < npix; k++) {
        pos[k] = frames[0][k] < 0 ? 0 : frames[0][k];
        f32[k] = (float)pos[k];
        f64[k] = pos[k];
        u32[k] = (uint32_t)pos[k];
        u16[k] = (uint16_t)pos[k];
    }
    curve_buf ref = curve_new(NPT), other = curve_new(NPT);
    bf_frame fp = {pos, BF_DTYPE_I32, 1043, 981, NULL, NULL};
    assert_ok(bf_integrator_integrate1d(it, &fp, &ref.c));
    const void *datas[] = {f32, f64, u32, u16};
    const bf_dtype types[] = {BF_DTYPE_F32, BF_DTYPE_F64, BF_DTYPE_U32, BF_DTYPE_U16};
    for (int t = 0; t < 4; t++) {
        bf_frame fo = {datas[t], types[t], 1043, 981, NULL, NULL};
        assert_ok(bf_integrator_integrate1d(it, &fo, &other.c));
        assert_memory_equal(other.c.intensity, ref.c.intensity, NPT * 4);
        assert_memory_equal(other.c.sigma, ref.c.sigma, NPT * 4);
    }
    /* the AVX2 kernel, the scalar fast kernel and the checking kernel (forced by an all-zero
     * per-frame mask) give the same bits */
    uint8_t *nomask = calloc(npix, 1);
    bf_frame fz = {pos, BF_DTYPE_I32, 1043, 981, NULL, nomask};
    assert_ok(bf_integrator_integrate1d(it, &fz, &other.c));
    assert_memory_equal(other.c.sum_signal, ref.c.sum_signal, NPT * 8);
    assert_memory_equal(other.c.sum_variance, ref.c.sum_variance, NPT * 8);
    const int simd = it->simd;
    ((bf_integrator *)it)->simd = !simd;
    for (int t = 0; t < 3; t++) { /* i32, u32, u16 have AVX2 kernels */
        const void *d = t == 0 ? (const void *)pos : t == 1 ? (const void *)u32 : (const void *)u16;
        bf_frame fs = {d, t == 0 ? BF_DTYPE_I32 : t == 1 ? BF_DTYPE_U32 : BF_DTYPE_U16,
                       1043, 981, NULL, NULL};
        assert_ok(bf_integrator_integrate1d(it, &fs, &other.c));
        assert_memory_equal(other.c.sum_signal, ref.c.sum_signal, NPT * 8);
        assert_memory_equal(other.c.sum_variance, ref.c.sum_variance, NPT * 8);
        assert_memory_equal(other.c.intensity, ref.c.intensity, NPT * 4);
    }
    /* the checking kernels (float frames with NaN and inf, darks with NaN) too */
    float *dk = malloc(npix * 4);
    uint64_t rng = bf_test_seed();
    for (size_t k = 0; k < npix; k++) {
        dk[k] = (float)(3 * bf_test_uniform(&rng));
        if (k % 1031 == 0)
            f32[k] = k % 2 ? NAN : INFINITY;
        if (k % 977 == 0)
            dk[k] = NAN;
    }
    const bf_frame checked[3] = {{f32, BF_DTYPE_F32, 1043, 981, NULL, NULL},
                                 {f32, BF_DTYPE_F32, 1043, 981, dk, NULL},
                                 {u16, BF_DTYPE_U16, 1043, 981, dk, NULL}};
    for (int c = 0; c < 3; c++) {
        ((bf_integrator *)it)->simd = !simd;
        assert_ok(bf_integrator_integrate1d(it, &checked[c], &other.c));
        ((bf_integrator *)it)->simd = simd;
        assert_ok(bf_integrator_integrate1d(it, &checked[c], &ref.c));
        assert_memory_equal(other.c.sum_signal, ref.c.sum_signal, NPT * 8);
        assert_memory_equal(other.c.sum_variance, ref.c.sum_variance, NPT * 8);
        assert_memory_equal(other.c.sum_normalization, ref.c.sum_normalization, NPT * 8);
        assert_memory_equal(other.c.count, ref.c.count, NPT * 8);
    }
    free(dk);
    ((bf_integrator *)it)->simd = !simd;
    /* uint32 values beyond 2^31 (Eiger's saturation marks) convert exactly on both paths */
    for (size_t k = 0; k < npix; k += 97)
        u32[k] = 4294967295u - (uint32_t)k;
    bf_frame fb = {u32, BF_DTYPE_U32, 1043, 981, NULL, NULL};
    assert_ok(bf_integrator_integrate1d(it, &fb, &other.c));
    ((bf_integrator *)it)->simd = simd;
    assert_ok(bf_integrator_integrate1d(it, &fb, &ref.c));
    assert_memory_equal(other.c.sum_signal, ref.c.sum_signal, NPT * 8);
    assert_memory_equal(other.c.sum_variance, ref.c.sum_variance, NPT * 8);
    free(nomask);
    curve_free(&ref);
    curve_free(&other);
    free(f32), free(f64), free(u32), free(u16), free(pos);
    for (int f = 0; f < NF; f++) {
        curve_free(&serial[f]);
        curve_free(&batch[f]);
        free(frames[f]);
    }
    bf_integrator_destroy(it);
    bf_geometry_destroy(g);
}

/* Compare a batch's curves with frame-by-frame curves, bit for bit. */
static void assert_same_curves(const curve_buf *a, const curve_buf *b, size_t n, size_t npt)
{
    for (size_t f = 0; f < n; f++) {
        assert_memory_equal(a[f].c.sum_signal, b[f].c.sum_signal, npt * 8);
        assert_memory_equal(a[f].c.sum_variance, b[f].c.sum_variance, npt * 8);
        assert_memory_equal(a[f].c.sum_normalization, b[f].c.sum_normalization, npt * 8);
        assert_memory_equal(a[f].c.count, b[f].c.count, npt * 8);
        assert_memory_equal(a[f].c.intensity, b[f].c.intensity, npt * 4);
        assert_memory_equal(a[f].c.sigma, b[f].c.sigma, npt * 4);
    }
}

/* The batch call cuts a batch into pairs for the two-frame kernels, around frames that need the
 * checking kernel; every frame keeps its single-frame bits, for each error model,
 * each fast dtype, with and without AVX2. */
static void batch_groups_match_single_frames(void **state)
{
    (void)state;
    enum { NF = 7, NPT = 700 };
    const bf_error_model models[3] = {BF_ERROR_POISSON, BF_ERROR_NONE, BF_ERROR_AZIMUTHAL};
    const bf_dtype types[3] = {BF_DTYPE_I32, BF_DTYPE_U32, BF_DTYPE_U16};
    bf_geometry *g = make_geometry("Pilatus 300k", 0.02, -0.01);
    const bf_detector *det = bf_geometry_detector(g);
    const size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det), npix = rows * cols;
    uint8_t *nomask = calloc(npix, 1);
    void *data[NF];
    curve_buf serial[NF], batch[NF];
    bf_frame fr[NF];
    bf_curve outs[NF];
    for (int f = 0; f < NF; f++) {
        int32_t *v = random_frame(npix, bf_test_seed() + 100 + (uint64_t)f);
        data[f] = v;
        serial[f] = curve_new(NPT);
        batch[f] = curve_new(NPT);
        outs[f] = batch[f].c;
    }
    for (int m = 0; m < 3; m++) {
        bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
        o.npt = NPT;
        o.error_model = models[m];
        bf_integrator *it;
        assert_ok(bf_integrator_create(g, &o, &it));
        for (int t = 0; t < 3; t++) {
            for (int f = 0; f < NF; f++) {
                int32_t *v = data[f]; /* the same values in each type: non-negative */
                for (size_t k = 0; k < npix; k++)
                    v[k] = v[k] < 0 ? -v[k] : v[k];
                if (types[t] == BF_DTYPE_U16)
                    for (size_t k = 0; k < npix; k++)
                        ((uint16_t *)v)[k] = (uint16_t)v[k];
                /* frame 2 has a per-frame mask: pairs {0,1}, {3,4}, {5,6}, frame 2 alone; the batch
                 * of 3 from frame 3 on ends with a frame alone */
                fr[f] = (bf_frame){v, types[t], rows, cols, NULL, f == 2 ? nomask : NULL};
                assert_ok(bf_integrator_integrate1d(it, &fr[f], &serial[f].c));
            }
            for (int simd = it->simd; simd >= 0; simd--) {
                ((bf_integrator *)it)->simd = simd;
                assert_ok(bf_integrator_integrate1d_batch(it, fr, NF, outs));
                assert_same_curves(batch, serial, NF, NPT);
                assert_ok(bf_integrator_integrate1d_batch(it, fr + 3, 3, outs + 3));
                assert_same_curves(batch + 3, serial + 3, 3, NPT);
            }
            ((bf_integrator *)it)->simd = bf__cpu_has_avx2();
            if (types[t] == BF_DTYPE_U16) /* back to int32 for the next model */
                for (int f = 0; f < NF; f++)
                    for (size_t k = npix; k-- > 0;)
                        ((int32_t *)data[f])[k] = ((uint16_t *)data[f])[k];
        }
        bf_integrator_destroy(it);
    }
    for (int f = 0; f < NF; f++) {
        curve_free(&serial[f]);
        curve_free(&batch[f]);
        free(data[f]);
    }
    free(nomask);
    bf_geometry_destroy(g);
}

static void nan_pixels_equal_masked_pixels(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 300k", 0.0, 0.0);
    const size_t npix = 619 * 487;
    int32_t *frame = random_frame(npix, bf_test_seed());
    float *f = malloc(npix * 4);
    uint8_t *mask = malloc(npix), *inv = calloc(npix, 1);
    memcpy(mask, bf_detector_mask(bf_geometry_detector(g)), npix);
    uint64_t rng = bf_test_seed();
    for (size_t k = 0; k < npix; k++) {
        f[k] = (float)frame[k];
        if (bf_test_rand(&rng) % 50 == 0) {
            f[k] = NAN;
            mask[k] = 1;
            inv[k] = 1;
        }
    }
    curve_buf a = curve_new(500), b = curve_new(500), c = curve_new(500);
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    o.npt = 500;
    o.error_model = BF_ERROR_POISSON;
    bf_integrator *plain, *masked;
    assert_ok(bf_integrator_create(g, &o, &plain));
    o.mask = mask;
    o.has_radial_range = 1; /* same grid as plain: masking NaNs changes the range otherwise */
    o.radial_range[0] = plain->radial[0] - 0.5 * plain->delta_bin * 180 / M_PI;
    o.radial_range[1] = (plain->pos0_min + 500 * plain->delta_bin) / (1 + 0x1.0p-23) * 180 / M_PI;
    assert_ok(bf_integrator_create(g, &o, &masked));
    bf_frame fn = {f, BF_DTYPE_F32, 619, 487, NULL, NULL};
    bf_frame fm = {frame, BF_DTYPE_I32, 619, 487, NULL, NULL};
    bf_frame fi = {frame, BF_DTYPE_I32, 619, 487, NULL, inv};
    assert_ok(bf_integrator_integrate1d(plain, &fn, &a.c));
    assert_ok(bf_integrator_integrate1d(masked, &fm, &b.c));
    assert_ok(bf_integrator_integrate1d(plain, &fi, &c.c));
    for (size_t i = 0; i < 500; i++) {
        assert_close(a.c.radial[i], b.c.radial[i], 1e-12, 0);
        assert_close(a.c.intensity[i], b.c.intensity[i], 1e-6, 1e-6);
        assert_close(a.c.count[i], b.c.count[i], 1e-9, 1e-9);
        assert_close(c.c.intensity[i], b.c.intensity[i], 1e-6, 1e-6);
    }
    /* a frame of NaNs: every bin empty, intensity = empty value, no crash */
    for (size_t k = 0; k < npix; k++)
        f[k] = NAN;
    assert_ok(bf_integrator_integrate1d(plain, &fn, &a.c));
    for (size_t i = 0; i < 500; i++)
        assert_true(a.c.intensity[i] == 0 && a.c.count[i] == 0);
    bf_integrator_destroy(plain);
    bf_integrator_destroy(masked);
    /* with a dummy, empty bins read the dummy */
    o.mask = NULL;
    o.has_radial_range = 1;
    o.radial_range[0] = 0;
    o.radial_range[1] = 200; /* beyond the detector: most bins empty */
    o.has_dummy = 1;
    o.dummy = -1;
    assert_ok(bf_integrator_create(g, &o, &plain));
    assert_ok(bf_integrator_integrate1d(plain, &fm, &a.c));
    assert_true(a.c.intensity[499] == -1.0f && a.c.sigma[499] == -1.0f);
    assert_true(a.c.intensity[0] != -1.0f || a.c.count[0] > 0);
    bf_integrator_destroy(plain);
    curve_free(&a), curve_free(&b), curve_free(&c);
    free(frame), free(f), free(mask), free(inv);
    bf_geometry_destroy(g);
}

/* A 2D cake summed over its azimuthal bins is the 1D curve on the same radial grid: the 2D
 * coefficients are products of the 1D radial fractions and azimuthal fractions summing to 1. */
static void cake_sums_to_curve(void **state)
{
    (void)state;
    enum { NR = 400, NA = 90 };
    bf_geometry *g = make_geometry("Pilatus 300k", 0.02, -0.01);
    const size_t npix = 619 * 487;
    int32_t *frame = random_frame(npix, bf_test_seed());
    bf_frame fr = {frame, BF_DTYPE_I32, 619, 487, NULL, NULL};
    for (int split = BF_SPLIT_NO; split <= BF_SPLIT_BBOX; split++)
        for (int algo = 0; algo < 2; algo++) {
            bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
            o.split = (bf_split)split;
            o.algorithm = (bf_algorithm)algo;
            o.npt = NR;
            o.error_model = BF_ERROR_POISSON;
            o.has_radial_range = 1; /* the same radial grid in 1D and 2D */
            o.radial_range[0] = 0.5;
            o.radial_range[1] = 20;
            bf_integrator *one, *two;
            assert_ok(bf_integrator_create(g, &o, &one));
            o.npt_azim = NA;
            assert_ok(bf_integrator_create(g, &o, &two));
            assert_int_equal(bf_integrator_npt_azim(two), NA);
            assert_null(bf_integrator_azimuthal(one));
            curve_buf c1 = curve_new(NR), c2 = curve_new(NR * NA);
            double az[NA];
            c2.c.azimuthal = az;
            assert_ok(bf_integrator_integrate1d(one, &fr, &c1.c));
            assert_ok(bf_integrator_integrate2d(two, &fr, &c2.c));
            assert_fails(bf_integrator_integrate2d(one, &fr, &c1.c), BF_EINVAL, "npt_azim");
            for (int a = 1; a < NA; a++)
                assert_true(az[a] > az[a - 1]);
            assert_true(az[0] > -180 && az[NA - 1] < 180.001);
            for (int r = 0; r < NR; r++) {
                double s = 0, n = 0, c = 0;
                for (int a = 0; a < NA; a++) {
                    s += c2.c.sum_signal[a * NR + r];
                    n += c2.c.sum_normalization[a * NR + r];
                    c += c2.c.count[a * NR + r];
                }
                assert_true(c2.c.radial[r] == c1.c.radial[r]);
                assert_close(s, c1.c.sum_signal[r], 1e-6, 1e-6);
                assert_close(n, c1.c.sum_normalization[r], 1e-6, 1e-6);
                assert_close(c, c1.c.count[r], 1e-6, 1e-6);
            }
            c2.c.azimuthal = NULL;
            curve_free(&c1);
            curve_free(&c2);
            bf_integrator_destroy(one);
            bf_integrator_destroy(two);
        }
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    bf_integrator *it;
    o.npt_azim = -1;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "npt_azim");
    free(frame);
    bf_geometry_destroy(g);
}

/* The azimuthal error model in 2D is the spread of the pixels of each cell around the cell's
 * mean (pyFAI 0.21.3's integrate2d_ng returns no sigma for it, so it is not a reference): with a
 * single azimuthal bin every cell is a whole radial bin, and the cake must be the 1D curve,
 * sigma included (the same coefficients in the same matrix order: 1e-6 is only headroom). */
static void cake_azimuthal_error_model(void **state)
{
    (void)state;
    enum { NR = 300 };
    bf_geometry *g = make_geometry("Pilatus 300k", 0.02, -0.01);
    const size_t npix = 619 * 487;
    int32_t *frame = random_frame(npix, bf_test_seed());
    bf_frame fr = {frame, BF_DTYPE_I32, 619, 487, NULL, NULL};
    for (int split = BF_SPLIT_NO; split <= BF_SPLIT_BBOX; split++)
        for (int algo = 0; algo < 2; algo++) {
            bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
            o.split = (bf_split)split;
            o.algorithm = (bf_algorithm)algo;
            o.npt = NR;
            o.error_model = BF_ERROR_AZIMUTHAL;
            o.has_radial_range = 1;
            o.radial_range[0] = 0.5;
            o.radial_range[1] = 20;
            bf_integrator *one, *two;
            assert_ok(bf_integrator_create(g, &o, &one));
            o.npt_azim = 1;
            assert_ok(bf_integrator_create(g, &o, &two));
            curve_buf c1 = curve_new(NR), c2 = curve_new(NR);
            assert_ok(bf_integrator_integrate1d(one, &fr, &c1.c));
            assert_ok(bf_integrator_integrate2d(two, &fr, &c2.c));
            size_t nonzero = 0;
            for (int r = 0; r < NR; r++) {
                assert_close(c2.c.intensity[r], c1.c.intensity[r], 1e-6, 0);
                assert_close(c2.c.sigma[r], c1.c.sigma[r], 1e-6, 0);
                nonzero += c1.c.sigma[r] > 0;
            }
            assert_true(nonzero > NR / 2);
            curve_free(&c1);
            curve_free(&c2);
            bf_integrator_destroy(one);
            bf_integrator_destroy(two);
        }
    free(frame);
    bf_geometry_destroy(g);
}

static void bad_inputs(void **state)
{
    (void)state;
    bf_geometry *g = make_geometry("Pilatus 100k", 0, 0);
    bf_integrator_options o = BF_INTEGRATOR_OPTIONS_INIT;
    bf_integrator *it = (bf_integrator *)1;
    o.npt = 0;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "npt must be");
    assert_null(it);
    o.npt = 100;
    o.unit = BF_UNIT_CHI_DEG;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "not a radial unit");
    o.unit = BF_UNIT_2TH_DEG;
    o.error_model = BF_ERROR_POISSON;
    o.has_polarization = 1;
    o.polarization_factor = 2;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "polarization");
    o.has_polarization = 0;
    o.has_radial_range = 1;
    o.radial_range[0] = 5;
    o.radial_range[1] = 1;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "radial range");
    o.has_radial_range = 0;
    o.has_azimuth_range = 1;
    o.azimuth_range[0] = NAN;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "azimuth range");
    o.azimuth_range[0] = -10;
    o.azimuth_range[1] = 10;
    o.split = BF_SPLIT_BBOX;
    o.has_azimuth_range = 0;
    o.has_dummy = 1;
    o.dummy = NAN;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "dummy");
    o.has_dummy = 0;
    o.split = (bf_split)7;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "splitting");
    o.split = BF_SPLIT_BBOX;
    o.algorithm = (bf_algorithm)7;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "algorithm");
    o.algorithm = BF_ALGO_CSR;
    uint8_t *all = malloc(195 * 487);
    memset(all, 1, 195 * 487);
    o.mask = all;
    assert_fails(bf_integrator_create(g, &o, &it), BF_EINVAL, "every pixel is masked");
    o.mask = NULL;
    free(all);
    assert_fails(bf_integrator_create(NULL, &o, &it), BF_EINVAL, "missing");
    /* geometries that cannot be integrated */
    bf_geometry_params p;
    bf_geometry_get_params(g, &p);
    const bf_detector *det = bf_geometry_detector(g);
    bf_geometry *bad;
    bf_geometry_params q = p;
    q.rot1 = M_PI / 2;
    assert_ok(bf_geometry_create(det, &q, &bad));
    assert_fails(bf_integrator_create(bad, &o, &it), BF_EINVAL, "parallel");
    bf_geometry_destroy(bad);
    q = p;
    q.dist = 0;
    assert_ok(bf_geometry_create(det, &q, &bad));
    assert_fails(bf_integrator_create(bad, &o, &it), BF_EINVAL, "distance");
    bf_geometry_destroy(bad);
    q = p;
    q.wavelength = 0;
    q.poni1 = INFINITY;
    assert_ok(bf_geometry_create(det, &q, &bad));
    assert_fails(bf_integrator_create(bad, &o, &it), BF_EINVAL, "non-finite");
    bf_geometry_destroy(bad);
    q = p;
    q.wavelength = 0;
    assert_ok(bf_geometry_create(det, &q, &bad));
    o.unit = BF_UNIT_Q_A;
    assert_fails(bf_integrator_create(bad, &o, &it), BF_EINVAL, "wavelength");
    bf_geometry_destroy(bad);
    o.unit = BF_UNIT_2TH_DEG;
    /* frames that do not fit */
    assert_ok(bf_integrator_create(g, &o, &it));
    int32_t *frame = calloc(195 * 487, 4);
    curve_buf cb = curve_new(100);
    bf_frame fr = {frame, BF_DTYPE_I32, 487, 195, NULL, NULL};
    assert_fails(bf_integrator_integrate1d(it, &fr, &cb.c), BF_EINVAL,
                 "frame shape 487 x 195 does not match the detector's 195 x 487");
    fr.rows = 195;
    fr.cols = 487;
    fr.dtype = BF_DTYPE_U8; /* a type the integrator does not read as it is */
    assert_fails(bf_integrator_integrate1d(it, &fr, &cb.c), BF_EINVAL, "uint8");
    fr.dtype = (bf_dtype)99;
    assert_fails(bf_integrator_integrate1d(it, &fr, &cb.c), BF_EINVAL, "dtype");
    fr.dtype = BF_DTYPE_I32;
    fr.data = NULL;
    assert_fails(bf_integrator_integrate1d(it, &fr, &cb.c), BF_EINVAL, "no data");
    fr.data = frame;
    bf_curve none = {0};
    assert_fails(bf_integrator_integrate1d(it, &fr, &none), BF_EINVAL, "intensity");
    assert_fails(bf_integrator_integrate1d(it, NULL, &cb.c), BF_EINVAL, "missing frame");
    bf_frame two[2] = {fr, fr};
    two[1].dtype = BF_DTYPE_U32;
    bf_curve outs[2] = {cb.c, cb.c};
    assert_fails(bf_integrator_integrate1d_batch(it, two, 2, outs), BF_EINVAL, "another dtype");
    two[1].rows = 3;
    assert_fails(bf_integrator_integrate1d_batch(it, two, 2, outs), BF_EINVAL,
                 "frame 1 of the batch");
    bf_integrator_destroy(it);
    /* histogram with many bins needs the sums in the curve */
    o.algorithm = BF_ALGO_HISTOGRAM;
    o.npt = 5000;
    assert_ok(bf_integrator_create(g, &o, &it));
    float *inten = malloc(5000 * 4);
    bf_curve small = {.intensity = inten};
    assert_fails(bf_integrator_integrate1d(it, &fr, &small), BF_EINVAL, "sum arrays");
    free(inten);
    bf_integrator_destroy(it);
    bf_integrator_destroy(NULL);
    curve_free(&cb);
    free(frame);
    bf_geometry_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(coefficients_sum_to_one),
        cmocka_unit_test(build_is_independent_of_threads),
        cmocka_unit_test(many_bins),
        cmocka_unit_test(signal_conserved_and_algorithms_agree),
        cmocka_unit_test(threads_batches_and_types_agree),
        cmocka_unit_test(batch_groups_match_single_frames),
        cmocka_unit_test(nan_pixels_equal_masked_pixels),
        cmocka_unit_test(cake_sums_to_curve),
        cmocka_unit_test(cake_azimuthal_error_model),
        cmocka_unit_test(bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
