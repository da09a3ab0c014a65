/* Detector catalogue: pyFAI's detector names, aliases, shapes, pixel sizes and module-gap masks.
 *
 * Name lookup follows pyFAI 0.21.3's detector_factory (detectors/_common.py): the exact class
 * name first, then the lower-cased name (and with spaces turned to '_') against the registry of
 * lower-cased class names and aliases (alias spaces -> '_' and removed). Masks are built exactly
 * as pyFAI's calc_mask (detectors/_dectris.py): rows [m, m+gap) after every module of m rows,
 * columns likewise, plus the CdTe mid-module columns (Pilatus CdTe: 3 columns around
 * module_cols/2, Eiger2 CdTe: 2); round detectors (Mar345, Rayonix133/SX165) mask what lies
 * outside the circle of radius rows/2 (detectors/_rayonix.py calc_mask). Invariant: a
 * bf_detector owns its mask (or has none) and is never modified after creation. Pixel sizes
 * given in Detector_config do not rebin the catalogue shapes (pyFAI's Perkin and Rayonix do). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ai/ai_internal.h"
#include "core/error.h"

#define MAX_PIXELS (1 << 28) /* 268 M pixels: 3x the largest detector; indices fit int32 */

enum family { FAM_NONE, FAM_GAPS, FAM_PILATUS_CDTE, FAM_EIGER2_CDTE, FAM_CIRCLE };

typedef struct entry {
    const char *name;    /* pyFAI class name */
    const char *aliases; /* '|'-separated */
    int rows, cols;
    double pixel1, pixel2;
    enum family family;
    int mod_rows, mod_cols, gap_rows, gap_cols;
} entry;

#define P172 172e-6
#define E75 75e-6
#define PIL(n, a, r, c, f) {n, a, r, c, P172, P172, f, 195, 487, 17, 7}
#define EIG(n, a, r, c, f) {n, a, r, c, E75, E75, f, 514, 1030, 37, 10}
#define EIG2(n, a, r, c, f) {n, a, r, c, E75, E75, f, 512, 1028, 38, 12}
#define PLAIN(n, a, r, c, p) {n, a, r, c, p, p, FAM_NONE, 0, 0, 0, 0}
#define ROUND(n, a, r, c, p) {n, a, r, c, p, p, FAM_CIRCLE, 0, 0, 0, 0}

