/* placeholder, replaced in this session */
#include "cli.h"
#include <stdio.h>
static int cmd(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not yet\n"); return 1; }
const bf_cli_command bf_cmd_plan = {"plan", "(coming)", cmd};
