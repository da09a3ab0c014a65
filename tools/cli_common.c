/* Terminal logging and failure reporting shared by every subcommand. */
#include "cli.h"

#include <stdio.h>

int bf_cli_fail(bf_status st, const char *what)
{
    const char *msg = bf_last_error();
    if (msg[0])
        fprintf(stderr, "beamflow: %s: %s\n", what, msg);
    else
        fprintf(stderr, "beamflow: %s: %s\n", what, bf_status_name(st));
    return 1;
}

static void print_log(bf_log_level level, const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "beamflow %s: %s\n", bf_log_level_name(level), message);
}

void bf_cli_logging(bf_log_level level) { bf_log_set_handler(print_log, NULL, level); }