static const entry catalogue[] = {
    PIL("Pilatus100k", "Pilatus 100k", 195, 487, FAM_GAPS),
    PIL("Pilatus200k", "Pilatus 200k", 407, 487, FAM_GAPS),
    PIL("Pilatus300k", "Pilatus 300k", 619, 487, FAM_GAPS),
    PIL("Pilatus300kw", "Pilatus 300kw", 195, 1475, FAM_GAPS),
    PIL("Pilatus1M", "Pilatus 1M", 1043, 981, FAM_GAPS),
    PIL("Pilatus2M", "Pilatus 2M", 1679, 1475, FAM_GAPS),
    PIL("Pilatus6M", "Pilatus 6M", 2527, 2463, FAM_GAPS),
    PIL("PilatusCdTe300k", "Pilatus CdTe 300k|Pilatus 300k CdTe|Pilatus300k CdTe|Pilatus300kCdTe",
        619, 487, FAM_PILATUS_CDTE),
    PIL("PilatusCdTe300kw",
        "Pilatus CdTe 300kw|Pilatus 300kw CdTe|Pilatus300kw CdTe|Pilatus300kwCdTe", 195, 1475,
        FAM_PILATUS_CDTE),
    PIL("PilatusCdTe900kw",
        "Pilatus CdTe 900kw|Pilatus 900kw CdTe|Pilatus900kw CdTe|Pilatus900kwCdTe", 195, 4439,
        FAM_PILATUS_CDTE),
    PIL("PilatusCdTe1M", "Pilatus CdTe 1M|Pilatus 1M CdTe|Pilatus1M CdTe|Pilatus1MCdTe", 1043, 981,
        FAM_PILATUS_CDTE),
    PIL("PilatusCdTe2M", "Pilatus CdTe 2M|Pilatus 2M CdTe|Pilatus2M CdTe|Pilatus2MCdTe", 1679,
        1475, FAM_PILATUS_CDTE),
    EIG("Eiger500k", "Eiger 500k", 514, 1030, FAM_GAPS),
    EIG("Eiger1M", "Eiger 1M", 1065, 1030, FAM_GAPS),
    EIG("Eiger4M", "Eiger 4M", 2167, 2070, FAM_GAPS),
    EIG("Eiger9M", "Eiger 9M", 3269, 3110, FAM_GAPS),
    EIG("Eiger16M", "Eiger 16M", 4371, 4150, FAM_GAPS),
    EIG2("Eiger2_500k", "Eiger2 500k", 512, 1028, FAM_GAPS),
    EIG2("Eiger2_1M", "Eiger2 1M", 1062, 1028, FAM_GAPS),
    EIG2("Eiger2_1MW", "Eiger2 1M-W", 512, 2068, FAM_GAPS),
    EIG2("Eiger2_2MW", "Eiger2 2M-W", 512, 4148, FAM_GAPS),
    EIG2("Eiger2_4M", "Eiger2 4M", 2162, 2068, FAM_GAPS),
    EIG2("Eiger2_9M", "Eiger2 9M", 3262, 3108, FAM_GAPS),
    EIG2("Eiger2_16M", "Eiger2 16M", 4362, 4148, FAM_GAPS),
    EIG2("Eiger2CdTe_500k", "Eiger2 CdTe 500k", 512, 1028, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_1M", "Eiger2 CdTe 1M", 1062, 1028, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_1MW", "Eiger2 CdTe 1M-W", 512, 2068, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_2MW", "Eiger2 CdTe 2M-W", 512, 4148, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_4M", "Eiger2 CdTe 4M", 2162, 2068, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_9M", "Eiger2 CdTe 9M", 3262, 3108, FAM_EIGER2_CDTE),
    EIG2("Eiger2CdTe_16M", "Eiger2 CdTe 16M", 4362, 4148, FAM_EIGER2_CDTE),
    PLAIN("Perkin", "Perkin detector|Perkin Elmer", 2048, 2048, 200e-6),
    ROUND("Rayonix133", "Rayonix133|MAR 133|MAR133", 2048, 2048, 64e-6),
    ROUND("RayonixSx165", "Rayonix SX165|MAR 165|MAR165", 4096, 4096, 39.5e-6),
    ROUND("Mar345", "MAR 345|Mar3450", 3450, 3450, 100e-6),
    PLAIN("RayonixLx170", "Rayonix LX170|Rayonix LX170-HS|Rayonix LX170 HS|RayonixLX170HS", 1920,
          3840, 44.2708e-6),
    PLAIN("RayonixLx255", "Rayonix LX255|Rayonix LX255-HS|Rayonix LX 255HS|RayonixLX225HS", 1920,
          5760, 44.2708e-6),
    PLAIN("RayonixMx170", "Rayonix MX170|Rayonix MX170-HS|RayonixMX170HS|Rayonix MX170 HS", 3840,
          3840, 44.2708e-6),
    PLAIN("RayonixMx225", "Rayonix MX225|MAR 225|MAR225", 3072, 3072, 73.242e-6),
    PLAIN("RayonixMx225hs", "Rayonix MX225HS|Rayonix MX225 HS", 2880, 2880, 78.125e-6),
    PLAIN("RayonixMx300", "Rayonix MX300|MAR 300|MAR300", 4096, 4096, 73.242e-6),
    PLAIN("RayonixMx300hs", "Rayonix MX300HS|Rayonix MX300 HS", 3840, 3840, 78.125e-6),
    PLAIN("RayonixMx325", "Rayonix MX325", 4096, 4096, 79.346e-6),
    PLAIN("RayonixMx340hs", "Rayonix MX340HS", 3840, 3840, 88.5417e-6),
    PLAIN("RayonixMx425hs", "Rayonix MX425HS|Rayonix MX425 HS", 9600, 9600, 44.2708e-6),
    PLAIN("RayonixSx200", "Rayonix SX200", 4096, 4096, 48e-6),
    PLAIN("RayonixSx30hs", "Rayonix SX30HS|Rayonix SX30 HS", 1920, 1920, 15.625e-6),
    PLAIN("RayonixSx85hs", "Rayonix SX85HS|Rayonix SX85 HS", 1920, 1920, 44.2708e-6),
};
#define NCATALOGUE (sizeof catalogue / sizeof catalogue[0])

static void lower_copy(char *dst, size_t n, const char *src, int space_mode)
{
    /* space_mode 0: keep, 1: ' ' -> '_', 2: drop ' ' */
    size_t k = 0;
    for (; *src && k + 1 < n; src++) {
        char c = (char)tolower((unsigned char)*src);
        if (c == ' ' && space_mode == 1)
            c = '_';
        else if (c == ' ' && space_mode == 2)
            continue;
        dst[k++] = c;
    }
    dst[k] = 0;
}

/* Is key (already normalised by the caller) one of e's registry keys? */
static int registry_has(const entry *e, const char *key)
{
    char buf[128];
    lower_copy(buf, sizeof buf, e->name, 0);
    if (strcmp(buf, key) == 0)
        return 1;
    const char *a = e->aliases;
    while (a && *a) {
        const char *bar = strchr(a, '|');
        size_t n = bar ? (size_t)(bar - a) : strlen(a);
        char alias[128];
        if (n >= sizeof alias)
            n = sizeof alias - 1;
        memcpy(alias, a, n);
        alias[n] = 0;
        for (int mode = 1; mode <= 2; mode++) {
            lower_copy(buf, sizeof buf, alias, mode);
            if (strcmp(buf, key) == 0)
                return 1;
        }
        a = bar ? bar + 1 : NULL;
    }
    return 0;
}

static const entry *lookup(const char *name)
{
    for (size_t i = 0; i < NCATALOGUE; i++)
        if (strcmp(catalogue[i].name, name) == 0)
            return &catalogue[i];
    char key[128];
    for (int mode = 0; mode <= 1; mode++) {
        lower_copy(key, sizeof key, name, mode);
        for (size_t i = 0; i < NCATALOGUE; i++)
            if (registry_has(&catalogue[i], key))
                return &catalogue[i];
    }
    return NULL;
}

static int is_generic_name(const char *name)
{
    char key[64];
    lower_copy(key, sizeof key, name, 0);
    return strcmp(key, "detector") == 0;
}

static void build_mask(bf_detector *d)
{
    const size_t R = d->rows, C = d->cols;
    uint8_t *m = d->mask;
    memset(m, 0, R * C);
    if (d->family == FAM_CIRCLE) { /* pyFAI: outside the circle of radius rows//2 */
        const double c0 = (double)(R / 2), c1 = (double)(C / 2);
        for (size_t i = 0; i < R; i++)
            for (size_t j = 0; j < C; j++) {
                const double x = (double)i + 0.5 - c0, y = (double)j + 0.5 - c1;
                m[i * C + j] = x * x + y * y > c0 * c0;
            }
        return;
    }
    if (d->mod_rows <= 0 || d->mod_cols <= 0)
        return;
    for (size_t i = (size_t)d->mod_rows; i < R; i += (size_t)(d->mod_rows + d->gap_rows))
        for (size_t k = i; k < i + (size_t)d->gap_rows && k < R; k++)
            memset(m + k * C, 1, C);
    for (size_t j = (size_t)d->mod_cols; j < C; j += (size_t)(d->mod_cols + d->gap_cols))
        for (size_t r = 0; r < R; r++)
            for (size_t k = j; k < j + (size_t)d->gap_cols && k < C; k++)
                m[r * C + k] = 1;
    if (d->family == FAM_PILATUS_CDTE || d->family == FAM_EIGER2_CDTE) {
        size_t hi = d->family == FAM_PILATUS_CDTE ? 2 : 1;
        for (size_t j = (size_t)d->mod_cols / 2; j < C; j += (size_t)(d->mod_cols + d->gap_cols))
            for (size_t r = 0; r < R; r++)
                for (size_t k = j - 1; k < j + hi && k < C; k++)
                    m[r * C + k] = 1;
    }
}

static bf_status alloc_detector(const char *name, bf_detector **out)
{
    bf_detector *d = calloc(1, sizeof *d);
    if (!d)
        return bf__error_set(BF_ENOMEM, "out of memory for detector %s", name);
    snprintf(d->name, sizeof d->name, "%s", name);
    *out = d;
    return BF_OK;
}

/* Apply pyFAI's Detector_config keys to d (pixel1, pixel2, max_shape, module_size). */
static bf_status apply_config(bf_detector *d, const char *json, int *has_shape)
{
    *has_shape = 0;
    if (!json || !*json)
        return BF_OK;
    json_error_t jerr;
    json_t *root = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (!root)
        return bf__error_set(BF_EFORMAT, "Detector_config is not valid JSON (%s): %s", jerr.text,
                             json);
    bf_status st = BF_OK;
    if (!json_is_object(root)) {
        st = bf__error_set(BF_EFORMAT, "Detector_config must be a JSON object: %s", json);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "pixel1") == 0 || strcmp(key, "pixel2") == 0) {
            double p = json_number_value(v);
            if (!json_is_number(v) || !(p > 0) || !isfinite(p)) {
                st = bf__error_set(BF_EINVAL, "Detector_config: %s must be a positive number",
                                   key);
                goto done;
            }
            if (key[5] == '1')
                d->pixel1 = p;
            else
                d->pixel2 = p;
        } else if (strcmp(key, "max_shape") == 0 || strcmp(key, "module_size") == 0) {
            if (json_is_null(v))
                continue;
            json_t *a = json_array_get(v, 0), *b = json_array_get(v, 1);
            if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(a) ||
                !json_is_integer(b) || json_integer_value(a) <= 0 || json_integer_value(b) <= 0 ||
                json_integer_value(a) > 1000000 || json_integer_value(b) > 1000000) {
                st = bf__error_set(BF_EINVAL,
                                   "Detector_config: %s must be [rows, cols] of positive integers",
                                   key);
                goto done;
            }
            if (key[1] == 'a') {
                d->rows = (size_t)json_integer_value(a);
                d->cols = (size_t)json_integer_value(b);
                *has_shape = 1;
            } else {
                d->mod_rows = (int)json_integer_value(a);
                d->mod_cols = (int)json_integer_value(b);
            }
        } else {
            st = bf__error_set(BF_EINVAL, "Detector_config: unknown key '%s' for detector %s", key,
                               d->name);
            goto done;
        }
    }
