/* Structures: ASE bulk() cells and positions, beamflow's extensions and bulk's errors, general
 * cells made orthogonal, repeat, and the XYZ / Kirkland XYZ / POSCAR / CIF readers, with their
 * line-numbered errors (test_structure_refs.c compares with ASE and abTEM case by case).
 * Fixture files are the fuzz seed corpus (tests/fuzz/corpus/{xyz,poscar,cif}). */
#include "ms_test.h"

static bf_atoms *bulk(const char *name, const char *cs, double a, int cubic, int ortho)
{
    bf_bulk_options o = BF_BULK_OPTIONS_INIT;
    o.name = name;
    o.crystalstructure = cs;
    o.a = a;
    o.cubic = cubic;
    o.orthorhombic = ortho;
    bf_atoms *atoms;
    assert_ok(bf_bulk(&o, &atoms));
    return atoms;
}

static void expect_cell(const bf_atoms *a, double x, double y, double z)
{
    assert_close(bf_atoms_cell(a)[0], x, 1e-12, 1e-12);
    assert_close(bf_atoms_cell(a)[1], y, 1e-12, 1e-12);
    assert_close(bf_atoms_cell(a)[2], z, 1e-12, 1e-12);
}

static void expect_atom(const bf_atoms *a, size_t i, int z, double x, double y, double zz)
{
    assert_int_equal(bf_atoms_numbers(a)[i], z);
    const double *p = bf_atoms_positions(a) + 3 * i;
    assert_close(p[0], x, 1e-9, 1e-9);
    assert_close(p[1], y, 1e-9, 1e-9);
    assert_close(p[2], zz, 1e-9, 1e-9);
}

static void ase_bulk(void **s)
{
    (void)s;
    bf_atoms *a = bulk("Au", NULL, 0, 1, 0); /* ASE: fcc, a = 4.08 */
    assert_int_equal(bf_atoms_count(a), 4);
    expect_cell(a, 4.08, 4.08, 4.08);
    expect_atom(a, 1, 79, 0, 2.04, 2.04);
    bf_atoms_destroy(a);
    a = bulk("Si", NULL, 0, 1, 0); /* diamond 5.43 */
    assert_int_equal(bf_atoms_count(a), 8);
    expect_atom(a, 1, 14, 1.3575, 1.3575, 1.3575);
    expect_atom(a, 7, 14, 0.75 * 5.43, 0.75 * 5.43, 0.25 * 5.43);
    bf_atoms_destroy(a);
    a = bulk("Fe", NULL, 0, 1, 0); /* bcc 2.87 */
    assert_int_equal(bf_atoms_count(a), 2);
    expect_atom(a, 1, 26, 1.435, 1.435, 1.435);
    bf_atoms_destroy(a);
    a = bulk("Mg", NULL, 0, 0, 1); /* hcp 3.21, c/a 1.624 */
    assert_int_equal(bf_atoms_count(a), 4);
    expect_cell(a, 3.21, 3.21 * sqrt(3.0), 3.21 * 1.624);
    expect_atom(a, 2, 12, 1.605, 3.21 * sqrt(3.0) / 6, 3.21 * 1.624 / 2);
    bf_atoms_destroy(a);
    a = bulk("NaCl", "rocksalt", 5.64, 1, 0);
    assert_int_equal(bf_atoms_count(a), 8);
    expect_atom(a, 1, 17, 2.82, 0, 0);
    bf_atoms_destroy(a);
    a = bulk("GaAs", "zincblende", 5.65, 0, 1);
    assert_int_equal(bf_atoms_count(a), 4);
    expect_cell(a, 5.65 / sqrt(2.0), 5.65 / sqrt(2.0), 5.65);
    expect_atom(a, 3, 33, 0, 0.5 * 5.65 / sqrt(2.0), 0.75 * 5.65);
    bf_atoms_destroy(a);
    a = bulk("CaF2", "fluorite", 5.46, 1, 0);
    assert_int_equal(bf_atoms_count(a), 12);
    expect_atom(a, 2, 9, 0.75 * 5.46, 0.75 * 5.46, 0.75 * 5.46);
    bf_atoms_destroy(a);
    a = bulk("SrTiO3", "perovskite", 3.905, 0, 0);
    assert_int_equal(bf_atoms_count(a), 5);
    expect_atom(a, 1, 22, 1.9525, 1.9525, 1.9525);
    expect_atom(a, 4, 8, 0, 1.9525, 1.9525);
    bf_atoms_destroy(a);
    a = bulk("ZnO", "wurtzite", 3.25, 0, 1);
    assert_int_equal(bf_atoms_count(a), 8);
    bf_atoms_destroy(a);
    a = bulk("CsCl", "cesiumchloride", 4.12, 0, 0);
    assert_int_equal(bf_atoms_count(a), 2);
    bf_atoms_destroy(a);
}

