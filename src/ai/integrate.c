/* Per-frame integration: the CSR kernel (bins x pixels) and the frame checks shared with the
 * histogram kernel (histogram.c). pyFAI's preprocessing is applied on the fly, in float32 as
 * pyFAI: raw -> float32; invalid if NaN/inf, equal to dummy (within delta_dummy), flagged in the
 * per-frame mask, or its dark is NaN; signal = raw - dark; poisson variance = max(raw, 1)
 * (pyFAI 0.21.3's CSR/histogram engines ignore the dark in the variance: verified numerically);
 * in 2D poisson variance = raw (bf__var_floor: integrate2d_ng passes the frame as variance).
 * The sums are accumulated in double: signal += c*signal, variance += c^2*variance (azimuthal
 * model: a second pass, bf__azimuthal_chunk), and the static normalisation / count per bin
 * (precomputed) less the contribution of invalid pixels.
 * Summation order is fixed by the matrix alone: within a segment (a row of the tiled matrix)
 * entry e goes to accumulator (e - start) % 4 and the last n % 4 entries to accumulator 0; a
 * bin's segments are added in row order. So every kernel (scalar, checking, AVX2), single or
 * batched, gives the same bits for the same frame.
 * Invariants: nothing is allocated (chunk accumulators live on the stack) and the integrator is
 * only read, so any number of threads may integrate with one integrator; the matrix is
 * streamed once per call. */
#include <math.h>
#include <string.h>

#include "ai/integrate.h"
#include "core/error.h"

int bf_frame_dtype_supported(bf_dtype dt)
{
    return dt == BF_DTYPE_I32 || dt == BF_DTYPE_U32 || dt == BF_DTYPE_U16 || dt == BF_DTYPE_F32 ||
           dt == BF_DTYPE_F64;
}

bf_status bf__frame_check(const bf_integrator *it, const bf_frame *f, const bf_curve *out)
{
    if (!f || !out)
        return bf__error_set(BF_EINVAL, "missing frame or output curve");
    if (!f->data)
        return bf__error_set(BF_EINVAL, "frame has no data");
    if (f->rows != it->rows || f->cols != it->cols)
        return bf__error_set(BF_EINVAL, "frame shape %zu x %zu does not match the detector's "
                                        "%zu x %zu", f->rows, f->cols, it->rows, it->cols);
    if (!bf_frame_dtype_supported(f->dtype))
        return bf__error_set(BF_EINVAL, "frames of dtype %s cannot be integrated as they are",
                             bf_dtype_name(f->dtype));
    if (!out->intensity)
        return bf__error_set(BF_EINVAL, "output curve has no intensity array");
    return BF_OK;
}

void bf__bin_finish(const bf_integrator *it, size_t b, const bf__sums *s, int empty,
                    bf_curve *out)
{
    if (out->sum_signal)
        out->sum_signal[b] = s->signal;
    if (out->sum_variance)
        out->sum_variance[b] = s->variance;
    if (out->sum_normalization)
        out->sum_normalization[b] = s->norm;
    if (out->count)
        out->count[b] = s->count;
    if (empty) {
        out->intensity[b] = (float)it->empty;
        if (out->sigma)
            out->sigma[b] = it->em == BF_ERROR_NONE ? 0.0f : (float)it->empty;
        return;
    }
    out->intensity[b] = (float)(s->signal / s->norm);
    if (out->sigma)
        out->sigma[b] = it->em == BF_ERROR_NONE ? 0.0f : (float)(sqrt(s->variance) / s->norm);
}

void bf__chunk_zero(bf__chunk_acc *a)
{
    memset(a, 0, sizeof *a);
}

void bf__chunk_finish(const bf_integrator *it, size_t base, const bf__chunk_acc *a,
                      bf_curve *out)
{
    const size_t nb = it->nbins - base < BF__CHUNK_BINS ? it->nbins - base : BF__CHUNK_BINS;
    for (size_t i = 0; i < nb; i++) {
        bf__sums r = {a->s[i], a->v[i], it->bin_norm[base + i] - a->bad_n[i],
                      it->bin_count[base + i] - a->bad_c[i]};
        const int none_valid = a->nbad[i] == a->n[i];
        if (none_valid)
            r.norm = r.count = 0;
        bf__bin_finish(it, base + i, &r, none_valid || r.norm == 0, out);
    }
}

