/* Progress printers: turn bf_progress updates into a bar on a terminal, plain lines in a log, or
 * JSON lines for a program. A bf_progress_fn, so bf_run never knows which one it talks to.
 *
 * Invariants: BAR draws each update over the previous one with '\r' and ends the line only at the
 * final update (or at destroy, so a shell prompt never starts mid-bar); PLAIN never writes '\r'
 * and writes at most one line per PLAIN_INTERVAL_S of the run's own clock (p->elapsed_s, not the
 * wall clock, so that the rate limit is a property of the updates and can be tested); JSON writes
 * exactly one line per update. Write errors are ignored: a closed pipe or a full disk must not
 * stop a run whose output is elsewhere. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beamflow/engine.h"
#include "core/error.h"

#define BAR_WIDTH 40
#define PLAIN_INTERVAL_S 5.0
#define LINE_MAX_CHARS 256

struct bf_progress_printer {
    bf_progress_style style; /* resolved: never AUTO */
    FILE *stream;            /* borrowed */
    bool plain_started;      /* a PLAIN line was written; plain_last_s is its time */
    double plain_last_s;
    size_t bar_len;          /* length of the bar line now on screen; 0: none open */
};

static const char *const style_names[] = {"auto", "bar", "plain", "json", "none"};

bf_status bf_progress_style_parse(const char *text, bf_progress_style *out)
{
    if (!text)
        return bf__error_set(BF_EINVAL, "progress style is missing: use auto, bar, plain, json "
                                        "or none");
    for (size_t i = 0; i < sizeof style_names / sizeof style_names[0]; i++) {
        if (strcmp(text, style_names[i]) == 0) {
            *out = (bf_progress_style)i;
            return BF_OK;
        }
    }
    return bf__error_set(BF_EINVAL,
                         "unknown progress style '%s': use auto, bar, plain, json or none", text);
}

bf_status bf_progress_printer_create(bf_progress_style style, FILE *stream,
                                     bf_progress_printer **out)
{
    *out = NULL;
    if (!stream)
        return bf__error_set(BF_EINVAL, "progress printer needs a stream");
    if ((int)style < (int)BF_PROGRESS_AUTO || (int)style > (int)BF_PROGRESS_NONE)
        return bf__error_set(BF_EINVAL, "progress style %d is out of range", (int)style);
    bf_progress_printer *pr = calloc(1, sizeof *pr);
    if (!pr)
        return bf__error_set(BF_ENOMEM, "out of memory for a progress printer");
    if (style == BF_PROGRESS_AUTO) {
        /* A SLURM log or a pipe would fill with carriage-return noise: bars only on terminals. */
        int fd = fileno(stream);
        style = (fd >= 0 && isatty(fd)) ? BF_PROGRESS_BAR : BF_PROGRESS_PLAIN;
    }
    pr->style = style;
    pr->stream = stream;
    *out = pr;
    return BF_OK;
}

void bf_progress_printer_destroy(bf_progress_printer *pr)
{
    if (!pr)
        return;
    if (pr->bar_len > 0) {
        fputc('\n', pr->stream);
        fflush(pr->stream);
    }
    free(pr);
}

/* Percent of units done; a plan with nothing to do is complete. */
static double percent_done(const bf_progress *p)
{
    if (p->units_total == 0)
        return 100.0;
    double pc = 100.0 * (double)p->units_done / (double)p->units_total;
    return pc > 100.0 ? 100.0 : pc;
}

static double per_second(uint64_t n, double elapsed_s)
{
    return elapsed_s > 0.0 ? (double)n / elapsed_s : 0.0;
}

/* Seconds left at the rate so far, from items when the plan counts them (units may differ in
 * size), else from units; negative when there is no rate yet to extrapolate from. */
static double eta_seconds(const bf_progress *p)
{
    if (p->final || (p->units_total > 0 && p->units_done >= p->units_total))
        return 0.0;
    if (p->items_total > 0 && p->items_done > 0 && p->elapsed_s > 0.0) {
        uint64_t left = p->items_total > p->items_done ? p->items_total - p->items_done : 0;
        return (double)left / per_second(p->items_done, p->elapsed_s);
    }
    if (p->units_done > 0 && p->elapsed_s > 0.0) {
        uint64_t left = p->units_total > p->units_done ? p->units_total - p->units_done : 0;
        return (double)left / per_second(p->units_done, p->elapsed_s);
    }
    return -1.0;
}

/* "19.70 s", "2 min 03.4 s", "1 h 02 min": short enough to keep the bar on one line. */
static void format_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0.0))
        s = 0.0;
    if (s < 60.0) {
        snprintf(buf, len, "%.2f s", s);
    } else if (s < 3600.0) {
        int m = (int)(s / 60.0);
        snprintf(buf, len, "%d min %04.1f s", m, s - 60.0 * m);
    } else {
        long h = (long)(s / 3600.0);
        int m = (int)((s - 3600.0 * (double)h) / 60.0);
        snprintf(buf, len, "%ld h %02d min", h, m);
    }
}

