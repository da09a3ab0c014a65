/* Running a plan from the command line: engine options from the effective configuration, the
 * flags every running subcommand shares (--journal, --resume, --profile, --max-batch), a
 * progress printer on stderr, and Ctrl-C turned into a clean stop. */
#ifndef BF_TOOLS_CLI_RUN_H
#define BF_TOOLS_CLI_RUN_H

#include <getopt.h>
#include <signal.h>

#include "beamflow/beamflow.h"

enum {
    BF_CLI_OPT_JOURNAL = 0x1100,
    BF_CLI_OPT_RESUME,
    BF_CLI_OPT_PROFILE,
    BF_CLI_OPT_MAX_BATCH,
};

#define BF_CLI_RUN_LONGOPTS                                                                    \
    {"journal", required_argument, NULL, BF_CLI_OPT_JOURNAL},                                  \
        {"resume", no_argument, NULL, BF_CLI_OPT_RESUME},                                      \
        {"profile", required_argument, NULL, BF_CLI_OPT_PROFILE},                              \
        {"max-batch", required_argument, NULL, BF_CLI_OPT_MAX_BATCH}

#define BF_CLI_RUN_HELP                                                                        \
    "running:\n"                                                                               \
    "  --journal FILE            record finished units here (default: OUTPUT.journal)\n"     \
    "  --resume                  skip the units the journal records as finished\n"            \
    "  --profile PREFIX          write PREFIX.trace.json (Perfetto) and PREFIX.html\n"        \
    "  --max-batch N             items per unit, instead of the chunk-size budget\n"

typedef struct bf_cli_run {
    const char *journal;  /* borrowed from argv */
    bool resume;
    const char *profile;
    uint64_t max_batch;
    bf_progress_printer *printer;
    char journal_default[4096];
} bf_cli_run;

/* 1 if opt was one of BF_CLI_RUN_LONGOPTS (applied), 0 if not, negative bf_status on error. */
int bf_cli_run_option(bf_cli_run *cr, int opt, const char *optarg);

/* Fill *ro from the configuration and the flags; output (may be NULL) names the default journal
 * OUTPUT.journal. Installs the SIGINT handler: the first Ctrl-C stops handing out units and
 * keeps what finished, a second one kills at once. */
bf_status bf_cli_run_prepare(bf_cli_run *cr, const bf_config *cfg, const char *output,
                             bf_run_options *ro /* OUT */);

void bf_cli_run_free(bf_cli_run *cr);

#include "cli_config.h"

/* Returned by an option handler that printed --help: the subcommand exits 0. */
#define BF_CLI_HELP (-1)

/* A subcommand's own options: 0 to go on, BF_CLI_HELP, or an exit code (message printed). */
typedef int (*bf_cli_option_fn)(int opt, const char *arg, void *user);

/* The option loop every running subcommand shares: defaults, then getopt_long over opts (which
 * hold BF_CLI_RUN_LONGOPTS and BF_CLI_CONFIG_LONGOPTS); configuration and run flags go to cc and
 * cr, every other option to own(); then the configuration layers under the flags. Returns 0 to
 * go on (operands from optind), BF_CLI_HELP, or an exit code. The caller frees cc and cr. */
int bf_cli_parse(const char *what, int argc, char **argv, const char *shortopts,
                 const struct option *opts, bf_cli_config *cc, bf_cli_run *cr,
                 bf_cli_option_fn own, void *user);

/* One line on stderr summarising a run (units run / skipped / failed / retried, time). */
void bf_cli_run_summary(const char *what, const bf_run_report *rep);

#endif