/* The azimuthal error model, second pass over one chunk (its bins' signal and normalisation
 * are complete): variance = sum over valid entries of c * norm * (signal/norm - mean)^2 with
 * mean = sum(c signal) / sum(c norm) of the bin. This is pyFAI 0.21.3's weighted running
 * (Welford-type) update in closed form, verified against pyFAI to 1e-15 relative. */
void bf__azimuthal_chunk(const bf_integrator *it, const bf_frame *f, size_t ch,
                         bf__chunk_acc *acc)
{
    const bf__matrix *m = &it->m;
    const size_t base = ch * BF__CHUNK_BINS;
    const bf__invalid_test inv = bf__invalid_test_make(it, f);
    const int check = bf__needs_check(it, f);
    for (size_t r = m->chunk_row[ch]; r < m->chunk_row[ch + 1]; r++) {
        const size_t b = (size_t)m->row_bin[r] - base;
        const double norm = it->bin_norm[base + b] - acc->bad_n[b];
        if (acc->nbad[b] == acc->n[b] || norm == 0)
            continue;
        const double mean = acc->s[b] / norm;
        double v = 0;
        for (int64_t e = m->row_ptr[r]; e < m->row_ptr[r + 1]; e++) {
            const size_t k = (size_t)m->col[e];
            const float raw = bf__load(f->data, f->dtype, k);
            if (check && bf__invalid(&inv, raw, k))
                continue;
            const float sig = f->dark ? raw - f->dark[k] : raw;
            const double d = (double)sig / it->norm[k] - mean;
            v += (double)m->coef[e] * it->norm[k] * d * d;
        }
        acc->v[b] += v;
    }
}

/* One CSR kernel per input type and per (check invalid pixels, want variance) pair; the flags
 * are compile-time constants so the common case (integer frame, no dummy/mask/dark) is a lean
 * gather-multiply-add loop with four independent accumulators. The matrix is walked chunk by
 * chunk of bins, segment by segment (one bin inside one detector tile, see ai_internal.h). */
