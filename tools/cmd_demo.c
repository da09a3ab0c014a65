/* beamflow demo [engine|integrate|simulate]: the built-in jobs, needing no user data. `engine`
 * runs Monte Carlo pi through the full engine (plan, workers, journal, progress, profile);
 * `integrate` a synthetic Pilatus scan through the integration pipeline (cmd_demo_integrate.c);
 * `simulate` the seed's HRTEM job (cmd_demo_simulate.c). Without a name, all run in turn. */
#include "cli.h"
#include "cli_config.h"
#include "cli_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: beamflow demo engine [options]\n\n"
            "Runs the engine demo: a Monte Carlo estimate of pi, cut into units by the\n"
            "chunk-size budget and run on the configured scheduler. The output is the same\n"
            "bytes whatever the scheduler, worker count or unit size.\n\n"
            "  -o, --output FILE         result text (default: beamflow-demo.txt)\n"
            "  --items N                 items (default 256)\n"
            "  --samples N               random points per item (default 1000000)\n"
            "  --seed N                  (default 2026)\n"
            "  --unit-delay SECONDS      sleep in each unit, to watch progress or try Ctrl-C\n"
            "  -h, --help                this help\n\n" BF_CLI_RUN_HELP "\n" BF_CLI_CONFIG_HELP);
}

static int parse_count(const char *flag, const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || !end || *end || text[0] == '-' || v == 0) {
        fprintf(stderr, "beamflow: demo: %s: expected a positive integer, got '%s'\n", flag, text);
        return -1;
    }
    *out = v;
    return 0;
}

enum { OPT_ITEMS = 0x2000, OPT_SAMPLES, OPT_SEED, OPT_DELAY };

static int run_demo(bf_demo_options *o, const char *output, bf_cli_run *cr, bf_config *cfg)
{
    bf_plan *plan = NULL;
    bf_demo_sink *sink = NULL;
    bf_run_options ro;
    bf_run_report rep;
    int rc = 1;
    o->chunk_bytes = bf_config_size(cfg, "chunk-size");
    o->max_batch = cr->max_batch;
    bf_status st = bf_demo_plan(o, &plan);
    if (st) {
        rc = bf_cli_fail(st, "demo");
        goto done;
    }
    if (bf_cli_plan_only) {
        rc = bf_cli_show_plan(plan);
        goto done;
    }
    if ((st = bf_demo_sink_create(o, &sink)) || (st = bf_cli_run_prepare(cr, cfg, output, &ro))) {
        rc = bf_cli_fail(st, "demo");
        goto done;
    }
    st = bf_run(bf_demo_pipeline(), o, plan, sink, &ro, &rep);
    if (bf_mpi_rank() > 0) { /* a worker rank: rank 0 writes and reports */
        rc = st ? bf_cli_fail(st, "demo") : 0;
        goto done;
    }
    bf_cli_run_summary("demo", &rep);
    if (st == BF_OK)
        st = bf_demo_sink_write(sink, output);
    if (st) {
        rc = bf_cli_fail(st, "demo");
        goto done;
    }
    printf("pi = %.10f from %llu x %llu samples (%s, %d workers); written to %s\n",
           bf_demo_sink_pi(sink), (unsigned long long)(o->items ? o->items : 256),
           (unsigned long long)(o->samples_per_item ? o->samples_per_item : 1000000),
           bf_config_get(cfg, "scheduler"), ro.workers, output);
    if (cr->profile)
        printf("profile: %s.trace.json (open in https://ui.perfetto.dev) and %s.html\n",
               cr->profile, cr->profile);
    rc = 0;
done:
    bf_demo_sink_destroy(sink);
    bf_plan_destroy(plan);
    return rc;
}

static int demo_engine(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"output", required_argument, NULL, 'o'},
        {"items", required_argument, NULL, OPT_ITEMS},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"seed", required_argument, NULL, OPT_SEED},
        {"unit-delay", required_argument, NULL, OPT_DELAY},
        BF_CLI_RUN_LONGOPTS,
        BF_CLI_CONFIG_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bf_demo_options o = BF_DEMO_OPTIONS_INIT;
    const char *output = "beamflow-demo.txt";
    bf_cli_config cc;
    bf_cli_run cr = {0};
    bf_status st = bf_cli_config_begin(&cc);
    if (st)
        return bf_cli_fail(st, "demo");
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:" BF_CLI_CONFIG_SHORTOPTS, opts, NULL)) != -1) {
        int r = bf_cli_config_option(&cc, c, optarg);
        if (r == 0)
            r = bf_cli_run_option(&cr, c, optarg);
        if (r < 0) {
            rc = bf_cli_fail((bf_status)r, "demo");
            goto done;
        }
        if (r > 0)
            continue;
        switch (c) {
        case 'h': usage(stdout); rc = 0; goto done;
        case 'o': output = optarg; break;
        case OPT_ITEMS: if (parse_count("--items", optarg, &o.items)) goto done; break;
        case OPT_SAMPLES: if (parse_count("--samples", optarg, &o.samples_per_item)) goto done; break;
        case OPT_SEED: if (parse_count("--seed", optarg, &o.seed)) goto done; break;
        case OPT_DELAY: o.unit_delay_s = atof(optarg); break;
        default: usage(stderr); goto done;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "beamflow: demo: unknown demo '%s' (available: engine)\n", argv[optind]);
        goto done;
    }
    if ((st = bf_cli_config_finish(&cc))) {
        rc = bf_cli_fail(st, "demo");
        goto done;
    }
    rc = run_demo(&o, output, &cr, cc.cfg);
done:
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc;
}

static int demo_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "engine") == 0)
        return demo_engine(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "integrate") == 0)
        return bf_cli_demo_integrate(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "simulate") == 0)
        return bf_cli_demo_simulate(argc - 1, argv + 1);
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: beamflow demo [engine|integrate|simulate] [options]\n\n"
               "  engine      Monte Carlo pi through the engine (beamflow demo engine --help)\n"
               "  integrate   a synthetic Pilatus CdTe 2M scan, integrated and drawn\n"
               "              (beamflow demo integrate --help)\n"
               "  simulate    HRTEM of gold with frozen phonons, as abTEM would (demo simulate\n"
               "              --help)\n\n"
               "Without a name, every demo runs with the options given (configuration flags).\n");
        return 0;
    }
    if (argc > 1 && argv[1][0] != '-') {
        fprintf(stderr, "beamflow: demo: unknown demo '%s' (engine, integrate, simulate)\n",
                argv[1]);
        return 2;
    }
    printf("== demo engine ==\n");
    fflush(stdout);
    int rc = demo_engine(argc, argv);
    if (rc || bf_cli_plan_only)
        return rc;
    printf("== demo integrate ==\n");
    fflush(stdout);
    if ((rc = bf_cli_demo_integrate(argc, argv)) != 0)
        return rc;
    printf("== demo simulate ==\n");
    fflush(stdout);
    return bf_cli_demo_simulate(argc, argv);
}

const bf_cli_command bf_cmd_demo = {"demo", "run a built-in job that needs no data",
                                    demo_main};
