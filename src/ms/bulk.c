/* Built-in crystals as ASE 3.22.1's ase.build.bulk() makes them: the same structures, lattice
 * constants from ASE's reference states (reference_states.c), the same atom order and positions
 * for cubic=True and orthorhombic=True, and ASE's primitive cells otherwise, which are then made
 * orthogonal as abTEM does with its orthogonalize_cell (orthogonalize.c), since the multislice
 * works on orthogonal cells: the primitive fcc cell becomes abTEM's 4-atom cubic cell, hcp the
 * 4-atom a x a√3 x c cell, and a rhombohedral lattice, which has no orthogonal supercell, is an
 * error. Extensions over ASE: cubic fluorite (AB2, 12 atoms, as ASE 3.23+), cubic perovskite
 * (ABO3, 5 atoms), and tetragonal (a x a x c), which ASE lists but cannot build. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/structure_internal.h"

#define MAX_ATOMS 16

typedef struct site {
    int s;        /* index into the formula's symbols */
    double f[3];  /* fractional position */
} site;

typedef struct cellspec {
    double cell[3]; /* in units of a (hcp/wurtzite z in units of c) */
    int nsites;
    site sites[12];
} cellspec;

/* What bf_bulk resolved from the options and reference state. */
typedef struct crystal {
    const char *cs;
    int z[MAX_ATOMS], nz; /* the formula's atoms */
    double a, b, c, covera, alpha, u;
    const bf__ms_refstate *ref; /* the element's reference state, or NULL */
} crystal;

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

/* ASE's structures and the atoms each takes in the formula; mcl is listed by ASE but built by
 * neither ASE 3.22 nor beamflow. */
static const struct {
    const char *name;
    int natoms;
} structures[] = {{"sc", 1},           {"fcc", 1},          {"bcc", 1},
                  {"tetragonal", 1},   {"bct", 1},          {"hcp", 1},
                  {"rhombohedral", 1}, {"orthorhombic", 1}, {"diamond", 1},
                  {"zincblende", 2},   {"rocksalt", 2},     {"cesiumchloride", 2},
                  {"fluorite", 3},     {"wurtzite", 2},     {"perovskite", 5}};

static int structure_index(const char *name)
{
    for (size_t i = 0; i < sizeof structures / sizeof structures[0]; i++)
        if (strcmp(name, structures[i].name) == 0)
            return (int)i;
    return -1;
}

static int is(const char *cs, const char *name) { return strcmp(cs, name) == 0; }

#define S(i, x, y, z) {i, {x, y, z}}

static int cubic_spec(const char *cs, cellspec *c)
{
    static const cellspec fcc = {{1, 1, 1}, 4, {S(0, 0, 0, 0), S(0, 0, .5, .5), S(0, .5, 0, .5),
                                                S(0, .5, .5, 0)}};
    static const cellspec zb = {{1, 1, 1}, 8,
                                {S(0, 0, 0, 0), S(1, .25, .25, .25), S(0, 0, .5, .5),
                                 S(1, .25, .75, .75), S(0, .5, 0, .5), S(1, .75, .25, .75),
                                 S(0, .5, .5, 0), S(1, .75, .75, .25)}};
    static const cellspec rs = {{1, 1, 1}, 8,
                                {S(0, 0, 0, 0), S(1, .5, 0, 0), S(0, 0, .5, .5), S(1, .5, .5, .5),
                                 S(0, .5, 0, .5), S(1, 0, 0, .5), S(0, .5, .5, 0), S(1, 0, .5, 0)}};
    static const cellspec fl = {{1, 1, 1}, 12,
                                {S(0, 0, 0, 0), S(1, .25, .25, .25), S(2, .75, .75, .75),
                                 S(0, 0, .5, .5), S(1, .25, .75, .75), S(2, .75, .25, .25),
                                 S(0, .5, 0, .5), S(1, .75, .25, .75), S(2, .25, .75, .25),
                                 S(0, .5, .5, 0), S(1, .75, .75, .25), S(2, .25, .25, .75)}};
    static const cellspec pv = {{1, 1, 1}, 5,
                                {S(0, 0, 0, 0), S(1, .5, .5, .5), S(2, .5, .5, 0), S(3, .5, 0, .5),
                                 S(4, 0, .5, .5)}};
    if (is(cs, "fcc")) *c = fcc;
    else if (is(cs, "diamond") || is(cs, "zincblende")) *c = zb;
    else if (is(cs, "rocksalt")) *c = rs;
    else if (is(cs, "fluorite")) *c = fl;
    else if (is(cs, "perovskite")) *c = pv;
    else return 0;
    return 1;
}

