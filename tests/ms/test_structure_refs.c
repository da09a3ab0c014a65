/* Structures against ASE 3.22.1 and abTEM 1.0.9: every case of tests/ms/data/structures_ref.txt
 * (made by tests/ms/gen_structure_refs.py) — ASE's bulk() for each element's reference state
 * and for each structure with given constants, in each cell choice; abTEM's orthogonalize_cell
 * of general cells (bf_atoms_create_lattice) and of structure files with non-orthogonal cells —
 * must give the same atom count, cell and positions, or fail where ASE fails or abTEM would
 * strain the cell.
 * Tolerance 1e-8 Å: both sides compute the same closed forms in double precision (scaled
 * positions times the cell, one 3x3 inverse); only rounding differs (~1e-15 Å). Atoms are
 * compared in ASE's order for bulk() and the lattice cases; file cases match atoms as sets,
 * since ASE's CIF reader expands symmetry in another order. */
#include "ms_test.h"

#define TOL 1e-8

typedef struct ref_file {
    char *text;
    size_t len;
    const char *p; /* cursor */
    size_t line;
} ref_file;

static char *next_line(ref_file *r)
{
    static char buf[4096];
    const char *end = r->text + r->len;
    if (r->p >= end)
        return NULL;
    const char *e = memchr(r->p, '\n', (size_t)(end - r->p));
    size_t n = e ? (size_t)(e - r->p) : (size_t)(end - r->p);
    assert_true(n < sizeof buf);
    memcpy(buf, r->p, n);
    buf[n] = '\0';
    r->p += n + (e ? 1 : 0);
    r->line++;
    return buf;
}

static const char *data_path(const char *name, char *path, size_t cap)
{
    const char *src = getenv("BF_SOURCE_DIR");
    snprintf(path, cap, "%s/tests/ms/data/%s", src ? src : ".", name);
    return path;
}

/* Compare got with the expected result that follows in the file ("error" or "ok ..."). */
static void expect(ref_file *r, const char *what, bf_status st, bf_atoms *got, int in_order)
{
    char *s = next_line(r);
    assert_non_null(s);
    if (!strcmp(s, "error")) {
        if (st == BF_OK)
            fail_msg("line %zu: %s: expected an error as ASE/abTEM, got %zu atoms", r->line, what,
                     bf_atoms_count(got));
        bf_atoms_destroy(got);
        return;
    }
    size_t n;
    double cell[3];
    assert_int_equal(sscanf(s, "ok %zu %lf %lf %lf", &n, &cell[0], &cell[1], &cell[2]), 4);
    if (st != BF_OK)
        fail_msg("line %zu: %s: %s", r->line, what, bf_last_error());
    if (bf_atoms_count(got) != n)
        fail_msg("line %zu: %s: %zu atoms, ASE/abTEM %zu", r->line, what, bf_atoms_count(got), n);
    for (int k = 0; k < 3; k++)
        if (fabs(bf_atoms_cell(got)[k] - cell[k]) > TOL)
            fail_msg("line %zu: %s: cell[%d] %.12g, ASE/abTEM %.12g", r->line, what, k,
                     bf_atoms_cell(got)[k], cell[k]);
    char *used = calloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        int z;
        double x[3];
        assert_int_equal(sscanf(next_line(r), "%d %lf %lf %lf", &z, &x[0], &x[1], &x[2]), 4);
        size_t j = in_order ? i : 0, found = n;
        for (; j < n && found == n; j++) {
            const double *p = bf_atoms_positions(got) + 3 * j;
            if (!used[j] && bf_atoms_numbers(got)[j] == z && fabs(p[0] - x[0]) <= TOL &&
                fabs(p[1] - x[1]) <= TOL && fabs(p[2] - x[2]) <= TOL)
                found = j;
            if (in_order)
                break;
        }
        if (found == n) {
            const double *p = bf_atoms_positions(got) + 3 * i;
            fail_msg("line %zu: %s: atom %zu (Z=%d at %.10g %.10g %.10g) %s; beamflow's atom "
                     "%zu is Z=%d at %.10g %.10g %.10g", r->line, what, i, z, x[0], x[1], x[2],
                     in_order ? "differs" : "not found", i, bf_atoms_numbers(got)[i], p[0], p[1],
                     p[2]);
        }
        used[found] = 1;
    }
    free(used);
    bf_atoms_destroy(got);
}