#define DEFINE_CSR_KERNEL(NAME, T, CHECK, VAR)                                                  \
    static void NAME(const bf_integrator *it, const bf_frame *f, bf_curve *out)                 \
    {                                                                                           \
        const T *restrict data = f->data;                                                       \
        const float *restrict dark = f->dark;                                                   \
        const int32_t *restrict col = it->m.col;                                                \
        const float *restrict coef = it->m.coef;                                                \
        const int64_t *restrict ptr = it->m.row_ptr;                                            \
        bf__invalid_test inv = bf__invalid_test_make(it, f);                                    \
        const float vfl = bf__var_floor(it);                                                    \
        bf__chunk_acc acc;                                                                      \
        (void)inv;                                                                              \
        (void)vfl;                                                                              \
        (void)dark;                                                                             \
        for (size_t ch = 0; ch < it->m.nchunks; ch++) {                                         \
            const size_t base = ch * BF__CHUNK_BINS;                                            \
            bf__chunk_zero(&acc);                                                               \
            for (size_t r = it->m.chunk_row[ch]; r < it->m.chunk_row[ch + 1]; r++) {            \
                double s[4] = {0, 0, 0, 0}, v[4] = {0, 0, 0, 0}, bad_n = 0, bad_c = 0;          \
                const int64_t e0 = ptr[r], end = ptr[r + 1], e4 = e0 + ((end - e0) & ~3);       \
                int64_t e = e0, nbad = 0;                                                       \
                if (!CHECK) {                                                                   \
                    for (; e < e4; e += 4)                                                      \
                        for (int u = 0; u < 4; u++) {                                           \
                            const float raw = (float)data[col[e + u]];                          \
                            const double c = coef[e + u];                                       \
                            s[u] += c * raw;                                                    \
                            if (VAR)                                                            \
                                v[u] += c * c * (raw > vfl ? raw : vfl);                        \
                        }                                                                       \
                }                                                                               \
                for (; e < end; e++) {                                                          \
                    const int32_t k = col[e];                                                   \
                    const float raw = (float)data[k];                                           \
                    const double c = coef[e];                                                   \
                    if (CHECK && bf__invalid(&inv, raw, (size_t)k)) {                           \
                        bad_n += c * it->norm[k];                                               \
                        bad_c += c;                                                             \
                        nbad++;                                                                 \
                        continue;                                                               \
                    }                                                                           \
                    float sig = raw;                                                            \
                    if (CHECK && dark)                                                          \
                        sig -= dark[k];                                                         \
                    const int u = e < e4 ? (int)((e - e0) & 3) : 0;                             \
                    s[u] += c * sig;                                                            \
                    if (VAR)                                                                    \
                        v[u] += c * c * (raw > vfl ? raw : vfl);                                \
                }                                                                               \
                const size_t b = (size_t)it->m.row_bin[r] - base;                               \
                acc.s[b] += (s[0] + s[1]) + (s[2] + s[3]);                                      \
                acc.v[b] += (v[0] + v[1]) + (v[2] + v[3]);                                      \
                acc.bad_n[b] += bad_n;                                                          \
                acc.bad_c[b] += bad_c;                                                          \
                acc.nbad[b] += nbad;                                                            \
                acc.n[b] += end - e0;                                                           \
            }                                                                                   \
            if (it->em == BF_ERROR_AZIMUTHAL)                                                   \
                bf__azimuthal_chunk(it, f, ch, &acc);                                           \
            bf__chunk_finish(it, base, &acc, out);                                              \
        }                                                                                       \
    }

