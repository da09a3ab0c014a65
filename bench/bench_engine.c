/* beamflow bench engine: the engine's own overhead per unit, with units that do nothing, on each
 * scheduler. Goals on a 2-core machine: threads < 20 us per unit, processes < 200 us. */
#include "bench.h"

#include "beamflow/beamflow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bf_status empty_start(const void *job, const bf_worker_info *info, void **state)
{
    (void)job, (void)info;
    *state = NULL;
    return BF_OK;
}

static bf_status empty_run(void *state, const bf_unit *unit, bf_result *out)
{
    (void)state;
    uint64_t *id;
    bf_status st = bf_result_alloc(out, sizeof *id, (void **)&id);
    if (st == BF_OK)
        *id = unit->id;
    return st;
}

static bf_status empty_accept(void *sink, const bf_unit *unit, const void *data, size_t bytes)
{
    uint64_t *sum = sink;
    (void)unit, (void)bytes;
    *sum += *(const uint64_t *)data;
    return BF_OK;
}

static const bf_pipeline empty = {"bench-engine", empty_start, empty_run, NULL, empty_accept, 0};

double bf_bench_median(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char *bf_bench_json_number(char *buf, double v, int decimals)
{
    if (!isfinite(v))
        return "null";
    snprintf(buf, 32, "%.*f", decimals, v);
    return buf;
}

/* Median microseconds per unit over reps runs of units empty units. */
static int measure(bf_scheduler s, int workers, size_t units, int reps, double *us)
{
    bf_plan *plan = NULL;
    if (bf_plan_create("bench-engine", &plan))
        return -1;
    for (size_t i = 0; i < units; i++)
        bf_plan_add(plan, i, 1, 8, 0, "empty");
    double t[15];
    for (int r = 0; r < reps; r++) {
        bf_run_options ro = BF_RUN_OPTIONS_INIT;
        ro.scheduler = s;
        ro.workers = workers;
        uint64_t sum = 0;
        double t0 = bf_time_now();
        bf_status st = bf_run(&empty, NULL, plan, &sum, &ro, NULL);
        t[r] = (bf_time_now() - t0) / (double)units * 1e6;
        if (st || sum != (uint64_t)units * (units - 1) / 2) {
            fprintf(stderr, "bench engine: %s run failed: %s\n", bf_scheduler_name(s),
                    bf_last_error());
            bf_plan_destroy(plan);
            return -1;
        }
    }
    bf_plan_destroy(plan);
    *us = bf_bench_median(t, (size_t)reps);
    return 0;
}

int bf_bench_engine(int argc, char **argv)
{
    size_t units = 20000;
    int workers = 2, reps = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--units") == 0 && i + 1 < argc)
            units = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = atoi(argv[++i]);
        else {
            printf("usage: beamflow bench engine [--units N] [--workers N]\n\n"
                   "Runs N empty units (default 20000) on each scheduler, 7 times, and prints the\n"
                   "median engine overhead per unit. Last line: a JSON object.\n");
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    if (units < 10 || workers < 1) {
        fprintf(stderr, "bench engine: need --units >= 10 and --workers >= 1\n");
        return 2;
    }
    double serial, threads, processes;
    if (measure(BF_SCHED_SERIAL, 1, units, reps, &serial) ||
        measure(BF_SCHED_THREADS, workers, units, reps, &threads) ||
        measure(BF_SCHED_PROCESSES, workers, units / 4, reps, &processes))
        return 1;
    printf("engine overhead per empty unit (median of %d runs, %d workers)\n", reps, workers);
    printf("  %-10s %8.2f us   (%zu units)\n", "serial", serial, units);
    printf("  %-10s %8.2f us   (%zu units)   goal < 20 us\n", "threads", threads, units);
    printf("  %-10s %8.2f us   (%zu units)   goal < 200 us\n", "processes", processes, units / 4);
    printf("{\"serial_us_per_unit\": %.3f, \"threads_us_per_unit\": %.3f, "
           "\"processes_us_per_unit\": %.3f, \"units\": %zu, \"processes_units\": %zu, "
           "\"workers\": %d, \"runs\": %d}\n",
           serial, threads, processes, units, units / 4, workers, reps);
    return 0;
}
