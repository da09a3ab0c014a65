/* CIF reader for crystal structures: the first data block's cell (_cell_length_*, _cell_angle_*
 * turned into lattice vectors as ASE's cellpar_to_cell: a along x, b in the xy plane), the
 * atom_site loop (type symbol or label, fractional x y z) and the symmetry operations
 * (_symmetry_equiv_pos_as_xyz or _space_group_symop_operation_xyz; none means P1). Every
 * operation is applied to every site, positions are wrapped into [0, 1) and duplicates (closer
 * than 1e-4 in fractional coordinates, periodically) are merged, as ASE's reader does.
 * Tokenising follows CIF 1.1: quotes close only before whitespace, '#' comments, ';' text fields.
 * Invariants: errors name the file and line; a non-orthogonal cell is made orthogonal as abTEM
 * does (orthogonalize.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/structure_internal.h"

typedef struct tok {
    char *s;
    size_t line;
} tok;

typedef struct toks {
    tok *t;
    size_t n, cap;
    char *buf;
} toks;

static bf_status push(toks *ts, char *s, size_t line)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? 2 * ts->cap : 256;
        tok *t = realloc(ts->t, cap * sizeof *t);
        if (!t)
            return bf__error_set(BF_ENOMEM, "out of memory reading CIF");
        ts->t = t;
        ts->cap = cap;
    }
    ts->t[ts->n].s = s;
    ts->t[ts->n].line = line;
    ts->n++;
    return BF_OK;
}

static bf_status tokenize(const char *text, size_t len, toks *ts)
{
    bf_status st = BF_OK;
    ts->buf = malloc(len + 1);
    if (!ts->buf)
        return bf__error_set(BF_ENOMEM, "out of memory reading CIF");
    memcpy(ts->buf, text, len);
    ts->buf[len] = '\0';
    char *p = ts->buf, *end = ts->buf + strlen(ts->buf);
    size_t line = 1;
    int bol = 1;
    while (p < end && !st) {
        if (*p == '\n') {
            line++;
            bol = 1;
            p++;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        if (*p == '#') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        size_t start = line;
        if (bol && *p == ';') { /* text field up to a line starting with ';' */
            char *s = ++p;
            for (;;) {
                char *nl = strchr(p, '\n');
                if (!nl)
                    return bf__error_set(BF_EFORMAT, ":%zu: unterminated ';' text field", start);
                line++;
                p = nl + 1;
                if (*p == ';') {
                    *nl = '\0';
                    p++;
                    break;
                }
            }
            st = push(ts, s, start);
            bol = 0;
            continue;
        }
        bol = 0;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            char *s = p;
            while (p < end && *p != '\n' && !(*p == q && (p + 1 >= end || isspace((unsigned char)p[1]))))
                p++;
            if (p >= end || *p != q)
                return bf__error_set(BF_EFORMAT, ":%zu: unterminated quoted string", line);
            *p++ = '\0';
            st = push(ts, s, line);
            continue;
        }
        char *s = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        if (p < end) {
            if (*p == '\n') {
                *p = '\0';
                line++;
                bol = 1;
            } else {
                *p = '\0';
            }
            p++;
        }
        st = push(ts, s, start);
    }
    return st;
}

/* "5.431(2)" -> 5.431 */
static int cif_number(const char *s, double *v)
{
    char buf[64];
    size_t n = strcspn(s, "(");
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return bf__ms_parse_double(buf, v);
}

typedef struct symop {
    double r[3][3], t[3];
} symop;

