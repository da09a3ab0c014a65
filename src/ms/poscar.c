/* VASP POSCAR/CONTCAR reader (VASP 5 layout): comment, scale (negative: target volume in Å³),
 * three lattice vectors, species names, counts, optional "Selective dynamics", "Direct" or
 * "Cartesian", positions (extra columns such as T/F flags ignored). Species names may carry
 * POTCAR suffixes ("Si_pv", "Fe/abc"). Invariants: errors name the file and line; a
 * non-orthogonal lattice is made orthogonal as abTEM does (orthogonalize.c). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/structure_internal.h"

#define MAX_SPECIES 64

static int species_z(const char *tok)
{
    char sym[8];
    size_t n = 0;
    while (tok[n] && tok[n] != '_' && tok[n] != '/' && n < sizeof sym - 1) {
        sym[n] = tok[n];
        n++;
    }
    sym[n] = '\0';
    return bf__ms_element_from_token(sym, 0);
}

static char *need_line(bf__ms_lines *l, const char *name, const char *what, bf_status *st)
{
    char *s = (char *)bf__ms_lines_next(l, st);
    if (!s && !*st)
        *st = bf__error_set(BF_EFORMAT, "%s:%zu: unexpected end of file, expected %s", name,
                            l->lineno + 1, what);
    return s;
}

static bf_status read_lattice(bf__ms_lines *l, const char *name, double lat[9], double *scale)
{
    bf_status st = BF_OK;
    char *tok[4];
    char *s = need_line(l, name, "the scale factor", &st);
    if (!s)
        return st;
    if (bf__ms_split(s, tok, 3) < 1 || !bf__ms_parse_double(tok[0], scale) || *scale == 0.0)
        return bf__error_set(BF_EFORMAT, "%s:%zu: expected a non-zero scale factor", name,
                             l->lineno);
    for (int i = 0; i < 3; i++) {
        if (!(s = need_line(l, name, "a lattice vector", &st)))
            return st;
        if (bf__ms_split(s, tok, 4) != 3 || !bf__ms_parse_double(tok[0], &lat[3 * i]) ||
            !bf__ms_parse_double(tok[1], &lat[3 * i + 1]) ||
            !bf__ms_parse_double(tok[2], &lat[3 * i + 2]))
            return bf__error_set(BF_EFORMAT, "%s:%zu: expected three numbers (lattice vector %d)",
                                 name, l->lineno, i + 1);
    }
    if (*scale < 0.0) {
        double vol = fabs(lat[0] * (lat[4] * lat[8] - lat[5] * lat[7]) -
                          lat[1] * (lat[3] * lat[8] - lat[5] * lat[6]) +
                          lat[2] * (lat[3] * lat[7] - lat[4] * lat[6]));
        if (!(vol > 0.0))
            return bf__error_set(BF_EFORMAT, "%s:%zu: the lattice has no volume", name, l->lineno);
        *scale = cbrt(-*scale / vol);
    }
    for (int i = 0; i < 9; i++)
        lat[i] *= *scale;
    return BF_OK;
}

static bf_status read_species(bf__ms_lines *l, const char *name, int *z, long *count, int *ns,
                              long *total)
{
    bf_status st = BF_OK;
    char *tok[MAX_SPECIES + 1];
    char *s = need_line(l, name, "the species names", &st);
    if (!s)
        return st;
    size_t n = bf__ms_split(s, tok, MAX_SPECIES);
    long dummy;
    if (n == 0 || n > MAX_SPECIES)
        return bf__error_set(BF_EFORMAT, "%s:%zu: expected 1 to %d species names", name,
                             l->lineno, MAX_SPECIES);
    if (bf__ms_parse_long(tok[0], &dummy))
        return bf__error_set(BF_EFORMAT,
                             "%s:%zu: expected species names (VASP 5 layout), found counts",
                             name, l->lineno);
    for (size_t i = 0; i < n; i++)
        if (!(z[i] = species_z(tok[i])))
            return bf__error_set(BF_EFORMAT, "%s:%zu: unknown element '%s'", name, l->lineno,
                                 tok[i]);
    if (!(s = need_line(l, name, "the species counts", &st)))
        return st;
    char *ct[MAX_SPECIES + 1];
    if (bf__ms_split(s, ct, MAX_SPECIES) != n)
        return bf__error_set(BF_EFORMAT, "%s:%zu: expected %zu counts, one per species", name,
                             l->lineno, n);
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!bf__ms_parse_long(ct[i], &count[i]) || count[i] < 0 || count[i] > 10000000)
            return bf__error_set(BF_EFORMAT, "%s:%zu: count '%s' is not a valid number", name,
                                 l->lineno, ct[i]);
        *total += count[i];
    }
    *ns = (int)n;
    return BF_OK;
}

bf_status bf_poscar_parse(const char *text, size_t len, const char *name, bf_atoms **out)
{
    bf_status st = BF_OK;
    *out = NULL;
    name = name ? name : "<POSCAR>";
    bf__ms_lines l;
    bf__ms_lines_init(&l, text, len);
    bf__ms_atom_list list = {0};
    double lat[9], scale = 1.0;
    size_t lat_line = 0;
    int z[MAX_SPECIES], ns = 0;
    long count[MAX_SPECIES], total = 0;
    char *s = need_line(&l, name, "a comment line", &st);
    if (!s || (st = read_lattice(&l, name, lat, &scale)))
        goto done;
    lat_line = l.lineno;
    if ((st = read_species(&l, name, z, count, &ns, &total)))
        goto done;
    if (!(s = need_line(&l, name, "Direct or Cartesian", &st)))
        goto done;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == 'S' || *s == 's') {
        if (!(s = need_line(&l, name, "Direct or Cartesian", &st)))
            goto done;
        while (isspace((unsigned char)*s))
            s++;
    }
    int cart;
    if (strchr("CcKk", *s) && *s)
        cart = 1;
    else if (strchr("Dd", *s) && *s)
        cart = 0;
    else {
        st = bf__error_set(BF_EFORMAT, "%s:%zu: expected Direct or Cartesian", name, l.lineno);
        goto done;
    }
    for (int sp = 0; sp < ns; sp++)
        for (long i = 0; i < count[sp]; i++) {
            if (!(s = need_line(&l, name, "an atom position", &st)))
                goto done;
            char *tok[4];
            double x[3];
            if (bf__ms_split(s, tok, 3) < 3 || !bf__ms_parse_double(tok[0], &x[0]) ||
                !bf__ms_parse_double(tok[1], &x[1]) || !bf__ms_parse_double(tok[2], &x[2])) {
                st = bf__error_set(BF_EFORMAT, "%s:%zu: expected three coordinates", name,
                                   l.lineno);
                goto done;
            }
            double p[3];
            for (int k = 0; k < 3; k++)
                p[k] = cart ? x[k] * scale
                            : x[0] * lat[k] + x[1] * lat[3 + k] + x[2] * lat[6 + k];
            if ((st = bf__ms_atom_list_push(&list, z[sp], p[0], p[1], p[2])))
                goto done;
        }
    st = bf__ms_atom_list_finish_lattice(&list, lat, name, lat_line, out);
done:
    bf__ms_atom_list_free(&list);
    bf__ms_lines_free(&l);
    return st;
}
