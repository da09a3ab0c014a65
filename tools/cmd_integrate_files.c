/* beamflow integrate: the command's front end. Parses pyFAI-integrate's option names and its
 * JSON configuration once, then runs whole scans through the integrate pipeline (HDF5 files,
 * globs, directories, file.h5::/path, series of single images) on the engine, or, for one image
 * file (.npy, .edf, .cbf, .tif), no pipeline option and no NeXus -o, the single-frame path
 * (cmd_integrate.c) writing one .xy. */
#include "cli.h"
#include "cli_config.h"
#include "cli_run.h"

#include "beamflow/integrate.h"
#include "core/error.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: beamflow integrate -p GEO.poni [options] INPUT...\n\n"
            "Azimuthal integration as pyFAI's integrate1d. INPUT: HDF5 files, file.h5::/path,\n"
            "globs ('scan*/*.h5', 'run1/*.cbf'), directories (the ESRF layout, or folders of\n"
            "images); one output NeXus file (NXazint1d) per input HDF5 file, and one per folder\n"
            "of single images (.cbf .edf .tif .npy), with --xy one .xy per frame. One image\n"
            "alone gives one .xy (-o curve.xy), or a NeXus file with -o out.h5.\n\n"
            "  -p, --poni FILE          geometry (pyFAI .poni)                       [required]\n"
            "  -n, --npt N              radial bins                                  [1000]\n"
            "  -u, --unit UNIT          2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm      [2th_deg]\n"
            "      --method M           no|bbox|full , csr|histogram                 [bbox,csr]\n"
            "  -e, --error-model M      none or poisson                              [none]\n"
            "  -P, --polarization F     polarization factor in [-1, 1]               [none]\n"
            "      --polarization-offset RAD\n"
            "  -m, --mask FILE          mask image (nonzero = masked)  [the detector's gap mask]\n"
            "  -d, --dark FILE          dark current to subtract\n"
            "  -f, --flat FILE          flat field to divide by\n"
            "      --dummy V, --delta-dummy D   pixels at V (within D) are invalid\n"
            "      --radial-range A,B   radial range, in the unit\n"
            "      --azimuth-range A,B  azimuthal range [deg]\n"
            "      --no-solid-angle     do not correct for the solid angle\n"
            "      --npt-azim N         2D cakes with N azimuthal bins (NXazint2d)\n"
            "      --per-scan           one output per scan folder, not per file\n"
            "      --dataset PATH       frames inside the files [detected: ESRF/LIMA, Dectris]\n"
            "      --frames-per-unit N  frames per engine unit         [one input file per unit]\n"
            "      --xy                 also one .xy file per frame\n"
            "      --json FILE          pyFAI-integrate JSON configuration (flags override it)\n"
            "  -o, --output PATH        output file (one input) or folder     [current folder]\n"
            "  -h, --help               this help\n\n" BF_CLI_RUN_HELP "\n" BF_CLI_CONFIG_HELP);
}

typedef struct args {
    bf_integrate_job job;
    const char **inputs;
    size_t ninputs;
    int npt_azim;
    bool pipeline_only; /* an option only the pipeline has was given */
    json_t *json;       /* the --json document: its strings are borrowed by job */
} args;

enum {
    OPT_METHOD = 0x2300, OPT_DUMMY, OPT_DDUMMY, OPT_RRANGE, OPT_ARANGE, OPT_NOSA, OPT_POLOFF,
    OPT_NAZIM, OPT_DATASET, OPT_FPU, OPT_XY, OPT_JSON, OPT_PERSCAN
};

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
    {"npt-azim", required_argument, NULL, OPT_NAZIM},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"frames-per-unit", required_argument, NULL, OPT_FPU},
    {"xy", no_argument, NULL, OPT_XY},
    {"per-scan", no_argument, NULL, OPT_PERSCAN},
    {"json", required_argument, NULL, OPT_JSON},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    BF_CLI_RUN_LONGOPTS,
    BF_CLI_CONFIG_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static bf_status number(const char *flag, const char *text, double *v)
{
    char *end;
    *v = strtod(text, &end);
    if (end == text || *end || !isfinite(*v))
        return bf_error_set(BF_EINVAL, "%s: '%s' is not a number", flag, text);
    return BF_OK;
}

static bf_status count(const char *flag, const char *text, int *v)
{
    double d;
    bf_status st = number(flag, text, &d);
    if (st == BF_OK && (d != floor(d) || d < 1 || d > 1e8))
        st = bf_error_set(BF_EINVAL, "%s: expected a positive integer, got '%s'", flag, text);
    if (st == BF_OK)
        *v = (int)d;
    return st;
}

