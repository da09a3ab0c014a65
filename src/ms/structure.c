/* Atoms in an orthogonal periodic cell: creation, copies, supercells (ASE's repeat order), the
 * frame lists the readers return, and the overlap check potentials make (general cells are made
 * orthogonal in orthogonalize.c). Invariants: n atoms with 1 <= Z <= 103, finite positions,
 * cell lengths > 0. Positions may lie outside the cell; the potential wraps them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

bf_status bf__ms_atoms_alloc(size_t n, const double cell[3], bf_atoms **out)
{
    *out = NULL;
    for (int k = 0; k < 3; k++)
        if (!(cell[k] > 0.0) || !isfinite(cell[k]))
            return bf__error_set(BF_EINVAL, "cell length %d must be positive and finite, got %g",
                                 k, cell[k]);
    bf_atoms *a = calloc(1, sizeof *a);
    if (!a)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu atoms", n);
    a->n = n;
    a->z = malloc((n ? n : 1) * sizeof *a->z);
    a->xyz = malloc((n ? n : 1) * 3 * sizeof *a->xyz);
    memcpy(a->cell, cell, sizeof a->cell);
    if (!a->z || !a->xyz) {
        bf_atoms_destroy(a);
        return bf__error_set(BF_ENOMEM, "out of memory for %zu atoms", n);
    }
    *out = a;
    return BF_OK;
}

bf_status bf_atoms_create(size_t n, const int *z, const double *xyz, const double cell[3],
                          bf_atoms **out)
{
    *out = NULL;
    if (n && (!z || !xyz))
        return bf__error_set(BF_EINVAL, "missing atomic numbers or positions");
    if (!cell)
        return bf__error_set(BF_EINVAL, "missing cell");
    for (size_t i = 0; i < n; i++) {
        if (z[i] < 1 || z[i] > BF__NUM_ELEMENTS)
            return bf__error_set(BF_EINVAL, "atom %zu: unknown element Z=%d", i, z[i]);
        for (int k = 0; k < 3; k++)
            if (!isfinite(xyz[3 * i + k]))
                return bf__error_set(BF_EINVAL, "atom %zu: position is not finite", i);
    }
    bf_status st = bf__ms_atoms_alloc(n, cell, out);
    if (st)
        return st;
    if (n) {
        memcpy((*out)->z, z, n * sizeof *z);
        memcpy((*out)->xyz, xyz, 3 * n * sizeof *xyz);
    }
    return BF_OK;
}

void bf_atoms_destroy(bf_atoms *atoms)
{
    if (!atoms)
        return;
    free(atoms->z);
    free(atoms->xyz);
    free(atoms->sigma);
    free(atoms);
}

size_t bf_atoms_count(const bf_atoms *atoms) { return atoms->n; }
const int *bf_atoms_numbers(const bf_atoms *atoms) { return atoms->z; }
const double *bf_atoms_positions(const bf_atoms *atoms) { return atoms->xyz; }
const double *bf_atoms_cell(const bf_atoms *atoms) { return atoms->cell; }
const double *bf_atoms_sigmas(const bf_atoms *atoms) { return atoms->sigma; }

bf_status bf__ms_atoms_set_sigmas(bf_atoms *atoms, const double *sigma)
{
    free(atoms->sigma);
    atoms->sigma = malloc((atoms->n ? atoms->n : 1) * sizeof *atoms->sigma);
    if (!atoms->sigma)
        return bf__error_set(BF_ENOMEM, "out of memory for %zu sigmas", atoms->n);
    if (atoms->n)
        memcpy(atoms->sigma, sigma, atoms->n * sizeof *sigma);
    return BF_OK;
}

bf_status bf_atoms_repeat(const bf_atoms *atoms, const int rep[3], bf_atoms **out)
{
    *out = NULL;
    for (int k = 0; k < 3; k++)
        if (rep[k] < 1 || rep[k] > 10000)
            return bf__error_set(BF_EINVAL, "repeat[%d] must be in 1..10000, got %d", k, rep[k]);
    size_t m = (size_t)rep[0] * (size_t)rep[1] * (size_t)rep[2];
    if (atoms->n && m > ((size_t)1 << 40) / atoms->n)
        return bf__error_set(BF_EINVAL, "repeat gives too many atoms");
    double cell[3] = {atoms->cell[0] * rep[0], atoms->cell[1] * rep[1], atoms->cell[2] * rep[2]};
    bf_status st = bf__ms_atoms_alloc(atoms->n * m, cell, out);
    if (st)
        return st;
    size_t total = atoms->n * m;
    if (atoms->sigma && !((*out)->sigma = malloc((total > 0 ? total : 1) * sizeof(double)))) {
        bf_atoms_destroy(*out);
        *out = NULL;
        return bf__error_set(BF_ENOMEM, "out of memory for sigmas");
    }
    size_t o = 0;
    for (int i = 0; i < rep[0]; i++)
        for (int j = 0; j < rep[1]; j++)
            for (int k = 0; k < rep[2]; k++)
                for (size_t a = 0; a < atoms->n; a++, o++) {
                    (*out)->z[o] = atoms->z[a];
                    if (atoms->sigma)
                        (*out)->sigma[o] = atoms->sigma[a];
                    (*out)->xyz[3 * o + 0] = atoms->xyz[3 * a + 0] + i * atoms->cell[0];
                    (*out)->xyz[3 * o + 1] = atoms->xyz[3 * a + 1] + j * atoms->cell[1];
                    (*out)->xyz[3 * o + 2] = atoms->xyz[3 * a + 2] + k * atoms->cell[2];
                }
    return BF_OK;
}

void bf_frames_free(bf_frames *frames)
{
    if (!frames)
        return;
    for (size_t i = 0; i < frames->count; i++)
        bf_atoms_destroy(frames->frames[i]);
    free(frames->frames);
    frames->frames = NULL;
    frames->count = 0;
}

bf_status bf__ms_atom_list_push(bf__ms_atom_list *l, int z, double x, double y, double zz)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        if (cap > ((size_t)1 << 34))
            return bf__error_set(BF_EINVAL, "too many atoms");
        int *nz = realloc(l->z, cap * sizeof *nz);
        if (!nz)
            return bf__error_set(BF_ENOMEM, "out of memory for atoms");
        l->z = nz;
        double *nx = realloc(l->xyz, 3 * cap * sizeof *nx);
        if (!nx)
            return bf__error_set(BF_ENOMEM, "out of memory for atoms");
        l->xyz = nx;
        l->cap = cap;
    }
    l->z[l->n] = z;
    l->xyz[3 * l->n] = x;
    l->xyz[3 * l->n + 1] = y;
    l->xyz[3 * l->n + 2] = zz;
    l->n++;
    return BF_OK;
}

void bf__ms_atom_list_free(bf__ms_atom_list *l)
{
    free(l->z);
    free(l->xyz);
    memset(l, 0, sizeof *l);
}

bf_status bf__ms_atom_list_finish(bf__ms_atom_list *l, const double cell[3], bf_atoms **out)
{
    bf_status st = bf_atoms_create(l->n, l->z, l->xyz, cell, out);
    bf__ms_atom_list_free(l);
    return st;
}

/* Overlaps: positions wrapped into the cell and binned on a grid of tol; two atoms closer than
 * tol are in the same or adjacent bins (periodically), found by binary search on the sorted
 * bins: O(N log N) whatever the structure (a plain sort along x degrades to O(N²) on the planes
 * of a crystal). */
