/* Built-in crystals as ASE 3.22's ase.build.bulk() makes them with cubic=True or
 * orthorhombic=True (same atom order and fractional positions), with ASE's reference lattice
 * constants (element_data.c). Only orthogonal cells are made, since the multislice works on
 * orthogonal cells; asking for a primitive non-orthogonal cell is an error that names the fix.
 * Extensions over ASE: cubic fluorite (AB2, 12 atoms) and cubic perovskite (ABO3, 5 atoms). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

typedef struct site {
    int s;        /* index into the formula's symbols */
    double f[3];  /* fractional position */
} site;

typedef struct cellspec {
    double cell[3]; /* in units of a (hcp/wurtzite z in units of c) */
    int nsites;
    site sites[12];
} cellspec;

/* Formula -> list of atomic numbers ("SrTiO3" -> Sr Ti O O O), as ASE's string2symbols. */
static bf_status parse_formula(const char *name, int *z, int max, int *count)
{
    *count = 0;
    const char *p = name;
    while (*p) {
        if (!isupper((unsigned char)*p))
            return bf__error_set(BF_EINVAL, "bulk: cannot read formula '%s'", name);
        char sym[3] = {p[0], 0, 0};
        p++;
        if (islower((unsigned char)*p))
            sym[1] = *p++;
        long mult = 1;
        if (isdigit((unsigned char)*p)) {
            mult = strtol(p, (char **)&p, 10);
            if (mult < 1 || mult > 16)
                return bf__error_set(BF_EINVAL, "bulk: bad count in formula '%s'", name);
        }
        int zz;
        if (bf_element_number(sym, &zz))
            return bf__error_set(BF_EINVAL, "bulk: unknown element '%s' in '%s'", sym, name);
        for (long k = 0; k < mult; k++) {
            if (*count == max)
                return bf__error_set(BF_EINVAL, "bulk: formula '%s' is too long", name);
            z[(*count)++] = zz;
        }
    }
    if (*count == 0)
        return bf__error_set(BF_EINVAL, "bulk: empty name");
    return BF_OK;
}

static const struct {
    const char *name;
    int natoms; /* atoms in the formula */
} structures[] = {{"sc", 1},       {"fcc", 1},        {"bcc", 1},        {"hcp", 1},
                  {"diamond", 1},  {"zincblende", 2}, {"rocksalt", 2},   {"cesiumchloride", 2},
                  {"fluorite", 3}, {"wurtzite", 2},   {"perovskite", 5}};

static int structure_index(const char *name)
{
    for (size_t i = 0; i < sizeof structures / sizeof structures[0]; i++)
        if (strcmp(name, structures[i].name) == 0)
            return (int)i;
    return -1;
}

static const char *xtal_name(bf__xtal x)
{
    switch (x) {
    case BF__XTAL_SC: return "sc";
    case BF__XTAL_FCC: return "fcc";
    case BF__XTAL_BCC: return "bcc";
    case BF__XTAL_HCP: return "hcp";
    case BF__XTAL_DIAMOND: return "diamond";
    default: return NULL;
    }
}

#define S(i, x, y, z) {i, {x, y, z}}

