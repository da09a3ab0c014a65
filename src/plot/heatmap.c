/* Heat maps: an array drawn with viridis and a colour bar. The colour range runs from the 0.1th
 * to the 99.9th percentile of the finite values (of log10 of the positive ones with log), so one
 * hot pixel (a beam stop edge, a zinger) does not wash out the picture. */
#include "plot/axes.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void bf_plot_viridis(double t, unsigned char rgb[3])
{
    /* Degree-6 polynomial fit of matplotlib's viridis (M. Zucker, "Polynomial fits of
     * matplotlib colormaps", 2019), within 1 % of the 256-entry table. */
    static const double c[7][3] = {
        {0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
        {0.1050930431085774, 1.404613529898575, 1.384590162594685},
        {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
        {-4.634230498983486, -5.799100973351585, -19.33244095627987},
        {6.228269936347081, 14.17993336680509, 56.69055260068105},
        {4.776384997670288, -13.74514537774601, -65.35303263337234},
        {-5.435455855934631, 4.645852612178535, 26.3124352495832},
    };
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (int k = 0; k < 3; k++) {
        double v = c[6][k];
        for (int i = 5; i >= 0; i--)
            v = c[i][k] + t * v;
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        rgb[k] = (unsigned char)lround(255.0 * v);
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float transformed(float v, bool log_scale)
{
    if (!isfinite(v) || (log_scale && v <= 0))
        return NAN;
    return log_scale ? log10f(v) : v;
}

/* Robust colour range from at most 65536 evenly spaced samples. */
static bool color_range(const float *v, size_t n, bool log_scale, double *lo, double *hi)
{
    size_t stride = n > 65536 ? n / 65536 : 1, m = 0;
    float *s = malloc((n / stride + 1) * sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < n; i += stride) {
        float t = transformed(v[i], log_scale);
        if (isfinite(t))
            s[m++] = t;
    }
    if (m == 0) {
        free(s);
        return false;
    }
    qsort(s, m, sizeof *s, cmp_float);
    *lo = s[(size_t)(0.001 * (double)(m - 1))];
    *hi = s[(size_t)(0.999 * (double)(m - 1))];
    if (!(*hi > *lo)) {
        *lo = s[0];
        *hi = s[m - 1] > s[0] ? s[m - 1] : s[0] + 1;
    }
    free(s);
    return true;
}

static cairo_surface_t *render(const float *v, size_t rows, size_t cols, bool log_scale,
                               double lo, double hi)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)cols, (int)rows);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
        return img;
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (size_t r = 0; r < rows; r++) {
        uint32_t *line = (uint32_t *)(data + (size_t)stride * (rows - 1 - r)); /* row 0 at bottom */
        for (size_t c = 0; c < cols; c++) {
            float t = transformed(v[r * cols + c], log_scale);
            unsigned char rgb[3] = {160, 160, 160};
            if (isfinite(t))
                bf_plot_viridis((t - lo) / (hi - lo), rgb);
            line[c] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
        }
    }
    cairo_surface_mark_dirty(img);
    return img;
}

static void colorbar(cairo_t *cr, const bf__axes *a, double lo, double hi,
                     const bf_plot_options *opt)
{
    double x = a->right + 20, w = 18;
    for (int i = 0; i < 256; i++) {
        unsigned char rgb[3];
        bf_plot_viridis(i / 255.0, rgb);
        cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
        double y1 = a->bottom - (a->bottom - a->top) * i / 256.0;
        cairo_rectangle(cr, x, y1 - (a->bottom - a->top) / 256.0 - 0.5, w,
                        (a->bottom - a->top) / 256.0 + 1);
        cairo_fill(cr);
    }
    /* reuse the axis code for the bar's ticks: a one-axis frame on the bar */
    bf__axes bar = {x + w, x + w + 1, a->top, a->bottom, 0, 1, lo, hi, opt->log};
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x, a->top, w, a->bottom - a->top);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 12);
    double step = (hi - lo) / 5;
    for (int i = 0; i <= 5; i++) {
        double v = lo + i * step, py = bf__axes_py(&bar, v);
        char buf[32];
        if (opt->log)
            snprintf(buf, sizeof buf, "%.3g", pow(10, v));
        else
            snprintf(buf, sizeof buf, "%.3g", v);
        cairo_move_to(cr, x + w, py);
        cairo_line_to(cr, x + w + 4, py);
        cairo_stroke(cr);
        cairo_move_to(cr, x + w + 6, py + 4);
        cairo_show_text(cr, buf);
    }
    if (opt->zlabel) {
        cairo_save(cr);
        cairo_translate(cr, x + w + 62, 0.5 * (a->top + a->bottom));
        cairo_rotate(cr, -M_PI / 2);
        cairo_text_extents_t e;
        cairo_set_font_size(cr, 14);
        cairo_text_extents(cr, opt->zlabel, &e);
        cairo_move_to(cr, -0.5 * e.width, 0);
        cairo_show_text(cr, opt->zlabel);
        cairo_restore(cr);
    }
}

bf_status bf_plot_heatmap(const char *path, const float *values, size_t rows, size_t cols,
                          double x0, double x1, double y0, double y1, const bf_plot_options *opt_in)
{
    static const bf_plot_options defaults = BF_PLOT_OPTIONS_INIT;
    const bf_plot_options *opt = opt_in ? opt_in : &defaults;
    if (rows == 0 || cols == 0 || rows > 32767 || cols > 32767)
        return bf__error_set(BF_EINVAL, "%s: cannot draw a %zu x %zu heat map", path, rows, cols);
    if (!(x1 > x0) || !(y1 > y0))
        return bf__error_set(BF_EINVAL, "%s: empty axis range", path);
    double lo, hi;
    if (!color_range(values, rows * cols, opt->log, &lo, &hi))
        return bf__error_set(BF_EINVAL, "%s: no finite%s value to draw", path,
                             opt->log ? " positive" : "");
    cairo_surface_t *surface;
    cairo_t *cr;
    bf__axes a;
    bf_status st = bf__plot_begin(opt, true, &surface, &cr, &a);
    if (st)
        return st;
    a.x0 = x0, a.x1 = x1, a.y0 = y0, a.y1 = y1;
    if (opt->equal_aspect) { /* shrink one side so that one data unit is square */
        double sx = (a.right - a.left) / (x1 - x0), sy = (a.bottom - a.top) / (y1 - y0);
        if (sx > sy)
            a.right = a.left + sy * (x1 - x0);
        else
            a.top = a.bottom - sx * (y1 - y0);
    }
    cairo_surface_t *img = render(values, rows, cols, opt->log, lo, hi);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return bf__error_set(BF_ENOMEM, "%s: cannot draw a %zu x %zu heat map", path, rows, cols);
    }
    cairo_save(cr);
    cairo_translate(cr, a.left, a.top);
    cairo_scale(cr, (a.right - a.left) / (double)cols, (a.bottom - a.top) / (double)rows);
    cairo_set_source_surface(cr, img, 0, 0);
    /* sharp pixels when enlarging, averaging when shrinking */
    bool enlarge = (a.right - a.left) >= (double)cols && (a.bottom - a.top) >= (double)rows;
    cairo_pattern_set_filter(cairo_get_source(cr), enlarge ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD); /* no fading edges */
    cairo_rectangle(cr, 0, 0, (double)cols, (double)rows);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    bf__plot_axes(cr, &a, opt);
    colorbar(cr, &a, lo, hi, opt);
    return bf__plot_end(surface, cr, path);
}
