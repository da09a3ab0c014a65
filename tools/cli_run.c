/* Engine options for running subcommands (see cli_run.h). */
#include "cli_run.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    if (interrupted) { /* second Ctrl-C: the user means it */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    interrupted = 1;
}

int bf_cli_run_option(bf_cli_run *cr, int opt, const char *optarg)
{
    switch (opt) {
    case BF_CLI_OPT_JOURNAL: cr->journal = optarg; return 1;
    case BF_CLI_OPT_RESUME: cr->resume = true; return 1;
    case BF_CLI_OPT_PROFILE: cr->profile = optarg; return 1;
    case BF_CLI_OPT_MAX_BATCH: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(optarg, &end, 10);
        if (errno || !end || *end || v == 0 || optarg[0] == '-')
            return bf_error_set(BF_EINVAL, "--max-batch: expected a positive integer, got '%s'",
                                optarg);
        cr->max_batch = v;
        return 1;
    }
    }
    return 0;
}

bf_status bf_cli_run_prepare(bf_cli_run *cr, const bf_config *cfg, const char *output,
                             bf_run_options *ro)
{
    bf_run_options defaults = BF_RUN_OPTIONS_INIT;
    *ro = defaults;
    bf_status st = bf_scheduler_parse(bf_config_get(cfg, "scheduler"), &ro->scheduler);
    if (st)
        return st;
    ro->workers = (int)bf_config_int(cfg, "workers");
    ro->threads_per_worker = (int)bf_config_int(cfg, "threads-per-worker");
    ro->max_retries = (int)bf_config_int(cfg, "max-retries");
    if (ro->max_retries == 0)
        ro->max_retries = -1; /* the option's 0 means "never retry"; the engine's 0 is default */
    if (!cr->journal && output) {
        snprintf(cr->journal_default, sizeof cr->journal_default, "%s.journal", output);
        cr->journal = cr->journal_default;
    }
    ro->journal = cr->journal;
    ro->resume = cr->resume;
    ro->profile = cr->profile;
    bf_progress_style style;
    if ((st = bf_progress_style_parse(bf_config_get(cfg, "progress"), &style)))
        return st;
    if (style != BF_PROGRESS_NONE) {
        if ((st = bf_progress_printer_create(style, stderr, &cr->printer)))
            return st;
        ro->progress = bf_progress_print;
        ro->progress_user = cr->printer;
    }
    interrupted = 0;
    signal(SIGINT, on_sigint);
    ro->cancel = &interrupted;
    return BF_OK;
}

void bf_cli_run_free(bf_cli_run *cr)
{
    bf_progress_printer_destroy(cr->printer);
    cr->printer = NULL;
    signal(SIGINT, SIG_DFL);
}

void bf_cli_run_summary(const char *what, const bf_run_report *rep)
{
    fprintf(stderr, "%s: %llu units run, %llu already done, %llu failed, %llu retried, %.2f s\n",
            what, (unsigned long long)rep->units_run, (unsigned long long)rep->units_skipped,
            (unsigned long long)rep->units_failed, (unsigned long long)rep->retries,
            rep->elapsed_s);
}

int bf_cli_parse(const char *what, int argc, char **argv, const char *shortopts,
                 const struct option *opts, bf_cli_config *cc, bf_cli_run *cr,
                 bf_cli_option_fn own, void *user)
{
    bf_status st = bf_cli_config_begin(cc);
    if (st)
        return bf_cli_fail(st, what);
    char short_all[128];
    snprintf(short_all, sizeof short_all, "%s%s", shortopts, BF_CLI_CONFIG_SHORTOPTS);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, short_all, opts, NULL)) != -1) {
        int r = bf_cli_config_option(cc, c, optarg);
        if (r == 0)
            r = bf_cli_run_option(cr, c, optarg);
        if (r < 0) { /* a bad flag value is a usage error, as getopt's own */
            bf_cli_fail((bf_status)r, what);
            return 2;
        }
        if (r > 0)
            continue;
        if (c == '?' || c == ':')
            return 2; /* getopt_long printed why */
        int rc = own(c, optarg, user);
        if (rc)
            return rc;
    }
    return (st = bf_cli_config_finish(cc)) ? bf_cli_fail(st, what) : 0;
}
