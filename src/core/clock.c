/* Monotonic time for durations and rates; never the wall clock, which can jump. */
#include "beamflow/core.h"

#include <time.h>

double bf_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