static void bulk_case(ref_file *r, const char *s)
{
    char name[32], cs[32];
    int cubic, ortho;
    bf_bulk_options o = BF_BULK_OPTIONS_INIT;
    assert_int_equal(sscanf(s, "bulk %31s %31s %lf %lf %lf %lf %lf %d %d", name, cs, &o.a, &o.b,
                            &o.c, &o.alpha, &o.u, &cubic, &ortho), 9);
    o.name = name;
    o.crystalstructure = strcmp(cs, "-") ? cs : NULL;
    o.cubic = cubic;
    o.orthorhombic = ortho;
    bf_atoms *a = NULL;
    bf_status st = bf_bulk(&o, &a);
    expect(r, s, st, a, 1);
}

static void lattice_case(ref_file *r, const char *line)
{
    char s[4096];
    snprintf(s, sizeof s, "%s", line);
    double lat[9];
    size_t n;
    assert_int_equal(sscanf(s, "lattice %lf %lf %lf %lf %lf %lf %lf %lf %lf %zu", &lat[0], &lat[1],
                            &lat[2], &lat[3], &lat[4], &lat[5], &lat[6], &lat[7], &lat[8], &n),
                     10);
    int *z = malloc(n * sizeof *z);
    double *xyz = malloc(3 * n * sizeof *xyz);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sscanf(next_line(r), "%d %lf %lf %lf", &z[i], &xyz[3 * i],
                                &xyz[3 * i + 1], &xyz[3 * i + 2]), 4);
    bf_atoms *a = NULL;
    bf_status st = bf_atoms_create_lattice(n, z, xyz, lat, &a);
    free(z);
    free(xyz);
    expect(r, s, st, a, 1);
}

static void file_case(ref_file *r, const char *line)
{
    char s[4096], fname[256], path[1024];
    snprintf(s, sizeof s, "%s", line);
    assert_int_equal(sscanf(s, "file %255s", fname), 1);
    bf_frames f = {0, NULL};
    bf_status st = bf_structure_read(data_path(fname, path, sizeof path), &f);
    bf_atoms *a = NULL;
    if (st == BF_OK) {
        assert_int_equal(f.count, 1);
        a = f.frames[0];
        f.frames[0] = NULL;
        f.count = 0;
        bf_frames_free(&f);
    }
    expect(r, s, st, a, 0);
}

static void against_ase(void **state)
{
    (void)state;
    char path[1024];
    ref_file r = {0};
    data_path("structures_ref.txt", path, sizeof path);
    assert_ok(bf__ms_read_file(path, &r.text, &r.len));
    r.p = r.text;
    size_t cases[3] = {0, 0, 0};
    for (char *s; (s = next_line(&r));) {
        char head[4096];
        snprintf(head, sizeof head, "%s", s);
        if (head[0] == '#' || head[0] == '\0')
            continue;
        if (!strncmp(head, "bulk ", 5))
            bulk_case(&r, head), cases[0]++;
        else if (!strncmp(head, "lattice ", 8))
            lattice_case(&r, head), cases[1]++;
        else if (!strncmp(head, "file ", 5))
            file_case(&r, head), cases[2]++;
        else
            fail_msg("structures_ref.txt:%zu: unknown case '%s'", r.line, head);
    }
    /* the file really held every kind of case */
    assert_true(cases[0] > 300 && cases[1] >= 6 && cases[2] >= 5);
    free(r.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(against_ase)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