static bf_status pair(const char *flag, const char *text, double v[2])
{
    char *end;
    v[0] = strtod(text, &end);
    if (end != text && *end == ',') {
        const char *b = end + 1;
        v[1] = strtod(b, &end);
        if (end != b && !*end)
            return BF_OK;
    }
    return bf_error_set(BF_EINVAL, "%s: expected MIN,MAX, got '%s'", flag, text);
}

/* ---- pyFAI-integrate JSON ----------------------------------------------------------------- */

static bf_status json_number(json_t *v, const char *path, const char *key, double *out)
{
    if (!json_is_number(v))
        return bf_error_set(BF_EINVAL, "%s: %s: expected a number", path, key);
    *out = json_number_value(v);
    return BF_OK;
}

static bool json_flag(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return v && json_is_true(v);
}

/* The keys pyFAI-integrate writes that change the result; others it writes (detector, wavelength
 * of the GUI, ...) are covered by the PONI file and ignored; anything else is an error. */
static bf_status load_json(const char *path, args *a, char **poni_buf)
{
    static const char *const ignored[] = {"application", "version", "detector", "detector_config",
                                          "wavelength", "dist", "poni1", "poni2", "rot1", "rot2",
                                          "rot3", "splineFile", "pixel1", "pixel2", "do_2D",
                                          "do_OpenCL", "chi_discontinuity_at_0", "norm_mask",
                                          "integrator_name", "extra_options", "monitor_name",
                                          "do_poisson", NULL};
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return bf_error_set(BF_EFORMAT, "%s:%d: %s", path, err.line, err.text);
    bf_status st = BF_OK;
    bf_integrator_options *o = &a->job.options;
    const char *key;
    json_t *v;
    if (!json_is_object(root)) {
        st = bf_error_set(BF_EFORMAT, "%s: expected a JSON object", path);
        goto done;
    }
    json_object_foreach(root, key, v)
    {
        double d = 0;
        if (!strcmp(key, "poni")) {
            if (!json_is_string(v)) {
                st = bf_error_set(BF_EINVAL, "%s: poni: expected the path of a .poni file", path);
                break;
            }
            *poni_buf = strdup(json_string_value(v));
            a->job.poni = *poni_buf;
        } else if (!strcmp(key, "nbpt_rad")) {
            if (!(st = json_number(v, path, key, &d)))
                o->npt = (int)d;
        } else if (!strcmp(key, "nbpt_azim")) {
            if (!(st = json_number(v, path, key, &d)) && json_flag(root, "do_2D"))
                a->npt_azim = (int)d;
        } else if (!strcmp(key, "unit")) {
            st = json_is_string(v) ? bf_ai_unit_parse(json_string_value(v), &o->unit)
                                   : bf_error_set(BF_EINVAL, "%s: unit: expected a string", path);
        } else if (!strcmp(key, "error_model")) {
            st = json_is_string(v) ? bf_error_model_parse(json_string_value(v), &o->error_model)
                                   : BF_OK; /* null: none */
        } else if (!strcmp(key, "method")) {
            /* a string "bbox,csr" or pyFAI's list ["bbox", "csr", "cython"] */
            for (size_t i = 0; st == BF_OK && json_is_array(v) && i < json_array_size(v) && i < 2; i++)
                st = bf_method_parse(json_string_value(json_array_get(v, i)), &o->split, &o->algorithm);
            if (json_is_string(v))
                st = bf_method_parse(json_string_value(v), &o->split, &o->algorithm);
        } else if (!strcmp(key, "polarization_factor")) {
            if (json_flag(root, "do_polarization") && !(st = json_number(v, path, key, &d))) {
                o->has_polarization = 1;
                o->polarization_factor = d;
            }
        } else if (!strcmp(key, "do_solid_angle")) {
            o->no_solid_angle = json_is_false(v);
        } else if (!strcmp(key, "val_dummy") || !strcmp(key, "delta_dummy")) {
            if (json_flag(root, "do_dummy") && !json_is_null(v) && !(st = json_number(v, path, key, &d))) {
                o->has_dummy = 1;
                *(key[0] == 'v' ? &o->dummy : &o->delta_dummy) = d;
            }
        } else if (!strcmp(key, "radial_range_min") || !strcmp(key, "radial_range_max")) {
            if (json_flag(root, "do_radial_range") && !(st = json_number(v, path, key, &d))) {
                o->has_radial_range = 1;
                o->radial_range[strstr(key, "max") ? 1 : 0] = d;
            }
        } else if (!strcmp(key, "azimuth_range_min") || !strcmp(key, "azimuth_range_max")) {
            if (json_flag(root, "do_azimuthal_range") && !(st = json_number(v, path, key, &d))) {
                o->has_azimuth_range = 1;
                o->azimuth_range[strstr(key, "max") ? 1 : 0] = d;
            }
        } else if (!strcmp(key, "mask_file") || !strcmp(key, "dark_current") ||
                   !strcmp(key, "flat_field")) {
            const char *on = key[0] == 'm' ? "do_mask" : key[0] == 'd' ? "do_dark" : "do_flat";
            const char **dst = key[0] == 'm' ? &a->job.mask_file : key[0] == 'd' ? &a->job.dark_file
                                                                                 : &a->job.flat_file;
            if (json_flag(root, on) && json_is_string(v))
                *dst = json_string_value(v); /* lives while root does: see run() */
        } else if (!strncmp(key, "do_", 3)) {
            /* switches, read with their values above */
        } else {
            size_t i = 0;
            while (ignored[i] && strcmp(ignored[i], key))
                i++;
            if (!ignored[i])
                st = bf_error_set(BF_EINVAL, "%s: unknown key '%s'", path, key);
        }
        if (st)
            break;
    }
done:
    if (st)
        json_decref(root);
    else
        a->json = root; /* the strings borrowed above live as long as it does */
    return st;
}

