/* Per-frame kernels of the ai module: shared pieces of integrate.c, histogram.c and batch.c. */
#ifndef BF_AI_INTEGRATE_H
#define BF_AI_INTEGRATE_H

#include <math.h>

#include "ai/ai_internal.h"

typedef struct bf__sums {
    double signal, variance, norm, count;
} bf__sums;

/* What makes a pixel invalid in this frame (pyFAI's dynamic mask). */
typedef struct bf__invalid_test {
    const uint8_t *mask;
    const float *dark;
    int has_dummy;
    float dummy, delta_dummy;
} bf__invalid_test;

static inline bf__invalid_test bf__invalid_test_make(const bf_integrator *it, const bf_frame *f)
{
    bf__invalid_test t = {f->invalid, f->dark, it->has_dummy, (float)it->dummy,
                          (float)it->delta_dummy};
    return t;
}

static inline int bf__invalid(const bf__invalid_test *t, float raw, size_t k)
{
    if (!isfinite(raw))
        return 1;
    if (t->mask && t->mask[k])
        return 1;
    if (t->has_dummy &&
        (t->delta_dummy == 0 ? raw == t->dummy : fabsf(raw - t->dummy) <= t->delta_dummy))
        return 1;
    return t->dark && !isfinite(t->dark[k]);
}

/* The Poisson variance is max(raw, floor): 1 as pyFAI's 1D engines (poissonian), -inf (variance
 * = raw) in 2D, where pyFAI 0.21.3's integrate2d_ng passes the frame itself as the variance. */
static inline float bf__var_floor(const bf_integrator *it)
{
    return it->var_raw ? -INFINITY : 1.0f;
}

/* Per-chunk accumulators of the CSR kernels (on the stack: 24 KiB). */
typedef struct bf__chunk_acc {
    double s[BF__CHUNK_BINS], v[BF__CHUNK_BINS], bad_n[BF__CHUNK_BINS], bad_c[BF__CHUNK_BINS];
    int64_t nbad[BF__CHUNK_BINS], n[BF__CHUNK_BINS];
} bf__chunk_acc;

void bf__chunk_zero(bf__chunk_acc *a);
/* Second pass of the azimuthal error model over chunk ch: adds the variance to acc->v. */
void bf__azimuthal_chunk(const bf_integrator *it, const bf_frame *f, size_t ch,
                         bf__chunk_acc *acc);
/* Finish the bins [base, base + BF__CHUNK_BINS) of out from a chunk's accumulators. */
void bf__chunk_finish(const bf_integrator *it, size_t base, const bf__chunk_acc *a,
                      bf_curve *out);

/* The AVX2 kernels prefetch the frame value of the entry this many entries ahead: the gathers
 * from a tile's first touch, not the matrix stream, are what the kernels wait on. */
#define BF__PREFETCH 128

typedef void (*bf__csr_kernel)(const bf_integrator *it, const bf_frame *f, bf_curve *out);

/* 1 if the CPU runs AVX2 (asked once per integrator, at create). */
int bf__cpu_has_avx2(void);

/* The AVX2 checking kernel (non-finite values and darks, dark subtraction; no dummy and no
 * per-frame mask) for a frame type, or NULL (csr_avx2.c). */
bf__csr_kernel bf__csr_avx2_check_kernel(bf_dtype dtype, int var);

/* The AVX2 kernel for a frame type without invalid pixels, or NULL (csr_avx2.c). */
bf__csr_kernel bf__csr_avx2_kernel(bf_dtype dtype, int var);

/* A kernel for nf frames of one dtype in one pass over the matrix; acc: nf chunk accumulators
 * of the caller's (stack) storage. */
typedef void (*bf__csr_multi_kernel)(const bf_integrator *it, const bf_frame *f, bf_curve *out,
                                     bf__chunk_acc *acc);

/* The AVX2 kernel for nf = 2 frames without invalid pixels, or NULL (csr_avx2_batch.c). */
bf__csr_multi_kernel bf__csr_avx2_multi_kernel(bf_dtype dtype, int var, int nf);

/* 1 if this frame may hold invalid pixels (float data, dummy, per-frame mask or dark). */
int bf__needs_check(const bf_integrator *it, const bf_frame *f);

bf_status bf__frame_check(const bf_integrator *it, const bf_frame *f, const bf_curve *out);

/* Copy the radial (and azimuthal) bin centres into out. */
void bf__axes_finish(const bf_integrator *it, bf_curve *out);

/* Write bin b of out from its sums (intensity, sigma, optional sums and radial). */
void bf__bin_finish(const bf_integrator *it, size_t b, const bf__sums *s, int empty,
                    bf_curve *out);

/* Histogram (pixel-major scatter) integration of nframes frames; frames already checked. */
bf_status bf__histogram_integrate(const bf_integrator *it, const bf_frame *frames,
                                  size_t nframes, bf_curve *out);

/* CSR integration of a batch of frames in one pass over the matrix; frames already checked. */
bf_status bf__csr_batch(const bf_integrator *it, const bf_frame *frames, size_t nframes,
                        bf_curve *out);

/* Frame value k as float32, as pyFAI converts its input. */
static inline float bf__load(const void *data, bf_dtype dt, size_t k)
{
    switch (dt) {
    case BF_DTYPE_I32: return (float)((const int32_t *)data)[k];
    case BF_DTYPE_U32: return (float)((const uint32_t *)data)[k];
    case BF_DTYPE_U16: return (float)((const uint16_t *)data)[k];
    case BF_DTYPE_F32: return ((const float *)data)[k];
    default: return (float)((const double *)data)[k];
    }
}

#endif
