/* A curve with error bars: the line, a translucent band of ±sigma, and bars when the points are
 * few enough to tell apart. Non-finite points (empty bins) break the line instead of joining
 * across the gap. */
#include "plot/axes.h"

#include "core/error.h"

#include <math.h>

static bool usable(const double *x, const double *y, size_t i, bool ylog)
{
    return isfinite(x[i]) && isfinite(y[i]) && (!ylog || y[i] > 0);
}

static double ty(double v, bool ylog) { return ylog ? log10(v) : v; }

/* Data range of the points, with the error band, padded 5 % vertically. */
static bool data_range(const double *x, const double *y, const double *e, size_t n, bool ylog,
                       bf__axes *a)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!usable(x, y, i, ylog))
            continue;
        double lo = y[i], hi = y[i];
        if (e && isfinite(e[i])) {
            hi = y[i] + e[i];
            if (!ylog || y[i] - e[i] > 0)
                lo = y[i] - e[i];
        }
        if (!any) {
            a->x0 = a->x1 = x[i];
            a->y0 = ty(lo, ylog), a->y1 = ty(hi, ylog);
            any = true;
        }
        a->x0 = fmin(a->x0, x[i]);
        a->x1 = fmax(a->x1, x[i]);
        a->y0 = fmin(a->y0, ty(lo, ylog));
        a->y1 = fmax(a->y1, ty(hi, ylog));
    }
    if (!any)
        return false;
    if (a->x1 <= a->x0)
        a->x1 = a->x0 + 1;
    double pad = a->y1 > a->y0 ? 0.05 * (a->y1 - a->y0) : 1.0;
    a->y0 -= pad;
    a->y1 += pad;
    return true;
}

static void draw_band(cairo_t *cr, const bf__axes *a, const double *x, const double *y,
                      const double *e, size_t n)
{
    cairo_set_source_rgba(cr, 0.12, 0.47, 0.71, 0.25);
    size_t i = 0;
    while (i < n) {
        while (i < n && !(usable(x, y, i, a->ylog) && isfinite(e[i])))
            i++;
        size_t start = i;
        while (i < n && usable(x, y, i, a->ylog) && isfinite(e[i]))
            i++;
        if (i - start < 2)
            continue;
        for (size_t k = start; k < i; k++) {
            double hi = ty(y[k] + e[k], a->ylog);
            if (k == start)
                cairo_move_to(cr, bf__axes_px(a, x[k]), bf__axes_py(a, hi));
            else
                cairo_line_to(cr, bf__axes_px(a, x[k]), bf__axes_py(a, hi));
        }
        for (size_t k = i; k-- > start;) {
            double lo = y[k] - e[k];
            lo = a->ylog ? (lo > 0 ? log10(lo) : a->y0) : lo;
            cairo_line_to(cr, bf__axes_px(a, x[k]), bf__axes_py(a, lo));
        }
        cairo_close_path(cr);
        cairo_fill(cr);
    }
}

bf_status bf_plot_curve(const char *path, const double *x, const double *y, const double *yerr,
                        size_t n, const bf_plot_options *opt_in)
{
    static const bf_plot_options defaults = BF_PLOT_OPTIONS_INIT;
    const bf_plot_options *opt = opt_in ? opt_in : &defaults;
    cairo_surface_t *surface;
    cairo_t *cr;
    bf__axes a;
    bf_status st = bf__plot_begin(opt, false, &surface, &cr, &a);
    if (st)
        return st;
    a.ylog = opt->log;
    if (!data_range(x, y, yerr, n, a.ylog, &a)) {
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return bf__error_set(BF_EINVAL, "%s: no finite point to plot among %zu", path, n);
    }
    cairo_save(cr);
    cairo_rectangle(cr, a.left, a.top, a.right - a.left, a.bottom - a.top);
    cairo_clip(cr);
    if (yerr) {
        draw_band(cr, &a, x, y, yerr, n);
        if (n <= 200) {
            cairo_set_source_rgb(cr, 0.12, 0.47, 0.71);
            cairo_set_line_width(cr, 1.0);
            for (size_t i = 0; i < n; i++) {
                if (!usable(x, y, i, a.ylog) || !isfinite(yerr[i]))
                    continue;
                double lo = y[i] - yerr[i];
                lo = a.ylog ? (lo > 0 ? log10(lo) : a.y0) : lo;
                cairo_move_to(cr, bf__axes_px(&a, x[i]), bf__axes_py(&a, lo));
                cairo_line_to(cr, bf__axes_px(&a, x[i]), bf__axes_py(&a, ty(y[i] + yerr[i], a.ylog)));
            }
            cairo_stroke(cr);
        }
    }
    cairo_set_source_rgb(cr, 0.05, 0.25, 0.55);
    cairo_set_line_width(cr, 1.3);
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (!usable(x, y, i, a.ylog)) {
            pen = false;
            continue;
        }
        double px = bf__axes_px(&a, x[i]), py = bf__axes_py(&a, ty(y[i], a.ylog));
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = true;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
    bf__plot_axes(cr, &a, opt);
    return bf__plot_end(surface, cr, path);
}
