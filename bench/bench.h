/* Benchmarks the CLI runs as `beamflow bench NAME`; each prints a table for people and, as its
 * last line, one JSON object for programs. Medians of repeated runs, never single timings. */
#ifndef BF_BENCH_H
#define BF_BENCH_H

#include <stddef.h>

int bf_bench_engine(int argc, char **argv);
int bf_bench_decode(int argc, char **argv);
int bf_bench_integrate(int argc, char **argv);
int bf_bench_pipeline(int argc, char **argv);
int bf_bench_hrtem(int argc, char **argv);

/* Median of n values (sorts v in place). */
double bf_bench_median(double *v, size_t n);

/* v with the given decimals for a JSON line, or null when it is not finite (a reference that
 * was not run); buf holds 32 characters. */
const char *bf_bench_json_number(char *buf, double v, int decimals);

#endif
