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

typedef struct engine_args {
    bf_demo_options o;
    const char *output;
} engine_args;

static int engine_option(int c, const char *arg, void *user)
{
    engine_args *a = user;
    switch (c) {
    case 'h': usage(stdout); return BF_CLI_HELP;
    case 'o': a->output = arg; return 0;
    case OPT_ITEMS: return parse_count("--items", arg, &a->o.items) ? 2 : 0;
    case OPT_SAMPLES: return parse_count("--samples", arg, &a->o.samples_per_item) ? 2 : 0;
    case OPT_SEED: return parse_count("--seed", arg, &a->o.seed) ? 2 : 0;
    case OPT_DELAY: a->o.unit_delay_s = atof(arg); return 0;
    }
    usage(stderr);
    return 2;
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
    engine_args a = {.o = BF_DEMO_OPTIONS_INIT, .output = "beamflow-demo.txt"};
    bf_cli_config cc = {0};
    bf_cli_run cr = {0};
    int rc = bf_cli_parse("demo", argc, argv, "ho:", opts, &cc, &cr, engine_option, &a);
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "beamflow: demo: unknown demo '%s' (engine, integrate, simulate)\n",
                argv[optind]);
        rc = 2;
    }
    if (rc == 0)
        rc = run_demo(&a.o, a.output, &cr, cc.cfg);
    bf_cli_run_free(&cr);
    bf_cli_config_free(&cc);
    return rc == BF_CLI_HELP ? 0 : rc;
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
