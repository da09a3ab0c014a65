/* The engine demo: a Monte Carlo estimate of pi, small enough to run anywhere and shaped like
 * the real pipelines. Item i draws `samples_per_item` points from its own random stream (seeded
 * by (seed, i) only), so the answer is bitwise identical whatever the scheduler, the number of
 * workers or the unit size: the property every beamflow pipeline keeps. */
#ifndef BEAMFLOW_DEMO_H
#define BEAMFLOW_DEMO_H

#include "beamflow/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_demo_options {
    uint64_t items;            /* items in the job; 0: 256 */
    uint64_t samples_per_item; /* random points per item; 0: 1 000 000 */
    uint64_t seed;             /* 0: 2026 */
    uint64_t max_batch;        /* items per unit; 0: from chunk_bytes */
    uint64_t chunk_bytes;      /* unit budget in bytes (16 B per sample); 0: 128 MiB */
    double unit_delay_s;       /* extra sleep per unit, to watch progress or test kills; 0 */
} bf_demo_options;

#define BF_DEMO_OPTIONS_INIT {0, 0, 0, 0, 0, 0.0}

/** The plan for these options, with defaults filled in. [thread-safe] */
bf_status bf_demo_plan(const bf_demo_options *opt, bf_plan **out /* OUT */);

/** The pipeline; its job is a `const bf_demo_options *`. */
const bf_pipeline *bf_demo_pipeline(void);

typedef struct bf_demo_sink bf_demo_sink;

bf_status bf_demo_sink_create(const bf_demo_options *opt, bf_demo_sink **out /* OUT */);
void bf_demo_sink_destroy(bf_demo_sink *sink);

/** The estimate of pi from the items accepted so far. */
double bf_demo_sink_pi(const bf_demo_sink *sink);

/** Write the result as text (estimate, then one line per item: hits and mean distance), whole:
 *  under a temporary name, then renamed. [handle-confined] */
bf_status bf_demo_sink_write(const bf_demo_sink *sink, const char *path);

#ifdef __cplusplus
}
#endif
#endif