#define DEFINE_CSR_FAMILY(SUFFIX, T)                                                            \
    DEFINE_CSR_KERNEL(csr_##SUFFIX##_00, T, 0, 0)                                               \
    DEFINE_CSR_KERNEL(csr_##SUFFIX##_01, T, 0, 1)                                               \
    DEFINE_CSR_KERNEL(csr_##SUFFIX##_10, T, 1, 0)                                               \
    DEFINE_CSR_KERNEL(csr_##SUFFIX##_11, T, 1, 1)

DEFINE_CSR_FAMILY(i32, int32_t)
DEFINE_CSR_FAMILY(u32, uint32_t)
DEFINE_CSR_FAMILY(u16, uint16_t)
DEFINE_CSR_FAMILY(f32, float)
DEFINE_CSR_FAMILY(f64, double)

/* Indexed by bf_dtype; the types bf_frame_dtype_supported refuses have no kernel. */
static const bf__csr_kernel csr_kernels[BF_DTYPE_F64 + 1][4] = {
    [BF_DTYPE_I32] = {csr_i32_00, csr_i32_01, csr_i32_10, csr_i32_11},
    [BF_DTYPE_U32] = {csr_u32_00, csr_u32_01, csr_u32_10, csr_u32_11},
    [BF_DTYPE_U16] = {csr_u16_00, csr_u16_01, csr_u16_10, csr_u16_11},
    [BF_DTYPE_F32] = {csr_f32_00, csr_f32_01, csr_f32_10, csr_f32_11},
    [BF_DTYPE_F64] = {csr_f64_00, csr_f64_01, csr_f64_10, csr_f64_11},
};

int bf__needs_check(const bf_integrator *it, const bf_frame *f)
{
    return it->has_dummy || f->invalid || f->dark || f->dtype == BF_DTYPE_F32 ||
           f->dtype == BF_DTYPE_F64;
}

void bf__axes_finish(const bf_integrator *it, bf_curve *out)
{
    if (out->radial)
        memcpy(out->radial, it->radial, it->npt * sizeof(double));
    if (out->azimuthal && it->azimuthal)
        memcpy(out->azimuthal, it->azimuthal, it->npt_azim * sizeof(double));
}

bf_status bf_integrator_integrate2d(const bf_integrator *it, const bf_frame *f, bf_curve *out)
{
    if (it && !it->npt_azim)
        return bf__error_set(BF_EINVAL, "integrate2d needs an integrator built with npt_azim > 0");
    return bf_integrator_integrate1d(it, f, out);
}

bf_status bf_integrator_integrate1d(const bf_integrator *it, const bf_frame *f, bf_curve *out)
{
    bf_status st;
    if (!it)
        return bf__error_set(BF_EINVAL, "missing integrator");
    if ((st = bf__frame_check(it, f, out)))
        return st;
    bf__axes_finish(it, out);
    if (it->algo == BF_ALGO_HISTOGRAM)
        return bf__histogram_integrate(it, f, 1, out);
    const int check = bf__needs_check(it, f), var = it->em == BF_ERROR_POISSON;
    bf__csr_kernel k = NULL;
    if (it->simd && !check)
        k = bf__csr_avx2_kernel(f->dtype, var);
    else if (it->simd && !it->has_dummy && !f->invalid)
        k = bf__csr_avx2_check_kernel(f->dtype, var);
    (k ? k : csr_kernels[f->dtype][check * 2 + var])(it, f, out);
    return BF_OK;
}

bf_status bf_integrator_integrate1d_batch(const bf_integrator *it, const bf_frame *frames,
                                          size_t nframes, bf_curve *out)
{
    bf_status st;
    if (!it || (!frames && nframes))
        return bf__error_set(BF_EINVAL, "missing integrator or frames");
    for (size_t i = 0; i < nframes; i++) {
        if ((st = bf__frame_check(it, &frames[i], &out[i])))
            return bf__error_prefix(st, "frame %zu of the batch: ", i);
        if (frames[i].dtype != frames[0].dtype)
            return bf__error_set(BF_EINVAL, "frame %zu of the batch has another dtype", i);
    }
    for (size_t i = 0; i < nframes; i++)
        bf__axes_finish(it, &out[i]);
    if (it->algo == BF_ALGO_HISTOGRAM)
        return bf__histogram_integrate(it, frames, nframes, out);
    return bf__csr_batch(it, frames, nframes, out);
}

bf_status bf_method_parse(const char *text, bf_split *split, bf_algorithm *algo)
{
    if (!text)
        return bf__error_set(BF_EINVAL, "missing method");
    char buf[64];
    if (strlen(text) >= sizeof buf)
        return bf__error_set(BF_EINVAL, "method '%.40s...' is too long", text);
    strcpy(buf, text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (strcmp(tok, "no") == 0 || strcmp(tok, "nosplit") == 0)
            *split = BF_SPLIT_NO;
        else if (strcmp(tok, "bbox") == 0)
            *split = BF_SPLIT_BBOX;
        else if (strcmp(tok, "full") == 0)
            *split = BF_SPLIT_FULL;
        else if (strcmp(tok, "csr") == 0)
            *algo = BF_ALGO_CSR;
        else if (strcmp(tok, "histogram") == 0)
            *algo = BF_ALGO_HISTOGRAM;
        else if (strcmp(tok, "cython") == 0 || strcmp(tok, "c") == 0)
            continue; /* pyFAI's implementation part: we have one */
        else
            return bf__error_set(BF_EINVAL, "unknown method part '%s' in '%s' (no, bbox, full; "
                                            "csr, histogram)", tok, text);
    }
    return BF_OK;
}

bf_status bf_error_model_parse(const char *text, bf_error_model *out)
{
    if (!text)
        return bf__error_set(BF_EINVAL, "missing error model");
    if (strcmp(text, "none") == 0 || strcmp(text, "") == 0)
        *out = BF_ERROR_NONE;
    else if (strcmp(text, "poisson") == 0)
        *out = BF_ERROR_POISSON;
    else if (strcmp(text, "azimuthal") == 0)
        *out = BF_ERROR_AZIMUTHAL;
    else
        return bf__error_set(BF_EINVAL, "unknown error model '%s' (none, poisson, azimuthal)",
                             text);
    return BF_OK;
}
