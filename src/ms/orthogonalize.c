/* Orthogonal cells from general periodic cells, as abTEM 1.0.9's orthogonalize_cell
 * (abtem/atoms.py) does it, so a hexagonal, rhombohedral-setting or primitive cell gives the
 * same atoms abTEM would put in its potential:
 *   1. lattice components below 1e-6 Å are zeroed;
 *   2. best_orthogonal_cell: for each axis x, y, z, among the combinations n·(a, b, c) with
 *      |n_i| <= 5, the ones best aligned with the axis (largest |v_axis|/|v|, ties within
 *      1e-12), the shortest of them (the first in (n_a, n_b, n_c) order on equal lengths), its
 *      sign chosen so the axis component is positive; the box is the column norms of the three;
 *   3. ASE's cut() with the integer rows V = round(diag(box) · lat⁻¹): the atoms wrapped into
 *      the cell, repeated to cover the supercell V·lat (ASE's repeat order), kept where their
 *      scaled coordinates in the supercell are in [-0.001, 0.999);
 *   4. the affine map A = (V·lat)⁻¹·diag(box) onto the box (a rotation when the supercell is
 *      orthogonal).
 * Where abTEM would strain the structure because no orthogonal supercell exists within the
 * search (A not a rotation), this refuses with an error naming the structure instead; a strain
 * below BF__MS_MAX_STRAIN (rounded cell values in a file) is applied as abTEM does. An already
 * orthogonal cell (zero off-diagonals, positive diagonal) is kept unchanged, positions unwrapped,
 * as abTEM's potential skips the transform then. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/structure_internal.h"

#define ZERO_COMPONENT 1e-6 /* Å: abTEM zeroes smaller lattice components */
#define ANGLE_EPS 1e-12     /* best_orthogonal_cell's tie tolerance on the cosine */
#define CUT_TOLERANCE 0.01  /* Å: abTEM's tolerance for cut(); 0.1× of it in scaled units */
#define MAX_COPIES (1 << 15) /* cells covering the supercell; ±5 repetitions need <= 16³ */
#define MAX_CUT_WORK ((size_t)1 << 32) /* atom copies tested; ~10 s */

/* Python's x % 1.0: in [0, 1), with -1e-17 % 1.0 == 1.0 as Python rounds it (ASE applies the
 * modulo twice for that reason). */
static double pymod1(double x)
{
    double m = fmod(x, 1.0);
    if (m < 0.0)
        m += 1.0;
    return m == 0.0 ? 0.0 : m;
}

