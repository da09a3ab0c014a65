/* XYZ structure readers.
 * Extended XYZ as ASE writes it: per frame a count line, a comment line of key=value pairs
 * (Lattice="ax ay az bx by bz cx cy cz", Properties=species:S:1:pos:R:3[:name:T:n...], values
 * quoted with "" or {}), then one line per atom with the Properties columns. Several frames follow
 * one another (MD snapshots: one frozen-phonon configuration each).
 * Kirkland/Prismatic XYZ: a comment line, a cell line "a b c", lines "Z x y z occupancy sigma",
 * and a final "-1"; sigma (the thermal displacement, Å) is kept per atom (0 when absent) and can
 * stand for frozen_phonons.sigmas.
 * Invariants: every error names the file and line. A non-orthogonal extended-XYZ Lattice is made
 * orthogonal as abTEM does (orthogonalize.c); the Kirkland format's cell is orthogonal. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/structure_internal.h"

#define MAX_COLS 64

typedef struct props {
    int species_col, species_is_z, pos_col, ncols;
} props;

/* Find key=value in the comment line (key case-insensitive); copy the value into val. */
static int find_kv(const char *line, const char *key, char *val, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = line;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        const char *k = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - k);
        if (*p != '=') {
            continue;
        }
        p++;
        char open = *p, close = 0;
        if (open == '"')
            close = '"';
        else if (open == '{')
            close = '}';
        const char *v = close ? p + 1 : p;
        const char *e = v;
        if (close) {
            while (*e && *e != close)
                e++;
        } else {
            while (*e && !isspace((unsigned char)*e))
                e++;
        }
        size_t vl = (size_t)(e - v);
        p = (close && *e) ? e + 1 : e;
        if (klen == kl && strncasecmp(k, key, kl) == 0) {
            if (vl >= cap)
                vl = cap - 1;
            memcpy(val, v, vl);
            val[vl] = '\0';
            return 1;
        }
    }
    return 0;
}

static bf_status parse_properties(const char *text, props *pr, const char *name, size_t line)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    pr->species_col = pr->pos_col = -1;
    pr->ncols = 0;
    char *save = NULL;
    for (char *f = strtok_r(buf, ":", &save); f; f = strtok_r(NULL, ":", &save)) {
        char *type = strtok_r(NULL, ":", &save), *cnt = strtok_r(NULL, ":", &save);
        long n;
        if (!type || !cnt || !bf__ms_parse_long(cnt, &n) || n < 1 || n > MAX_COLS ||
            strlen(type) != 1 || !strchr("SRIL", type[0]))
            return bf__error_set(BF_EFORMAT, "%s:%zu: malformed Properties '%s'", name, line, text);
        if (!strcmp(f, "species") && n == 1) {
            pr->species_col = pr->ncols;
            pr->species_is_z = 0;
        } else if (!strcmp(f, "Z") && type[0] == 'I' && n == 1 && pr->species_col < 0) {
            pr->species_col = pr->ncols;
            pr->species_is_z = 1;
        } else if ((!strcmp(f, "pos") || !strcmp(f, "positions")) && n == 3 && type[0] == 'R') {
            pr->pos_col = pr->ncols;
        }
        pr->ncols += (int)n;
        if (pr->ncols > MAX_COLS)
            return bf__error_set(BF_EFORMAT, "%s:%zu: too many Properties columns", name, line);
    }
    if (pr->species_col < 0 || pr->pos_col < 0)
        return bf__error_set(BF_EFORMAT, "%s:%zu: Properties lacks species:S:1 or pos:R:3", name,
                             line);
    return BF_OK;
}

