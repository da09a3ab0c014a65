/* pyFAI .poni files, versions 1 and 2 (pyFAI 0.21.3 io/ponifile.py 69-173).
 *
 * Reading: one "Key: value" per line; '#' lines and lines without ':' are ignored; the key is
 * the text before the first ':', stripped and lower-cased; the value is stripped. Later keys
 * overwrite earlier ones, as in pyFAI's dict. Numbers must parse completely as C doubles (Python
 * float() syntax less '_' separators and 'inf'/'nan' spellings, which make no sense here).
 * Every error names the source, the line and the key. Writing: version 2, pyFAI's layout,
 * numbers in shortest round-trip form, to a temporary file then renamed. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ai/ai_internal.h"
#include "core/error.h"

enum { K_VERSION, K_DETECTOR, K_CONFIG, K_DIST, K_DIST_ALIAS, K_PONI1, K_PONI2, K_ROT1, K_ROT2,
       K_ROT3, K_WAVELENGTH, K_PIXEL1, K_PIXEL2, K_SPLINE, NKEYS };
static const char *const key_names[NKEYS] = {
    "poni_version", "detector", "detector_config", "distance", "dist", "poni1", "poni2", "rot1",
    "rot2", "rot3", "wavelength", "pixelsize1", "pixelsize2", "splinefile"};

typedef struct parsed {
    char *value[NKEYS]; /* malloc'ed, or NULL if absent */
    int line[NKEYS];
} parsed;

static void parsed_free(parsed *p)
{
    for (int k = 0; k < NKEYS; k++)
        free(p->value[k]);
}

static char *strip_copy(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = 0;
    }
    return c;
}

static bf_status split_lines(const char *text, size_t len, const char *src, parsed *p)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        const char *line = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (memchr(line, 0, n))
            return bf__error_set(BF_EFORMAT, "%s:%d: NUL byte in a text file", src, lineno);
        if (n == 0 || line[0] == '#')
            continue;
        const char *colon = memchr(line, ':', n);
        if (!colon)
            continue;
        char *key = strip_copy(line, (size_t)(colon - line));
        if (!key)
            return bf__error_set(BF_ENOMEM, "%s: out of memory", src);
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        int k = 0;
        while (k < NKEYS && strcmp(key, key_names[k]) != 0)
            k++;
        free(key);
        if (k == NKEYS)
            continue; /* pyFAI keeps unknown keys and ignores them */
        free(p->value[k]);
        p->value[k] = strip_copy(colon + 1, (size_t)(line + n - colon - 1));
        p->line[k] = lineno;
        if (!p->value[k])
            return bf__error_set(BF_ENOMEM, "%s: out of memory", src);
    }
    return BF_OK;
}

static bf_status get_number(const parsed *p, int k, const char *src, double *out)
{
    const char *v = p->value[k];
    errno = 0;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || !isfinite(x))
        return bf__error_set(BF_EFORMAT, "%s:%d: key '%s': '%s' is not a finite number", src,
                             p->line[k], key_names[k], v);
    for (const char *c = v; *c; c++)
        if (isalpha((unsigned char)*c) && *c != 'e' && *c != 'E')
            return bf__error_set(BF_EFORMAT, "%s:%d: key '%s': '%s' is not a finite number", src,
                                 p->line[k], key_names[k], v);
    *out = x;
    return BF_OK;
}