/* One component of a symmetry operation: "-x+1/2", "x-y", "1/2+z", "+0.25-y". */
static int parse_component(const char *s, double r[3], double *t)
{
    r[0] = r[1] = r[2] = 0.0;
    *t = 0.0;
    const char *p = s;
    int any = 0;
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        double sign = 1.0;
        if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1.0 : 1.0;
            p++;
        }
        double num = 1.0;
        int has_num = 0;
        if (isdigit((unsigned char)*p) || *p == '.') {
            char *e;
            num = strtod(p, &e);
            if (e == p)
                return 0;
            p = e;
            if (*p == '/') {
                double den = strtod(p + 1, &e);
                if (e == p + 1 || den == 0.0)
                    return 0;
                num /= den;
                p = e;
            }
            has_num = 1;
        }
        char c = (char)tolower((unsigned char)*p);
        if (c == 'x' || c == 'y' || c == 'z') {
            r[c - 'x'] += sign * num;
            p++;
        } else if (has_num) {
            *t += sign * num;
        } else {
            return 0;
        }
        any = 1;
    }
    return any;
}

static int parse_symop(const char *s, symop *op)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *parts[3];
    char *save = NULL;
    for (int i = 0; i < 3; i++) {
        parts[i] = strtok_r(i ? NULL : buf, ",", &save);
        if (!parts[i])
            return 0;
    }
    if (strtok_r(NULL, ",", &save))
        return 0;
    for (int i = 0; i < 3; i++)
        if (!parse_component(parts[i], op->r[i], &op->t[i]))
            return 0;
    return 1;
}

typedef struct cif {
    double len[3], ang[3];
    int have_len[3];
    size_t site_first, site_rows, site_cols, col_sym, col_x; /* col_x: x; y, z follow by index */
    size_t col_y, col_z;
    size_t op_first, op_rows, op_cols, col_op;
    size_t block_line;
} cif;

static int tag_is(const char *t, const char *name) { return strcasecmp(t, name) == 0; }

static bf_status read_loop(const toks *ts, size_t *i, cif *c, const char *name)
{
    size_t first_tag = *i, ntags = 0;
    while (*i < ts->n && ts->t[*i].s[0] == '_') {
        (*i)++;
        ntags++;
    }
    size_t vfirst = *i;
    while (*i < ts->n && ts->t[*i].s[0] != '_' && strncasecmp(ts->t[*i].s, "loop_", 5) &&
           strncasecmp(ts->t[*i].s, "data_", 5))
        (*i)++;
    size_t nv = *i - vfirst;
    if (ntags == 0 || nv % ntags)
        return bf__error_set(BF_EFORMAT, "%s:%zu: loop has %zu values for %zu tags", name,
                             ts->t[first_tag > 0 ? first_tag - 1 : 0].line, nv, ntags);
    size_t sx = SIZE_MAX, sy = SIZE_MAX, sz = SIZE_MAX, ssym = SIZE_MAX, slab = SIZE_MAX,
           sop = SIZE_MAX;
    for (size_t k = 0; k < ntags; k++) {
        const char *t = ts->t[first_tag + k].s;
        if (tag_is(t, "_atom_site_fract_x")) sx = k;
        else if (tag_is(t, "_atom_site_fract_y")) sy = k;
        else if (tag_is(t, "_atom_site_fract_z")) sz = k;
        else if (tag_is(t, "_atom_site_type_symbol")) ssym = k;
        else if (tag_is(t, "_atom_site_label")) slab = k;
        else if (tag_is(t, "_symmetry_equiv_pos_as_xyz") ||
                 tag_is(t, "_space_group_symop_operation_xyz")) sop = k;
    }
    if (sx != SIZE_MAX || sy != SIZE_MAX || sz != SIZE_MAX) {
        if (sx == SIZE_MAX || sy == SIZE_MAX || sz == SIZE_MAX || (ssym == SIZE_MAX && slab == SIZE_MAX))
            return bf__error_set(BF_EFORMAT,
                                 "%s:%zu: atom_site loop needs fract_x, fract_y, fract_z and a "
                                 "type_symbol or label", name, ts->t[first_tag].line);
        c->site_first = vfirst;
        c->site_rows = nv / ntags;
        c->site_cols = ntags;
        c->col_sym = ssym != SIZE_MAX ? ssym : slab;
        c->col_x = sx;
        c->col_y = sy;
        c->col_z = sz;
    }
    if (sop != SIZE_MAX) {
        c->op_first = vfirst;
        c->op_rows = nv / ntags;
        c->op_cols = ntags;
        c->col_op = sop;
    }
    return BF_OK;
}

