/* Text helpers for the structure readers: a line cursor that counts line numbers (for
 * "file:12: ..." messages), whitespace splitting, strict number parsing, whole-file reads, and
 * bf_structure_read, which picks the reader from the file name and first lines. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

void bf__ms_lines_init(bf__ms_lines *l, const char *text, size_t len)
{
    memset(l, 0, sizeof *l);
    l->p = text;
    l->end = text + len;
}

const char *bf__ms_lines_next(bf__ms_lines *l, bf_status *st)
{
    if (l->p >= l->end)
        return NULL;
    const char *s = l->p;
    const char *e = memchr(s, '\n', (size_t)(l->end - s));
    if (!e)
        e = l->end;
    size_t n = (size_t)(e - s);
    if (n && s[n - 1] == '\r')
        n--;
    if (n + 1 > l->cap) {
        size_t cap = n + 64;
        char *b = realloc(l->buf, cap);
        if (!b) {
            *st = bf__error_set(BF_ENOMEM, "out of memory reading a line");
            return NULL;
        }
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf, s, n);
    l->buf[n] = '\0';
    /* embedded NULs end the line early, which keeps every later parse bounded */
    l->p = e < l->end ? e + 1 : l->end;
    l->lineno++;
    return l->buf;
}

void bf__ms_lines_free(bf__ms_lines *l)
{
    free(l->buf);
    l->buf = NULL;
    l->cap = 0;
}

size_t bf__ms_split(char *s, char **tok, size_t max)
{
    size_t n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        if (n == max)
            return n + 1; /* signal "more than max" */
        tok[n++] = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

int bf__ms_parse_double(const char *s, double *v)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(d))
        return 0;
    *v = d;
    return 1;
}

int bf__ms_parse_long(const char *s, long *v)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long d = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return 0;
    *v = d;
    return 1;
}

bf_status bf__ms_read_file(const char *path, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        char *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return bf__error_set(BF_ENOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return bf__error_set(BF_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return BF_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Kirkland XYZ: the second line is a bare cell "a b c". */
static int looks_kirkland(const char *text, size_t len)
{
    bf__ms_lines l;
    bf_status st = BF_OK;
    bf__ms_lines_init(&l, text, len);
    int yes = 0;
    if (bf__ms_lines_next(&l, &st)) {
        char *line = (char *)bf__ms_lines_next(&l, &st);
        char *tok[4];
        double v;
        if (line && !strstr(line, "=") && bf__ms_split(line, tok, 4) == 3 &&
            bf__ms_parse_double(tok[0], &v) && bf__ms_parse_double(tok[1], &v) &&
            bf__ms_parse_double(tok[2], &v))
            yes = 1;
    }
    bf__ms_lines_free(&l);
    return yes;
}

bf_status bf_structure_read(const char *path, bf_frames *out)
{
    out->count = 0;
    out->frames = NULL;
    if (!path)
        return bf__error_set(BF_EINVAL, "missing structure file name");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    enum { CIF, POSCAR, XYZ } kind;
    if (ends_with(base, ".cif"))
        kind = CIF;
    else if (ends_with(base, ".vasp") || !strncmp(base, "POSCAR", 6) ||
             !strncmp(base, "CONTCAR", 7))
        kind = POSCAR;
    else if (ends_with(base, ".xyz") || ends_with(base, ".exyz"))
        kind = XYZ;
    else
        return bf__error_set(BF_EUNSUPPORTED,
                             "%s: unknown structure format (expected .xyz, .cif, POSCAR, CONTCAR "
                             "or .vasp)", path);
    char *text;
    size_t len;
    bf_status st = bf__ms_read_file(path, &text, &len);
    if (st)
        return st;
    bf_atoms *one = NULL;
    if (kind == CIF)
        st = bf_cif_parse(text, len, path, &one);
    else if (kind == POSCAR)
        st = bf_poscar_parse(text, len, path, &one);
    else if (looks_kirkland(text, len))
        st = bf_kirkland_xyz_parse(text, len, path, &one);
    else
        st = bf_xyz_parse(text, len, path, out);
    free(text);
    if (!st && one) {
        out->frames = malloc(sizeof *out->frames);
        if (!out->frames) {
            bf_atoms_destroy(one);
            return bf__error_set(BF_ENOMEM, "out of memory");
        }
        out->frames[0] = one;
        out->count = 1;
    }
    return st;
}
