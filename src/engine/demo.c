/* The engine demo pipeline (see include/beamflow/demo.h). Each item's random stream is
 * splitmix64 seeded by (seed, item): per item, never per worker or per unit, so results do not
 * depend on how the plan was cut or run. The sink stores per-item results and reduces them in
 * item order when asked, so the estimate is exact and reproducible. */
#include "beamflow/demo.h"

#include "core/error.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYTES_PER_SAMPLE 16 /* two doubles, as a real kernel would hold them */

typedef struct item_result {
    uint64_t hits;      /* points inside the quarter circle */
    double mean_radius; /* mean distance from the origin */
} item_result;

struct bf_demo_sink {
    bf_demo_options opt;
    item_result *items;
    unsigned char *have;
};

static bf_demo_options resolved(const bf_demo_options *in)
{
    bf_demo_options o = *in;
    if (!o.items)
        o.items = 256;
    if (!o.samples_per_item)
        o.samples_per_item = 1000000;
    if (!o.seed)
        o.seed = 2026;
    if (!o.chunk_bytes)
        o.chunk_bytes = 128ull << 20;
    return o;
}

bf_status bf_demo_plan(const bf_demo_options *in, bf_plan **out)
{
    bf_demo_options o = resolved(in);
    bf_plan *plan = NULL;
    bf_status st = bf_plan_create("demo", &plan);
    if (st)
        return st;
    uint64_t shape[2] = {o.items, o.samples_per_item};
    const char *axes[2] = {"item", "sample"};
    if ((st = bf_plan_set_shape(plan, 2, shape, axes, "float64x2", BYTES_PER_SAMPLE)) ||
        (st = bf_plan_add_range(plan, 0, o.items, o.samples_per_item * BYTES_PER_SAMPLE,
                                o.chunk_bytes, o.max_batch, 0, "items"))) {
        bf_plan_destroy(plan);
        return st;
    }
    *out = plan;
    return BF_OK;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static item_result run_item(uint64_t seed, uint64_t item, uint64_t samples)
{
    uint64_t s = seed * 0x632BE59BD9B4E019ull ^ (item + 1) * 0x9E3779B97F4A7C15ull;
    uint64_t hits = 0;
    double radius = 0.0;
    for (uint64_t k = 0; k < samples; k++) {
        double x = (double)(splitmix64(&s) >> 11) * 0x1.0p-53;
        double y = (double)(splitmix64(&s) >> 11) * 0x1.0p-53;
        double r2 = x * x + y * y;
        hits += r2 <= 1.0;
        radius += sqrt(r2);
    }
    return (item_result){hits, samples ? radius / (double)samples : 0.0};
}

static bf_status demo_start(const void *job, const bf_worker_info *info, void **state)
{
    (void)info;
    *state = (void *)job;
    return BF_OK;
}

static bf_status demo_run(void *state, const bf_unit *unit, bf_result *out)
{
    bf_demo_options o = resolved(state);
    item_result *r;
    double t0 = bf_time_now();
    bf_status st = bf_result_alloc(out, unit->count * sizeof *r, (void **)&r);
    if (st)
        return st;
    for (uint64_t i = 0; i < unit->count; i++)
        r[i] = run_item(o.seed, unit->first + i, o.samples_per_item);
    double t1 = bf_time_now();
    bf_result_phase(out, "sample", t0, t1);
    if (o.unit_delay_s > 0) {
        struct timespec ts = {(time_t)o.unit_delay_s,
                              (long)((o.unit_delay_s - floor(o.unit_delay_s)) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        bf_result_phase(out, "sleep", t1, bf_time_now());
    }
    return BF_OK;
}

static bf_status demo_accept(void *sink_, const bf_unit *unit, const void *data, size_t bytes)
{
    bf_demo_sink *sink = sink_;
    if (bytes != unit->count * sizeof(item_result) || unit->first + unit->count > sink->opt.items)
        return bf__error_set(BF_EINTERNAL, "demo: unit %" PRIu64 " brought %zu bytes for %" PRIu64
                                           " items", unit->id, bytes, unit->count);
    memcpy(sink->items + unit->first, data, bytes);
    for (uint64_t i = 0; i < unit->count; i++)
        sink->have[unit->first + i] = 1;
    return BF_OK;
}

static const bf_pipeline demo_pipeline = {
    .name = "demo",
    .worker_start = demo_start,
    .run_unit = demo_run,
    .worker_stop = NULL,
    .accept = demo_accept,
    .flags = BF_PIPELINE_REDUCES,
};

const bf_pipeline *bf_demo_pipeline(void) { return &demo_pipeline; }

bf_status bf_demo_sink_create(const bf_demo_options *opt, bf_demo_sink **out)
{
    *out = NULL;
    bf_demo_sink *s = calloc(1, sizeof *s);
    if (!s)
        return bf__error_set(BF_ENOMEM, "out of memory for the demo sink");
    s->opt = resolved(opt);
    s->items = calloc(s->opt.items, sizeof *s->items);
    s->have = calloc(s->opt.items, 1);
    if (!s->items || !s->have) {
        bf_demo_sink_destroy(s);
        return bf__error_set(BF_ENOMEM, "out of memory for %" PRIu64 " demo items", opt->items);
    }
    *out = s;
    return BF_OK;
}

void bf_demo_sink_destroy(bf_demo_sink *sink)
{
    if (!sink)
        return;
    free(sink->items);
    free(sink->have);
    free(sink);
}

double bf_demo_sink_pi(const bf_demo_sink *sink)
{
    uint64_t hits = 0, samples = 0;
    for (uint64_t i = 0; i < sink->opt.items; i++)
        if (sink->have[i]) {
            hits += sink->items[i].hits;
            samples += sink->opt.samples_per_item;
        }
    return samples ? 4.0 * (double)hits / (double)samples : 0.0;
}

bf_status bf_demo_sink_write(const bf_demo_sink *sink, const char *path)
{
    char tmp[4200];
    bf_file_temp_name(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    fprintf(f, "# beamflow demo: Monte Carlo pi, %" PRIu64 " items x %" PRIu64 " samples, seed %"
               PRIu64 "\n# pi = %.17g\n# item hits mean_radius\n",
            sink->opt.items, sink->opt.samples_per_item, sink->opt.seed, bf_demo_sink_pi(sink));
    for (uint64_t i = 0; i < sink->opt.items; i++)
        fprintf(f, "%" PRIu64 " %" PRIu64 " %a\n", i, sink->items[i].hits,
                sink->items[i].mean_radius);
    if (fclose(f) != 0) {
        remove(tmp);
        return bf__error_errno(BF_EIO, errno, "%s: cannot write", tmp);
    }
    return bf_file_commit(tmp, path);
}