/* ASE's _orthorhombic_bulk (also its cubic cell of bcc and cesiumchloride) */
static int ortho_spec(const char *cs, double covera, double u, cellspec *c)
{
    double r2 = 1.0 / sqrt(2.0);
    static const cellspec bcc = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(0, .5, .5, .5)}};
    static const cellspec cscl = {{1, 1, 1}, 2, {S(0, 0, 0, 0), S(1, .5, .5, .5)}};
    memset(c, 0, sizeof *c);
    if (is(cs, "fcc")) {
        *c = (cellspec){{r2, r2, 1}, 2, {S(0, 0, 0, 0), S(0, .5, .5, .5)}};
    } else if (is(cs, "bcc")) {
        *c = bcc;
    } else if (is(cs, "cesiumchloride")) {
        *c = cscl;
    } else if (is(cs, "hcp")) {
        *c = (cellspec){{1, sqrt(3.0), covera}, 4, {S(0, 0, 0, 0), S(0, .5, .5, 0),
                                                    S(0, .5, 1.0 / 6, .5), S(0, 0, 2.0 / 3, .5)}};
    } else if (is(cs, "diamond") || is(cs, "zincblende")) {
        *c = (cellspec){{r2, r2, 1}, 4, {S(0, 0, 0, 0), S(1, .5, 0, .25), S(0, .5, .5, .5),
                                         S(1, 0, .5, .75)}};
    } else if (is(cs, "rocksalt")) {
        *c = (cellspec){{r2, r2, 1}, 4, {S(0, 0, 0, 0), S(1, .5, .5, 0), S(0, .5, .5, .5),
                                         S(1, 0, 0, .5)}};
    } else if (is(cs, "wurtzite")) {
        *c = (cellspec){{1, sqrt(3.0), covera}, 8,
                        {S(0, 0, 0, 0), S(1, 0, 1.0 / 3, .5 - u), S(0, 0, 1.0 / 3, .5),
                         S(1, 0, 0, 1 - u), S(0, .5, .5, 0), S(1, .5, 5.0 / 6, .5 - u),
                         S(0, .5, 5.0 / 6, .5), S(1, .5, .5, 1 - u)}};
    } else {
        return 0;
    }
    return 1;
}

static bf_status from_spec(const crystal *x, const cellspec *c, bf_atoms **out)
{
    double cell[3];
    for (int k = 0; k < 3; k++)
        cell[k] = c->cell[k] * x->a;
    bf_status st = bf__ms_atoms_alloc((size_t)c->nsites, cell, out);
    if (st)
        return st;
    for (int i = 0; i < c->nsites; i++) {
        (*out)->z[i] = x->z[c->sites[i].s];
        for (int k = 0; k < 3; k++)
            (*out)->xyz[3 * i + k] = c->sites[i].f[k] * cell[k];
    }
    return BF_OK;
}

/* The lattice rows and Cartesian positions of ASE's primitive cell. */
typedef struct primitive {
    double lat[9];
    int n, z[MAX_ATOMS];
    double xyz[3 * MAX_ATOMS];
} primitive;

