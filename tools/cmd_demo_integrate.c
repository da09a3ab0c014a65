/* beamflow demo integrate: a synthetic Pilatus CdTe 2M scan (CeO2 rings whose lattice expands
 * from frame to frame, as on heating, with Poisson noise and gaps at -1) written as LZ4 HDF5
 * files, integrated by the pipeline with the configured engine, then drawn: one curve with error
 * bars, and a waterfall of every curve. */
#include "cli.h"
#include "cli_config.h"
#include "cli_run.h"

#include "beamflow/integrate.h"
#include "beamflow/io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct demo {
    const char *dir;
    int files, frames;
    bf_geometry *geo;
    char poni[4200];
} demo;

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow demo integrate [options]\n\n"
               "Writes a synthetic Pilatus CdTe 2M powder scan (CeO2, LZ4 HDF5), integrates it\n"
               "(2500 bins in 2θ, bbox + csr, Poisson errors, polarization 0.99) and draws it.\n\n"
               "  --dir DIR        where everything goes (default: beamflow-demo-integrate)\n"
               "  --files N        HDF5 files in the scan (default 2)\n"
               "  --frames N       frames per file (default 20)\n"
               "  -h, --help       this help\n\n" BF_CLI_RUN_HELP "\n" BF_CLI_CONFIG_HELP);
}

static bf_status make_geometry(demo *d)
{
    bf_detector *det = NULL;
    bf_status st = bf_detector_create("Pilatus CdTe 2M", NULL, &det);
    if (st)
        return st;
    bf_geometry_params p = {.dist = 0.2, .poni1 = 0.135, .poni2 = 0.118, .rot1 = 0.01,
                            .rot2 = -0.006, .rot3 = 0.0, .wavelength = 0.3e-10};
    st = bf_geometry_create(det, &p, &d->geo);
    bf_detector_destroy(det);
    if (st == BF_OK) {
        snprintf(d->poni, sizeof d->poni, "%s/geometry.poni", d->dir);
        st = bf_geometry_write_poni(d->geo, d->poni);
    }
    return st;
}

/* The scan: frame g of total has lattice 5.411 Å * (1 + 0.02 g / total), a heating ramp. */
static bf_status write_scan(demo *d)
{
    const bf_detector *det = bf_geometry_detector(d->geo);
    size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det), n = rows * cols;
    double *tth = malloc(n * sizeof *tth);
    int32_t *frame = malloc(n * sizeof *frame);
    bf_status st = tth && frame ? bf_geometry_centres(d->geo, BF_UNIT_2TH_DEG, tth)
                                : bf_error_set(BF_ENOMEM, "out of memory");
    int total = d->files * d->frames;
    bool tty = isatty(fileno(stderr));
    for (int f = 0; st == BF_OK && f < d->files; f++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/scan0001/ceo2_%04d.h5", d->dir, f);
        bf_h5writer_options o = BF_H5WRITER_OPTIONS_INIT;
        bf_h5writer *w = NULL;
        st = bf_h5writer_create(path, "/entry_0000/measurement/data", BF_DTYPE_I32, rows, cols, &o, &w);
        for (int k = 0; st == BF_OK && k < d->frames; k++) {
            int g = f * d->frames + k;
            st = bf_synthetic_powder(d->geo, tth, 5.411 * (1 + 0.02 * g / total), 2000.0, 7,
                                     (uint64_t)g, frame);
            if (st == BF_OK)
                st = bf_h5writer_append(w, frame, 1);
            if (tty || g + 1 == total) /* in a log, one line at the end */
                fprintf(stderr, "\rwriting the scan: %d/%d frames", g + 1, total);
        }
        bf_status cst = bf_h5writer_close(w);
        if (st == BF_OK)
            st = cst;
    }
    fprintf(stderr, "\n");
    free(tth);
    free(frame);
    return st;
}

/* curve.png: the first frame with error bars; waterfall.png: every frame. */
static bf_status draw(demo *d, bf_integration *ig, size_t npt, const double *radial)
{
    size_t nf = (size_t)d->files * (size_t)d->frames;
    float *I = malloc(nf * npt * sizeof *I), *s = malloc(nf * npt * sizeof *s);
    double *y = malloc(npt * sizeof *y), *e = malloc(npt * sizeof *e);
    bf_status st = I && s && y && e ? BF_OK : bf_error_set(BF_ENOMEM, "out of memory");
    for (size_t f = 0; st == BF_OK && f < bf_integration_noutputs(ig); f++)
        st = bf_azint_read(bf_integration_output(ig, f), I + f * d->frames * npt,
                           s + f * d->frames * npt, (size_t)d->frames * npt);
    char path[4200];
    if (st == BF_OK) {
        for (size_t i = 0; i < npt; i++) {
            y[i] = I[i];
            e[i] = s[i];
        }
        bf_plot_options o = BF_PLOT_OPTIONS_INIT;
        o.title = "CeO2, frame 0 (Pilatus CdTe 2M, 2500 bins, Poisson error bars)";
        o.xlabel = "2θ (°)";
        o.ylabel = "intensity (counts per pixel)";
        snprintf(path, sizeof path, "%s/curve.png", d->dir);
        st = bf_plot_curve(path, radial, y, e, npt, &o);
    }
    if (st == BF_OK) {
        bf_plot_options o = BF_PLOT_OPTIONS_INIT;
        o.title = "CeO2 on heating: every integrated frame";
        o.xlabel = "2θ (°)";
        o.ylabel = "frame";
        o.zlabel = "intensity (log scale)";
        o.log = true;
        snprintf(path, sizeof path, "%s/waterfall.png", d->dir);
        double step = radial[1] - radial[0];
        st = bf_plot_heatmap(path, I, nf, npt, radial[0] - step / 2, radial[npt - 1] + step / 2, 0,
                             (double)nf, &o);
    }
    free(I);
    free(s);
    free(y);
    free(e);
    return st;
}

