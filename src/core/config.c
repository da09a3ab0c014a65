/* Configuration: the key table, validation, and the file and environment layers.
 *
 * Invariants:
 * - Every stored value has passed validation; its text is canonical (one spelling per value:
 *   "threads", "4", "128 MiB"), so printing a config and reading it back gives the same config.
 * - Each value carries the rank of the layer that set it (default < file < environment < API),
 *   and a layer never overrides a value from a higher one. Precedence therefore does not depend
 *   on the order callers load layers in: a CLI may apply its flags before it knows which config
 *   file to read, and an explicit option always wins (STYLE.md, "Environment").
 * - Loading a layer is all or nothing: the layer is validated into a stage first and committed
 *   only when every entry passed, so a failed load leaves the config as it was.
 * - The environment is read here and only here, and only from the envp the caller passes. */
#include "core/error.h"
#include "beamflow/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

extern char **environ;

enum { TEXT_MAX = 32, SHOWN_MAX = 64 };
/* A config file is a handful of lines; the cap stops BEAMFLOW_CONFIG=/dev/zero eating memory. */
#define FILE_MAX ((size_t)1 << 20)

typedef enum kind { K_ENUM, K_INT, K_WORKERS, K_SIZE } kind;
typedef enum rank { R_DEFAULT, R_FILE, R_ENV, R_API } rank;

typedef struct keydef {
    const char *name;
    kind kind;
    const char *def;             /* default, already canonical */
    const char *const *choices;  /* K_ENUM: NULL-terminated, canonical spellings */
    int64_t min;                 /* K_INT, K_WORKERS, K_SIZE: smallest accepted value */
} keydef;

static const char *const schedulers[] = {"serial", "threads", "processes", "mpi", NULL};
static const char *const devices[] = {"cpu", "gpu", NULL};
static const char *const progresses[] = {"auto", "bar", "plain", "json", "none", NULL};
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const fft_plannings[] = {"estimate", "measure", "patient", NULL};