done:
    json_decref(root);
    return st;
}

bf_status bf_detector_create(const char *name, const char *config_json, bf_detector **out)
{
    bf_status st = BF_OK;
    bf_detector *d = NULL;
    *out = NULL;
    if (!name || !*name)
        return bf__error_set(BF_EINVAL, "missing detector name");
    const entry *e = lookup(name);
    if (!e && !is_generic_name(name))
        return bf__error_set(BF_ENOTFOUND, "unknown detector '%s'", name);
    if ((st = alloc_detector(e ? e->name : "Detector", &d)))
        goto done;
    if (e) {
        d->rows = (size_t)e->rows;
        d->cols = (size_t)e->cols;
        d->pixel1 = d->def_pixel1 = e->pixel1;
        d->pixel2 = d->def_pixel2 = e->pixel2;
        d->family = e->family;
        d->mod_rows = e->mod_rows;
        d->mod_cols = e->mod_cols;
        d->gap_rows = e->gap_rows;
        d->gap_cols = e->gap_cols;
        d->def_rows = d->rows;
        d->def_cols = d->cols;
    }
    int has_shape;
    if ((st = apply_config(d, config_json, &has_shape)))
        goto done;
    if (d->rows * d->cols > MAX_PIXELS) {
        st = bf__error_set(BF_EINVAL, "detector shape %zu x %zu has more than %d pixels", d->rows,
                           d->cols, MAX_PIXELS);
        goto done;
    }
    if (!e && (!has_shape || !(d->pixel1 > 0) || !(d->pixel2 > 0))) {
        st = bf__error_set(BF_EINVAL, "generic detector needs pixel1, pixel2 and max_shape in "
                                      "Detector_config");
        goto done;
    }
    if (d->family != FAM_NONE || (e && e->family != FAM_NONE)) {
        d->mask = malloc(d->rows * d->cols);
        if (!d->mask) {
            st = bf__error_set(BF_ENOMEM, "out of memory for the mask of %s", d->name);
            goto done;
        }
        build_mask(d);
    }
    *out = d;
    d = NULL;
done:
    bf_detector_destroy(d);
    return st;
}