static char *fixture(const char *dir, const char *name, char *path, size_t cap)
{
    const char *src = getenv("BF_SOURCE_DIR");
    snprintf(path, cap, "%s/tests/fuzz/corpus/%s/%s", src ? src : ".", dir, name);
    return path;
}

static bf_bulk_options opts(const char *name, const char *cs, double a, double c)
{
    bf_bulk_options o = BF_BULK_OPTIONS_INIT;
    o.name = name;
    o.crystalstructure = cs;
    o.a = a;
    o.c = c;
    return o;
}

/* Extensions over ASE 3.22 (which raises for these): tetragonal, cubic fluorite, perovskite;
 * test_structure_refs.c covers everything ASE builds. */
static void bulk_extensions(void **s)
{
    (void)s;
    bf_atoms *a = bulk("Pa", NULL, 0, 0, 0); /* ASE's reference: tetragonal a 3.92, c/a 0.825 */
    assert_int_equal(bf_atoms_count(a), 1);
    expect_cell(a, 3.92, 3.92, 3.92 * 0.825);
    bf_atoms_destroy(a);
    bf_bulk_options o = opts("Sn", "tetragonal", 5.8, 3.2);
    assert_ok(bf_bulk(&o, &a));
    expect_cell(a, 5.8, 5.8, 3.2);
    bf_atoms_destroy(a);
    a = bulk("SrTiO3", "perovskite", 3.905, 0, 1); /* orthorhombic: the cubic cell */
    assert_int_equal(bf_atoms_count(a), 5);
    bf_atoms_destroy(a);
    a = bulk("Au", NULL, 0, 0, 0); /* primitive fcc made orthogonal as abTEM: the cubic cell */
    assert_int_equal(bf_atoms_count(a), 4);
    expect_cell(a, 4.08, 4.08, 4.08);
    bf_atoms_destroy(a);
}

