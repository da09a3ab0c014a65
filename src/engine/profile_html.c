/* The profiler's HTML report: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched, so it opens from a cluster's scratch disk or an e-mail) showing what Dask's Profiler
 * and ResourceProfiler show: a task stream with one row per worker and one bar per unit, and
 * below it CPU % and resident memory on the same time axis.
 *
 * Every chart maps time with the same x(), so a spike in memory lines up with the units that
 * caused it. Text from outside (run name, unit labels) is always HTML-escaped. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "engine/profile_html.h"

#define SVG_W 1000.0
#define MARGIN_L 90.0
#define MARGIN_R 20.0
#define PLOT_W (SVG_W - MARGIN_L - MARGIN_R)
#define ROW_H 22.0
#define BAR_H 16.0
#define LINE_H 150.0
#define AXIS_H 34.0
#define MAX_PHASE_NAMES 8

static const char *const phase_colours[MAX_PHASE_NAMES] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"};
#define UNIT_COLOUR "#9ecae1"
#define FAILED_COLOUR "#d62728"
#define OTHER_PHASE_COLOUR "#7f7f7f"

typedef struct scale {
    double t_max; /* seconds at the right edge */
} scale;

static double x_of(const scale *s, double t) { return MARGIN_L + PLOT_W * t / s->t_max; }

static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* Control characters have no place in a tooltip; show them as spaces. */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

/* A round tick step (1, 2 or 5 times a power of ten) giving about n ticks over range. */
static double nice_step(double range, int n)
{
    if (!(range > 0.0))
        return 1.0;
    double raw = range / n;
    double mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag;
    return (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
}

static void format_seconds(double s, char *buf, size_t len)
{
    if (s < 1e-3)
        snprintf(buf, len, "%.0f µs", s * 1e6);
    else if (s < 1.0)
        snprintf(buf, len, "%.1f ms", s * 1e3);
    else
        snprintf(buf, len, "%.2f s", s);
}

/* Phase names are string literals, so the same name usually has the same pointer; strcmp
 * covers copies. Names past the palette share one grey. */
static const char *phase_colour(const char **names, int *nnames, const char *name)
{
    for (int i = 0; i < *nnames; i++)
        if (names[i] == name || strcmp(names[i], name) == 0)
            return phase_colours[i];
    if (*nnames < MAX_PHASE_NAMES) {
        names[*nnames] = name;
        return phase_colours[(*nnames)++];
    }
    return OTHER_PHASE_COLOUR;
}

/* Vertical grid lines and second labels along the bottom of a chart whose plot area spans y0 to
 * y1. */
static void time_axis(FILE *f, const scale *s, double y0, double y1)
{
    double step = nice_step(s->t_max, 10);
    for (int i = 0; i * step <= s->t_max * (1.0 + 1e-9); i++) {
        double x = x_of(s, i * step);
        fprintf(f, "<line stroke=\"#e4e4e4\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y0,
                x, y1);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, y1 + 14.0,
                i * step);
    }
    fprintf(f, "<line stroke=\"#888\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", MARGIN_L,
            y1, MARGIN_L + PLOT_W, y1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (s)</text>\n",
            MARGIN_L + PLOT_W / 2.0, y1 + 29.0);
}

static void task_stream(FILE *f, const bf__prof_data *d, const scale *s, int rows,
                        const char **names, int *nnames)
{
    double h = rows * ROW_H;
    fprintf(f, "<h2>Task stream</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\" aria-label=\"units per worker over time\">\n",
            SVG_W, h + AXIS_H + 4.0);
    for (int r = 0; r < rows; r++)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">worker %d</text>\n",
                MARGIN_L - 8.0, r * ROW_H + ROW_H / 2.0 + 4.0, r);
    time_axis(f, s, 0.0, h);
    for (size_t i = 0; i < d->nunits; i++) {
        const bf__prof_unit *u = &d->units[i];
        if (u->worker < 0 || u->worker >= rows)
            continue;
        double y = u->worker * ROW_H + (ROW_H - BAR_H) / 2.0;
        double x = x_of(s, u->t_begin), w = x_of(s, u->t_end) - x;
        char dur[32];
        format_seconds(u->t_end - u->t_begin, dur, sizeof dur);
        /* Bars thinner than a pixel still show, so no unit vanishes from a long run. */
        fprintf(f, "<rect class=\"%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                   "fill=\"%s\"><title>", u->ok ? "unit" : "unit failed", x, y, w < 0.5 ? 0.5 : w,
                BAR_H, u->ok ? UNIT_COLOUR : FAILED_COLOUR);
        html_escape(f, u->label[0] ? u->label : "unit");
        fprintf(f, " (unit %llu, %llu items): %s%s</title></rect>\n", (unsigned long long)u->id,
                (unsigned long long)u->items, dur, u->ok ? "" : ", FAILED");
        if (!u->ok)
            continue; /* a failed unit stays red whatever phases it got through */
        for (uint32_t k = 0; k < u->nphases; k++) {
            const bf__phase *ph = &d->phases[u->phase_first + k];
            double px = x_of(s, ph->t_begin), pw = x_of(s, ph->t_end) - px;
            format_seconds(ph->t_end - ph->t_begin, dur, sizeof dur);
            fprintf(f, "<rect class=\"phase\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                       "height=\"%.1f\" fill=\"%s\"><title>", px, y + 2.0, pw < 0.5 ? 0.5 : pw,
                    BAR_H - 4.0, phase_colour(names, nnames, ph->name));
            html_escape(f, u->label[0] ? u->label : "unit");
            fputs(": ", f);
            html_escape(f, ph->name);
            fprintf(f, " %s</title></rect>\n", dur);
        }
    }
    fputs("</svg>\n", f);
}

