/* Library-internal: the frame every plot shares (margins, data-to-pixel mapping, ticks, labels,
 * title) and writing a cairo surface as a PNG that appears whole. */
#ifndef BF_PLOT_AXES_H
#define BF_PLOT_AXES_H

#include <cairo.h>

#include "beamflow/plot.h"

typedef struct bf__axes {
    double left, right, top, bottom; /* the plotting area, in pixels */
    double x0, x1, y0, y1;           /* data range shown */
    bool ylog;
} bf__axes;

/* Pixel of a data point (y already log10 when ylog). */
double bf__axes_px(const bf__axes *a, double x);
double bf__axes_py(const bf__axes *a, double y);

/* A white canvas with the plotting area laid out for opt (room on the right when colorbar). */
bf_status bf__plot_begin(const bf_plot_options *opt, bool colorbar, cairo_surface_t **surface,
                         cairo_t **cr, bf__axes *axes);

/* Frame, ticks, tick labels, axis labels and title. */
void bf__plot_axes(cairo_t *cr, const bf__axes *a, const bf_plot_options *opt);

/* Write the surface to path (temporary name, then rename) and free it. */
bf_status bf__plot_end(cairo_surface_t *surface, cairo_t *cr, const char *path);

#endif
