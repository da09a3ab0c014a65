/* beamflow plots: PNG pictures where a person would rather look than read, drawn with cairo.
 * A curve with error bars (an integrated pattern), and a heat map (a waterfall of curves, a
 * simulated image, a diffraction pattern) with a colour bar. Axes carry labels with units and
 * "nice" ticks. Files are written whole (temporary name, then rename). */
#ifndef BEAMFLOW_PLOT_H
#define BEAMFLOW_PLOT_H

#include <stdbool.h>

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_plot_options {
    const char *title;  /* NULL: none */
    const char *xlabel; /* with its unit: "2θ (°)", "q (nm⁻¹)" */
    const char *ylabel;
    const char *zlabel; /* heat maps: the colour bar's label */
    int width, height;  /* pixels; 0: 960 x 640 */
    bool log;           /* logarithmic y (curves) or colour (heat maps); non-positive values drop */
    bool equal_aspect;  /* heat maps: square pixels in data units (images) */
} bf_plot_options;

#define BF_PLOT_OPTIONS_INIT {NULL, NULL, NULL, NULL, 0, 0, false, false}

/** Plot y(x) as a line, with a band and bars of ±yerr when yerr is not NULL. Points where y or x
 *  is not finite are skipped (empty bins). [thread-safe] */
bf_status bf_plot_curve(const char *path, const double *x, const double *y, const double *yerr,
                        size_t n, const bf_plot_options *opt);

/** Plot a rows x cols row-major array as a heat map (viridis), columns spanning [x0, x1] and rows
 *  [y0, y1] (row 0 at y0, drawn at the bottom). Non-finite values are drawn grey. [thread-safe] */
bf_status bf_plot_heatmap(const char *path, const float *values, size_t rows, size_t cols,
                          double x0, double x1, double y0, double y1, const bf_plot_options *opt);

/** The viridis colour map at t in [0, 1], as 8-bit RGB. [thread-safe] */
void bf_plot_viridis(double t, unsigned char rgb[3]);

#ifdef __cplusplus
}
#endif
#endif