static int cubic_spec(const char *cs, cellspec *c)
{
    static const cellspec fcc = {{1, 1, 1}, 4, {S(0, 0, 0, 0), S(0, 0, .5, .5), S(0, .5, 0, .5),
                                                S(0, .5, .5, 0)}};
    static const cellspec bcc = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(0, .5, .5, .5)}};
    static const cellspec sc = {{1, 1, 1}, 1, {S(0, 0, 0, 0)}};
    static const cellspec zb = {{1, 1, 1}, 8,
                                {S(0, 0, 0, 0), S(1, .25, .25, .25), S(0, 0, .5, .5),
                                 S(1, .25, .75, .75), S(0, .5, 0, .5), S(1, .75, .25, .75),
                                 S(0, .5, .5, 0), S(1, .75, .75, .25)}};
    static const cellspec rs = {{1, 1, 1}, 8,
                                {S(0, 0, 0, 0), S(1, .5, 0, 0), S(0, 0, .5, .5), S(1, .5, .5, .5),
                                 S(0, .5, 0, .5), S(1, 0, 0, .5), S(0, .5, .5, 0), S(1, 0, .5, 0)}};
    static const cellspec cscl = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(1, .5, .5, .5)}};
    static const cellspec fl = {{1, 1, 1}, 12,
                                {S(0, 0, 0, 0), S(1, .25, .25, .25), S(2, .75, .75, .75),
                                 S(0, 0, .5, .5), S(1, .25, .75, .75), S(2, .75, .25, .25),
                                 S(0, .5, 0, .5), S(1, .75, .25, .75), S(2, .25, .75, .25),
                                 S(0, .5, .5, 0), S(1, .75, .75, .25), S(2, .25, .25, .75)}};
    static const cellspec pv = {{1, 1, 1}, 5,
                                {S(0, 0, 0, 0), S(1, .5, .5, .5), S(2, .5, .5, 0), S(3, .5, 0, .5),
                                 S(4, 0, .5, .5)}};
    if (!strcmp(cs, "fcc")) *c = fcc;
    else if (!strcmp(cs, "bcc")) *c = bcc;
    else if (!strcmp(cs, "sc")) *c = sc;
    else if (!strcmp(cs, "diamond") || !strcmp(cs, "zincblende")) *c = zb;
    else if (!strcmp(cs, "rocksalt")) *c = rs;
    else if (!strcmp(cs, "cesiumchloride")) *c = cscl;
    else if (!strcmp(cs, "fluorite")) *c = fl;
    else if (!strcmp(cs, "perovskite")) *c = pv;
    else return 0;
    return 1;
}

static int ortho_spec(const char *cs, double covera, cellspec *c)
{
    double r2 = 1.0 / sqrt(2.0);
    static const cellspec bcc = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(0, .5, .5, .5)}};
    static const cellspec cscl = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(1, .5, .5, .5)}};
    memset(c, 0, sizeof *c);
    if (!strcmp(cs, "fcc")) {
        *c = (cellspec){{r2, r2, 1}, 2, {S(0, 0, 0, 0), S(0, .5, .5, .5)}};
    } else if (!strcmp(cs, "bcc")) {
        *c = bcc;
    } else if (!strcmp(cs, "cesiumchloride")) {
        *c = cscl;
    } else if (!strcmp(cs, "hcp")) {
        *c = (cellspec){{1, sqrt(3.0), covera}, 4, {S(0, 0, 0, 0), S(0, .5, .5, 0),
                                                    S(0, .5, 1.0 / 6, .5), S(0, 0, 2.0 / 3, .5)}};
    } else if (!strcmp(cs, "diamond") || !strcmp(cs, "zincblende")) {
        *c = (cellspec){{r2, r2, 1}, 4, {S(0, 0, 0, 0), S(1, .5, 0, .25), S(0, .5, .5, .5),
                                         S(1, 0, .5, .75)}};
    } else if (!strcmp(cs, "rocksalt")) {
        *c = (cellspec){{r2, r2, 1}, 4, {S(0, 0, 0, 0), S(1, .5, .5, 0), S(0, .5, .5, .5),
                                         S(1, 0, 0, .5)}};
    } else if (!strcmp(cs, "wurtzite")) {
        double u = 0.25 + 1.0 / 3.0 / (covera * covera);
        *c = (cellspec){{1, sqrt(3.0), covera}, 8,
                        {S(0, 0, 0, 0), S(1, 0, 1.0 / 3, .5 - u), S(0, 0, 1.0 / 3, .5),
                         S(1, 0, 0, 1 - u), S(0, .5, .5, 0), S(1, .5, 5.0 / 6, .5 - u),
                         S(0, .5, 5.0 / 6, .5), S(1, .5, .5, 1 - u)}};
    } else {
        return 0;
    }
    return 1;
}

