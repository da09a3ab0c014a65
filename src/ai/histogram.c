/* The histogram algorithm: the matrix is stored pixel-major (one row per pixel, its bins and
 * coefficients), each pixel of the frame is read once and scattered into the bins. Same sums as
 * the CSR kernel (pyFAI's histogram engines), so CSR and histogram agree to rounding.
 * Invariant: allocates nothing; the four accumulators live in the caller's curve when given, on
 * the stack otherwise (hence the BF_HIST_STACK_NPT limit for callers that give no sums). */
#include <string.h>

#include "ai/integrate.h"
#include "core/error.h"

#define BF_HIST_STACK_NPT 4096

static bf_status one_frame(const bf_integrator *it, const bf_frame *f, bf_curve *out)
{
    const size_t npt = it->nbins;
    double stack[4][BF_HIST_STACK_NPT];
    double *acc[4] = {out->sum_signal, out->sum_variance, out->sum_normalization, out->count};
    for (int a = 0; a < 4; a++) {
        if (!acc[a]) {
            if (npt > BF_HIST_STACK_NPT)
                return bf__error_set(BF_EINVAL, "histogram integration with npt > %d needs the "
                                                "four sum arrays in the output curve",
                                     BF_HIST_STACK_NPT);
            acc[a] = stack[a];
        }
        memset(acc[a], 0, npt * sizeof(double));
    }
    const bf__invalid_test inv = bf__invalid_test_make(it, f);
    const int check = bf__needs_check(it, f);
    const float vfl = bf__var_floor(it);
    const bf__matrix *m = &it->m;
    for (size_t k = 0; k < m->nrows; k++) {
        const int64_t e0 = m->row_ptr[k], e1 = m->row_ptr[k + 1];
        if (e0 == e1)
            continue;
        const float raw = bf__load(f->data, f->dtype, k);
        if (check && bf__invalid(&inv, raw, k))
            continue;
        float sig = raw, var = raw > vfl ? raw : vfl;
        if (f->dark) {
            sig -= f->dark[k];
            if (!it->var_raw)
                var += f->dark[k];
        }
        const double n = it->norm[k];
        for (int64_t e = e0; e < e1; e++) {
            const size_t b = (size_t)m->col[e];
            const double c = m->coef[e];
            acc[0][b] += c * sig;
            acc[1][b] += c * c * var;
            acc[2][b] += c * n;
            acc[3][b] += c;
        }
    }
    if (it->em == BF_ERROR_AZIMUTHAL) { /* second pass: spread around each bin's mean */
        memset(acc[1], 0, npt * sizeof(double));
        for (size_t k = 0; k < m->nrows; k++) {
            const int64_t e0 = m->row_ptr[k], e1 = m->row_ptr[k + 1];
            if (e0 == e1)
                continue;
            const float raw = bf__load(f->data, f->dtype, k);
            if (check && bf__invalid(&inv, raw, k))
                continue;
            const float sig = f->dark ? raw - f->dark[k] : raw;
            const double x = (double)sig / it->norm[k];
            for (int64_t e = e0; e < e1; e++) {
                const size_t b = (size_t)m->col[e];
                const double d = x - acc[0][b] / acc[2][b];
                acc[1][b] += (double)m->coef[e] * it->norm[k] * d * d;
            }
        }
    }
    /* bf__bin_finish writes the sums back into out's arrays: copy first (they may alias). */
    for (size_t b = 0; b < npt; b++) {
        bf__sums s = {acc[0][b], it->em == BF_ERROR_NONE ? 0 : acc[1][b], acc[2][b], acc[3][b]};
        bf__bin_finish(it, b, &s, s.count == 0, out);
    }
    return BF_OK;
}

bf_status bf__histogram_integrate(const bf_integrator *it, const bf_frame *frames,
                                  size_t nframes, bf_curve *out)
{
    for (size_t i = 0; i < nframes; i++) {
        bf_status st = one_frame(it, &frames[i], &out[i]);
        if (st)
            return st;
    }
    return BF_OK;
}
