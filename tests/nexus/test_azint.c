/* NXazint1d / NXazint2d output: written whole, read back with HDF5 here and with h5py (what users
 * run), following @default to the data; bad input refused. */
#include "bf_test.h"

#include "beamflow/nexus.h"

#include <hdf5.h>
#include <math.h>
#include <unistd.h>

enum { FRAMES = 5, NPT = 100, NAZ = 8 };

static void fill(double *r, float *I, float *s, size_t n)
{
    for (size_t i = 0; i < NPT; i++)
        r[i] = 0.05 + 0.1 * (double)i;
    for (size_t i = 0; i < n; i++) {
        I[i] = 1000.0f + (float)i;
        s[i] = sqrtf(I[i]);
    }
}

static int run_python(const char *script, const char *path)
{
    const char *py = getenv("BF_PYTHON");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -c '%s' %s", py ? py : "/usr/bin/python3", script, path);
    return system(cmd);
}

static void one_dimensional(void **state)
{
    (void)state;
    static double r[NPT];
    static float I[FRAMES * NPT], s[FRAMES * NPT];
    fill(r, I, s, FRAMES * NPT);
    char path[512];
    snprintf(path, sizeof path, "%s/curves.h5", bf_test_tmpdir());
    bf_azint_info info = {.frames = FRAMES, .npt_rad = NPT, .radial = r, .radial_unit = "q_nm^-1",
                          .wavelength_m = 1e-10, .poni = "# PONI\nDistance: 0.1\n",
                          .method = "bbox,csr", .error_model = "poisson",
                          .polarization_factor = 0.99, .solid_angle = true, .mask = "gaps"};
    bf_azint_writer *w;
    assert_ok(bf_azint_writer_create(path, &info, &w));
    assert_int_equal(access(path, F_OK), -1); /* not there until committed */
    assert_ok(bf_azint_writer_put(w, 0, 2, I, s));
    assert_fails(bf_azint_writer_commit(w), BF_EINVAL, "only 2 of 5 frames");
    assert_ok(bf_azint_writer_put(w, 2, 3, I + 2 * NPT, s + 2 * NPT));
    assert_fails(bf_azint_writer_put(w, 4, 3, I, s), BF_EINVAL, "outside");
    assert_ok(bf_azint_writer_commit(w));
    bf_azint_writer_destroy(w);
    static float again[FRAMES * NPT], again_s[FRAMES * NPT];
    assert_ok(bf_azint_read(path, again, again_s, FRAMES * NPT));
    assert_memory_equal(again, I, sizeof again);
    assert_memory_equal(again_s, s, sizeof again_s);
    assert_fails(bf_azint_read(path, again, NULL, 7), BF_EINVAL, "expected 7");
    assert_fails(bf_azint_read("/nonexistent.h5", again, NULL, 7), BF_EIO, "cannot open");

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    static float back[FRAMES * NPT];
    hid_t d = H5Dopen2(f, "/entry/data/I", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
    assert_memory_equal(back, I, sizeof back);
    H5Dclose(d);
    H5Fclose(f);

    const char *check =
        "import h5py, sys, numpy as np\n"
        "f = h5py.File(sys.argv[1], \"r\")\n"
        "e = f[f.attrs[\"default\"]]\n"
        "assert e.attrs[\"NX_class\"] == \"NXentry\" and e[\"definition\"][()] == b\"NXazint1d\"\n"
        "d = e[e.attrs[\"default\"]]\n"
        "assert d.attrs[\"signal\"] == \"I\" and list(d.attrs[\"axes\"]) == [\".\", \"radial_axis\"]\n"
        "assert d[\"I\"].shape == (5, 100) and d[\"I_errors\"].shape == (5, 100)\n"
        "assert d[\"radial_axis\"].attrs[\"units\"] == \"1/nm\"\n"
        "assert np.allclose(np.diff(d[\"radial_axis_edges\"][()]), 0.1)\n"
        "p = e[\"reduction/input\"]\n"
        "assert p[\"error_model\"][()] == b\"poisson\" and p[\"radial_bins\"][()] == 100\n"
        "assert abs(e[\"instrument/monochromator/energy\"][()] - 12.398) < 1e-3\n";
    assert_int_equal(run_python(check, path), 0);
}

static void two_dimensional_and_errors(void **state)
{
    (void)state;
    static double r[NPT], az[NAZ];
    static float I[FRAMES * NAZ * NPT], s[FRAMES * NAZ * NPT];
    fill(r, I, s, FRAMES * NAZ * NPT);
    for (int i = 0; i < NAZ; i++)
        az[i] = -180 + 45 * (i + 0.5);
    char path[512];
    snprintf(path, sizeof path, "%s/cake.h5", bf_test_tmpdir());
    bf_azint_info info = {.frames = FRAMES, .npt_rad = NPT, .npt_azim = NAZ, .radial = r,
                          .azimuthal = az, .radial_unit = "2th_deg",
                          .polarization_factor = NAN};
    bf_azint_writer *w;
    assert_ok(bf_azint_writer_create(path, &info, &w));
    assert_ok(bf_azint_writer_put(w, 0, FRAMES, I, NULL));
    assert_ok(bf_azint_writer_commit(w));
    bf_azint_writer_destroy(w);
    const char *check =
        "import h5py, sys\n"
        "f = h5py.File(sys.argv[1], \"r\")\n"
        "d = f[\"entry/data\"]\n"
        "assert f[\"entry/definition\"][()] == b\"NXazint2d\"\n"
        "assert d[\"I\"].shape == (5, 8, 100)\n"
        "assert list(d.attrs[\"axes\"]) == [\".\", \"azimuthal_axis\", \"radial_axis\"]\n"
        "assert f[\"entry/reduction/input/polarization_applied\"][()] == 0\n";
    assert_int_equal(run_python(check, path), 0);

    /* not committed: nothing is left behind */
    snprintf(path, sizeof path, "%s/aborted.h5", bf_test_tmpdir());
    assert_ok(bf_azint_writer_create(path, &info, &w));
    bf_azint_writer_destroy(w);
    char tmp[600];
    bf_file_temp_name(path, tmp, sizeof tmp);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(access(path, F_OK), -1);

    info.radial_unit = "furlongs";
    assert_fails(bf_azint_writer_create(path, &info, &w), BF_EINVAL, "unknown radial unit 'furlongs'");
    info.radial_unit = "2th_deg";
    info.frames = 0;
    assert_fails(bf_azint_writer_create(path, &info, &w), BF_EINVAL, "need frames");
    info.frames = 1;
    assert_fails(bf_azint_writer_create("/nonexistent/x.h5", &info, &w), BF_EIO, "cannot create");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_dimensional),
        cmocka_unit_test(two_dimensional_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