static void bulk_errors(void **s)
{
    (void)s;
    bf_bulk_options o = BF_BULK_OPTIONS_INIT;
    bf_atoms *a;
    o.name = "Hg"; /* rhombohedral: abTEM would strain it */
    assert_fails(bf_bulk(&o, &a), BF_EUNSUPPORTED,
                 "bulk Hg rhombohedral: the cell cannot be made orthogonal");
    o.name = "Mg";
    o.cubic = 1;
    assert_fails(bf_bulk(&o, &a), BF_EUNSUPPORTED, "ask for orthorhombic: true instead");
    o.name = "Qq";
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "unknown element 'Qq'");
    o.name = "NaCl";
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "give crystalstructure");
    o.crystalstructure = "rocksalt";
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "give the lattice constant");
    o.crystalstructure = "fcc";
    o.a = 4;
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "needs 1 atom");
    o.crystalstructure = "spiral";
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "unknown crystal structure 'spiral'");
    o.name = "Au";
    o.crystalstructure = "mcl";
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "ASE lists mcl but builds no such cell");
    o = opts("Se", NULL, 0, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL,
                 "reference structure of Se (hcp) needs an atomic basis");
    o = opts("H", NULL, 0, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL,
                 "no reference crystal structure for 'H' (ASE's is diatom)");
    o = opts("Am", NULL, 0, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "no reference crystal structure for 'Am';");
    o = opts("Au", "bct", 3, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "bulk Au bct: give the lattice constant c");
    o = opts("Au", "orthorhombic", 3, 4);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "give the lattice constant b");
    o = opts("Au", "rhombohedral", 3, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "give the angle alpha in (0, 120) degrees");
    o = opts("CaF2", "fluorite", 5.46, 0);
    o.orthorhombic = 1;
    assert_fails(bf_bulk(&o, &a), BF_EUNSUPPORTED, "no orthorhombic fluorite cell; ask for cubic");
    o = opts("Pa", NULL, 0, 0);
    o.cubic = 1;
    assert_fails(bf_bulk(&o, &a), BF_EUNSUPPORTED, "ASE has no cubic tetragonal cell");
    o = opts("Au", NULL, -1, 0);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "lattice constant a must be positive");
    o = opts("Mg", "hcp", 3, -1);
    assert_fails(bf_bulk(&o, &a), BF_EINVAL, "must be positive and finite");
}

/* General cells: the orthogonal supercell as abTEM finds it, and the errors. */
static void orthogonalize(void **s)
{
    (void)s;
    bf_frames f;
    char p[1024];
    assert_ok(bf_structure_read(fixture("xyz", "nonorthogonal.xyz", p, sizeof p), &f));
    assert_int_equal(bf_atoms_count(f.frames[0]), 10); /* abTEM: 25 x 5 x 5, (5,-1,0) along x */
    expect_cell(f.frames[0], 25, 5, 5);
    expect_atom(f.frames[0], 3, 14, 6, 2, 1);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("cif", "hexagonal.cif", p, sizeof p), &f));
    assert_int_equal(bf_atoms_count(f.frames[0]), 2); /* a x a√3 x c */
    expect_cell(f.frames[0], 3, 3 * sqrt(3.0), 3);
    bf_frames_free(&f);
    bf_atoms *a;
    /* a√3/2 written as 2.78 (2.77994...): a 2e-5 strain, applied as abTEM does */
    const char *x = "1\nLattice=\"3.21 0 0 -1.605 2.78 0 0 0 5.21\"\nMg 0 0 0\n";
    assert_ok(bf_xyz_parse(x, strlen(x), "t.xyz", &f));
    assert_int_equal(bf_atoms_count(f.frames[0]), 2);
    expect_cell(f.frames[0], 3.21, 5.56, 5.21);
    bf_frames_free(&f);
    x = "1\nLattice=\"4 0 0 1.3 5 0 0 0 6\"\nCu 0 0 0\n";
    assert_fails(bf_xyz_parse(x, strlen(x), "t.xyz", &f), BF_EUNSUPPORTED,
                 "t.xyz:2: the cell cannot be made orthogonal");
    x = "1\nLattice=\"4 0 0 4 0 0 0 0 6\"\nCu 0 0 0\n";
    assert_fails(bf_xyz_parse(x, strlen(x), "t.xyz", &f), BF_EFORMAT, "t.xyz:2: the lattice "
                 "vectors span no volume");
    x = "1\nLattice=\"4 0 0 0.001 0.001 0 0 0 6\"\nCu 0 0 0\n";
    assert_fails(bf_xyz_parse(x, strlen(x), "t.xyz", &f), BF_EFORMAT, "lattice vector 2 has no "
                 "length");
    x = "c\n1.0\n4 0 0\n1.3 5 0\n0 0 6\nCu\n1\nDirect\n0 0 0\n";
    assert_fails(bf_poscar_parse(x, strlen(x), "POSCAR", &a), BF_EUNSUPPORTED,
                 "POSCAR:5: the cell cannot be made orthogonal");
    x = "data_x\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n_cell_angle_gamma 75\n"
        "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
        "C 0 0 0\n";
    assert_fails(bf_cif_parse(x, strlen(x), "c.cif", &a), BF_EUNSUPPORTED,
                 "c.cif:1: the cell cannot be made orthogonal");
    x = "data_x\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n_cell_angle_alpha 150\n"
        "_cell_angle_beta 150\nloop_\n_atom_site_label\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\nC 0 0 0\n";
    assert_fails(bf_cif_parse(x, strlen(x), "c.cif", &a), BF_EFORMAT, "c.cif:1: the cell angles");
    double lat[9] = {1.805, 1.805, 0, 0, 1.805, 1.805, 1.805, 0, 1.805}, xyz[3] = {0, 0, 0};
    int z = 29, bad = 0;
    assert_ok(bf_atoms_create_lattice(1, &z, xyz, lat, &a)); /* primitive fcc -> cubic cell */
    assert_int_equal(bf_atoms_count(a), 4);
    expect_cell(a, 3.61, 3.61, 3.61);
    bf_atoms_destroy(a);
    assert_fails(bf_atoms_create_lattice(1, &bad, xyz, lat, &a), BF_EINVAL, "unknown element");
    assert_fails(bf_atoms_create_lattice(1, &z, NULL, lat, &a), BF_EINVAL, "missing");
    assert_fails(bf_atoms_create_lattice(1, &z, xyz, NULL, &a), BF_EINVAL, "missing lattice");
    xyz[0] = NAN;
    assert_fails(bf_atoms_create_lattice(1, &z, xyz, lat, &a), BF_EFORMAT, "not finite");
    xyz[0] = 0;
    lat[0] = INFINITY;
    assert_fails(bf_atoms_create_lattice(1, &z, xyz, lat, &a), BF_EFORMAT, "cell is not finite");
}