bf_status bf_detector_create_generic(double pixel1, double pixel2, size_t rows, size_t cols,
                                     bf_detector **out)
{
    *out = NULL;
    if (!(pixel1 > 0) || !(pixel2 > 0) || !isfinite(pixel1) || !isfinite(pixel2))
        return bf__error_set(BF_EINVAL, "pixel sizes must be positive, got %g x %g m", pixel1,
                             pixel2);
    if (rows == 0 || cols == 0 || rows > 1000000 || cols > 1000000 || rows * cols > MAX_PIXELS)
        return bf__error_set(BF_EINVAL, "detector shape %zu x %zu is out of range", rows, cols);
    bf_detector *d = NULL;
    bf_status st = alloc_detector("Detector", &d);
    if (st)
        return st;
    d->pixel1 = pixel1;
    d->pixel2 = pixel2;
    d->rows = rows;
    d->cols = cols;
    *out = d;
    return BF_OK;
}

bf_status bf_detector_clone(const bf_detector *src, bf_detector **out)
{
    *out = NULL;
    bf_detector *d = malloc(sizeof *d);
    if (!d)
        return bf__error_set(BF_ENOMEM, "out of memory for detector %s", src->name);
    *d = *src;
    if (src->mask) {
        d->mask = malloc(src->rows * src->cols);
        if (!d->mask) {
            free(d);
            return bf__error_set(BF_ENOMEM, "out of memory for the mask of %s", src->name);
        }
        memcpy(d->mask, src->mask, src->rows * src->cols);
    }
    *out = d;
    return BF_OK;
}