static bf_status parse_frame_header(bf__ms_lines *l, const char *comment, const char *name,
                                    double lat[9], props *pr)
{
    char val[1024];
    if (!find_kv(comment, "Lattice", val, sizeof val))
        return bf__error_set(BF_EFORMAT,
                             "%s:%zu: no Lattice=\"...\" on the comment line; the cell is needed",
                             name, l->lineno);
    char *tok[10];
    if (bf__ms_split(val, tok, 10) != 9)
        return bf__error_set(BF_EFORMAT, "%s:%zu: Lattice needs 9 numbers", name, l->lineno);
    for (int i = 0; i < 9; i++)
        if (!bf__ms_parse_double(tok[i], &lat[i]))
            return bf__error_set(BF_EFORMAT, "%s:%zu: Lattice value '%s' is not a number", name,
                                 l->lineno, tok[i]);
    if (find_kv(comment, "Properties", val, sizeof val))
        return parse_properties(val, pr, name, l->lineno);
    pr->species_col = 0;
    pr->species_is_z = 0;
    pr->pos_col = 1;
    pr->ncols = 4;
    return BF_OK;
}

static bf_status parse_frame(bf__ms_lines *l, long natoms, const char *name, bf_atoms **out)
{
    bf_status st = BF_OK;
    const char *line = bf__ms_lines_next(l, &st);
    if (!line)
        return st ? st : bf__error_set(BF_EFORMAT, "%s:%zu: missing the comment line", name,
                                       l->lineno + 1);
    double lat[9];
    props pr = {0, 0, 0, 0};
    size_t header = l->lineno;
    if ((st = parse_frame_header(l, line, name, lat, &pr)))
        return st;
    bf__ms_atom_list list = {0};
    for (long i = 0; i < natoms; i++) {
        char *s = (char *)bf__ms_lines_next(l, &st);
        if (!s) {
            st = st ? st : bf__error_set(BF_EFORMAT, "%s:%zu: expected %ld atoms, found %ld",
                                         name, l->lineno, natoms, i);
            goto fail;
        }
        char *tok[MAX_COLS + 1];
        size_t nt = bf__ms_split(s, tok, MAX_COLS);
        if (nt < (size_t)pr.ncols) {
            st = bf__error_set(BF_EFORMAT, "%s:%zu: expected %d columns, found %zu", name,
                               l->lineno, pr.ncols, nt);
            goto fail;
        }
        const char *sp = tok[pr.species_col];
        int z = bf__ms_element_from_token(sp, 0);
        if (!z) {
            st = bf__error_set(BF_EFORMAT, "%s:%zu: unknown element '%s'", name, l->lineno, sp);
            goto fail;
        }
        double x[3];
        for (int k = 0; k < 3; k++)
            if (!bf__ms_parse_double(tok[pr.pos_col + k], &x[k])) {
                st = bf__error_set(BF_EFORMAT, "%s:%zu: position '%s' is not a number", name,
                                   l->lineno, tok[pr.pos_col + k]);
                goto fail;
            }
        if ((st = bf__ms_atom_list_push(&list, z, x[0], x[1], x[2])))
            goto fail;
    }
    return bf__ms_atom_list_finish_lattice(&list, lat, name, header, out);
fail:
    bf__ms_atom_list_free(&list);
    return st;
}

static bf_status push_frame(bf_frames *out, bf_atoms *a)
{
    bf_atoms **f = realloc(out->frames, (out->count + 1) * sizeof *f);
    if (!f) {
        bf_atoms_destroy(a);
        return bf__error_set(BF_ENOMEM, "out of memory for frames");
    }
    out->frames = f;
    out->frames[out->count++] = a;
    return BF_OK;
}

bf_status bf_xyz_parse(const char *text, size_t len, const char *name, bf_frames *out)
{
    bf_status st = BF_OK;
    out->count = 0;
    out->frames = NULL;
    name = name ? name : "<xyz>";
    bf__ms_lines l;
    bf__ms_lines_init(&l, text, len);
    for (;;) {
        char *line = (char *)bf__ms_lines_next(&l, &st);
        if (!line) {
            if (st)
                goto fail;
            break;
        }
        char *tok[2];
        size_t nt = bf__ms_split(line, tok, 1);
        if (nt == 0)
            continue; /* blank lines between or after frames */
        long natoms;
        if (nt != 1 || !bf__ms_parse_long(tok[0], &natoms) || natoms < 0 || natoms > 100000000) {
            st = bf__error_set(BF_EFORMAT, "%s:%zu: expected the number of atoms", name, l.lineno);
            goto fail;
        }
        bf_atoms *a = NULL;
        if ((st = parse_frame(&l, natoms, name, &a)) || (st = push_frame(out, a)))
            goto fail;
    }
    if (out->count == 0) {
        st = bf__error_set(BF_EFORMAT, "%s:%zu: no frames", name, l.lineno);
        goto fail;
    }
    bf__ms_lines_free(&l);
    return BF_OK;
fail:
    bf__ms_lines_free(&l);
    bf_frames_free(out);
    return st;
}