static void repeat_order(void **s)
{
    (void)s;
    bf_atoms *a = bulk("Au", NULL, 0, 1, 0), *r;
    int rep[3] = {2, 3, 1};
    assert_ok(bf_atoms_repeat(a, rep, &r));
    assert_int_equal(bf_atoms_count(r), 24);
    expect_cell(r, 8.16, 12.24, 4.08);
    expect_atom(r, 4, 79, 0, 4.08, 0); /* ASE: x outermost, then y, z; atoms innermost */
    expect_atom(r, 12, 79, 4.08, 0, 0);
    int bad[3] = {0, 1, 1};
    bf_atoms *x;
    assert_fails(bf_atoms_repeat(a, bad, &x), BF_EINVAL, "repeat[0]");
    bf_atoms_destroy(a);
    bf_atoms_destroy(r);
}

static void read_files(void **s)
{
    (void)s;
    char p[1024];
    bf_frames f;
    assert_ok(bf_structure_read(fixture("xyz", "two_frames.xyz", p, sizeof p), &f));
    assert_int_equal(f.count, 2);
    expect_atom(f.frames[1], 0, 14, 0.1, 0, 0);
    expect_atom(f.frames[0], 1, 8, 1.0, 1.5, 2.5);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("xyz", "extra_columns.xyz", p, sizeof p), &f));
    expect_atom(f.frames[0], 2, 79, 2, 0, 2);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("xyz", "kirkland.xyz", p, sizeof p), &f));
    assert_int_equal(f.count, 1);
    expect_cell(f.frames[0], 10, 10, 2);
    expect_atom(f.frames[0], 1, 8, 2, 2, 1);
    assert_non_null(bf_atoms_sigmas(f.frames[0]));
    assert_close(bf_atoms_sigmas(f.frames[0])[0], 0.085, 0, 1e-12);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("poscar", "POSCAR_si", p, sizeof p), &f));
    assert_int_equal(bf_atoms_count(f.frames[0]), 8);
    expect_atom(f.frames[0], 1, 14, 1.3575, 1.3575, 1.3575);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("poscar", "POSCAR_volume_selective", p, sizeof p), &f));
    double a = cbrt(178.95);
    expect_cell(f.frames[0], a, a, a);
    expect_atom(f.frames[0], 1, 17, 0.5 * a, 0, 0);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("cif", "nacl_ops.cif", p, sizeof p), &f));
    assert_int_equal(bf_atoms_count(f.frames[0]), 8); /* -x,-y,-z adds nothing new */
    expect_atom(f.frames[0], 4, 17, 2.82, 0, 0);
    expect_atom(f.frames[0], 5, 17, 2.82, 2.82, 2.82);
    bf_frames_free(&f);
    assert_ok(bf_structure_read(fixture("cif", "p1_textfield.cif", p, sizeof p), &f));
    expect_atom(f.frames[0], 0, 14, 0.3, 0.8, 1.5);
    expect_atom(f.frames[0], 1, 8, 1.5, 2, 2.5);
    bf_frames_free(&f);
}