static void add_scaled(primitive *p, int z, double f0, double f1, double f2)
{
    p->z[p->n] = z;
    for (int k = 0; k < 3; k++)
        p->xyz[3 * p->n + k] = f0 * p->lat[k] + f1 * p->lat[3 + k] + f2 * p->lat[6 + k];
    p->n++;
}

static void add_cart(primitive *p, int z, double x, double y, double zz)
{
    p->z[p->n] = z;
    p->xyz[3 * p->n] = x, p->xyz[3 * p->n + 1] = y, p->xyz[3 * p->n + 2] = zz;
    p->n++;
}

static void set_lat(primitive *p, const double l[9]) { memcpy(p->lat, l, sizeof p->lat); }

/* sc, fcc, hcp-like cells and the structures ASE builds on them */
static int cubic_family(const crystal *x, primitive *p)
{
    const char *cs = x->cs;
    double a = x->a, h = a / 2;
    const int *z = x->z;
    if (is(cs, "sc") || is(cs, "cesiumchloride")) {
        set_lat(p, (double[9]){a, 0, 0, 0, a, 0, 0, 0, a});
        add_cart(p, z[0], 0, 0, 0);
        if (is(cs, "cesiumchloride"))
            add_cart(p, z[1], h, h, h);
    } else if (is(cs, "bcc")) {
        set_lat(p, (double[9]){-h, h, h, h, -h, h, h, h, -h});
        add_cart(p, z[0], 0, 0, 0);
    } else if (is(cs, "fcc") || is(cs, "diamond") || is(cs, "zincblende") ||
               is(cs, "rocksalt") || is(cs, "fluorite")) {
        set_lat(p, (double[9]){0, h, h, h, 0, h, h, h, 0});
        add_cart(p, z[0], 0, 0, 0);
        if (is(cs, "rocksalt"))
            add_cart(p, z[1], h, 0, 0);
        else if (!is(cs, "fcc"))
            add_cart(p, z[1], a / 4, a / 4, a / 4);
        if (is(cs, "fluorite"))
            add_cart(p, z[2], a * 3 / 4, a * 3 / 4, a * 3 / 4);
    } else {
        return 0;
    }
    return 1;
}

static bf_status other_lattices(const crystal *x, primitive *p, const char *what)
{
    const char *cs = x->cs;
    double a = x->a, c = x->c;
    const bf__ms_refstate *ref = x->ref;
    if (is(cs, "hcp") || is(cs, "wurtzite")) {
        c = x->covera * a;
        set_lat(p, (double[9]){a, 0, 0, -a / 2, a * sqrt(3.0) / 2, 0, 0, 0, c});
        if (is(cs, "hcp")) {
            add_scaled(p, x->z[0], 0, 0, 0);
            add_scaled(p, x->z[0], 1.0 / 3, 2.0 / 3, 0.5);
        } else {
            add_scaled(p, x->z[0], 0, 0, 0);
            add_scaled(p, x->z[1], 1.0 / 3, 2.0 / 3, 0.5 - x->u);
            add_scaled(p, x->z[0], 1.0 / 3, 2.0 / 3, 0.5);
            add_scaled(p, x->z[1], 0, 0, 1 - x->u);
        }
        return BF_OK;
    }
    if (is(cs, "orthorhombic") || is(cs, "tetragonal")) {
        double b = is(cs, "tetragonal") ? a : x->b;
        if (!(b > 0.0) || !(c > 0.0))
            return bf__error_set(BF_EINVAL, "bulk: %s: give %s", what,
                                 !(b > 0.0) ? "the lattice constant b" : "the lattice constant c");
        set_lat(p, (double[9]){a, 0, 0, 0, b, 0, 0, 0, c});
        add_cart(p, x->z[0], 0, 0, 0);
        return BF_OK;
    }
    if (is(cs, "bct")) {
        if (!(c > 0.0))
            return bf__error_set(BF_EINVAL, "bulk: %s: give the lattice constant c", what);
        set_lat(p, (double[9]){-a / 2, a / 2, c / 2, a / 2, -a / 2, c / 2, a / 2, a / 2, -c / 2});
    } else {
        /* ASE's RHL lattice: a1, a2 in the xy plane either side of x, a3 in the xz plane */
        double al = x->alpha;
        if (!(al > 0.0 && al < 120.0))
            return bf__error_set(BF_EINVAL, "bulk: %s: give the angle alpha in (0, 120) degrees, "
                                 "got %g", what, al);
        al *= M_PI / 180.0;
        double acosa = a * cos(al), acosa2 = a * cos(0.5 * al), asina2 = a * sin(0.5 * al);
        double frac = acosa / acosa2, xx = 1.0 - frac * frac;
        set_lat(p, (double[9]){acosa2, -asina2, 0, acosa2, asina2, 0, a * frac, 0, a * sqrt(xx)});
    }
    /* the basis of the element's reference state where it is this structure, else one atom */
    if (ref && ref->symmetry && is(ref->symmetry, cs) && ref->nbasis > 0)
        for (int i = 0; i < ref->nbasis; i++)
            add_scaled(p, x->z[0], ref->basis[i][0], ref->basis[i][1], ref->basis[i][2]);
    else
        add_scaled(p, x->z[0], 0, 0, 0);
    return BF_OK;
}

