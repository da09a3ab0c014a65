/* beamflow config: show every configuration key, its effective value and where it came from,
 * after the same layers and flags every running subcommand applies (cli_config.h). */
#include "cli.h"
#include "cli_config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow config [--config FILE] [--set KEY=VALUE ...] [--json] [--help]\n\n"
               "Print every configuration key, its effective value and its source: a built-in\n"
               "default, a config file line, a BEAMFLOW_* variable or a flag. Later layers win:\n"
               "default < file < environment < flags.\n\n"
               "  --json                    one JSON object {key: {value, source}}; workers also\n"
               "                            gives \"resolved\", the count \"auto\" stands for\n"
               "  -h, --help                this help\n\n" BF_CLI_CONFIG_HELP);
}

/* The value as shown: "auto" also says what it resolves to here. */
static void shown_value(const bf_config *cfg, const char *key, char *buf, size_t n)
{
    const char *text = bf_config_get(cfg, key);
    if (strcmp(key, "workers") == 0 && strcmp(text, "auto") == 0)
        snprintf(buf, n, "auto (%" PRId64 ")", bf_config_int(cfg, key));
    else
        snprintf(buf, n, "%s", text);
}

static void print_table(const bf_config *cfg)
{
    char value[64];
    int wkey = (int)strlen("KEY"), wval = (int)strlen("VALUE");
    for (size_t i = 0; bf_config_key(i); i++) {
        const char *key = bf_config_key(i);
        shown_value(cfg, key, value, sizeof value);
        if ((int)strlen(key) > wkey)
            wkey = (int)strlen(key);
        if ((int)strlen(value) > wval)
            wval = (int)strlen(value);
    }
    printf("%-*s  %-*s  %s\n", wkey, "KEY", wval, "VALUE", "SOURCE");
    for (size_t i = 0; bf_config_key(i); i++) {
        const char *key = bf_config_key(i);
        shown_value(cfg, key, value, sizeof value);
        printf("%-*s  %-*s  %s\n", wkey, key, wval, value, bf_config_source(cfg, key));
    }
}

static int print_json(const bf_config *cfg)
{
    json_t *root = json_object();
    for (size_t i = 0; root && bf_config_key(i); i++) {
        const char *key = bf_config_key(i);
        json_t *entry = json_pack("{s:s, s:s}", "value", bf_config_get(cfg, key), "source",
                                  bf_config_source(cfg, key));
        if (entry && strcmp(key, "workers") == 0)
            json_object_set_new(entry, "resolved", json_integer(bf_config_int(cfg, key)));
        if (!entry || json_object_set_new(root, key, entry) != 0) {
            json_decref(root);
            root = NULL;
        }
    }
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text) {
        fprintf(stderr, "beamflow: config: out of memory writing JSON\n");
        return 1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

static int cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        BF_CLI_CONFIG_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bf_cli_config cc;
    bf_status st = bf_cli_config_begin(&cc);
    if (st != BF_OK)
        return bf_cli_fail(st, "config");
    int json = 0, rc = 0, c;
    opterr = 0; /* report bad options ourselves, in the beamflow: config: form */
    while ((c = getopt_long(argc, argv, ":h" BF_CLI_CONFIG_SHORTOPTS, opts, NULL)) != -1) {
        int r = bf_cli_config_option(&cc, c, optarg);
        if (r < 0) {
            rc = bf_cli_fail((bf_status)r, "config");
            goto done;
        }
        if (r > 0)
            continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'h': usage(stdout); goto done;
        case ':':
            fprintf(stderr, "beamflow: config: option '%s' needs a value\n", argv[optind - 1]);
            rc = 2;
            goto done;
        default:
            fprintf(stderr, "beamflow: config: unknown option '%s' (see beamflow config --help)\n",
                    argv[optind - 1]);
            rc = 2;
            goto done;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "beamflow: config: unexpected argument '%s'\n", argv[optind]);
        rc = 2;
        goto done;
    }
    st = bf_cli_config_finish(&cc);
    if (st != BF_OK) {
        rc = bf_cli_fail(st, "config");
        goto done;
    }
    if (json)
        rc = print_json(cc.cfg);
    else
        print_table(cc.cfg);
done:
    bf_cli_config_free(&cc);
    return rc;
}

const bf_cli_command bf_cmd_config = {"config", "show each configuration value and its source",
                                      cmd};
