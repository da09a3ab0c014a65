/* beamflow demo simulate: the seed's HRTEM job (Au bulk cubic 5x5x2, 512², 2 Å slices, 200 keV,
 * 4 frozen-phonon configurations) written as a job file beside its results, so it can be read and
 * edited, then run on the configured engine: exit waves, mean intensity, the image through a
 * Scherzer-like objective lens, NeXus HDF5, npy, TIFF/PNG, and two pictures with axes in Å. */
#include "cli.h"
#include "cli_config.h"
#include "cli_run.h"

#include "beamflow/ms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char job_text[] =
    "{\n"
    "  \"atoms\":          {\"bulk\": \"Au\", \"cubic\": true, \"repeat\": [5, 5, 2]},\n"
    "  \"frozen_phonons\": {\"num_configs\": 4, \"sigmas\": 0.1, \"seed\": 100},\n"
    "  \"potential\":      {\"gpts\": 512, \"slice_thickness\": 2, \"parametrization\": \"lobato\",\n"
    "                     \"projection\": \"infinite\"},\n"
    "  \"plane_wave\":     {\"energy\": 200e3},\n"
    "  \"ctf\":            {\"defocus\": 40, \"Cs\": -2e4, \"semiangle_cutoff\": 30,\n"
    "                     \"focal_spread\": 20},\n"
    "  \"output\":         {\"file\": \"hrtem.h5\", \"exit_wave\": \"exit_wave.npy\",\n"
    "                     \"intensity\": \"intensity.npy\", \"image\": \"image.npy\",\n"
    "                     \"images\": [\"png\", \"tiff\"]}\n"
    "}\n";

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow demo simulate [options]\n\n"
               "Runs the HRTEM job of Au 5x5x2 (512², 4 frozen phonons, 200 keV) and draws it.\n"
               "The job file is written first, as DIR/hrtem.json: edit it and run\n"
               "`beamflow simulate DIR/hrtem.json` for your own.\n\n"
               "  --dir DIR        where everything goes (default: beamflow-demo-simulate)\n"
               "  -h, --help       this help\n\n" BF_CLI_RUN_HELP "\n" BF_CLI_CONFIG_HELP);
}

static bf_status draw(const char *dir, const bf_ms_result *res)
{
    int gpts[2];
    double sampling[2];
    bf_ms_result_grid(res, gpts, sampling);
    const float *image = bf_ms_result_image(res), *intensity = bf_ms_result_intensity(res);
    /* the arrays are (x, y) with x along the cell's first axis: rows are x, so transpose into
     * rows of y for a picture with x to the right */
    size_t nx = (size_t)gpts[0], ny = (size_t)gpts[1];
    float *t = malloc(nx * ny * sizeof *t);
    if (!t)
        return bf_error_set(BF_ENOMEM, "out of memory");
    bf_status st = BF_OK;
    const float *src[2] = {intensity, image};
    const char *names[2] = {"exit_intensity.png", "hrtem_image.png"};
    const char *titles[2] = {"Au [001], mean exit-wave intensity over 4 frozen phonons",
                             "Au [001], HRTEM image (defocus 40 Å, Cs -2 µm, focal spread 20 Å)"};
    for (int k = 0; k < 2 && st == BF_OK; k++) {
        if (!src[k])
            continue;
        for (size_t x = 0; x < nx; x++)
            for (size_t y = 0; y < ny; y++)
                t[y * nx + x] = src[k][x * ny + y];
        bf_plot_options o = BF_PLOT_OPTIONS_INIT;
        o.title = titles[k];
        o.xlabel = "x (Å)";
        o.ylabel = "y (Å)";
        o.zlabel = "intensity (incident = 1)";
        o.equal_aspect = true;
        o.width = 820;
        o.height = 720;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        st = bf_plot_heatmap(path, t, ny, nx, 0, (double)nx * sampling[0], 0,
                             (double)ny * sampling[1], &o);
    }
    free(t);
    return st;
}

static int run(const char *dir, bf_cli_run *cr, bf_config *cfg)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hrtem.json", dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "beamflow: demo simulate: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(job_text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "beamflow: demo simulate: cannot write %s\n", path);
        return 1;
    }
    bf_ms_job *job = NULL;
    bf_ms_result *res = NULL;
    bf_run_options ro;
    bf_status st = bf_ms_job_load(path, &job);
    if (st == BF_OK)
        st = bf_cli_run_prepare(cr, cfg, NULL, &ro);
    double t0 = bf_time_now();
    if (st == BF_OK) {
        bf_ms_run_options mo = BF_MS_RUN_OPTIONS_INIT;
        mo.run = &ro;
        st = bf_fft_planning_parse(bf_config_get(cfg, "fft-planning"), &mo.planning);
        if (st == BF_OK)
            st = bf_ms_simulate(job, &mo, &res);
    }
    double t = bf_time_now() - t0;
    if (st == BF_OK && bf_mpi_rank() == 0) {
        st = bf_ms_result_write(job, res);
        if (st == BF_OK)
            st = draw(dir, res);
        if (st == BF_OK)
            printf("simulated %zu frozen-phonon configurations in %.2f s (%s, %d workers)\n"
                   "  job: %s\n  results: %s/hrtem.h5 (+ .png, .tiff), exit_wave.npy, intensity.npy, image.npy\n"
                   "  pictures: %s/exit_intensity.png, %s/hrtem_image.png\n",
                   bf_ms_result_num_configs(res), t, bf_config_get(cfg, "scheduler"), ro.workers,
                   path, dir, dir, dir);
    }
    bf_ms_result_destroy(res);
    bf_ms_job_destroy(job);
    return st ? bf_cli_fail(st, "demo simulate") : 0;
}

enum { OPT_DIR = 0x2200 };

static int demo_option(int c, const char *arg, void *user)
{
    const char **dir = user;
    switch (c) {
    case 'h': usage(stdout); return BF_CLI_HELP;
    case OPT_DIR: *dir = arg; return 0;
    }
    usage(stderr);
    return 2;
}

int bf_cli_demo_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"dir", required_argument, NULL, OPT_DIR},
        BF_CLI_RUN_LONGOPTS,
        BF_CLI_CONFIG_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *dir = "beamflow-demo-simulate";
    bf_cli_config cc = {0};
    bf_cli_run cr = {0};
    int rc = bf_cli_parse("demo simulate", argc, argv, "h", opts, &cc, &cr, demo_option, &dir);
    if (rc == 0 && optind < argc) {
        usage(stderr);
        rc = 2;
    }
    if (rc == 0 && !bf_cli_plan_only)
        rc = run(dir, &cr, cc.cfg);
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc == BF_CLI_HELP ? 0 : rc;
}