static bf_status primitive_bulk(const crystal *x, const char *name, bf_atoms **out)
{
    char what[160];
    snprintf(what, sizeof what, "bulk %s %s", name, x->cs);
    primitive p;
    memset(&p, 0, sizeof p);
    if (is(x->cs, "perovskite")) {
        cellspec c;
        cubic_spec(x->cs, &c);
        return from_spec(x, &c, out);
    }
    if (!cubic_family(x, &p)) {
        bf_status st = other_lattices(x, &p, what);
        if (st)
            return st;
    }
    return bf__ms_atoms_from_lattice(p.lat, (size_t)p.n, p.z, p.xyz, what, 0, out);
}

/* ASE's choice of crystal structure and lattice constants, in ASE's order of checks. */
static bf_status resolve(const bf_bulk_options *opt, crystal *x)
{
    bf_status st = parse_formula(opt->name, x->z, MAX_ATOMS, &x->nz);
    if (st)
        return st;
    for (int k = 1; k <= BF__NUM_ELEMENTS; k++) /* the name is one symbol: its reference */
        if (strcmp(opt->name, bf__ms_elements[k].symbol) == 0 && bf__ms_refstates[k].symmetry)
            x->ref = &bf__ms_refstates[k];
    const char *xref = x->ref ? x->ref->symmetry : NULL;
    x->cs = opt->crystalstructure;
    if (!x->cs) {
        if (x->ref && x->ref->nbasis < 0)
            return bf__error_set(BF_EINVAL, "bulk: the reference structure of %s (%s) needs an "
                                 "atomic basis ASE does not give; give crystalstructure",
                                 opt->name, xref);
        x->cs = xref;
        if (!x->cs || structure_index(x->cs) < 0)
            return bf__error_set(BF_EINVAL, "bulk: no reference crystal structure for '%s'%s%s%s; "
                                 "give crystalstructure", opt->name, xref ? " (ASE's is " : "",
                                 xref ? xref : "", xref ? ")" : "");
    }
    int si = structure_index(x->cs);
    if (si < 0)
        return bf__error_set(BF_EINVAL, "bulk: unknown crystal structure '%s'%s", x->cs,
                             is(x->cs, "mcl") ? " (ASE lists mcl but builds no such cell)" : "");
    if (x->nz != structures[si].natoms)
        return bf__error_set(BF_EINVAL, "bulk: %s needs %d atom%s in the formula, '%s' has %d",
                             x->cs, structures[si].natoms, structures[si].natoms > 1 ? "s" : "",
                             opt->name, x->nz);
    if (is(x->cs, "diamond"))
        x->z[x->nz++] = x->z[0];
    int same = xref && is(xref, x->cs);
    x->alpha = opt->alpha != 0.0 ? opt->alpha : x->ref ? x->ref->alpha : 0.0;
    x->a = opt->a;
    if (x->a == 0.0) {
        if (!same || !(x->ref->a > 0.0))
            return bf__error_set(BF_EINVAL, "bulk: give the lattice constant a for %s %s",
                                 opt->name, x->cs);
        x->a = x->ref->a;
    }
    if (!(x->a > 0.0) || !isfinite(x->a))
        return bf__error_set(BF_EINVAL, "bulk: lattice constant a must be positive, got %g", x->a);
    x->b = opt->b != 0.0 ? opt->b : x->ref && x->ref->bovera > 0.0 ? x->ref->bovera * x->a : 0.0;
    x->c = opt->c;
    if (is(x->cs, "hcp") || is(x->cs, "wurtzite")) {
        /* ASE: c/a from c, else the reference's for its own structure, else ideal */
        x->covera = opt->c != 0.0 ? opt->c / x->a : same ? x->ref->covera : sqrt(8.0 / 3.0);
    } else {
        /* ASE takes the element's c/a whatever its reference structure */
        x->covera = x->ref ? x->ref->covera : 0.0;
        if (x->c == 0.0 && x->covera > 0.0)
            x->c = x->covera * x->a;
    }
    x->u = opt->u != 0.0 ? opt->u
                         : x->covera > 0.0 ? 0.25 + 1.0 / 3.0 / (x->covera * x->covera) : 0.0;
    if (!isfinite(x->b) || !isfinite(x->c) || !isfinite(x->alpha) || !isfinite(x->u) ||
        x->b < 0.0 || x->c < 0.0 || !(x->covera >= 0.0) || x->alpha < 0.0)
        return bf__error_set(BF_EINVAL, "bulk: lattice constants must be positive and finite");
    return BF_OK;
}