static bf_status scan(const toks *ts, cif *c, const char *name)
{
    static const char *const len_tags[3] = {"_cell_length_a", "_cell_length_b", "_cell_length_c"};
    static const char *const ang_tags[3] = {"_cell_angle_alpha", "_cell_angle_beta",
                                            "_cell_angle_gamma"};
    size_t i = 0;
    int blocks = 0;
    c->ang[0] = c->ang[1] = c->ang[2] = 90.0;
    while (i < ts->n) {
        const char *t = ts->t[i].s;
        if (!strncasecmp(t, "data_", 5)) {
            if (blocks++)
                break; /* only the first data block */
            c->block_line = ts->t[i].line;
            i++;
        } else if (!strcasecmp(t, "loop_")) {
            i++;
            bf_status st = read_loop(ts, &i, c, name);
            if (st)
                return st;
        } else if (t[0] == '_') {
            if (i + 1 >= ts->n)
                return bf__error_set(BF_EFORMAT, "%s:%zu: tag %s has no value", name,
                                     ts->t[i].line, t);
            for (int k = 0; k < 3; k++) {
                double v;
                if (tag_is(t, len_tags[k]) || tag_is(t, ang_tags[k])) {
                    if (!cif_number(ts->t[i + 1].s, &v))
                        return bf__error_set(BF_EFORMAT, "%s:%zu: %s '%s' is not a number", name,
                                             ts->t[i + 1].line, t, ts->t[i + 1].s);
                    if (tag_is(t, len_tags[k])) {
                        c->len[k] = v;
                        c->have_len[k] = 1;
                    } else {
                        c->ang[k] = v;
                    }
                }
            }
            i += 2;
        } else {
            return bf__error_set(BF_EFORMAT, "%s:%zu: unexpected '%s'", name, ts->t[i].line, t);
        }
    }
    if (!blocks)
        return bf__error_set(BF_EFORMAT, "%s: no data_ block", name);
    return BF_OK;
}

/* l holds fractional coordinates until the cell is applied */
static int duplicate(const bf__ms_atom_list *l, size_t from, int z, const double f[3])
{
    for (size_t i = from; i < l->n; i++) {
        if (l->z[i] != z)
            continue;
        double d2 = 0.0;
        for (int k = 0; k < 3; k++) {
            double d = l->xyz[3 * i + k] - f[k];
            d -= nearbyint(d);
            d2 += d * d;
        }
        if (d2 < 1e-8)
            return 1;
    }
    return 0;
}

/* ASE's cellpar_to_cell (default orientation): angles within 2 ulp of 90° are exactly 90°. */
static int cellpar_to_cell(const double len[3], const double ang[3], double lat[9])
{
    const double eps = 2.0 * 1.4210854715202004e-14; /* 2 * numpy.spacing(90.0) */
    double co[3], sin_gamma = 1.0;
    for (int k = 0; k < 3; k++) {
        if (!(ang[k] > 0.0 && ang[k] < 180.0))
            return 0;
        co[k] = fabs(ang[k] - 90.0) < eps ? 0.0 : cos(ang[k] * M_PI / 180.0);
    }
    if (fabs(ang[2] - 90.0) >= eps)
        sin_gamma = sin(ang[2] * M_PI / 180.0);
    double cx = co[1], cy = (co[0] - co[1] * co[2]) / sin_gamma, cz2 = 1.0 - cx * cx - cy * cy;
    if (!(cz2 > 0.0))
        return 0;
    double v[9] = {len[0], 0, 0, len[1] * co[2], len[1] * sin_gamma, 0,
                   len[2] * cx, len[2] * cy, len[2] * sqrt(cz2)};
    memcpy(lat, v, sizeof v);
    return 1;
}