/* ---- routing and running ------------------------------------------------------------------ */

/* Does -o name a NeXus file (then even one image goes through the pipeline)? */
static bool nexus_output(const char *out)
{
    const char *dot = out ? strrchr(out, '.') : NULL;
    return dot && (strcasecmp(dot, ".h5") == 0 || strcasecmp(dot, ".nxs") == 0 ||
                   strcasecmp(dot, ".hdf5") == 0);
}

static bool is_single_image(const char *path)
{
    static const char *const exts[] = {".npy", ".edf", ".cbf", ".tif", ".tiff", NULL};
    struct stat sb;
    if (strstr(path, "::") || strchr(path, '*') || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return false;
    const char *dot = strrchr(path, '.');
    for (int i = 0; dot && exts[i]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return true;
    return false;
}

/* A worker keeps one core busy integrating (plus threads-per-worker decoding): more threads than
 * cores only adds switching and cache thrash, and wall-clock figures stop meaning anything. */
static void warn_oversubscribed(const bf_run_options *ro)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = ro->workers > 0 ? ro->workers : 1;
    int per = ro->threads_per_worker > 0 ? ro->threads_per_worker : 1;
    if (ro->scheduler != BF_SCHED_MPI && cores > 0 && (long)workers * per > cores)
        bf__log(BF_LOG_WARN, "%d workers x %d threads each on %ld cores: expect no speed-up "
                "beyond %ld threads", workers, per, cores, cores);
}

static int run(args *a, bf_cli_run *cr, bf_config *cfg)
{
    a->job.options.npt_azim = a->npt_azim;
    a->job.inputs = a->inputs;
    a->job.ninputs = a->ninputs;
    a->job.batch_bytes = bf_config_size(cfg, "chunk-size");
    a->job.unit_bytes = a->job.batch_bytes; /* units of an image series */
    if (cr->max_batch)
        a->job.frames_per_unit = cr->max_batch;
    bf_integration *ig = NULL;
    bf_plan *plan = NULL;
    bf_run_options ro;
    bf_run_report rep;
    int rc = 1;
    bf_status st = bf_integration_create(&a->job, &ig);
    if (st == BF_OK && bf_cli_plan_only) {
        if ((st = bf_integration_plan(ig, &plan)) == BF_OK)
            rc = bf_cli_show_plan(plan);
        goto done;
    }
    if (st == BF_OK && (st = bf_cli_run_prepare(cr, cfg, NULL, &ro)) == BF_OK) {
        warn_oversubscribed(&ro);
        st = bf_integration_run(ig, &ro, &rep);
        if (bf_mpi_rank() == 0) {
            bf_cli_run_summary("integrate", &rep);
            for (size_t i = 0; st == BF_OK && i < bf_integration_noutputs(ig); i++)
                printf("%s\n", bf_integration_output(ig, i));
        }
    }
    rc = st ? bf_cli_fail(st, "integrate") : 0;
done:
    bf_plan_destroy(plan);
    bf_integration_destroy(ig);
    return rc;
}

static int integrate_option(int c, const char *arg, void *user)
{
    args *a = user;
    bf_integrator_options *o = &a->job.options;
    bf_status st = BF_OK;
    double d;
    switch (c) {
    case 'p': a->job.poni = arg; break;
    case 'n': st = count("--npt", arg, &o->npt); break;
    case 'u': st = bf_ai_unit_parse(arg, &o->unit); break;
    case OPT_METHOD: st = bf_method_parse(arg, &o->split, &o->algorithm); break;
    case 'e': st = bf_error_model_parse(arg, &o->error_model); break;
    case 'P':
        st = number("--polarization", arg, &o->polarization_factor);
        o->has_polarization = 1;
        break;
    case OPT_POLOFF: st = number("--polarization-offset", arg, &o->polarization_offset); break;
    case 'm': a->job.mask_file = arg; break;
    case 'd': a->job.dark_file = arg; break;
    case 'f': a->job.flat_file = arg; break;
    case OPT_DUMMY: st = number("--dummy", arg, &o->dummy), o->has_dummy = 1; break;
    case OPT_DDUMMY: st = number("--delta-dummy", arg, &o->delta_dummy); break;
    case OPT_RRANGE: st = pair("--radial-range", arg, o->radial_range), o->has_radial_range = 1; break;
    case OPT_ARANGE: st = pair("--azimuth-range", arg, o->azimuth_range), o->has_azimuth_range = 1; break;
    case OPT_NOSA: o->no_solid_angle = 1; break;
    case OPT_NAZIM: st = count("--npt-azim", arg, &a->npt_azim), a->pipeline_only = true; break;
    case OPT_DATASET: a->job.dataset = arg, a->pipeline_only = true; break;
    case OPT_FPU:
        st = number("--frames-per-unit", arg, &d);
        if (st == BF_OK && (d < 1 || d != floor(d)))
            st = bf_error_set(BF_EINVAL, "--frames-per-unit: expected a positive integer");
        a->job.frames_per_unit = (uint64_t)d;
        a->pipeline_only = true;
        break;
    case OPT_XY: a->job.xy = true, a->pipeline_only = true; break;
    case OPT_PERSCAN: a->job.per_scan = true, a->pipeline_only = true; break;
    case OPT_JSON: break; /* read before the other options */
    case 'o': a->job.output = arg; break;
    case 'h': usage(stdout); return BF_CLI_HELP;
    default: usage(stderr); return 2;
    }
    if (st) { /* a bad option value is a usage error: exit 2, as getopt's own */
        bf_cli_fail(st, "integrate");
        return 2;
    }
    return 0;
}

static int parse(int argc, char **argv, args *a, bf_cli_config *cc, bf_cli_run *cr,
                 char **json_poni)
{
    for (int i = 1; i < argc; i++) /* the JSON first, so that every flag overrides it */
        if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            a->pipeline_only = true;
            if (load_json(argv[i + 1], a, json_poni)) {
                bf_cli_fail(BF_EINVAL, "integrate");
                return 2;
            }
        }
    int rc = bf_cli_parse("integrate", argc, argv, "p:n:u:e:P:m:d:f:o:h", long_opts, cc, cr,
                          integrate_option, a);
    if (rc)
        return rc;
    a->inputs = (const char **)(argv + optind);
    a->ninputs = (size_t)(argc - optind);
    if (a->ninputs == 0) {
        fprintf(stderr, "beamflow: integrate: no input\n");
        usage(stderr);
        return 2;
    }
    return 0;
}

static int integrate_main(int argc, char **argv)
{
    args a = {.job = BF_INTEGRATE_JOB_INIT};
    bf_cli_config cc = {0};
    bf_cli_run cr = {0};
    char *json_poni = NULL;
    int rc = parse(argc, argv, &a, &cc, &cr, &json_poni);
    if (rc == 0 && !a.job.poni) {
        fprintf(stderr, "beamflow: integrate: missing -p/--poni GEO.poni\n");
        rc = 2;
    } else if (rc == 0 && a.ninputs == 1 && !a.pipeline_only && is_single_image(a.inputs[0]) &&
               !nexus_output(a.job.output) && !bf_cli_plan_only) {
        rc = bf_cli_integrate_frame(a.job.poni, a.inputs[0], a.job.mask_file, a.job.dark_file,
                                    a.job.flat_file, a.job.output, &a.job.options);
    } else if (rc == 0) {
        rc = run(&a, &cr, cc.cfg);
    }
    free(json_poni);
    json_decref(a.json);
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc == BF_CLI_HELP ? 0 : rc;
}

const bf_cli_command bf_cmd_integrate = {"integrate", "azimuthal integration: frames or whole "
                                                      "HDF5 scans to curves, as pyFAI",
                                         integrate_main};