static int run(demo *d, bf_cli_run *cr, bf_config *cfg)
{
    char scan[4200], out[4200], sub[4200];
    snprintf(sub, sizeof sub, "%s/scan0001", d->dir);
    if ((mkdir(d->dir, 0777) && errno != EEXIST) || (mkdir(sub, 0777) && errno != EEXIST)) {
        fprintf(stderr, "beamflow: demo integrate: cannot create %s: %s\n", sub, strerror(errno));
        return 1;
    }
    bf_status st = make_geometry(d);
    if (st == BF_OK && !bf_cli_plan_only && !cr->resume)
        st = write_scan(d);
    if (st)
        return bf_cli_fail(st, "demo integrate");
    snprintf(scan, sizeof scan, "%s/scan0001", d->dir);
    snprintf(out, sizeof out, "%s/azint", d->dir);
    const char *inputs[1] = {scan};
    bf_integrate_job job = BF_INTEGRATE_JOB_INIT;
    job.inputs = inputs;
    job.ninputs = 1;
    job.poni = d->poni;
    job.options.npt = 2500;
    job.options.error_model = BF_ERROR_POISSON;
    job.options.has_polarization = 1;
    job.options.polarization_factor = 0.99;
    job.output = out;
    job.frames_per_unit = cr->max_batch;
    job.batch_bytes = bf_config_size(cfg, "chunk-size");
    bf_integration *ig = NULL;
    bf_plan *plan = NULL;
    bf_run_options ro;
    bf_run_report rep;
    int rc = 1;
    if ((st = bf_integration_create(&job, &ig)))
        goto done;
    if (bf_cli_plan_only) {
        if ((st = bf_integration_plan(ig, &plan)) == BF_OK)
            rc = bf_cli_show_plan(plan);
        goto done;
    }
    if ((st = bf_cli_run_prepare(cr, cfg, NULL, &ro)))
        goto done;
    double t0 = bf_time_now();
    st = bf_integration_run(ig, &ro, &rep);
    double t = bf_time_now() - t0;
    if (bf_mpi_rank() > 0) { /* a worker rank: rank 0 draws and reports */
        rc = st ? 1 : 0;
        st = BF_OK;
        goto done;
    }
    bf_cli_run_summary("demo integrate", &rep);
    if (st)
        goto done;
    bf_integrator_options o = job.options;
    bf_integrator *probe = NULL;
    if ((st = bf_integrator_create(d->geo, &o, &probe)))
        goto done;
    st = draw(d, ig, bf_integrator_npt(probe), bf_integrator_radial(probe));
    bf_integrator_destroy(probe);
    if (st)
        goto done;
    printf("integrated %d frames in %.2f s (%.0f frames/s, %s, %d workers)\n",
           d->files * d->frames, t, d->files * d->frames / t, bf_config_get(cfg, "scheduler"), ro.workers);
    for (size_t i = 0; i < bf_integration_noutputs(ig); i++)
        printf("  NeXus: %s\n", bf_integration_output(ig, i));
    printf("  pictures: %s/curve.png, %s/waterfall.png\n", d->dir, d->dir);
    rc = 0;
done:
    if (st)
        rc = bf_cli_fail(st, "demo integrate");
    bf_plan_destroy(plan);
    bf_integration_destroy(ig);
    return rc;
}

enum { OPT_DIR = 0x2100, OPT_FILES, OPT_FRAMES };

static int demo_option(int c, const char *arg, void *user)
{
    demo *d = user;
    switch (c) {
    case 'h': usage(stdout); return BF_CLI_HELP;
    case OPT_DIR: d->dir = arg; return 0;
    case OPT_FILES: d->files = atoi(arg); return 0;
    case OPT_FRAMES: d->frames = atoi(arg); return 0;
    }
    usage(stderr);
    return 2;
}

int bf_cli_demo_integrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"dir", required_argument, NULL, OPT_DIR},
        {"files", required_argument, NULL, OPT_FILES},
        {"frames", required_argument, NULL, OPT_FRAMES},
        BF_CLI_RUN_LONGOPTS,
        BF_CLI_CONFIG_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    demo d = {.dir = "beamflow-demo-integrate", .files = 2, .frames = 20};
    bf_cli_config cc = {0};
    bf_cli_run cr = {0};
    int rc = bf_cli_parse("demo integrate", argc, argv, "h", opts, &cc, &cr, demo_option, &d);
    if (rc == 0 && (d.files < 1 || d.frames < 2 || optind < argc)) {
        fprintf(stderr, "beamflow: demo integrate: need --files >= 1, --frames >= 2 and no "
                        "other arguments\n");
        rc = 2;
    }
    if (rc == 0)
        rc = run(&d, &cr, cc.cfg);
    bf_geometry_destroy(d.geo);
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc == BF_CLI_HELP ? 0 : rc;
}
