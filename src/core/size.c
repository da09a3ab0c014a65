/* Memory sizes as people write them: "128 MiB", "512MB", "2 GB", "1.5GiB", "4096".
 *
 * Binary prefixes (KiB..TiB) are powers of 1024, decimal ones (kB..TB) powers of 1000, as IEC
 * 80000-13 defines them; "K", "M", "G", "T" without "i" are read as decimal, like Dask does. */
#include "core/error.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const struct {
    const char *suffix;
    double factor;
} units[] = {
    {"", 1.0},          {"b", 1.0},         {"k", 1e3},          {"kb", 1e3},
    {"m", 1e6},         {"mb", 1e6},        {"g", 1e9},          {"gb", 1e9},
    {"t", 1e12},        {"tb", 1e12},       {"kib", 1024.0},     {"mib", 1048576.0},
    {"gib", 1073741824.0}, {"tib", 1099511627776.0},
};

bf_status bf_size_parse(const char *text, uint64_t *bytes)
{
    if (!text)
        return bf__error_set(BF_EINVAL, "size is missing");
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p) && *p != '.')
        return bf__error_set(BF_EINVAL, "bad size '%s': expected a number and a unit such as 128 MiB",
                             text);
    char *end = NULL;
    double value = strtod(p, &end);
    while (isspace((unsigned char)*end))
        end++;
    const char *suffix = end;
    const char *tail = suffix;
    while (isalpha((unsigned char)*tail))
        tail++;
    while (isspace((unsigned char)*tail))
        tail++;
    if (*tail != '\0')
        return bf__error_set(BF_EINVAL, "bad size '%s': unexpected '%s'", text, tail);
    size_t suffix_len = (size_t)(tail - suffix);
    while (suffix_len > 0 && isspace((unsigned char)suffix[suffix_len - 1]))
        suffix_len--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = 0;
        while (units[i].suffix[n])
            n++;
        if (n != suffix_len || strncasecmp(units[i].suffix, suffix, n) != 0)
            continue;
        double b = value * units[i].factor;
        if (!isfinite(b) || b < 0 || b >= 1.8e19)
            return bf__error_set(BF_EINVAL, "bad size '%s': out of range", text);
        if (b != floor(b) && units[i].factor == 1.0)
            return bf__error_set(BF_EINVAL, "bad size '%s': a byte count must be whole", text);
        *bytes = (uint64_t)llround(b);
        return BF_OK;
    }
    return bf__error_set(BF_EINVAL,
                         "bad size '%s': unknown unit '%.*s' (use B, kB, MB, GB, TB, KiB, MiB, GiB "
                         "or TiB)",
                         text, (int)suffix_len, suffix);
}

void bf_size_format(uint64_t bytes, char *buf, size_t buflen)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, buflen, "%llu B", (unsigned long long)bytes);
    else if (v == floor(v))
        snprintf(buf, buflen, "%.0f %s", v, names[u]);
    else
        snprintf(buf, buflen, "%.2f %s", v, names[u]);
}