static double det3(const double m[9])
{
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* inverse of a 3x3 row-major matrix; 0 if (nearly) singular relative to its entries */
static int invert3(const double m[9], double inv[9])
{
    double d = det3(m), s = 0.0;
    for (int i = 0; i < 9; i++)
        s = fmax(s, fabs(m[i]));
    if (!isfinite(d) || fabs(d) <= 1e-12 * s * s * s)
        return 0;
    inv[0] = (m[4] * m[8] - m[5] * m[7]) / d;
    inv[1] = (m[2] * m[7] - m[1] * m[8]) / d;
    inv[2] = (m[1] * m[5] - m[2] * m[4]) / d;
    inv[3] = (m[5] * m[6] - m[3] * m[8]) / d;
    inv[4] = (m[0] * m[8] - m[2] * m[6]) / d;
    inv[5] = (m[2] * m[3] - m[0] * m[5]) / d;
    inv[6] = (m[3] * m[7] - m[4] * m[6]) / d;
    inv[7] = (m[1] * m[6] - m[0] * m[7]) / d;
    inv[8] = (m[0] * m[4] - m[1] * m[3]) / d;
    return 1;
}

static void matmul3(const double a[9], const double b[9], double c[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

/* row vector v (3) times matrix m (3x3) */
static void vecmat(const double v[3], const double m[9], double out[3])
{
    for (int j = 0; j < 3; j++)
        out[j] = v[0] * m[j] + v[1] * m[3 + j] + v[2] * m[6 + j];
}

/* |n·lat| componentwise and its norm, summed in numpy's order */
static double combo(const double lat[9], int na, int nb, int nc, double v[3])
{
    for (int k = 0; k < 3; k++)
        v[k] = fabs(na * lat[k] + nb * lat[3 + k] + nc * lat[6 + k]);
    return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

/* abTEM's best_orthogonal_cell: rows of nv (integers) and the box lengths. */
static void best_orthogonal_cell(const double lat[9], double nv[9], double box[3])
{
    const int r = BF__MS_MAX_REPETITIONS;
    for (int i = 0; i < 3; i++) {
        double vmax = 0.0, v[3];
        for (int a = -r; a <= r; a++)
            for (int b = -r; b <= r; b++)
                for (int c = -r; c <= r; c++) {
                    double norm = combo(lat, a, b, c, v);
                    if (norm > ANGLE_EPS)
                        vmax = fmax(vmax, v[i] / norm);
                }
        double best = INFINITY;
        int pick[3] = {0, 0, 0};
        for (int a = -r; a <= r; a++)
            for (int b = -r; b <= r; b++)
                for (int c = -r; c <= r; c++) {
                    double norm = combo(lat, a, b, c, v);
                    if (norm > ANGLE_EPS && vmax - v[i] / norm < ANGLE_EPS && norm < best) {
                        best = norm;
                        pick[0] = a, pick[1] = b, pick[2] = c;
                    }
                }
        double along = pick[0] * lat[i] + pick[1] * lat[3 + i] + pick[2] * lat[6 + i];
        double sign = along > 0.0 ? 1.0 : along < 0.0 ? -1.0 : 0.0;
        for (int k = 0; k < 3; k++)
            nv[3 * i + k] = sign * pick[k];
    }
    double cell[9];
    matmul3(nv, lat, cell);
    for (int k = 0; k < 3; k++)
        box[k] = sqrt(cell[k] * cell[k] + cell[3 + k] * cell[3 + k] + cell[6 + k] * cell[6 + k]);
}

static void where(char *buf, size_t cap, const char *name, size_t line)
{
    if (line)
        snprintf(buf, cap, "%s:%zu", name ? name : "atoms", line);
    else
        snprintf(buf, cap, "%s", name ? name : "atoms");
}

/* The plan of a cut: supercell rows, their inverse, the map onto the box, the repetitions of
 * the original cell covering the supercell and the translation of the repeated block. */
typedef struct cut_plan {
    double lat[9], inv[9], super[9], super_inv[9], map[9], box[3], trans[3];
    long rep[3];
    size_t count; /* atoms the supercell holds */
} cut_plan;

/* max |AᵀA - 1|: 0 for a rotation (or reflection) */
static double strain_of(const double a[9])
{
    double strain = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = a[i] * a[j] + a[3 + i] * a[3 + j] + a[6 + i] * a[6 + j];
            strain = fmax(strain, fabs(s - (i == j)));
        }
    return strain;
}

static bf_status plan_cut(cut_plan *p, size_t n, const char *w)
{
    double nv[9], v[9];
    best_orthogonal_cell(p->lat, nv, p->box);
    for (int i = 0; i < 3; i++) {
        double len = sqrt(p->lat[3 * i] * p->lat[3 * i] + p->lat[3 * i + 1] * p->lat[3 * i + 1] +
                          p->lat[3 * i + 2] * p->lat[3 * i + 2]);
        if (len < CUT_TOLERANCE)
            return bf__error_set(BF_EFORMAT, "%s: lattice vector %d has no length", w, i + 1);
    }
    for (int k = 0; k < 3; k++)
        if (!(p->box[k] >= CUT_TOLERANCE))
            return bf__error_set(BF_EFORMAT, "%s: the orthogonal supercell has a side of %g Å",
                                 w, p->box[k]);
    for (int i = 0; i < 9; i++)
        v[i] = nearbyint(p->box[i / 3] * p->inv[i]);
    double dv = fabs(det3(v));
    matmul3(v, p->lat, p->super);
    if (dv < 0.5 || !invert3(p->super, p->super_inv))
        return bf__error_set(BF_EUNSUPPORTED, "%s: no orthogonal supercell of this cell within "
                             "±%d repetitions of each lattice vector", w, BF__MS_MAX_REPETITIONS);
    double diag[9] = {p->box[0], 0, 0, 0, p->box[1], 0, 0, 0, p->box[2]};
    matmul3(p->super_inv, diag, p->map);
    double strain = strain_of(p->map);
    if (!(strain <= BF__MS_MAX_STRAIN))
        return bf__error_set(BF_EUNSUPPORTED,
                             "%s: the cell cannot be made orthogonal: the closest orthogonal "
                             "supercell within ±%d repetitions of each lattice vector (%.4g x "
                             "%.4g x %.4g Å) is %.2g%% strained; abTEM would strain the "
                             "structure, beamflow needs an orthogonal cell",
                             w, BF__MS_MAX_REPETITIONS, p->box[0], p->box[1], p->box[2],
                             100.0 * strain);
    /* ASE's cut(): the supercell's corners in scaled coordinates of the cell */
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int c = 0; c < 8; c++) {
        double s[3] = {c >> 2 & 1, c >> 1 & 1, c & 1}, corner[3], sc[3];
        vecmat(s, p->super, corner);
        vecmat(corner, p->inv, sc);
        for (int k = 0; k < 3; k++)
            lo[k] = fmin(lo[k], sc[k]), hi[k] = fmax(hi[k], sc[k]);
    }
    /* copies of the cell tested: bounded (the loop runs even for no atoms) before any cast */
    double flo[3], work = (double)(n ? n : 1);
    for (int k = 0; k < 3; k++) {
        work *= ceil(hi[k] - lo[k]) + 1.0;
        flo[k] = floor(lo[k]);
    }
    if (!(work <= (double)MAX_CUT_WORK) || !(work / (double)(n ? n : 1) <= (double)MAX_COPIES))
        return bf__error_set(BF_EINVAL, "%s: orthogonalising %zu atoms needs too many copies "
                             "of the cell", w, n);
    for (int k = 0; k < 3; k++)
        p->rep[k] = (long)ceil(hi[k] - lo[k]) + 1;
    vecmat(flo, p->lat, p->trans);
    p->count = n * (size_t)nearbyint(dv);
    return BF_OK;
}

/* Repeat the wrapped atoms, keep those in the supercell (ASE's order) and map them onto the
 * box. */
static bf_status run_cut(const cut_plan *p, size_t n, const int *z, const double *xyz,
                         const char *w, bf_atoms **out)
{
    /* the atoms wrapped into the cell, as cut() sets them before repeating */
    double *wrapped = malloc((n ? n : 1) * 3 * sizeof *wrapped);
    if (!wrapped)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu atoms", n);
    for (size_t i = 0; i < n; i++) {
        double f[3], s[3];
        vecmat(xyz + 3 * i, p->inv, f);
        for (int k = 0; k < 3; k++)
            s[k] = pymod1(pymod1(f[k]));
        vecmat(s, p->lat, wrapped + 3 * i);
    }
    bf_status st = bf__ms_atoms_alloc(p->count, p->box, out);
    if (st) {
        free(wrapped);
        return st;
    }
    const double stol = 0.1 * CUT_TOLERANCE;
    size_t kept = 0;
    for (long m0 = 0; m0 < p->rep[0]; m0++)
        for (long m1 = 0; m1 < p->rep[1]; m1++)
            for (long m2 = 0; m2 < p->rep[2]; m2++) {
                double m[3] = {(double)m0, (double)m1, (double)m2}, shift[3];
                vecmat(m, p->lat, shift);
                for (size_t i = 0; i < n; i++) {
                    double pos[3], sp[3];
                    for (int k = 0; k < 3; k++)
                        pos[k] = (wrapped[3 * i + k] + shift[k]) + p->trans[k];
                    vecmat(pos, p->super_inv, sp);
                    if (!(sp[0] >= -stol && sp[0] < 1 - stol && sp[1] >= -stol &&
                          sp[1] < 1 - stol && sp[2] >= -stol && sp[2] < 1 - stol))
                        continue;
                    if (kept == p->count) {
                        kept++;
                        goto counted;
                    }
                    (*out)->z[kept] = z[i];
                    vecmat(pos, p->map, (*out)->xyz + 3 * kept);
                    kept++;
                }
            }
counted:
    free(wrapped);
    if (kept != p->count) {
        bf_atoms_destroy(*out);
        *out = NULL;
        return bf__error_set(BF_EUNSUPPORTED,
                             "%s: cutting the orthogonal supercell kept %s%zu atoms, expected "
                             "%zu", w, kept > p->count ? "more than " : "",
                             kept > p->count ? p->count : kept, p->count);
    }
    return BF_OK;
}

bf_status bf__ms_atoms_from_lattice(const double lat[9], size_t n, const int *z,
                                    const double *xyz, const char *name, size_t line,
                                    bf_atoms **out)
{
    *out = NULL;
    char w[512];
    where(w, sizeof w, name, line);
    cut_plan p;
    memset(&p, 0, sizeof p);
    int diagonal = 1;
    for (int i = 0; i < 9; i++) {
        if (!isfinite(lat[i]))
            return bf__error_set(BF_EFORMAT, "%s: cell is not finite", w);
        p.lat[i] = fabs(lat[i]) < ZERO_COMPONENT ? 0.0 : lat[i];
        if (i % 4 && p.lat[i] != 0.0)
            diagonal = 0;
    }
    for (size_t i = 0; i < 3 * n; i++)
        if (!isfinite(xyz[i]))
            return bf__error_set(BF_EFORMAT, "%s: atom %zu: position is not finite", w, i / 3);
    if (diagonal && p.lat[0] > 0.0 && p.lat[4] > 0.0 && p.lat[8] > 0.0) {
        double cell[3] = {p.lat[0], p.lat[4], p.lat[8]};
        return bf_atoms_create(n, z, xyz, cell, out);
    }
    if (!invert3(p.lat, p.inv))
        return bf__error_set(BF_EFORMAT, "%s: the lattice vectors span no volume", w);
    for (size_t i = 0; i < n; i++)
        if (z[i] < 1 || z[i] > BF__NUM_ELEMENTS)
            return bf__error_set(BF_EINVAL, "%s: atom %zu: unknown element Z=%d", w, i, z[i]);
    bf_status st = plan_cut(&p, n, w);
    if (st)
        return st;
    return run_cut(&p, n, z, xyz, w, out);
}

bf_status bf__ms_atom_list_finish_lattice(bf__ms_atom_list *l, const double lat[9],
                                          const char *name, size_t line, bf_atoms **out)
{
    bf_status st = bf__ms_atoms_from_lattice(lat, l->n, l->z, l->xyz, name, line, out);
    bf__ms_atom_list_free(l);
    return st;
}

bf_status bf_atoms_create_lattice(size_t n, const int *z, const double *xyz,
                                  const double lattice[9], bf_atoms **out)
{
    *out = NULL;
    if (n && (!z || !xyz))
        return bf__error_set(BF_EINVAL, "missing atomic numbers or positions");
    if (!lattice)
        return bf__error_set(BF_EINVAL, "missing lattice");
    return bf__ms_atoms_from_lattice(lattice, n, z, xyz, "atoms", 0, out);
}