/* Everything after "| N% Completed | elapsed": rate, ETA, failures. */
static void format_tail(const bf_progress *p, char *buf, size_t len)
{
    size_t n = 0;
    int w = snprintf(buf, len, " | %.1f units/s", per_second(p->units_done, p->elapsed_s));
    if (w > 0)
        n += (size_t)w;
    if (p->items_total > 0 && n < len) {
        w = snprintf(buf + n, len - n, ", %.1f items/s", per_second(p->items_done, p->elapsed_s));
        if (w > 0)
            n += (size_t)w;
    }
    if (!p->final && n < len) {
        double eta = eta_seconds(p);
        char t[32] = "?";
        if (eta >= 0.0)
            format_duration(eta, t, sizeof t);
        w = snprintf(buf + n, len - n, " | ETA %s", t);
        if (w > 0)
            n += (size_t)w;
    }
    if (p->units_failed > 0 && n < len) {
        w = snprintf(buf + n, len - n, " | %llu failed", (unsigned long long)p->units_failed);
        if (w > 0)
            n += (size_t)w;
    }
    if (p->retries > 0 && n < len)
        snprintf(buf + n, len - n, " | %llu retries", (unsigned long long)p->retries);
}

static void print_bar(bf_progress_printer *pr, const bf_progress *p)
{
    double pc = percent_done(p);
    /* Floor, so that "100%" appears only when every unit is done. */
    int ipc = (int)pc;
    int filled = (int)(pc / 100.0 * BAR_WIDTH);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : ' ';
    bar[BAR_WIDTH] = '\0';
    char el[32], tail[160], line[LINE_MAX_CHARS];
    format_duration(p->elapsed_s, el, sizeof el);
    format_tail(p, tail, sizeof tail);
    int n = snprintf(line, sizeof line, "[%s] | %3d%% Completed | %s%s", bar, ipc, el, tail);
    size_t len = n < 0 ? 0 : ((size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    /* Blank what a longer previous line left behind (the ETA can shrink). */
    int pad = pr->bar_len > len ? (int)(pr->bar_len - len) : 0;
    fprintf(pr->stream, "\r%s%*s", line, pad, "");
    if (p->final) {
        fputc('\n', pr->stream);
        pr->bar_len = 0;
    } else {
        pr->bar_len = len;
    }
}

static void print_plain(bf_progress_printer *pr, const bf_progress *p)
{
    if (!p->final && pr->plain_started && p->elapsed_s - pr->plain_last_s < PLAIN_INTERVAL_S)
        return;
    pr->plain_started = true;
    pr->plain_last_s = p->elapsed_s;
    char el[32], tail[160];
    format_duration(p->elapsed_s, el, sizeof el);
    format_tail(p, tail, sizeof tail);
    fprintf(pr->stream, "%s: %llu/%llu units (%.1f%%) | %s%s%s\n", p->name ? p->name : "run",
            (unsigned long long)p->units_done, (unsigned long long)p->units_total,
            percent_done(p), el, tail, p->final ? " | done" : "");
}

/* A JSON number that is never NaN or infinite (JSON has neither); rounded so that lines stay
 * short and read well. */
static json_t *json_num(double x, double scale)
{
    if (!isfinite(x))
        x = 0.0;
    return json_real(round(x * scale) / scale);
}

static void print_json(bf_progress_printer *pr, const bf_progress *p)
{
    const char *name = p->name ? p->name : "";
    json_t *jname = json_string(name);
    if (!jname) /* not UTF-8: keep the line valid JSON rather than lose it */
        jname = json_string("?");
    double eta = eta_seconds(p);
    json_t *obj = json_pack(
        "{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:b}", "name", jname,
        "units_done", (json_int_t)p->units_done, "units_total", (json_int_t)p->units_total,
        "units_failed", (json_int_t)p->units_failed, "retries", (json_int_t)p->retries,
        "items_done", (json_int_t)p->items_done, "items_total", (json_int_t)p->items_total,
        "elapsed_s", json_num(p->elapsed_s, 1e3), "percent", json_num(percent_done(p), 1e2),
        "rate_units_s", json_num(per_second(p->units_done, p->elapsed_s), 1e3), "eta_s",
        eta >= 0.0 ? json_num(eta, 1e3) : json_null(), "final", (int)p->final);
    if (!obj) /* only when out of memory; a missed update is harmless */
        return;
    if (json_dumpf(obj, pr->stream, JSON_COMPACT | JSON_REAL_PRECISION(15)) == 0)
        fputc('\n', pr->stream);
    json_decref(obj);
}

int bf_progress_print(const bf_progress *p, void *printer)
{
    bf_progress_printer *pr = printer;
    if (!pr || !p)
        return 0;
    switch (pr->style) {
    case BF_PROGRESS_BAR: print_bar(pr, p); break;
    case BF_PROGRESS_PLAIN: print_plain(pr, p); break;
    case BF_PROGRESS_JSON: print_json(pr, p); break;
    case BF_PROGRESS_AUTO: /* resolved at create */
    case BF_PROGRESS_NONE: return 0;
    }
    fflush(pr->stream);
    return 0;
}