static bf_status expand(const toks *ts, const cif *c, const char *name, bf_atoms **out)
{
    bf_status st = BF_OK;
    double lat[9];
    for (int k = 0; k < 3; k++)
        if (!c->have_len[k] || !(c->len[k] > 0.0))
            return bf__error_set(BF_EFORMAT, "%s:%zu: missing or bad _cell_length_%c", name,
                                 c->block_line, 'a' + k);
    if (!cellpar_to_cell(c->len, c->ang, lat))
        return bf__error_set(BF_EFORMAT, "%s:%zu: the cell angles %g°, %g°, %g° make no cell",
                             name, c->block_line, c->ang[0], c->ang[1], c->ang[2]);
    if (!c->site_rows)
        return bf__error_set(BF_EFORMAT, "%s: no atom_site loop with fractional coordinates",
                             name);
    size_t nops = c->op_rows ? c->op_rows : 1;
    symop *ops = calloc(nops, sizeof *ops);
    if (!ops)
        return bf__error_set(BF_ENOMEM, "out of memory reading CIF");
    ops[0].r[0][0] = ops[0].r[1][1] = ops[0].r[2][2] = 1.0;
    for (size_t o = 0; o < c->op_rows; o++) {
        const tok *t = &ts->t[c->op_first + o * c->op_cols + c->col_op];
        if (!parse_symop(t->s, &ops[o])) {
            free(ops);
            return bf__error_set(BF_EFORMAT, "%s:%zu: cannot read symmetry operation '%s'", name,
                                 t->line, t->s);
        }
    }
    bf__ms_atom_list list = {0};
    for (size_t r = 0; r < c->site_rows && !st; r++) {
        const tok *row = &ts->t[c->site_first + r * c->site_cols];
        int z = bf__ms_element_from_token(row[c->col_sym].s, 1);
        double f[3];
        if (!z) {
            st = bf__error_set(BF_EFORMAT, "%s:%zu: unknown element '%s'", name,
                               row[c->col_sym].line, row[c->col_sym].s);
            break;
        }
        size_t cols[3] = {c->col_x, c->col_y, c->col_z};
        for (int k = 0; k < 3 && !st; k++)
            if (!cif_number(row[cols[k]].s, &f[k]))
                st = bf__error_set(BF_EFORMAT, "%s:%zu: coordinate '%s' is not a number", name,
                                   row[cols[k]].line, row[cols[k]].s);
        size_t first = list.n;
        for (size_t o = 0; o < nops && !st; o++) {
            double g[3];
            for (int k = 0; k < 3; k++) {
                g[k] = ops[o].t[k] + ops[o].r[k][0] * f[0] + ops[o].r[k][1] * f[1] +
                       ops[o].r[k][2] * f[2];
                g[k] -= floor(g[k]);
                if (g[k] >= 1.0 - 1e-12)
                    g[k] = 0.0;
            }
            if (!duplicate(&list, first, z, g))
                st = bf__ms_atom_list_push(&list, z, g[0], g[1], g[2]);
        }
    }
    free(ops);
    if (st) {
        bf__ms_atom_list_free(&list);
        return st;
    }
    for (size_t i = 0; i < list.n; i++) { /* fractional -> Cartesian */
        double f[3] = {list.xyz[3 * i], list.xyz[3 * i + 1], list.xyz[3 * i + 2]};
        for (int k = 0; k < 3; k++)
            list.xyz[3 * i + k] = f[0] * lat[k] + f[1] * lat[3 + k] + f[2] * lat[6 + k];
    }
    return bf__ms_atom_list_finish_lattice(&list, lat, name, c->block_line, out);
}

bf_status bf_cif_parse(const char *text, size_t len, const char *name, bf_atoms **out)
{
    *out = NULL;
    name = name ? name : "<cif>";
    toks ts = {0};
    cif c;
    memset(&c, 0, sizeof c);
    bf_status st = tokenize(text, len, &ts);
    if (st == BF_EFORMAT)
        st = bf__error_prefix(st, "%s", name);
    if (!st)
        st = scan(&ts, &c, name);
    if (!st)
        st = expand(&ts, &c, name, out);
    free(ts.t);
    free(ts.buf);
    return st;
}
