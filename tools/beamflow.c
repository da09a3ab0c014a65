/* beamflow: the command-line front end. Dispatches to one subcommand per file; holds no
 * processing logic of its own. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const bf_cli_command *const commands[] = {
    &bf_cmd_demo,      &bf_cmd_integrate, &bf_cmd_simulate, &bf_cmd_potential,
    &bf_cmd_plan,      &bf_cmd_config,    &bf_cmd_bench,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

const bf_cli_command *bf_cli_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i]->name) == 0)
            return commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow <command> [options]   (beamflow <command> --help for details)\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("beamflow %s\n", BEAMFLOW_VERSION);
        return 0;
    }
    const bf_cli_command *cmd = bf_cli_find(argv[1]);
    if (cmd) {
        int rc = cmd->main(argc - 1, argv + 1);
        bf_mpi_finalize(); /* only if a run under mpirun/srun started MPI */
        return rc;
    }
    fprintf(stderr, "beamflow: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