static bf_status push_sigma(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        double *p = realloc(*v, c * sizeof *p);
        if (!p)
            return bf__error_set(BF_ENOMEM, "out of memory for sigmas");
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return BF_OK;
}

bf_status bf_kirkland_xyz_parse(const char *text, size_t len, const char *name, bf_atoms **out)
{
    bf_status st = BF_OK;
    double *sig = NULL;
    size_t nsig = 0, capsig = 0;
    *out = NULL;
    name = name ? name : "<xyz>";
    bf__ms_lines l;
    bf__ms_lines_init(&l, text, len);
    bf__ms_atom_list list = {0};
    char *tok[8];
    double cell[3];
    char *line = (char *)bf__ms_lines_next(&l, &st);
    if (line)
        line = (char *)bf__ms_lines_next(&l, &st);
    if (!line || bf__ms_split(line, tok, 3) != 3 || !bf__ms_parse_double(tok[0], &cell[0]) ||
        !bf__ms_parse_double(tok[1], &cell[1]) || !bf__ms_parse_double(tok[2], &cell[2])) {
        st = st ? st : bf__error_set(BF_EFORMAT, "%s:2: expected the cell 'a b c'", name);
        goto done;
    }
    for (int k = 0; k < 3; k++)
        if (!(cell[k] > 0.0)) {
            st = bf__error_set(BF_EFORMAT, "%s:2: cell lengths must be positive", name);
            goto done;
        }
    for (;;) {
        line = (char *)bf__ms_lines_next(&l, &st);
        if (!line) {
            st = st ? st : bf__error_set(BF_EFORMAT, "%s:%zu: missing the final -1 line", name,
                                         l.lineno);
            goto done;
        }
        size_t nt = bf__ms_split(line, tok, 6);
        if (nt == 0)
            continue;
        long zz;
        if (nt == 1 && bf__ms_parse_long(tok[0], &zz) && zz == -1)
            break;
        double x[3];
        if (nt < 4 || nt > 6 || !bf__ms_parse_long(tok[0], &zz) || zz < 1 ||
            zz > BF__NUM_ELEMENTS || !bf__ms_parse_double(tok[1], &x[0]) ||
            !bf__ms_parse_double(tok[2], &x[1]) || !bf__ms_parse_double(tok[3], &x[2])) {
            st = bf__error_set(BF_EFORMAT,
                               "%s:%zu: expected 'Z x y z occupancy sigma' with 1 <= Z <= 103",
                               name, l.lineno);
            goto done;
        }
        double sg = 0.0;
        if (nt == 6 && (!bf__ms_parse_double(tok[5], &sg) || sg < 0.0)) {
            st = bf__error_set(BF_EFORMAT, "%s:%zu: sigma '%s' must be a number >= 0", name,
                               l.lineno, tok[5]);
            goto done;
        }
        if ((st = bf__ms_atom_list_push(&list, (int)zz, x[0], x[1], x[2])) ||
            (st = push_sigma(&sig, &nsig, &capsig, sg)))
            goto done;
    }
    if ((st = bf__ms_atom_list_finish(&list, cell, out)))
        goto done;
    if ((st = bf__ms_atoms_set_sigmas(*out, sig))) {
        bf_atoms_destroy(*out);
        *out = NULL;
    }
done:
    free(sig);
    bf__ms_atom_list_free(&list);
    bf__ms_lines_free(&l);
    return st;
}
