/* Allocation of the multislice's large arrays (exit waves, mixed transmission function and wave,
 * potential workspaces, propagators). Every run faults its arrays in afresh (glibc returns freed
 * blocks of this size to the system), and on the VMs we measured a fresh 4 KiB page costs
 * 1.5-3 us: ~17 MB of them were 10-15% of an HRTEM run of Au 5x5x2. Transparent huge pages
 * (asked for with madvise, the kernel's default policy) fault in 2 MiB at a time; from 1 MiB up
 * one such fault (zeroing 2 MiB) is cheaper than 256 small ones. Blocks are 2 MiB aligned (so
 * FFTW's alignment holds) and are released with free(). src/ai/big_alloc.c does the same for the
 * integrator; one copy in src/core would serve both. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>

#include "ms/potential_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *bf__ms_big_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes < HUGE_PAGE / 2)
        return posix_memalign(&p, 64, bytes ? bytes : 1) ? NULL : p;
    const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (posix_memalign(&p, HUGE_PAGE, rounded))
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
#endif
    return p;
}
