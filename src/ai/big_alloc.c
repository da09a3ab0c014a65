/* Allocation of the integrator's large arrays (the matrix, per-pixel geometry). On the VMs we
 * measured, faulting in fresh 4 KiB pages cost ~1.5 us each: 0.1 s for the 70 MB matrix of a
 * Pilatus 2M, as long as the rest of the build. Transparent huge pages (asked for with madvise,
 * the kernel's default policy) fault in 2 MiB at a time: 5-10x less. The per-frame kernel also
 * streams these arrays, with fewer TLB misses. Blocks are released with free(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>

#include "ai/ai_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *bf__big_alloc(size_t bytes)
{
    if (bytes < 2 * HUGE_PAGE)
        return malloc(bytes ? bytes : 1);
    void *p = NULL;
    const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (posix_memalign(&p, HUGE_PAGE, rounded))
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
#endif
    return p;
}
