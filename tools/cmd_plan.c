/* beamflow plan CMD [options]: build CMD's plan exactly as CMD would, print it like Dask prints
 * an array (shape, chunk shape, units, bytes), optionally write it as Graphviz, run nothing. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *bf_cli_plan_only;

int bf_cli_show_plan(const bf_plan *plan)
{
    bf_status st = bf_plan_write_summary(plan, stdout);
    if (st)
        return bf_cli_fail(st, "plan");
    if (bf_cli_plan_only && bf_cli_plan_only[0]) {
        FILE *f = fopen(bf_cli_plan_only, "w");
        if (!f) {
            fprintf(stderr, "beamflow: plan: %s: %s\n", bf_cli_plan_only, strerror(errno));
            return 1;
        }
        st = bf_plan_write_dot(plan, f);
        if (fclose(f) != 0 && st == BF_OK)
            st = bf_error_set(BF_EIO, "%s: cannot write", bf_cli_plan_only);
        if (st)
            return bf_cli_fail(st, "plan");
        fprintf(stderr, "plan graph written to %s (render: dot -Tsvg %s -o plan.svg)\n",
                bf_cli_plan_only, bf_cli_plan_only);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow plan [--dot FILE] COMMAND [COMMAND's options]\n\n"
               "Builds COMMAND's plan with the same options and configuration, prints it and\n"
               "runs nothing: shape, chunk shape, number of units, bytes in total and per unit.\n\n"
               "  --dot FILE   also write the plan as a Graphviz digraph\n"
               "  -h, --help   this help\n\n"
               "example: beamflow plan demo --items 1000 --chunk-size 64MiB\n");
}

static int plan_main(int argc, char **argv)
{
    const char *dot = "";
    int cmd_at = 0, out = 1;
    /* --dot may stand anywhere; everything else belongs to COMMAND */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dot") == 0 && i + 1 < argc) {
            dot = argv[++i];
        } else if (!cmd_at && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
            usage(stdout);
            return 0;
        } else {
            if (!cmd_at)
                cmd_at = out;
            argv[out++] = argv[i];
        }
    }
    argc = out;
    if (!cmd_at || argv[cmd_at][0] == '-') {
        usage(stderr);
        return 2;
    }
    const bf_cli_command *cmd = bf_cli_find(argv[cmd_at]);
    if (!cmd || cmd == &bf_cmd_plan || cmd == &bf_cmd_config || cmd == &bf_cmd_bench) {
        fprintf(stderr, "beamflow: plan: '%s' is not a command that runs a plan\n", argv[cmd_at]);
        return 2;
    }
    bf_cli_plan_only = dot;
    return cmd->main(argc - cmd_at, argv + cmd_at);
}

const bf_cli_command bf_cmd_plan = {"plan", "print the plan a command would run, run nothing",
                                    plan_main};