static bf_status lattice(const bf_bulk_options *opt, const char *cs, int single, int z,
                         double *a, double *covera)
{
    const bf__ms_element *e = single ? &bf__ms_elements[z] : NULL;
    const char *xref = e ? xtal_name(e->xtal) : NULL;
    int same = xref && strcmp(xref, cs) == 0;
    *a = opt->a;
    if (*a == 0.0) {
        if (!same)
            return bf__error_set(BF_EINVAL, "bulk: give the lattice constant a for %s %s",
                                 opt->name, cs);
        *a = e->a;
    }
    if (!(*a > 0.0) || !isfinite(*a))
        return bf__error_set(BF_EINVAL, "bulk: lattice constant a must be positive, got %g", *a);
    *covera = sqrt(8.0 / 3.0);
    if (opt->c > 0.0)
        *covera = opt->c / *a;
    else if (same && e->covera > 0.0)
        *covera = e->covera;
    return BF_OK;
}

bf_status bf_bulk(const bf_bulk_options *opt, bf_atoms **out)
{
    *out = NULL;
    if (!opt || !opt->name)
        return bf__error_set(BF_EINVAL, "bulk: missing name");
    int z[16], nz;
    bf_status st = parse_formula(opt->name, z, 16, &nz);
    if (st)
        return st;
    const char *cs = opt->crystalstructure;
    if (!cs) {
        cs = nz == 1 ? xtal_name(bf__ms_elements[z[0]].xtal) : NULL;
        if (!cs)
            return bf__error_set(BF_EINVAL, "bulk: no reference crystal structure for '%s'; "
                                 "give crystalstructure", opt->name);
    }
    int si = structure_index(cs);
    if (si < 0)
        return bf__error_set(BF_EINVAL, "bulk: unknown crystal structure '%s'", cs);
    if (nz == 1 && !strcmp(cs, "diamond"))
        z[nz++] = z[0];
    int want = structures[si].natoms + (!strcmp(cs, "diamond") ? 1 : 0);
    if (nz != want)
        return bf__error_set(BF_EINVAL, "bulk: %s needs %d atom%s in the formula, '%s' has %d",
                             cs, structures[si].natoms, structures[si].natoms > 1 ? "s" : "",
                             opt->name, nz);
    double a = 0.0, covera = 0.0;
    if ((st = lattice(opt, cs, nz == 1 || !strcmp(cs, "diamond"), z[0], &a, &covera)))
        return st;
    cellspec c;
    int ok;
    if (opt->cubic)
        ok = cubic_spec(cs, &c) && strcmp(cs, "hcp") && strcmp(cs, "wurtzite");
    else if (opt->orthorhombic)
        ok = ortho_spec(cs, covera, &c);
    else
        ok = (!strcmp(cs, "sc") || !strcmp(cs, "cesiumchloride") || !strcmp(cs, "perovskite")) &&
             cubic_spec(cs, &c);
    if (!ok)
        return bf__error_set(BF_EUNSUPPORTED,
                             "bulk: %s %s: the %s cell is not orthogonal; ask for %s", opt->name,
                             cs, opt->cubic ? "cubic" : "primitive",
                             (!strcmp(cs, "hcp") || !strcmp(cs, "wurtzite"))
                                 ? "orthorhombic: true"
                                 : "cubic: true or orthorhombic: true");
    double cell[3];
    for (int k = 0; k < 3; k++)
        cell[k] = c.cell[k] * a;
    if ((st = bf__ms_atoms_alloc((size_t)c.nsites, cell, out)))
        return st;
    for (int i = 0; i < c.nsites; i++) {
        (*out)->z[i] = z[c.sites[i].s];
        for (int k = 0; k < 3; k++)
            (*out)->xyz[3 * i + k] = c.sites[i].f[k] * cell[k];
    }
    return BF_OK;
}
