/* 2D full pixel splitting, as pyFAI 0.21.3's FullSplitCSR_2d (splitpixel_common.pyx,
 * calc_lut_2d, and _integrate2d): the pixel's quadrilateral in (radial, chi) is unwrapped across
 * chi = +-pi, its corners clipped to [pos_min, pos_maxin] on each axis and put in bin units,
 * then each edge adds the signed area under it to a float32 window of cells: for every column
 * piece, |area| is stacked from the bottom cell upwards in slices of the piece's width (the
 * cell row at the window's floor first), with the area's sign. A cell's coefficient is its
 * accumulated area over the clipped polygon's area (shoelace). That stacking is pyFAI's own
 * approximation of the cell areas; we follow it so that the cakes agree with pyFAI's.
 * Invariant: cells are written in ascending bin order (azimuthal bin major). */
#include <math.h>
#include <string.h>

#include "ai/ai_internal.h"

/* pyFAI's _calc_area: the signed area under y = slope x + intercept between x1 and x2, in the
 * float32 specialisation that its fused-type call with float slope and intercept resolves to. */
static inline float calc_area(float x1, float x2, float slope, float intercept)
{
    return (x2 - x1) * (slope * (x2 + x1) / 2 + intercept);
}

/* Stack |area| into column col of the window from cell 0 up, slices of width dA, signed. */
static inline void stack(float *box, size_t stride, long col, float area, float dA)
{
    float abs_area = fabsf(area);
    long h = 0;
    while (abs_area > 0) {
        if (dA > abs_area) {
            dA = abs_area;
            abs_area = -1;
        }
        box[(size_t)col * stride + (size_t)h] += copysignf(dA, area);
        abs_area -= dA;
        h++;
    }
}

/* One edge (start -> stop) into the window box (rows: radial, stride cells of chi). The
 * float32 variables are pyFAI's (P, dP, slope, intercept, areas). */
static void integrate2d(float *box, size_t stride, double start0, double start1, double stop0,
                        double stop1)
{
    if (start0 == stop0)
        return;
    const float slope = (float)((stop1 - start1) / (stop0 - start0));
    const float intercept = (float)(stop1 - (double)slope * stop0);
    float P, dP, a;
    if (start0 < stop0) {
        P = (float)ceil(start0);
        dP = (float)(P - start0);
        if (P > stop0) {
            if ((a = (float)calc_area(start0, stop0, slope, intercept)) != 0)
                stack(box, stride, (long)start0, a, (float)(stop0 - start0));
            return;
        }
        if (dP > 0 && (a = (float)calc_area(start0, P, slope, intercept)) != 0)
            stack(box, stride, (long)P - 1, a, dP);
        for (long i = (long)floorf(P); i < (long)floor(stop0); i++)
            if ((a = (float)calc_area((double)i, (double)(i + 1), slope, intercept)) != 0)
                stack(box, stride, i, a, 1.0f);
        P = (float)floor(stop0);
        dP = (float)(stop0 - P);
        if (dP > 0 && (a = (float)calc_area(P, stop0, slope, intercept)) != 0)
            stack(box, stride, (long)P, a, fabsf(dP));
    } else {
        P = (float)floor(start0);
        if (stop0 > P) {
            if ((a = (float)calc_area(start0, stop0, slope, intercept)) != 0)
                stack(box, stride, (long)start0, a, (float)(start0 - stop0));
            return;
        }
        dP = (float)(P - start0);
        if (dP < 0 && (a = (float)calc_area(start0, P, slope, intercept)) != 0)
            stack(box, stride, (long)P, a, fabsf(dP));
        for (long i = (long)start0; i > (long)ceil(stop0); i--)
            if ((a = (float)calc_area((double)i, (double)(i - 1), slope, intercept)) != 0)
                stack(box, stride, i - 1, a, 1.0f);
        P = (float)ceil(stop0);
        dP = (float)(stop0 - P);
        if (dP < 0 && (a = (float)calc_area(P, stop0, slope, intercept)) != 0)
            stack(box, stride, (long)stop0, a, fabsf(dP));
    }
}

static inline double clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

size_t bf__split_full_2d(const bf__split_input *in, size_t i, size_t j, bf__split_scratch *sc)
{
    const size_t C1 = in->cols + 1;
    const size_t idx[4] = {i * C1 + j, (i + 1) * C1 + j, (i + 1) * C1 + j + 1, i * C1 + j + 1};
    double x[4], y[4], ymin = INFINITY, ymax = -INFINITY;
    for (int c = 0; c < 4; c++) {
        x[c] = in->crad[idx[c]];
        y[c] = in->cchi[idx[c]];
        ymin = fmin(ymin, y[c]);
        ymax = fmax(ymax, y[c]);
    }
    if (ymax - ymin > M_PI)
        bf__unwrap_chi(y);
    double min0 = INFINITY, max0 = -INFINITY, min1 = INFINITY, max1 = -INFINITY;
    for (int c = 0; c < 4; c++) {
        min0 = fmin(min0, x[c]), max0 = fmax(max0, x[c]);
        min1 = fmin(min1, y[c]), max1 = fmax(max1, y[c]);
    }
    const double pos1_max = in->pos1_min + in->delta1 * (double)in->npt_azim;
    if (max0 < in->pos0_min || min0 > in->pos0_maxin || max1 < in->pos1_min || min1 >= pos1_max)
        return 0;
    min0 = min1 = INFINITY;
    max0 = max1 = -INFINITY;
    for (int c = 0; c < 4; c++) { /* to bin units, clipped to the ranges */
        x[c] = (clip(x[c], in->pos0_min, in->pos0_maxin) - in->pos0_min) / in->delta_bin;
        y[c] = (clip(y[c], in->pos1_min, in->pos1_maxin) - in->pos1_min) / in->delta1;
        min0 = fmin(min0, x[c]), max0 = fmax(max0, x[c]);
        min1 = fmin(min1, y[c]), max1 = fmax(max1, y[c]);
    }
    const double f0 = floor(min0), f1 = floor(min1);
    const long w0 = (long)(ceil(max0) - f0), w1 = (long)(ceil(max1) - f1);
    const size_t stride = (size_t)w1 + 1;
    memset(sc->buffer, 0, (size_t)(w0 + 1) * stride * sizeof *sc->buffer);
    for (int c = 0; c < 4; c++) {
        x[c] -= f0;
        y[c] -= f1;
    }
    for (int c = 0; c < 4; c++)
        integrate2d(sc->buffer, stride, x[c], y[c], x[(c + 1) % 4], y[(c + 1) % 4]);
    const double area = 0.5 * ((y[2] - y[0]) * (x[3] - x[1]) - (x[2] - x[0]) * (y[3] - y[1]));
    if (area == 0)
        return 0;
    const double inv = 1.0 / area;
    const long npt = (long)in->npt, na = (long)in->npt_azim, o0 = (long)f0, o1 = (long)f1;
    size_t n = 0;
    for (long a = 0; a < w1; a++)
        for (long r = 0; r < w0; r++) {
            const float v = sc->buffer[(size_t)r * stride + (size_t)a];
            if (v == 0 || o0 + r < 0 || o0 + r >= npt || o1 + a < 0 || o1 + a >= na)
                continue;
            sc->bins[n] = (int32_t)((o1 + a) * npt + o0 + r);
            sc->coefs[n++] = (float)(v * inv);
        }
    return n;
}