bf_status bf_bulk(const bf_bulk_options *opt, bf_atoms **out)
{
    *out = NULL;
    if (!opt || !opt->name)
        return bf__error_set(BF_EINVAL, "bulk: missing name");
    crystal x;
    memset(&x, 0, sizeof x);
    bf_status st = resolve(opt, &x);
    if (st)
        return st;
    const char *cs = x.cs;
    int hexagonal = is(cs, "hcp") || is(cs, "wurtzite");
    if (opt->cubic && hexagonal)
        return bf__error_set(BF_EUNSUPPORTED, "bulk: %s %s: ASE has no cubic %s cell; ask for "
                             "orthorhombic: true instead", opt->name, cs, cs);
    cellspec c;
    int fixed = is(cs, "sc") || is(cs, "tetragonal") || is(cs, "orthorhombic");
    if (opt->orthorhombic && !fixed) {
        if (!ortho_spec(cs, x.covera, x.u, &c) && !(is(cs, "perovskite") && cubic_spec(cs, &c)))
            return bf__error_set(BF_EUNSUPPORTED, "bulk: %s %s: ASE has no orthorhombic %s "
                                 "cell%s", opt->name, cs, cs,
                                 cubic_spec(cs, &c) ? "; ask for cubic: true" : "");
        return from_spec(&x, &c, out);
    }
    if (opt->cubic && (is(cs, "bcc") || is(cs, "cesiumchloride"))) {
        ortho_spec(cs, x.covera, x.u, &c);
        return from_spec(&x, &c, out);
    }
    if (opt->cubic && !is(cs, "sc")) {
        if (!cubic_spec(cs, &c))
            return bf__error_set(BF_EUNSUPPORTED, "bulk: %s %s: ASE has no cubic %s cell",
                                 opt->name, cs, cs);
        return from_spec(&x, &c, out);
    }
    return primitive_bulk(&x, opt->name, out);
}
