/* Configuration flags shared by the subcommands, and the standard layers loaded under them
 * (see cli_config.h). Holds no policy of its own: validation and precedence are the library's. */
#include "cli_config.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern char **environ;

bf_status bf_cli_config_begin(bf_cli_config *cc)
{
    cc->file = NULL;
    cc->verbose = 0;
    return bf_config_create(&cc->cfg);
}

void bf_cli_config_free(bf_cli_config *cc)
{
    bf_config_destroy(cc->cfg);
    cc->cfg = NULL;
}

/* --set KEY=VALUE, recorded with source "--set KEY". */
static bf_status set_pair(bf_config *cfg, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return bf_error_set(BF_EINVAL, "--set %s: expected KEY=VALUE", arg);
    char key[64], source[80];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    snprintf(source, sizeof source, "--set %s", key);
    return bf_config_set(cfg, key, eq + 1, source);
}

static int applied(bf_status st) { return st == BF_OK ? 1 : (int)st; }

int bf_cli_config_option(bf_cli_config *cc, int opt, const char *optarg)
{
    static const struct {
        int opt;
        const char *key;
        const char *flag;
    } direct[] = {
        {BF_CLI_OPT_SCHEDULER, "scheduler", "--scheduler"},
        {BF_CLI_OPT_WORKERS, "workers", "--workers"},
        {BF_CLI_OPT_THREADS_PER_WORKER, "threads-per-worker", "--threads-per-worker"},
        {BF_CLI_OPT_CHUNK_SIZE, "chunk-size", "--chunk-size"},
        {BF_CLI_OPT_PROGRESS, "progress", "--progress"},
        {BF_CLI_OPT_LOG_LEVEL, "log-level", "--log-level"},
    };
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
        if (opt == direct[i].opt)
            return applied(bf_config_set(cc->cfg, direct[i].key, optarg, direct[i].flag));
    switch (opt) {
    case BF_CLI_OPT_CONFIG: cc->file = optarg; return 1;
    case BF_CLI_OPT_SET: return applied(set_pair(cc->cfg, optarg));
    case 'v':
        cc->verbose++;
        return applied(
            bf_config_set(cc->cfg, "log-level", cc->verbose > 1 ? "debug" : "info", "--verbose"));
    case 'q': return applied(bf_config_set(cc->cfg, "log-level", "error", "--quiet"));
    default: return 0;
    }
}

/* --config FILE means exactly what BEAMFLOW_CONFIG=FILE means, so hand the library an
 * environment with that one variable replaced rather than a second way to load files. */
static bf_status load_layers(bf_config *cfg, const char *file)
{
    if (!file)
        return bf_config_load_standard(cfg, NULL);
    struct stat sb;
    if (stat(file, &sb) != 0)
        return bf_error_set(errno == ENOENT ? BF_ENOTFOUND : BF_EIO, "--config %s: %s", file,
                            strerror(errno));
    size_t n = 0;
    while (environ[n])
        n++;
    bf_status st = BF_OK;
    char **envp = calloc(n + 2, sizeof *envp);
    char *named = malloc(strlen(file) + sizeof "BEAMFLOW_CONFIG=");
    if (!envp || !named) {
        st = bf_error_set(BF_ENOMEM, "out of memory loading --config %s", file);
        goto done;
    }
    sprintf(named, "BEAMFLOW_CONFIG=%s", file);
    size_t k = 0;
    envp[k++] = named;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "BEAMFLOW_CONFIG=", 16) != 0)
            envp[k++] = environ[i];
    st = bf_config_load_standard(cfg, envp);
done:
    free(named);
    free(envp);
    return st;
}

bf_status bf_cli_config_finish(bf_cli_config *cc)
{
    bf_status st = load_layers(cc->cfg, cc->file);
    if (st != BF_OK)
        return st;
    bf_log_level level = BF_LOG_WARN;
    st = bf_log_level_parse(bf_config_get(cc->cfg, "log-level"), &level);
    if (st == BF_OK)
        bf_cli_logging(level);
    return st;
}

bf_status bf_cli_config_load(const char *config_file, bf_config **out)
{
    bf_cli_config cc;
    *out = NULL;
    bf_status st = bf_cli_config_begin(&cc);
    if (st != BF_OK)
        return st;
    cc.file = config_file;
    st = bf_cli_config_finish(&cc);
    if (st == BF_OK) {
        *out = cc.cfg;
        cc.cfg = NULL;
    }
    bf_cli_config_free(&cc);
    return st;
}
