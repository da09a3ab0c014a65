/* The frame shared by every plot: layout, ticks at 1-2-5 steps, labels, title, PNG output.
 * Ticks follow the usual "nice numbers" rule (Heckbert, Graphics Gems, 1990): a step of 1, 2 or
 * 5 times a power of ten giving about six ticks. */
#include "plot/axes.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double bf__axes_px(const bf__axes *a, double x)
{
    return a->left + (x - a->x0) / (a->x1 - a->x0) * (a->right - a->left);
}

double bf__axes_py(const bf__axes *a, double y)
{
    return a->bottom - (y - a->y0) / (a->y1 - a->y0) * (a->bottom - a->top);
}

bf_status bf__plot_begin(const bf_plot_options *opt, bool colorbar, cairo_surface_t **surface,
                         cairo_t **cr, bf__axes *axes)
{
    int w = opt->width > 0 ? opt->width : 960;
    int h = opt->height > 0 ? opt->height : 640;
    if (w < 200 || h < 150 || w > 20000 || h > 20000)
        return bf__error_set(BF_EINVAL, "plot size %dx%d: expected 200x150 to 20000x20000", w, h);
    *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(*surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(*surface);
        return bf__error_set(BF_ENOMEM, "cannot create a %dx%d picture", w, h);
    }
    *cr = cairo_create(*surface);
    cairo_set_source_rgb(*cr, 1, 1, 1);
    cairo_paint(*cr);
    cairo_select_font_face(*cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    memset(axes, 0, sizeof *axes);
    axes->left = 90;
    axes->right = w - (colorbar ? 130 : 30);
    axes->top = opt->title ? 50 : 25;
    axes->bottom = h - 65;
    return BF_OK;
}

/* The step and the first tick of nice ticks over [lo, hi]. */
static double nice_step(double lo, double hi)
{
    double span = hi - lo;
    if (!(span > 0))
        return 1.0;
    double raw = span / 6.0;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void tick_label(char *buf, size_t n, double v, double step, bool log_axis)
{
    if (log_axis) {
        snprintf(buf, n, "1e%d", (int)lround(v));
        return;
    }
    if (fabs(v) < step * 1e-9)
        v = 0;
    double a = fabs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3))
        snprintf(buf, n, "%.3g", v);
    else {
        int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, n, "%.*f", decimals, v);
    }
}

static void text_at(cairo_t *cr, const char *s, double x, double y, double ax, double ay)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - ax * e.width - e.x_bearing, y + ay * e.height - (e.height + e.y_bearing));
    cairo_show_text(cr, s);
}

void bf__plot_axes(cairo_t *cr, const bf__axes *a, const bf_plot_options *opt)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, a->left, a->top, a->right - a->left, a->bottom - a->top);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 13);
    char buf[64];
    double step = nice_step(a->x0, a->x1);
    for (double v = ceil(a->x0 / step) * step; v <= a->x1 + step * 1e-9; v += step) {
        double px = bf__axes_px(a, v);
        cairo_move_to(cr, px, a->bottom);
        cairo_line_to(cr, px, a->bottom + 5);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step, false);
        text_at(cr, buf, px, a->bottom + 8, 0.5, 1.0);
    }
    step = a->ylog ? fmax(1.0, round(nice_step(a->y0, a->y1))) : nice_step(a->y0, a->y1);
    for (double v = ceil(a->y0 / step) * step; v <= a->y1 + step * 1e-9; v += step) {
        double py = bf__axes_py(a, v);
        cairo_move_to(cr, a->left - 5, py);
        cairo_line_to(cr, a->left, py);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step, a->ylog);
        text_at(cr, buf, a->left - 8, py, 1.0, 0.5);
    }
    cairo_set_font_size(cr, 15);
    if (opt->xlabel)
        text_at(cr, opt->xlabel, 0.5 * (a->left + a->right), a->bottom + 32, 0.5, 1.0);
    if (opt->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 22, 0.5 * (a->top + a->bottom));
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, opt->ylabel, 0, 0, 0.5, 1.0);
        cairo_restore(cr);
    }
    if (opt->title) {
        cairo_set_font_size(cr, 17);
        text_at(cr, opt->title, 0.5 * (a->left + a->right), 14, 0.5, 1.0);
    }
}

bf_status bf__plot_end(cairo_surface_t *surface, cairo_t *cr, const char *path)
{
    char tmp[4200];
    bf_file_temp_name(path, tmp, sizeof tmp);
    cairo_surface_flush(surface);
    cairo_status_t cs = cairo_surface_write_to_png(surface, tmp);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    if (cs != CAIRO_STATUS_SUCCESS) {
        remove(tmp);
        return bf__error_set(BF_EIO, "%s: cannot write the picture: %s", path,
                             cairo_status_to_string(cs));
    }
    return bf_file_commit(tmp, path);
}
