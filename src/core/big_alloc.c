/* Allocation of the large arrays that a run faults in afresh: the integrator's matrix and
 * per-pixel geometry, the multislice's exit waves and workspaces. On the VMs we measured, a
 * fresh 4 KiB page costs ~1.5 us to fault in: 0.1 s for the 70 MB matrix of a Pilatus 2M (as
 * long as the rest of its build) and ~10 % of an HRTEM run of Au 5x5x2. Transparent huge pages
 * (asked for with madvise; the kernel's default policy) fault in 2 MiB at a time, 5-10x less,
 * and the kernels that stream these arrays take fewer TLB misses. Smaller blocks are 64-byte
 * aligned, which covers FFTW's and AVX's alignment. Every block is released with free(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>

#include "core/memory.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *bf__big_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes < HUGE_PAGE)
        return posix_memalign(&p, 64, bytes ? bytes : 1) ? NULL : p;
    const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (posix_memalign(&p, HUGE_PAGE, rounded))
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
#endif
    return p;
}
