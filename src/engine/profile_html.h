/* Module-private: what the profiler (profiler.c) recorded, as the HTML report writer
 * (profile_html.c) reads it. All times are seconds since the profiler was created. */
#ifndef BF_ENGINE_PROFILE_HTML_H
#define BF_ENGINE_PROFILE_HTML_H

#include <stdio.h>

#include "engine/profiler.h"

typedef struct bf__prof_unit {
    uint64_t id;
    uint64_t items;
    double t_begin, t_end;
    int worker;
    bool ok;
    uint32_t phase_first; /* index of its first phase in bf__prof_data.phases */
    uint32_t nphases;
    char label[BF_UNIT_LABEL_MAX];
} bf__prof_unit;

typedef struct bf__prof_sample {
    double t;           /* end of the interval the CPU figure covers */
    double cpu_percent; /* 100 = one core busy, summed over this process and watched children */
    uint64_t rss_bytes; /* resident memory, summed likewise */
} bf__prof_sample;

typedef struct bf__prof_data {
    const char *run_name;
    int workers;
    double duration_s;
    const bf__prof_unit *units;
    size_t nunits;
    const bf__phase *phases; /* t_begin, t_end relative, clamped into their unit */
    const bf__prof_sample *samples;
    size_t nsamples;
} bf__prof_data;

/* Write the self-contained report (inline CSS and SVG, nothing fetched) to f. Reports only
 * whether writing failed; the caller names the file. */
bf_status bf__profile_html_write(const bf__prof_data *d, FILE *f);

#endif
