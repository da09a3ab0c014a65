/* The configuration flags every running subcommand accepts, and loading the standard layers
 * under them. A subcommand puts BF_CLI_CONFIG_LONGOPTS in its getopt_long table and
 * BF_CLI_CONFIG_SHORTOPTS in its option string, passes each option to bf_cli_config_option, and
 * calls bf_cli_config_finish after the loop:
 *
 *     bf_cli_config cc;
 *     if ((st = bf_cli_config_begin(&cc)) != BF_OK) return bf_cli_fail(st, "plan");
 *     while ((c = getopt_long(argc, argv, "h" BF_CLI_CONFIG_SHORTOPTS, opts, NULL)) != -1) {
 *         int r = bf_cli_config_option(&cc, c, optarg);
 *         if (r < 0) { ...bf_cli_fail((bf_status)r, "plan")...; }
 *         if (r > 0) continue;
 *         switch (c) { ...the subcommand's own options... }
 *     }
 *     st = bf_cli_config_finish(&cc);   ... use cc.cfg ...; bf_cli_config_free(&cc);
 *
 * Flags may come before or after --config: the library ranks values by layer (default < file <
 * environment < flag), so a flag always wins whatever the order of loading. */
#ifndef BF_TOOLS_CLI_CONFIG_H
#define BF_TOOLS_CLI_CONFIG_H

#include <getopt.h>

#include "beamflow/beamflow.h"

/* getopt_long values of the long-only flags; above any character a subcommand uses. */
enum {
    BF_CLI_OPT_CONFIG = 0x1000,
    BF_CLI_OPT_SET,
    BF_CLI_OPT_SCHEDULER,
    BF_CLI_OPT_WORKERS,
    BF_CLI_OPT_THREADS_PER_WORKER,
    BF_CLI_OPT_CHUNK_SIZE,
    BF_CLI_OPT_PROGRESS,
    BF_CLI_OPT_LOG_LEVEL,
};

#define BF_CLI_CONFIG_SHORTOPTS "vq"

#define BF_CLI_CONFIG_LONGOPTS                                                                 \
    {"config", required_argument, NULL, BF_CLI_OPT_CONFIG},                                    \
        {"set", required_argument, NULL, BF_CLI_OPT_SET},                                      \
        {"scheduler", required_argument, NULL, BF_CLI_OPT_SCHEDULER},                          \
        {"workers", required_argument, NULL, BF_CLI_OPT_WORKERS},                              \
        {"threads-per-worker", required_argument, NULL, BF_CLI_OPT_THREADS_PER_WORKER},        \
        {"chunk-size", required_argument, NULL, BF_CLI_OPT_CHUNK_SIZE},                        \
        {"progress", required_argument, NULL, BF_CLI_OPT_PROGRESS},                            \
        {"log-level", required_argument, NULL, BF_CLI_OPT_LOG_LEVEL},                          \
        {"verbose", no_argument, NULL, 'v'}, {"quiet", no_argument, NULL, 'q'}

/* For a subcommand's --help. */
#define BF_CLI_CONFIG_HELP                                                                     \
    "configuration (beamflow config shows the effective values):\n"                           \
    "  --config FILE             JSON config file instead of $BEAMFLOW_CONFIG or\n"          \
    "                            ~/.config/beamflow/config.json\n"                             \
    "  --set KEY=VALUE           set any configuration key (repeatable)\n"                     \
    "  --scheduler NAME          serial, threads, processes or mpi\n"                          \
    "  --workers N               number of workers, or auto\n"                                 \
    "  --threads-per-worker N    threads inside each worker\n"                                 \
    "  --chunk-size SIZE         memory budget of one unit, e.g. 128MiB\n"                     \
    "  --progress MODE           auto, bar, plain, json or none\n"                             \
    "  --log-level LEVEL         error, warn, info or debug\n"                                 \
    "  -v, --verbose             log-level info; twice: debug\n"                               \
    "  -q, --quiet               log-level error\n"

typedef struct bf_cli_config {
    bf_config *cfg;   /* owned; defaults and flags until bf_cli_config_finish */
    const char *file; /* --config FILE, borrowed from argv; NULL: the standard file */
    int verbose;      /* count of -v */
} bf_cli_config;

/* Defaults only; flags follow through bf_cli_config_option. */
bf_status bf_cli_config_begin(bf_cli_config *cc /* OUT */);

/* Apply one getopt_long result: 1 if it was a configuration flag (applied), 0 if it is not
 * one (the subcommand handles it), or a negative bf_status with the message set. */
int bf_cli_config_option(bf_cli_config *cc, int opt, const char *optarg);

/* Load the file (--config FILE, else the standard one) and the BEAMFLOW_* environment under
 * the flags, then install terminal logging at the effective log-level. */
bf_status bf_cli_config_finish(bf_cli_config *cc);

void bf_cli_config_free(bf_cli_config *cc);

/* For a subcommand without flags: defaults, then the standard layers or config_file (may be
 * NULL). On failure *out is NULL. */
bf_status bf_cli_config_load(const char *config_file, bf_config **out /* OUT */);

#endif