/* The order of this table is the listing order of bf_config_key and `beamflow config`. */
static const keydef keys[] = {
    {"scheduler", K_ENUM, "threads", schedulers, 0},
    {"workers", K_WORKERS, "auto", NULL, 1},
    {"threads-per-worker", K_INT, "1", NULL, 1},
    {"chunk-size", K_SIZE, "128 MiB", NULL, 1},
    {"chunk-size-gpu", K_SIZE, "512 MiB", NULL, 1},
    {"device", K_ENUM, "cpu", devices, 0},
    {"progress", K_ENUM, "auto", progresses, 0},
    {"log-level", K_ENUM, "warn", log_levels, 0},
    /* measure: FFTW_ESTIMATE plans for 512² ran about 10x slower on the 2-core test machines */
    {"fft-planning", K_ENUM, "measure", fft_plannings, 0},
    {"fft-cache-size", K_SIZE, "256 MiB", NULL, 0},
    {"max-retries", K_INT, "3", NULL, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* BEAMFLOW_ variables that are not keys but are read by beamflow, so not errors. Tests and the
 * CLI may reserve more names here; keep the list short and explicit. */
static const char *const env_reserved[] = {"BEAMFLOW_CONFIG"};
/* Older or shorter spellings of a key's variable. The key's own variable wins over an alias
 * whatever their order in the environment. */
static const struct {
    const char *var;
    const char *key;
} env_aliases[] = {{"BEAMFLOW_LOG", "log-level"}};

typedef struct entry {
    char text[TEXT_MAX]; /* canonical text */
    int64_t num;         /* K_INT; K_WORKERS with 0 meaning "auto" */
    uint64_t bytes;      /* K_SIZE */
    char *source;        /* owned; NULL means "default" */
    rank rank;
} entry;

struct bf_config {
    entry e[NKEYS];
    int64_t ncpu; /* CPUs this process may run on, sampled once so "auto" is stable */
};

/* Values validated but not yet committed: a layer's all-or-nothing buffer. */
typedef struct stage {
    entry e[NKEYS];
    bool set[NKEYS];
} stage;

static int key_index(const char *name)
{
    for (size_t i = 0; name && i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* "chunk-size" -> "BEAMFLOW_CHUNK_SIZE" */
static void env_name(const keydef *k, char *buf, size_t n)
{
    int len = snprintf(buf, n, "BEAMFLOW_%s", k->name);
    for (int i = 0; i < len && (size_t)i < n; i++)
        buf[i] = buf[i] == '-' ? '_' : (char)toupper((unsigned char)buf[i]);
}

/* Edit distance, for "did you mean": short strings only, so a small fixed row suffices. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t sub = diag + (ca != cb);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest key name (or its variable when as_env) within two edits, or NULL. */
static const char *suggest(const char *name, bool as_env, char *buf, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < NKEYS; i++) {
        if (as_env)
            env_name(&keys[i], buf, n);
        const char *cand = as_env ? buf : keys[i].name;
        size_t d = distance(name, cand);
        if (d < best_d) {
            best_d = d;
            best = keys[i].name;
        }
    }
    if (best && as_env) {
        env_name(&keys[key_index(best)], buf, n);
        return buf;
    }
    return best;
}

static bf_status unknown_key(const char *source, const char *name, bool as_env)
{
    char buf[64];
    const char *hint = suggest(name, as_env, buf, sizeof buf);
    if (as_env)
        return bf__error_set(BF_ENOTFOUND, "%s: not a beamflow setting%s%s%s", name,
                             hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
    return bf__error_set(BF_ENOTFOUND, "%s: unknown key '%s'%s%s%s", source, name,
                         hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

static bool ends_with(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

/* "config.json:3: workers" but just "--workers", "--set workers" or "BEAMFLOW_WORKERS": name
 * the key only where the source does not already end with it (a file source ends with a line
 * number, so a directory named like a key cannot hide the key). */
static void where(const char *source, const keydef *k, char *buf, size_t n)
{
    char env[64];
    env_name(k, env, sizeof env);
    if (ends_with(source, k->name) || ends_with(source, env))
        snprintf(buf, n, "%s", source);
    else
        snprintf(buf, n, "%s: %s", source, k->name);
}

static void expected(const keydef *k, char *buf, size_t n)
{
    switch (k->kind) {
    case K_ENUM: {
        size_t used = (size_t)snprintf(buf, n, "one of");
        for (size_t i = 0; k->choices[i] && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s %s", i ? "," : "", k->choices[i]);
        break;
    }
    case K_INT: snprintf(buf, n, "an integer >= %lld", (long long)k->min); break;
    case K_WORKERS: snprintf(buf, n, "an integer >= %lld or \"auto\"", (long long)k->min); break;
    case K_SIZE:
        snprintf(buf, n, "a size%s such as 128 MiB", k->min > 0 ? " > 0" : "");
        break;
    }
}

/* The one message for a value out of its domain:
 *   config.json:3: workers: expected an integer >= 1 or "auto", got 0 */
static bf_status bad_value(const keydef *k, const char *source, const char *shown, bool quoted,
                           const char *why)
{
    char at[512], exp[96];
    where(source, k, at, sizeof at);
    expected(k, exp, sizeof exp);
    const char *q = quoted ? "\"" : "";
    return bf__error_set(BF_EINVAL, "%s: expected %s, got %s%.*s%s%s%s", at, exp, q, SHOWN_MAX,
                         shown, q, why ? " " : "", why ? why : "");
}

/* One spelling per size: the binary form when it is exact ("1.50 GiB"), else an exact decimal
 * one ("512 MB"), else plain bytes, so the text always reads back to the same number. */
static void size_canonical(uint64_t bytes, char *buf, size_t n)
{
    static const struct {
        uint64_t factor;
        const char *unit;
    } decimal[] = {
        {1000000000000ull, "TB"}, {1000000000ull, "GB"}, {1000000ull, "MB"}, {1000ull, "kB"},
    };
    uint64_t back = 0;
    bf_size_format(bytes, buf, n);
    if (bf_size_parse(buf, &back) == BF_OK && back == bytes)
        return;
    for (size_t i = 0; i < sizeof decimal / sizeof decimal[0]; i++) {
        if (bytes >= decimal[i].factor && bytes % decimal[i].factor == 0) {
            snprintf(buf, n, "%llu %s", (unsigned long long)(bytes / decimal[i].factor),
                     decimal[i].unit);
            return;
        }
    }
    snprintf(buf, n, "%llu B", (unsigned long long)bytes);
}

/* Validate text for key k into out (text and number; not the source). quoted says how to show
 * the value in a message: JSON numbers bare, everything else in quotes. */
static bf_status parse_value(const keydef *k, const char *raw, bool quoted, const char *source,
                             entry *out)
{
    char text[SHOWN_MAX + 1];
    while (isspace((unsigned char)*raw))
        raw++;
    size_t len = strlen(raw);
    while (len > 0 && isspace((unsigned char)raw[len - 1]))
        len--;
    if (len > SHOWN_MAX)
        return bad_value(k, source, raw, quoted, "(too long)");
    memcpy(text, raw, len);
    text[len] = '\0';

    if (k->kind == K_ENUM) {
        for (size_t i = 0; k->choices[i]; i++) {
            if (strcasecmp(text, k->choices[i]) == 0) {
                snprintf(out->text, sizeof out->text, "%s", k->choices[i]);
                return BF_OK;
            }
        }
        /* "warning" is what people type; bf_log_level_parse accepts it too. */
        if (k->choices == log_levels && strcasecmp(text, "warning") == 0) {
            snprintf(out->text, sizeof out->text, "warn");
            return BF_OK;
        }
        return bad_value(k, source, text, quoted, NULL);
    }
    if (k->kind == K_SIZE) {
        uint64_t bytes = 0;
        bf_status st = bf_size_parse(text, &bytes);
        if (st != BF_OK) {
            char at[512];
            where(source, k, at, sizeof at);
            return bf__error_prefix(st, "%s: ", at);
        }
        if (bytes < (uint64_t)k->min)
            return bad_value(k, source, text, quoted, NULL);
        out->bytes = bytes;
        size_canonical(bytes, out->text, sizeof out->text);
        return BF_OK;
    }
    if (k->kind == K_WORKERS && strcasecmp(text, "auto") == 0) {
        out->num = 0;
        snprintf(out->text, sizeof out->text, "auto");
        return BF_OK;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    bool signed_digits = isdigit((unsigned char)text[0]) || text[0] == '-' || text[0] == '+';
    if (len == 0 || *end != '\0' || !signed_digits)
        return bad_value(k, source, text, quoted, NULL);
    if (errno == ERANGE || v > INT_MAX)
        return bad_value(k, source, text, quoted, "(too large)");
    if (v < k->min)
        return bad_value(k, source, text, quoted, NULL);
    out->num = v;
    snprintf(out->text, sizeof out->text, "%lld", v);
    return BF_OK;
}

/* Put a validated value into the stage; a value from a lower layer never replaces a higher one. */
static bf_status stage_put(stage *s, size_t ki, const entry *v, const char *source, rank r)
{
    if (s->set[ki] && s->e[ki].rank > r)
        return BF_OK;
    char *copy = strdup(source);
    if (!copy)
        return bf__error_set(BF_ENOMEM, "out of memory recording the source of %s", keys[ki].name);
    free(s->e[ki].source);
    s->e[ki] = *v;
    s->e[ki].source = copy;
    s->e[ki].rank = r;
    s->set[ki] = true;
    return BF_OK;
}

static void stage_free(stage *s)
{
    for (size_t i = 0; i < NKEYS; i++)
        free(s->e[i].source);
}

/* Cannot fail: every allocation happened while staging. */
static void stage_commit(bf_config *cfg, stage *s)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (!s->set[i] || s->e[i].rank < cfg->e[i].rank)
            continue;
        entry old = cfg->e[i];
        cfg->e[i] = s->e[i];
        s->e[i] = old; /* stage_free releases the old source */
    }
}

static int64_t online_cpus(void)
{
    /* The affinity mask, not the machine: under SLURM or taskset this process may use fewer
     * CPUs than are online, and "auto" should not oversubscribe them. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

bf_status bf_config_create(bf_config **out)
{
    bf_status st = BF_OK;
    bf_config *cfg = NULL;
    *out = NULL;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        st = bf__error_set(BF_ENOMEM, "out of memory creating a configuration");
        goto done;
    }
    cfg->ncpu = online_cpus();
    for (size_t i = 0; i < NKEYS; i++) {
        st = parse_value(&keys[i], keys[i].def, true, "default", &cfg->e[i]);
        if (st != BF_OK) /* a default out of its own domain: a bug in the table above */
            goto done;
        cfg->e[i].rank = R_DEFAULT;
    }
    *out = cfg;
    cfg = NULL;
done:
    bf_config_destroy(cfg);
    return st;
}

void bf_config_destroy(bf_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        free(cfg->e[i].source);
    free(cfg);
}

bf_status bf_config_set(bf_config *cfg, const char *key, const char *value, const char *source)
{
    if (!source)
        source = "api";
    if (!cfg || !key || !value)
        return bf__error_set(BF_EINVAL, "%s: bf_config_set needs a config, a key and a value",
                             source);
    int ki = key_index(key);
    if (ki < 0)
        return unknown_key(source, key, false);
    stage s = {0};
    entry v = {0};
    bf_status st = parse_value(&keys[ki], value, true, source, &v);
    if (st == BF_OK)
        st = stage_put(&s, (size_t)ki, &v, source, R_API);
    if (st == BF_OK)
        stage_commit(cfg, &s);
    stage_free(&s);
    return st;
}

/* ---- the config file ------------------------------------------------------------------- */

static bf_status read_text(const char *path, char **out, size_t *len)
{
    bf_status st = BF_OK;
    char *buf = NULL;
    size_t n = 0;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(errno == ENOENT ? BF_ENOTFOUND : BF_EIO, errno,
                               "%s: cannot open config file", path);
    buf = malloc(FILE_MAX + 1);
    if (!buf) {
        st = bf__error_set(BF_ENOMEM, "%s: out of memory reading config file", path);
        goto done;
    }
    n = fread(buf, 1, FILE_MAX + 1, f);
    if (ferror(f)) {
        st = bf__error_errno(BF_EIO, errno, "%s: cannot read config file", path);
        goto done;
    }
    if (n > FILE_MAX) {
        st = bf__error_set(BF_EFORMAT, "%s: config file is larger than 1 MiB", path);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return st;
}

/* Jansson does not say where an object key was, so find the quoted key followed by ':' in the
 * raw text. Duplicate keys are rejected, so the first such occurrence is the one. 0: not found
 * (a key spelled with escapes). */
static int key_line(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = strchr(text, '"'); p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
            continue;
        const char *q = p + klen + 2;
        while (isspace((unsigned char)*q))
            q++;
        if (*q != ':')
            continue;
        int line = 1;
        for (const char *c = text; c < p; c++)
            line += *c == '\n';
        return line;
    }
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    default: return "a scalar";
    }
}

/* One file entry into the stage: strings as written, numbers through their decimal text. */
static bf_status stage_json_value(stage *s, const char *path, const char *text, const char *name,
                                  const json_t *val)
{
    char source[4200], num[64];
    int line = key_line(text, name);
    if (line > 0)
        snprintf(source, sizeof source, "%s:%d", path, line);
    else
        snprintf(source, sizeof source, "%s", path);
    int ki = key_index(name);
    if (ki < 0)
        return unknown_key(source, name, false);
    const keydef *k = &keys[ki];
    const char *value = num;
    bool quoted = false;
    if (json_is_string(val)) {
        value = json_string_value(val);
        quoted = true;
    } else if (json_is_integer(val)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
    } else if (json_is_real(val)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(val));
    } else {
        return bad_value(k, source, json_kind(val), false, NULL);
    }
    entry v = {0};
    bf_status st = parse_value(k, value, quoted, source, &v);
    if (st == BF_OK)
        st = stage_put(s, (size_t)ki, &v, source, R_FILE);
    return st;
}

static bf_status stage_file(stage *s, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    bf_status st = read_text(path, &text, &len);
    if (st != BF_OK)
        goto done;
    json_error_t err;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        st = bf__error_set(BF_EFORMAT, "%s:%d:%d: %s", path, err.line, err.column, err.text);
        goto done;
    }
    if (!json_is_object(root)) {
        st = bf__error_set(BF_EFORMAT, "%s: expected a JSON object of \"key\": value, got %s", path,
                           json_kind(root));
        goto done;
    }
    const char *name;
    json_t *val;
    json_object_foreach(root, name, val) {
        st = stage_json_value(s, path, text, name, val);
        if (st != BF_OK)
            goto done;
    }
done:
    json_decref(root);
    free(text);
    return st;
}

bf_status bf_config_load_file(bf_config *cfg, const char *path)
{
    if (!cfg || !path)
        return bf__error_set(BF_EINVAL, "bf_config_load_file needs a config and a path");
    stage s = {0};
    bf_status st = stage_file(&s, path);
    if (st == BF_OK)
        stage_commit(cfg, &s);
    stage_free(&s);
    return st;
}

/* ---- the environment ------------------------------------------------------------------- */

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* One BEAMFLOW_ variable into the stage. Aliases are staged one rank below the key's own
 * variable, so that variable wins whichever comes first in envp. */
static bf_status stage_env_var(stage *s, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    size_t n = eq ? (size_t)(eq - assignment) : strlen(assignment);
    char name[128], var[64];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), assignment);
    const char *value = eq ? eq + 1 : "";
    for (size_t i = 0; i < sizeof env_reserved / sizeof env_reserved[0]; i++)
        if (strcmp(name, env_reserved[i]) == 0)
            return BF_OK;
    int ki = -1;
    rank r = R_ENV;
    for (size_t i = 0; i < NKEYS && ki < 0; i++) {
        env_name(&keys[i], var, sizeof var);
        if (strcmp(name, var) == 0)
            ki = (int)i;
    }
    for (size_t i = 0; i < sizeof env_aliases / sizeof env_aliases[0] && ki < 0; i++) {
        if (strcmp(name, env_aliases[i].var) == 0) {
            ki = key_index(env_aliases[i].key);
            r = R_FILE; /* below R_ENV inside this stage only; committed as R_ENV */
        }
    }
    if (ki < 0)
        return unknown_key(name, name, true);
    entry v = {0};
    bf_status st = parse_value(&keys[ki], value, true, name, &v);
    if (st == BF_OK)
        st = stage_put(s, (size_t)ki, &v, name, r);
    return st;
}

static bf_status stage_env(stage *s, char *const *envp)
{
    stage env = {0};
    bf_status st = BF_OK;
    for (size_t i = 0; envp[i] && st == BF_OK; i++)
        if (strncmp(envp[i], "BEAMFLOW_", 9) == 0)
            st = stage_env_var(&env, envp[i]);
    for (size_t i = 0; i < NKEYS && st == BF_OK; i++)
        if (env.set[i])
            st = stage_put(s, i, &env.e[i], env.e[i].source, R_ENV);
    stage_free(&env);
    return st;
}

bf_status bf_config_load_standard(bf_config *cfg, char *const *envp)
{
    if (!cfg)
        return bf__error_set(BF_EINVAL, "bf_config_load_standard needs a config");
    if (!envp)
        envp = environ;
    stage s = {0};
    bf_status st = BF_OK;
    char path[4096];
    const char *named = env_lookup(envp, "BEAMFLOW_CONFIG");
    const char *home = env_lookup(envp, "HOME");
    struct stat sb;
    if (named) {
        if (!named[0]) {
            st = bf__error_set(BF_EINVAL, "BEAMFLOW_CONFIG is set but empty");
            goto done;
        }
        /* Set means "use this file": a missing one is an error, never a silent default. */
        if (stat(named, &sb) != 0) {
            st = bf__error_errno(errno == ENOENT ? BF_ENOTFOUND : BF_EIO, errno,
                                 "BEAMFLOW_CONFIG=%s", named);
            goto done;
        }
        st = stage_file(&s, named);
    } else if (home && home[0]) {
        snprintf(path, sizeof path, "%s/.config/beamflow/config.json", home);
        if (stat(path, &sb) == 0)
            st = stage_file(&s, path);
    }
    if (st == BF_OK)
        st = stage_env(&s, envp);
    if (st == BF_OK)
        stage_commit(cfg, &s);
done:
    stage_free(&s);
    return st;
}

/* ---- views ----------------------------------------------------------------------------- */

const char *bf_config_get(const bf_config *cfg, const char *key)
{
    int ki = key_index(key);
    return cfg && ki >= 0 ? cfg->e[ki].text : NULL;
}

const char *bf_config_source(const bf_config *cfg, const char *key)
{
    int ki = key_index(key);
    if (!cfg || ki < 0)
        return NULL;
    return cfg->e[ki].source ? cfg->e[ki].source : "default";
}

int64_t bf_config_int(const bf_config *cfg, const char *key)
{
    int ki = key_index(key);
    if (!cfg || ki < 0)
        return 0;
    if (keys[ki].kind == K_INT)
        return cfg->e[ki].num;
    if (keys[ki].kind != K_WORKERS)
        return 0;
    if (cfg->e[ki].num > 0)
        return cfg->e[ki].num;
    /* "auto": resolved on each call so that it follows threads-per-worker. */
    int64_t tpw = cfg->e[key_index("threads-per-worker")].num;
    int64_t w = cfg->ncpu / (tpw > 0 ? tpw : 1);
    return w > 0 ? w : 1;
}

uint64_t bf_config_size(const bf_config *cfg, const char *key)
{
    int ki = key_index(key);
    if (!cfg || ki < 0 || keys[ki].kind != K_SIZE)
        return 0;
    return cfg->e[ki].bytes;
}

const char *bf_config_key(size_t i) { return i < NKEYS ? keys[i].name : NULL; }