void bf_detector_destroy(bf_detector *d)
{
    if (!d)
        return;
    free(d->mask);
    free(d);
}

const char *bf_detector_name(const bf_detector *d) { return d->name; }
size_t bf_detector_rows(const bf_detector *d) { return d->rows; }
size_t bf_detector_cols(const bf_detector *d) { return d->cols; }
double bf_detector_pixel1(const bf_detector *d) { return d->pixel1; }
double bf_detector_pixel2(const bf_detector *d) { return d->pixel2; }
const uint8_t *bf_detector_mask(const bf_detector *d) { return d->mask; }

bf_status bf_detector_config_json(const bf_detector *d, char *buf, size_t buflen)
{
    char p1[32], p2[32];
    int n;
    bf__format_repr(d->pixel1, p1, sizeof p1);
    bf__format_repr(d->pixel2, p2, sizeof p2);
    if (strcmp(d->name, "Detector") == 0) {
        n = snprintf(buf, buflen, "{\"pixel1\": %s, \"pixel2\": %s, \"max_shape\": [%zu, %zu]}",
                     p1, p2, d->rows, d->cols);
    } else {
        char tmp[256] = "";
        size_t k = 0;
        if (d->pixel1 != d->def_pixel1 || d->pixel2 != d->def_pixel2)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "\"pixel1\": %s, \"pixel2\": %s", p1,
                                  p2);
        if (d->rows != d->def_rows || d->cols != d->def_cols)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%s\"max_shape\": [%zu, %zu]",
                                  k ? ", " : "", d->rows, d->cols);
        n = snprintf(buf, buflen, "{%s}", tmp);
    }
    if (n < 0 || (size_t)n >= buflen)
        return bf__error_set(BF_EINVAL, "buffer of %zu bytes too small for Detector_config",
                             buflen);
    return BF_OK;
}
