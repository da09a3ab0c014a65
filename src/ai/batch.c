/* Batched CSR integration: pairs of frames that cannot hold invalid pixels go through the
 * two-frame AVX2 kernels (csr_avx2_batch.c: one pass over the matrix per pair; why pairs and
 * not larger groups is measured there), the rest frame after frame through the single-frame
 * kernels. Every frame gets the same bits as alone (same accumulators, same order), so grouping
 * changes the speed, never the answer. A pair's chunk accumulators live on the stack
 * (2 x 24 KiB); nothing is allocated. */
#include "ai/integrate.h"
#include "core/error.h"

/* How many frames from i on go through one multi-frame kernel: 2 or 1. */
static int group_size(const bf_integrator *it, const bf_frame *frames, size_t i, size_t n)
{
    return it->simd && i + 1 < n && !bf__needs_check(it, &frames[i]) &&
                   !bf__needs_check(it, &frames[i + 1])
               ? 2
               : 1;
}

bf_status bf__csr_batch(const bf_integrator *it, const bf_frame *frames, size_t nframes,
                        bf_curve *out)
{
    const int var = it->em == BF_ERROR_POISSON;
    size_t i = 0;
    while (i < nframes) {
        const int g = group_size(it, frames, i, nframes);
        bf__csr_multi_kernel k = g > 1 ? bf__csr_avx2_multi_kernel(frames[i].dtype, var, g) : NULL;
        if (k) {
            bf__chunk_acc acc[2];
            k(it, &frames[i], &out[i], acc);
            i += (size_t)g;
            continue;
        }
        bf_status st = bf_integrator_integrate1d(it, &frames[i], &out[i]);
        if (st)
            return st;
        i++;
    }
    return BF_OK;
}