typedef struct binned {
    long b[3];
    size_t i;
} binned;

static int by_bin(const void *pa, const void *pb)
{
    const binned *a = pa, *b = pb;
    for (int k = 0; k < 3; k++)
        if (a->b[k] != b->b[k])
            return a->b[k] < b->b[k] ? -1 : 1;
    return a->i < b->i ? -1 : (a->i > b->i);
}

/* index of the first entry with bins >= key */
static size_t lower(const binned *v, size_t n, const long key[3])
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int less = 0;
        for (int k = 0; k < 3; k++)
            if (v[mid].b[k] != key[k]) {
                less = v[mid].b[k] < key[k];
                break;
            }
        if (less)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double wrapped(double d, double len)
{
    d = fmod(d, len);
    if (d > 0.5 * len)
        d -= len;
    else if (d < -0.5 * len)
        d += len;
    return d;
}

static bf_status overlap_error(const bf_atoms *a, size_t i, size_t j, double d)
{
    size_t lo = i < j ? i : j, hi = i < j ? j : i;
    return bf__error_set(BF_EINVAL, "atoms %zu (%s) and %zu (%s) overlap: %.2g Å apart", lo,
                         bf_element_symbol(a->z[lo]), hi, bf_element_symbol(a->z[hi]), d);
}

bf_status bf__ms_check_overlaps(const bf_atoms *a, double tol)
{
    if (a->n < 2)
        return BF_OK;
    double *w = malloc(3 * a->n * sizeof *w);
    binned *v = malloc(a->n * sizeof *v);
    if (!w || !v) {
        free(w);
        free(v);
        return bf__error_set(BF_ENOMEM, "out of memory checking %zu atoms", a->n);
    }
    long nb[3];
    for (int k = 0; k < 3; k++)
        nb[k] = (long)fmax(1.0, floor(a->cell[k] / tol));
    for (size_t i = 0; i < a->n; i++) {
        v[i].i = i;
        for (int k = 0; k < 3; k++) {
            double f = a->xyz[3 * i + k] / a->cell[k];
            f -= floor(f);
            w[3 * i + k] = f * a->cell[k];
            long b = (long)(f * (double)nb[k]);
            v[i].b[k] = b >= nb[k] ? nb[k] - 1 : b;
        }
    }
    qsort(v, a->n, sizeof *v, by_bin);
    bf_status st = BF_OK;
    for (size_t s = 0; s < a->n && !st; s++) {
        size_t i = v[s].i;
        for (int o = 0; o < 27 && !st; o++) {
            long key[3] = {v[s].b[0] + o / 9 - 1, v[s].b[1] + (o / 3) % 3 - 1, v[s].b[2] + o % 3 - 1};
            for (int k = 0; k < 3; k++)
                key[k] = (key[k] % nb[k] + nb[k]) % nb[k];
            for (size_t t = lower(v, a->n, key); t < a->n && !st; t++) {
                if (v[t].b[0] != key[0] || v[t].b[1] != key[1] || v[t].b[2] != key[2])
                    break;
                size_t j = v[t].i;
                if (j <= i)
                    continue; /* each pair once */
                double d2 = 0.0;
                for (int k = 0; k < 3; k++) {
                    double d = wrapped(w[3 * j + k] - w[3 * i + k], a->cell[k]);
                    d2 += d * d;
                }
                if (d2 < tol * tol)
                    st = overlap_error(a, i, j, sqrt(d2));
            }
        }
    }
    free(w);
    free(v);
    return st;
}
