/* beamflow integrate: azimuthal integration of one frame (.npy) into a pyFAI-style .xy curve.
 * Option names follow pyFAI's CLI. All the work is in the library (bf_integrator_*); this file
 * reads the inputs, checks their shapes against the detector, and reports. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beamflow/ai.h"
#include "cli.h"
#include "core/error.h"
#include "io/npy.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: beamflow integrate -p GEO.poni [options] FRAME.npy\n\n"
            "Azimuthal integration of one frame, as pyFAI's integrate1d.\n\n"
            "  -p, --poni FILE          geometry (pyFAI .poni, version 1 or 2)       [required]\n"
            "  -n, --npt N              radial bins                                  [1000]\n"
            "  -u, --unit UNIT          2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm      [2th_deg]\n"
            "      --method M           splitting and algorithm: no|bbox|full,csr|histogram\n"
            "                                                                        [bbox,csr]\n"
            "  -e, --error-model M      none, poisson or azimuthal                   [none]\n"
            "  -P, --polarization F     polarization factor in [-1, 1]               [none]\n"
            "      --polarization-offset RAD  polarization axis offset               [0]\n"
            "  -m, --mask FILE.npy      mask (nonzero = masked)       [the detector's own mask]\n"
            "  -d, --dark FILE.npy      dark current to subtract\n"
            "  -f, --flat FILE.npy      flat field to divide by\n"
            "      --dummy V            pixels equal to V are invalid; empty bins read V\n"
            "      --delta-dummy D      ... within D of the dummy\n"
            "      --radial-range A,B   radial range, in the unit\n"
            "      --azimuth-range A,B  azimuthal range [deg]\n"
            "      --no-solid-angle     do not correct for the solid angle\n"
            "  -o, --output FILE        output .xy file                [FRAME with .xy suffix]\n"
            "  -h, --help               this help\n");
}

typedef struct inputs {
    bf_npy frame, mask, dark, flat;
    float *darkf, *flatf;
    uint8_t *maskb;
    void *framebuf;
} inputs;

static void inputs_free(inputs *in)
{
    bf__npy_free(&in->frame);
    bf__npy_free(&in->mask);
    bf__npy_free(&in->dark);
    bf__npy_free(&in->flat);
    free(in->darkf);
    free(in->flatf);
    free(in->maskb);
    free(in->framebuf);
}

/* Read an array that must have the detector's shape. */
static bf_status read_image(const char *path, const char *what, size_t rows, size_t cols,
                            bf_npy *out)
{
    bf_status st = bf__npy_read(path, out);
    if (st)
        return st;
    if (out->ndim != 2 || out->shape[0] != rows || out->shape[1] != cols) {
        char shape[64] = "";
        size_t k = 0;
        for (int i = 0; i < out->ndim && k < sizeof shape - 24; i++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%zu", i ? " x " : "",
                                  out->shape[i]);
        bf__npy_free(out);
        return bf__error_set(BF_EINVAL, "%s: %s of shape %s does not match the detector's "
                                        "%zu x %zu", path, what, k ? shape : "()", rows, cols);
    }
    return BF_OK;
}

static bf_status to_float(const char *path, bf_npy *a, float **out)
{
    *out = malloc(a->count * sizeof(float));
    if (!*out)
        return bf__error_set(BF_ENOMEM, "out of memory");
    return bf__npy_to_f32(a, *out, path);
}

/* The frame as one of the integrator's input types (other types converted to float64). */
static bf_status frame_of(const char *path, inputs *in, bf_frame *fr)
{
    static const struct {
        bf_npy_dtype npy;
        bf_dtype bf;
    } direct[] = {{BF_NPY_I32, BF_DTYPE_I32}, {BF_NPY_U32, BF_DTYPE_U32},
                  {BF_NPY_U16, BF_DTYPE_U16}, {BF_NPY_F32, BF_DTYPE_F32},
                  {BF_NPY_F64, BF_DTYPE_F64}};
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
        if (in->frame.dtype == direct[i].npy) {
            fr->data = in->frame.data;
            fr->dtype = direct[i].bf;
            return BF_OK;
        }
    in->framebuf = malloc(in->frame.count * sizeof(double));
    if (!in->framebuf)
        return bf__error_set(BF_ENOMEM, "out of memory");
    fr->data = in->framebuf;
    fr->dtype = BF_DTYPE_F64;
    return bf__npy_to_f64(&in->frame, in->framebuf, path);
}

static int parse_pair(const char *text, double v[2])
{
    char *end;
    v[0] = strtod(text, &end);
    if (end == text || *end != ',')
        return -1;
    const char *b = end + 1;
    v[1] = strtod(b, &end);
    return (end == b || *end) ? -1 : 0;
}

static int parse_double(const char *text, double *v)
{
    char *end;
    *v = strtod(text, &end);
    return (end == text || *end || !isfinite(*v)) ? -1 : 0;
}

enum { OPT_METHOD = 256, OPT_DUMMY, OPT_DDUMMY, OPT_RRANGE, OPT_ARANGE, OPT_NOSA, OPT_POLOFF };

