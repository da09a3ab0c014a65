/* beamflow simulate: run a plane-wave (HRTEM) or single-probe job file and write what its output
 * section asks for (exit waves, intensity, CTF image, diffraction pattern, potential, NeXus file,
 * PNG/TIFF pictures). Configurations run as engine units, so the usual --scheduler, --workers,
 * --threads-per-worker, --journal/--resume and --profile apply. All physics lives in the library
 * (bf_ms_simulate, bf_ms_result_write). */
#include "cli.h"
#include "cli_config.h"
#include "cli_run.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "beamflow/ms.h"

enum { OPT_PLANNING = 0x2100, OPT_WISDOM };

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow simulate JOB.json [--fft-planning MODE] [--wisdom FILE]\n"
               "                         [running and configuration options] [--help]\n\n"
               "Run the job's plane wave (HRTEM) or probe through every configuration (frozen\n"
               "phonons or the frames of a multi-frame XYZ) and write the outputs its \"output\"\n"
               "section names. Each configuration is one unit of work.\n\n"
               "  --fft-planning MODE       measure (default), estimate or patient: the configuration\n"
               "                            key fft-planning\n"
               "  --wisdom FILE             read FFTW wisdom from FILE if it exists, save it after\n"
               "  -h, --help                this help\n\n" BF_CLI_RUN_HELP "\n" BF_CLI_CONFIG_HELP);
}

static int run(const char *path, bf_cli_run *cr, bf_config *cfg, bf_ms_run_options *mo,
               const char *wisdom)
{
    bf_ms_job *job = NULL;
    bf_ms_result *res = NULL;
    bf_run_options ro;
    bf_status st = BF_OK;
    if (wisdom && access(wisdom, R_OK) == 0)
        st = bf_fft_wisdom_import(wisdom);
    if (!st && mo->planning == BF_FFT_DEFAULT)
        st = bf_fft_planning_parse(bf_config_get(cfg, "fft-planning"), &mo->planning);
    if (!st)
        st = bf_ms_job_load(path, &job);
    if (!st)
        st = bf_cli_run_prepare(cr, cfg, NULL, &ro);
    if (!st) {
        mo->run = &ro;
        st = bf_ms_simulate(job, mo, &res);
    }
    if (!st && bf_mpi_rank() == 0) {
        st = bf_ms_result_write(job, res);
        if (!st && wisdom)
            st = bf_fft_wisdom_export(wisdom);
    }
    bf_ms_result_destroy(res);
    bf_ms_job_destroy(job);
    return st ? bf_cli_fail(st, "simulate") : 0;
}

static int cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"fft-planning", required_argument, NULL, OPT_PLANNING},
        {"wisdom", required_argument, NULL, OPT_WISDOM},
        BF_CLI_RUN_LONGOPTS,
        BF_CLI_CONFIG_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bf_ms_run_options mo = BF_MS_RUN_OPTIONS_INIT;
    const char *wisdom = NULL;
    bf_cli_config cc;
    bf_cli_run cr = {0};
    bf_status st = bf_cli_config_begin(&cc);
    if (st)
        return bf_cli_fail(st, "simulate");
    int c, rc = 2;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h" BF_CLI_CONFIG_SHORTOPTS, opts, NULL)) != -1) {
        int r = bf_cli_config_option(&cc, c, optarg);
        if (r == 0)
            r = bf_cli_run_option(&cr, c, optarg);
        if (r < 0) {
            rc = bf_cli_fail((bf_status)r, "simulate");
            goto done;
        }
        if (r > 0)
            continue;
        switch (c) {
        case 'h': usage(stdout); rc = 0; goto done;
        case OPT_PLANNING: /* the configuration key, spelled as a flag */
            if ((st = bf_config_set(cc.cfg, "fft-planning", optarg, "--fft-planning"))) {
                rc = bf_cli_fail(st, "simulate");
                goto done;
            }
            break;
        case OPT_WISDOM: wisdom = optarg; break;
        case ':':
            fprintf(stderr, "beamflow: simulate: option '%s' needs a value\n", argv[optind - 1]);
            goto done;
        default:
            fprintf(stderr, "beamflow: simulate: unknown option '%s' (see beamflow simulate "
                            "--help)\n", argv[optind - 1]);
            goto done;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "beamflow: simulate: expected one job file (see beamflow simulate "
                        "--help)\n");
        goto done;
    }
    if ((st = bf_cli_config_finish(&cc))) {
        rc = bf_cli_fail(st, "simulate");
        goto done;
    }
    rc = run(argv[optind], &cr, cc.cfg, &mo, wisdom);
done:
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc;
}

const bf_cli_command bf_cmd_simulate = {"simulate", "run a plane-wave (HRTEM) or probe job", cmd};