static void legend(FILE *f, const char **names, int nnames, size_t failed)
{
    fputs("<p class=\"legend\"><span class=\"sw\" style=\"background:" UNIT_COLOUR
          "\"></span>unit", f);
    for (int i = 0; i < nnames; i++) {
        fprintf(f, " <span class=\"sw\" style=\"background:%s\"></span>", phase_colours[i]);
        html_escape(f, names[i]);
    }
    if (failed)
        fputs(" <span class=\"sw\" style=\"background:" FAILED_COLOUR "\"></span>failed", f);
    fputs("</p>\n", f);
}

/* One line chart of a sampled value against the shared time axis. which: 0 CPU %, 1 RSS MiB. */
static void line_chart(FILE *f, const bf__prof_data *d, const scale *s, int which,
                       const char *title, const char *y_label, const char *colour, double floor_max)
{
    double vmax = floor_max;
    for (size_t i = 0; i < d->nsamples; i++) {
        double v = which == 0 ? d->samples[i].cpu_percent
                              : (double)d->samples[i].rss_bytes / (1024.0 * 1024.0);
        if (v > vmax)
            vmax = v;
    }
    double step = nice_step(vmax, 5);
    double top = ceil(vmax / step) * step;
    fprintf(f, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\" aria-label=\"%s over time\">\n",
            title, SVG_W, LINE_H + AXIS_H + 14.0, title);
    double y0 = 8.0, y1 = y0 + LINE_H;
    for (int i = 0; i * step <= top * (1.0 + 1e-9); i++) {
        double y = y1 - LINE_H * (i * step) / top;
        fprintf(f, "<line stroke=\"#e4e4e4\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                MARGIN_L, y, MARGIN_L + PLOT_W, y, MARGIN_L - 6.0, y + 4.0, i * step);
    }
    fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">%s"
               "</text>\n", y0 + LINE_H / 2.0, y_label);
    time_axis(f, s, y0, y1);
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour);
    for (size_t i = 0; i < d->nsamples; i++) {
        double v = which == 0 ? d->samples[i].cpu_percent
                              : (double)d->samples[i].rss_bytes / (1024.0 * 1024.0);
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", x_of(s, d->samples[i].t),
                y1 - LINE_H * v / top);
    }
    fputs("\"/>\n</svg>\n", f);
}

static void header(FILE *f, const bf__prof_data *d, size_t failed)
{
    double peak_cpu = 0.0;
    uint64_t peak_rss = 0;
    for (size_t i = 0; i < d->nsamples; i++) {
        peak_cpu = fmax(peak_cpu, d->samples[i].cpu_percent);
        if (d->samples[i].rss_bytes > peak_rss)
            peak_rss = d->samples[i].rss_bytes;
    }
    char dur[32], rss[32];
    format_seconds(d->duration_s, dur, sizeof dur);
    bf_size_format(peak_rss, rss, sizeof rss);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>beamflow profile: ", f);
    html_escape(f, d->run_name);
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
          "h1{font-size:1.4em;margin-bottom:.2em} h2{font-size:1.05em;margin:1.2em 0 .3em}\n"
          ".meta{color:#555;margin-top:0}\n"
          "svg{display:block;font-size:11px;fill:#333}\n"
          "svg text{fill:#333}\n"
          "rect.unit:hover,rect.phase:hover{stroke:#000;stroke-width:1}\n"
          ".legend{font-size:.9em} .sw{display:inline-block;width:.9em;height:.9em;"
          "margin:0 .3em 0 .8em;vertical-align:middle}\n"
          "</style>\n</head>\n<body>\n<h1>beamflow ", f);
    html_escape(f, d->run_name);
    fprintf(f, "</h1>\n<p class=\"meta\">duration %s &middot; %d worker%s &middot; %zu unit%s",
            dur, d->workers, d->workers == 1 ? "" : "s", d->nunits, d->nunits == 1 ? "" : "s");
    if (failed)
        fprintf(f, " (%zu failed)", failed);
    fprintf(f, " &middot; peak CPU %.0f %% &middot; peak RSS %s &middot; %zu samples</p>\n",
            peak_cpu, rss, d->nsamples);
}

bf_status bf__profile_html_write(const bf__prof_data *d, FILE *f)
{
    scale s = {d->duration_s};
    int rows = d->workers;
    size_t failed = 0;
    for (size_t i = 0; i < d->nunits; i++) {
        s.t_max = fmax(s.t_max, d->units[i].t_end);
        if (d->units[i].worker >= rows)
            rows = d->units[i].worker + 1;
        failed += !d->units[i].ok;
    }
    for (size_t i = 0; i < d->nsamples; i++)
        s.t_max = fmax(s.t_max, d->samples[i].t);
    if (!(s.t_max > 1e-6))
        s.t_max = 1e-6;
    const char *names[MAX_PHASE_NAMES];
    int nnames = 0;
    header(f, d, failed);
    task_stream(f, d, &s, rows, names, &nnames);
    legend(f, names, nnames, failed);
    line_chart(f, d, &s, 0, "CPU", "CPU (%, 100 = one core)", "#d62728", 100.0);
    line_chart(f, d, &s, 1, "Memory", "resident memory (MiB)", "#1f77b4", 1.0);
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? bf__error_set(BF_EIO, "writing the profile report failed") : BF_OK;
}