static const struct option long_opts[] = {
    {"poni", required_argument, NULL, 'p'},
    {"npt", required_argument, NULL, 'n'},
    {"unit", required_argument, NULL, 'u'},
    {"method", required_argument, NULL, OPT_METHOD},
    {"error-model", required_argument, NULL, 'e'},
    {"error_model", required_argument, NULL, 'e'},
    {"polarization", required_argument, NULL, 'P'},
    {"polarization-offset", required_argument, NULL, OPT_POLOFF},
    {"mask", required_argument, NULL, 'm'},
    {"dark", required_argument, NULL, 'd'},
    {"flat", required_argument, NULL, 'f'},
    {"dummy", required_argument, NULL, OPT_DUMMY},
    {"delta-dummy", required_argument, NULL, OPT_DDUMMY},
    {"delta_dummy", required_argument, NULL, OPT_DDUMMY},
    {"radial-range", required_argument, NULL, OPT_RRANGE},
    {"azimuth-range", required_argument, NULL, OPT_ARANGE},
    {"no-solid-angle", no_argument, NULL, OPT_NOSA},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct args {
    const char *poni, *mask, *dark, *flat, *output, *frame;
    bf_integrator_options o;
} args;

/* Parse argv into a; returns -1 to exit 0 (help), 2 on a usage error, 0 to go on. */
static int parse_args(int argc, char **argv, args *a)
{
    bf_integrator_options init = BF_INTEGRATOR_OPTIONS_INIT;
    a->o = init;
    optind = 1;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "p:n:u:e:P:m:d:f:o:h", long_opts, NULL)) != -1) {
        bf_status st = BF_OK;
        switch (c) {
        case 'p': a->poni = optarg; break;
        case 'n':
            if (parse_double(optarg, &v) || v != floor(v) || v < 1 || v > 1e8) {
                fprintf(stderr, "beamflow integrate: --npt needs a positive integer, got '%s'\n",
                        optarg);
                return 2;
            }
            a->o.npt = (int)v;
            break;
        case 'u': st = bf_ai_unit_parse(optarg, &a->o.unit); break;
        case OPT_METHOD: st = bf_method_parse(optarg, &a->o.split, &a->o.algorithm); break;
        case 'e': st = bf_error_model_parse(optarg, &a->o.error_model); break;
        case 'P':
            if (parse_double(optarg, &a->o.polarization_factor))
                goto bad_number;
            a->o.has_polarization = 1;
            break;
        case OPT_POLOFF:
            if (parse_double(optarg, &a->o.polarization_offset))
                goto bad_number;
            break;
        case 'm': a->mask = optarg; break;
        case 'd': a->dark = optarg; break;
        case 'f': a->flat = optarg; break;
        case OPT_DUMMY:
            if (parse_double(optarg, &a->o.dummy))
                goto bad_number;
            a->o.has_dummy = 1;
            break;
        case OPT_DDUMMY:
            if (parse_double(optarg, &a->o.delta_dummy))
                goto bad_number;
            break;
        case OPT_RRANGE:
            if (parse_pair(optarg, a->o.radial_range))
                goto bad_pair;
            a->o.has_radial_range = 1;
            break;
        case OPT_ARANGE:
            if (parse_pair(optarg, a->o.azimuth_range))
                goto bad_pair;
            a->o.has_azimuth_range = 1;
            break;
        case OPT_NOSA: a->o.no_solid_angle = 1; break;
        case 'o': a->output = optarg; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return 2;
        }
        if (st) {
            fprintf(stderr, "beamflow integrate: %s\n", bf_last_error());
            return 2;
        }
        continue;
    bad_number:
        fprintf(stderr, "beamflow integrate: '%s' is not a number\n", optarg);
        return 2;
    bad_pair:
        fprintf(stderr, "beamflow integrate: expected MIN,MAX, got '%s'\n", optarg);
        return 2;
    }
    if (!a->poni || optind != argc - 1) {
        fprintf(stderr, "beamflow integrate: %s\n",
                !a->poni ? "missing -p/--poni GEO.poni" : "expected exactly one FRAME.npy");
        usage(stderr);
        return 2;
    }
    a->frame = argv[optind];
    return 0;
}

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
    if ((st = read_image(a->frame, "frame", R, C, &in.frame)) ||
        (st = frame_of(a->frame, &in, &fr)) ||
        (a->mask && (st = read_image(a->mask, "mask", R, C, &in.mask))) ||
        (a->dark && (st = read_image(a->dark, "dark", R, C, &in.dark))) ||
        (a->flat && (st = read_image(a->flat, "flat", R, C, &in.flat)))) {
        rc = bf_cli_fail(st, "reading the inputs");
        goto done;
    }
    if (a->mask && (!(in.maskb = malloc(R * C)) ||
                    (st = bf__npy_to_mask(&in.mask, in.maskb, a->mask)))) {
        rc = bf_cli_fail(st ? st : BF_ENOMEM, "reading the mask");
        goto done;
    }
    if ((a->dark && (st = to_float(a->dark, &in.dark, &in.darkf))) ||
        (a->flat && (st = to_float(a->flat, &in.flat, &in.flatf)))) {
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

static int integrate_main(int argc, char **argv)
{
    args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    return run(&a);
}

/* Reached through `beamflow integrate` (cmd_integrate_files.c) for one image file. */
const bf_cli_command bf_cmd_integrate_frame = {"integrate", "azimuthal integration of one frame "
                                                            "(.npy -> .xy, pyFAI-compatible)",
                                               integrate_main};