static bf_status read_detector(const parsed *p, int version, const char *src, bf_detector **det)
{
    bf_status st;
    if (version == 2) {
        if (!p->value[K_DETECTOR])
            return bf__error_set(BF_ENOTFOUND, "%s: missing key 'Detector' (poni_version 2)", src);
        if (!p->value[K_CONFIG])
            return bf__error_set(BF_ENOTFOUND, "%s: missing key 'Detector_config' "
                                               "(poni_version 2)", src);
        st = bf_detector_create(p->value[K_DETECTOR], p->value[K_CONFIG], det);
        if (st)
            return bf__error_prefix(st, "%s:%d: key 'Detector': ", src,
                                    p->line[st == BF_ENOTFOUND ? K_DETECTOR : K_CONFIG]);
        return BF_OK;
    }
    /* version 1: an optional catalogue name, PixelSize1/2 override (or define a generic one) */
    double px[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        if (p->value[K_PIXEL1 + i] && (st = get_number(p, K_PIXEL1 + i, src, &px[i])))
            return st;
    if (p->value[K_SPLINE] && strcasecmp(p->value[K_SPLINE], "none") != 0)
        return bf__error_set(BF_EUNSUPPORTED, "%s:%d: key 'SplineFile': distortion splines are "
                                              "not supported", src, p->line[K_SPLINE]);
    if (p->value[K_DETECTOR]) {
        if ((st = bf_detector_create(p->value[K_DETECTOR], NULL, det)))
            return bf__error_prefix(st, "%s:%d: key 'Detector': ", src, p->line[K_DETECTOR]);
        if (strcmp((*det)->name, "Detector") != 0) {
            if (px[0] > 0 && px[1] > 0) {
                (*det)->pixel1 = px[0];
                (*det)->pixel2 = px[1];
            }
            return BF_OK;
        }
        bf_detector_destroy(*det);
        *det = NULL;
    }
    return bf__error_set(BF_EUNSUPPORTED, "%s: a version 1 PONI file without a catalogue "
                                          "detector has no detector shape; use a version 2 file "
                                          "with Detector_config {\"max_shape\": ...}", src);
}

bf_status bf_geometry_parse_poni(const char *text, size_t len, const char *src, bf_geometry **out)
{
    parsed p = {0};
    bf_status st = BF_OK;
    bf_detector *det = NULL;
    *out = NULL;
    if (!src)
        src = "(poni text)";
    if (!text) {
        st = bf__error_set(BF_EINVAL, "%s: no text", src);
        goto done;
    }
    if ((st = split_lines(text, len, src, &p)))
        goto done;
    int version = 1;
    if (p.value[K_VERSION]) {
        double v;
        if ((st = get_number(&p, K_VERSION, src, &v)))
            goto done;
        if (v != 1 && v != 2) {
            st = bf__error_set(BF_EUNSUPPORTED, "%s:%d: key 'poni_version': version %s is not "
                                                "supported (1 or 2)", src, p.line[K_VERSION],
                               p.value[K_VERSION]);
            goto done;
        }
        version = (int)v;
    }
    bf_geometry_params gp = {0};
    int dist_key = p.value[K_DIST] ? K_DIST : p.value[K_DIST_ALIAS] ? K_DIST_ALIAS : -1;
    if (dist_key < 0) {
        st = bf__error_set(BF_ENOTFOUND, "%s: missing key 'Distance'", src);
        goto done;
    }
    struct {
        int key;
        double *dst;
        int required;
    } nums[] = {{dist_key, &gp.dist, 1},  {K_PONI1, &gp.poni1, 1}, {K_PONI2, &gp.poni2, 1},
                {K_ROT1, &gp.rot1, 1},    {K_ROT2, &gp.rot2, 1},   {K_ROT3, &gp.rot3, 1},
                {K_WAVELENGTH, &gp.wavelength, 0}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (!p.value[nums[i].key]) {
            if (nums[i].required) {
                st = bf__error_set(BF_ENOTFOUND, "%s: missing key '%s'", src,
                                   key_names[nums[i].key]);
                goto done;
            }
            continue;
        }
        if ((st = get_number(&p, nums[i].key, src, nums[i].dst)))
            goto done;
    }
    if (!(gp.dist > 0)) {
        st = bf__error_set(BF_EINVAL, "%s:%d: key '%s': distance must be positive, got %s", src,
                           p.line[dist_key], key_names[dist_key], p.value[dist_key]);
        goto done;
    }
    if (gp.wavelength < 0) {
        st = bf__error_set(BF_EINVAL, "%s:%d: key 'wavelength': must be positive, got %s", src,
                           p.line[K_WAVELENGTH], p.value[K_WAVELENGTH]);
        goto done;
    }
    if ((st = read_detector(&p, version, src, &det)))
        goto done;
    st = bf_geometry_create(det, &gp, out);
done:
    bf_detector_destroy(det);
    parsed_free(&p);
    return st;
}

bf_status bf_geometry_read_poni(const char *path, bf_geometry **out)
{
    *out = NULL;
    if (!path)
        return bf__error_set(BF_EINVAL, "missing PONI path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open PONI file", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bf_status st = BF_OK;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20)) {
                st = bf__error_set(BF_EFORMAT, "%s: too large for a PONI file", path);
                goto done;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                st = bf__error_set(BF_ENOMEM, "%s: out of memory", path);
                goto done;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        st = bf__error_set(BF_EIO, "%s: read error", path);
        goto done;
    }
    st = bf_geometry_parse_poni(buf, len, path, out);
done:
    free(buf);
    fclose(f);
    return st;
}

bf_status bf_geometry_write_poni(const bf_geometry *g, const char *path)
{
    if (!g || !path)
        return bf__error_set(BF_EINVAL, "missing geometry or path");
    char cfg[512];
    bf_status st = bf_detector_config_json(g->det, cfg, sizeof cfg);
    if (st)
        return st;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    time_t now = time(NULL);
    char when[64];
    ctime_r(&now, when);
    when[strcspn(when, "\n")] = 0;
    fprintf(f, "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis \n");
    fprintf(f, "# Calibration done at %s\n", when);
    fprintf(f, "poni_version: 2\nDetector: %s\nDetector_config: %s\n", g->det->name, cfg);
    const char *names[] = {"Distance", "Poni1", "Poni2", "Rot1", "Rot2", "Rot3", "Wavelength"};
    const double vals[] = {g->p.dist, g->p.poni1, g->p.poni2, g->p.rot1,
                           g->p.rot2, g->p.rot3,  g->p.wavelength};
    for (int i = 0; i < 7; i++) {
        if (i == 6 && !(g->p.wavelength > 0))
            break;
        char num[40];
        bf__format_repr(vals[i], num, sizeof num);
        fprintf(f, "%s: %s\n", names[i], num);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return bf__error_errno(BF_EIO, e, "%s: cannot write PONI file", path);
    }
    return BF_OK;
}
