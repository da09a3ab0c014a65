/* Shared pieces of the beamflow command-line tool: the subcommand table, terminal logging and
 * the engine options every running subcommand accepts. Only tools/ talks to the terminal. */
#ifndef BF_TOOLS_CLI_H
#define BF_TOOLS_CLI_H

#include "beamflow/beamflow.h"

typedef struct bf_cli_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the subcommand's name */
} bf_cli_command;

/* One line per subcommand, each defined in its own tools/cmd_<name>.c. */
extern const bf_cli_command bf_cmd_config;
extern const bf_cli_command bf_cmd_plan;
extern const bf_cli_command bf_cmd_demo;
extern const bf_cli_command bf_cmd_bench;
extern const bf_cli_command bf_cmd_integrate;
extern const bf_cli_command bf_cmd_potential;
extern const bf_cli_command bf_cmd_simulate;

/* `beamflow integrate` with one image file: integrate it into one .xy curve (cmd_integrate.c).
 * Returns the exit code. */
int bf_cli_integrate_frame(const char *poni, const char *frame, const char *mask,
                           const char *dark, const char *flat, const char *output,
                           const bf_integrator_options *o);

/* `beamflow demo integrate` and `demo simulate`, each in its own file. */
int bf_cli_demo_integrate(int argc, char **argv);
int bf_cli_demo_simulate(int argc, char **argv);

/* The subcommand of that name, or NULL. */
const bf_cli_command *bf_cli_find(const char *name);

/* Set by `beamflow plan CMD ...`: CMD builds its plan, hands it to bf_cli_show_plan and stops
 * before running anything. NULL for a normal run; otherwise the --dot path or "". */
extern const char *bf_cli_plan_only;

/* Print the plan (and write the --dot graph); returns the exit code. */
int bf_cli_show_plan(const bf_plan *plan);

/* Print "beamflow: <message>" for a failed status, with the thread's error message; returns the
 * process exit code to use (1). */
int bf_cli_fail(bf_status st, const char *what);

/* Install the terminal log handler at the given level. */
void bf_cli_logging(bf_log_level level);

#endif