static void reader_errors(void **s)
{
    (void)s;
    char p[1024];
    bf_frames f;
    assert_fails(bf_structure_read("/nonexistent/x.xyz", &f), BF_EIO, "cannot open");
    assert_fails(bf_structure_read(fixture("xyz", "bad_element.xyz", p, sizeof p), &f),
                 BF_EFORMAT, "bad_element.xyz:4: unknown element 'Xx'");
    assert_fails(bf_structure_read(fixture("xyz", "no_lattice.xyz", p, sizeof p), &f),
                 BF_EFORMAT, "no_lattice.xyz:2: no Lattice");
    assert_fails(bf_structure_read(fixture("poscar", "POSCAR_vasp4", p, sizeof p), &f),
                 BF_EFORMAT, "POSCAR_vasp4:6: expected species names");
    assert_fails(bf_structure_read(fixture("poscar", "POSCAR_truncated", p, sizeof p), &f),
                 BF_EFORMAT, "POSCAR_truncated:10: unexpected end of file");
    assert_fails(bf_structure_read(fixture("cif", "bad_loop.cif", p, sizeof p), &f), BF_EFORMAT,
                 "bad_loop.cif:3: loop has 5 values for 3 tags");
    assert_fails(bf_structure_read(fixture("cif", "bad_symop.cif", p, sizeof p), &f), BF_EFORMAT,
                 "bad_symop.cif:7: cannot read symmetry operation 'x,y,q'");
    assert_fails(bf_structure_read(fixture("cif", "unterminated.cif", p, sizeof p), &f),
                 BF_EFORMAT, "unterminated.cif:2: unterminated quoted string");
    bf_atoms *a;
    const char *k = "c\n1 2 3\n14 0 0 0 1 0\n";
    assert_fails(bf_kirkland_xyz_parse(k, strlen(k), "k.xyz", &a), BF_EFORMAT,
                 "k.xyz:3: missing the final -1");
    k = "c\n1 2 3\n200 0 0 0 1 0\n-1\n";
    assert_fails(bf_kirkland_xyz_parse(k, strlen(k), "k.xyz", &a), BF_EFORMAT, "k.xyz:3:");
    const char *x = "3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nSi 0 0 0\n";
    assert_fails(bf_xyz_parse(x, strlen(x), "t.xyz", &f), BF_EFORMAT,
                 "t.xyz:3: expected 3 atoms, found 1");
    assert_fails(bf_structure_read("/tmp/structure.pdb", &f), BF_EUNSUPPORTED, "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ase_bulk),     cmocka_unit_test(bulk_errors),
        cmocka_unit_test(bulk_extensions), cmocka_unit_test(orthogonalize),
        cmocka_unit_test(repeat_order), cmocka_unit_test(read_files),
        cmocka_unit_test(reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
