/* beamflow integrate FRAME: azimuthal integration of one image into a pyFAI-style .xy curve.
 * Options are parsed by the command's front end (cmd_integrate_files.c); all the work is in the
 * library (bf_integrator_*); this file reads the inputs, checks their shapes against the
 * detector, and reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beamflow/ai.h"
#include "cli.h"
#include "core/error.h"
#include "beamflow/io.h"

typedef struct inputs {
    bf_image *frame, *mask, *dark, *flat;
    float *darkf, *flatf, *framef;
    uint8_t *maskb;
} inputs;

static void inputs_free(inputs *in)
{
    bf_image_destroy(in->frame);
    bf_image_destroy(in->mask);
    bf_image_destroy(in->dark);
    bf_image_destroy(in->flat);
    free(in->darkf);
    free(in->flatf);
    free(in->framef);
    free(in->maskb);
}

/* Read an image (npy, edf, cbf, tiff, h5::path) that must have the detector's shape. */
static bf_status read_image(const char *path, const char *what, size_t rows, size_t cols,
                            bf_image **out)
{
    bf_status st = bf_image_read(path, out);
    if (st)
        return st;
    size_t h = bf_image_height(*out), w = bf_image_width(*out);
    if (h != rows || w != cols) {
        st = bf__error_set(BF_EINVAL, "%s: %s of shape %zu x %zu does not match the detector's "
                                      "%zu x %zu", path, what, h, w, rows, cols);
        bf_image_destroy(*out);
        *out = NULL;
    }
    return st;
}

static bf_status to_float(const bf_image *img, size_t n, float **out)
{
    *out = malloc(n * sizeof(float));
    if (!*out)
        return bf__error_set(BF_ENOMEM, "out of memory");
    return bf_image_to_f32(img, *out, n);
}

/* The frame as one of the integrator's input types (other types converted to float32). */
static bf_status frame_of(inputs *in, size_t n, bf_frame *fr)
{
    if (bf_frame_dtype_supported(bf_image_dtype(in->frame))) {
        fr->data = bf_image_data(in->frame);
        fr->dtype = bf_image_dtype(in->frame);
        return BF_OK;
    }
    fr->dtype = BF_DTYPE_F32;
    bf_status st = to_float(in->frame, n, &in->framef);
    fr->data = in->framef;
    return st;
}

/* The one-image path of `beamflow integrate`, with options parsed by cmd_integrate_files.c. */
typedef struct args {
    const char *poni, *mask, *dark, *flat, *output, *frame;
    bf_integrator_options o;
} args;

static int run(const args *a)
{
    bf_geometry *geo = NULL;
    bf_integrator *it = NULL;
    inputs in = {0};
    bf_curve cv = {0};
    int rc = 1;
    bf_status st;
    bf_integrator_options o = a->o;
    char outpath[4096];
    if ((st = bf_geometry_read_poni(a->poni, &geo))) {
        rc = bf_cli_fail(st, "reading the geometry");
        goto done;
    }
    const bf_detector *det = bf_geometry_detector(geo);
    const size_t R = bf_detector_rows(det), C = bf_detector_cols(det);
    bf_frame fr = {NULL, BF_DTYPE_F64, R, C, NULL, NULL};
    if ((st = read_image(a->frame, "frame", R, C, &in.frame)) || (st = frame_of(&in, R * C, &fr)) ||
        (a->mask && (st = read_image(a->mask, "mask", R, C, &in.mask))) ||
        (a->dark && (st = read_image(a->dark, "dark", R, C, &in.dark))) ||
        (a->flat && (st = read_image(a->flat, "flat", R, C, &in.flat)))) {
        rc = bf_cli_fail(st, "reading the inputs");
        goto done;
    }
    if (a->mask) { /* nonzero = masked, as pyFAI */
        float *m = NULL;
        if ((st = to_float(in.mask, R * C, &m)) || !(in.maskb = malloc(R * C))) {
            free(m);
            rc = bf_cli_fail(st ? st : BF_ENOMEM, "reading the mask");
            goto done;
        }
        for (size_t i = 0; i < R * C; i++)
            in.maskb[i] = m[i] != 0;
        free(m);
    }
    if ((a->dark && (st = to_float(in.dark, R * C, &in.darkf))) ||
        (a->flat && (st = to_float(in.flat, R * C, &in.flatf)))) {
        rc = bf_cli_fail(st, "reading the dark/flat");
        goto done;
    }
    o.mask = in.maskb;
    o.flat = in.flatf;
    fr.dark = in.darkf;
    double t0 = bf_time_now();
    if ((st = bf_integrator_create(geo, &o, &it))) {
        rc = bf_cli_fail(st, "building the integrator");
        goto done;
    }
    double t1 = bf_time_now();
    const size_t n = bf_integrator_npt(it);
    cv.radial = malloc(n * sizeof(double));
    cv.intensity = malloc(n * sizeof(float));
    cv.sigma = malloc(n * sizeof(float));
    if (!cv.radial || !cv.intensity || !cv.sigma) {
        fprintf(stderr, "beamflow integrate: out of memory\n");
        goto done;
    }
    if ((st = bf_integrator_integrate1d(it, &fr, &cv))) {
        rc = bf_cli_fail(st, "integrating");
        goto done;
    }
    double t2 = bf_time_now();
    if (a->output) {
        snprintf(outpath, sizeof outpath, "%s", a->output);
    } else {
        const char *dot = strrchr(a->frame, '.'), *slash = strrchr(a->frame, '/');
        int stem = (dot && (!slash || dot > slash)) ? (int)(dot - a->frame)
                                                     : (int)strlen(a->frame);
        snprintf(outpath, sizeof outpath, "%.*s.xy", stem, a->frame);
    }
    if ((st = bf_curve_write_xy(outpath, geo, &o, n, &cv))) {
        rc = bf_cli_fail(st, "writing the curve");
        goto done;
    }
    bf__log(BF_LOG_INFO, "%s: %zu bins, build %.3f s, integrate %.4f s", outpath, n, t1 - t0,
            t2 - t1);
    rc = 0;
done:
    free(cv.radial);
    free(cv.intensity);
    free(cv.sigma);
    bf_integrator_destroy(it);
    bf_geometry_destroy(geo);
    inputs_free(&in);
    return rc;
}

int bf_cli_integrate_frame(const char *poni, const char *frame, const char *mask,
                           const char *dark, const char *flat, const char *output,
                           const bf_integrator_options *o)
{
    args a = {poni, mask, dark, flat, output, frame, *o};
    return run(&a);
}
