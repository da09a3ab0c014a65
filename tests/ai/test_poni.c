/* PONI files (v1 and v2), the detector catalogue and units: reading, writing, round trips, and
 * every error path with a message naming the file, the line and the key. */
#include "bf_test.h"

#include "beamflow/ai.h"

static char *write_text(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%.200s/%s", bf_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *v2_text = "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis \n"
                             "# Calibration done at Sun Nov 22 18:47:07 2026\n"
                             "poni_version: 2\n"
                             "Detector: PilatusCdTe2M\n"
                             "Detector_config: {}\n"
                             "Distance: 0.3\n"
                             "Poni1: 0.1456\n"
                             "Poni2: 0.1243\n"
                             "Rot1: 0.012\n"
                             "Rot2: -0.008\n"
                             "Rot3: 0\n"
                             "Wavelength: 1.5e-11\n";

static void reads_v2(void **state)
{
    (void)state;
    bf_geometry *g;
    assert_ok(bf_geometry_read_poni(write_text("a.poni", v2_text), &g));
    bf_geometry_params p;
    bf_geometry_get_params(g, &p);
    assert_true(p.dist == 0.3 && p.poni1 == 0.1456 && p.poni2 == 0.1243);
    assert_true(p.rot1 == 0.012 && p.rot2 == -0.008 && p.rot3 == 0 && p.wavelength == 1.5e-11);
    const bf_detector *d = bf_geometry_detector(g);
    assert_string_equal(bf_detector_name(d), "PilatusCdTe2M");
    assert_int_equal(bf_detector_rows(d), 1679);
    assert_int_equal(bf_detector_cols(d), 1475);
    assert_true(bf_detector_pixel1(d) == 172e-6);
    bf_geometry_destroy(g);
}

static void reads_v1_and_generic(void **state)
{
    (void)state;
    bf_geometry *g;
    const char *v1 = "# v1 file\nPixelSize1: 0.000172\nPixelSize2: 0.000172\n"
                     "Detector: Pilatus 1M\nDist: 0.25\nPoni1: 0.08\nPoni2: 0.09\n"
                     "Rot1: 0.0\nRot2: 0.0\nRot3: 0.0\nSplineFile: None\n";
    assert_ok(bf_geometry_parse_poni(v1, strlen(v1), "v1.poni", &g));
    assert_string_equal(bf_detector_name(bf_geometry_detector(g)), "Pilatus1M");
    bf_geometry_params p;
    bf_geometry_get_params(g, &p);
    assert_true(p.dist == 0.25 && p.wavelength == 0);
    bf_geometry_destroy(g);
    const char *gen = "poni_version: 2\nDetector: Detector\n"
                      "Detector_config: {\"pixel1\": 0.0001, \"pixel2\": 0.0002, "
                      "\"max_shape\": [100, 200]}\nDistance: 0.1\nPoni1: 0\nPoni2: 0\n"
                      "Rot1: 0\nRot2: 0\nRot3: 0\n";
    assert_ok(bf_geometry_parse_poni(gen, strlen(gen), "gen.poni", &g));
    const bf_detector *d = bf_geometry_detector(g);
    assert_int_equal(bf_detector_rows(d), 100);
    assert_int_equal(bf_detector_cols(d), 200);
    assert_true(bf_detector_pixel2(d) == 0.0002);
    assert_null(bf_detector_mask(d));
    bf_geometry_destroy(g);
}

static void write_read_round_trip(void **state)
{
    (void)state;
    bf_detector *det;
    assert_ok(bf_detector_create_generic(7.5e-5, 1e-4, 321, 123, &det));
    bf_geometry_params p = {0.123456789012345, -0.01, 0.0301, 1e-3, -2.5e-2, 3.14159,
                            1.0332e-10};
    bf_geometry *g, *h;
    assert_ok(bf_geometry_create(det, &p, &g));
    char path[512];
    snprintf(path, sizeof path, "%.200s/rt.poni", bf_test_tmpdir());
    assert_ok(bf_geometry_write_poni(g, path));
    assert_ok(bf_geometry_read_poni(path, &h));
    bf_geometry_params q;
    bf_geometry_get_params(h, &q);
    assert_memory_equal(&p, &q, sizeof p); /* shortest round-trip numbers are exact */
    const bf_detector *e = bf_geometry_detector(h);
    assert_int_equal(bf_detector_rows(e), 321);
    assert_int_equal(bf_detector_cols(e), 123);
    assert_true(bf_detector_pixel1(e) == 7.5e-5 && bf_detector_pixel2(e) == 1e-4);
    bf_geometry_destroy(g);
    bf_geometry_destroy(h);
    bf_detector_destroy(det);
    /* a catalogue detector writes "{}" */
    assert_ok(bf_detector_create("eiger2_cdte_4m", NULL, &det));
    char cfg[64];
    assert_ok(bf_detector_config_json(det, cfg, sizeof cfg));
    assert_string_equal(cfg, "{}");
    assert_string_equal(bf_detector_name(det), "Eiger2CdTe_4M");
    assert_fails(bf_detector_config_json(det, cfg, 1), BF_EINVAL, "too small");
    bf_detector_destroy(det);
}

static void detector_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *cls;
    } names[] = {{"Pilatus CdTe 2M", "PilatusCdTe2M"}, {"pilatus_cdte_2m", "PilatusCdTe2M"},
                 {"Pilatus2MCdTe", "PilatusCdTe2M"},   {"pilatus2m", "Pilatus2M"},
                 {"Pilatus 300k", "Pilatus300k"},      {"EIGER 4M", "Eiger4M"},
                 {"eiger_16m", "Eiger16M"},            {"Eiger2 4M", "Eiger2_4M"},
                 {"Perkin Elmer", "Perkin"},           {"Rayonix MX225", "RayonixMx225"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bf_detector *d;
        assert_ok(bf_detector_create(names[i].name, NULL, &d));
        assert_string_equal(bf_detector_name(d), names[i].cls);
        bf_detector_destroy(d);
    }
    bf_detector *d = (bf_detector *)1;
    assert_fails(bf_detector_create("Pilatus 3M", NULL, &d), BF_ENOTFOUND, "'Pilatus 3M'");
    assert_null(d);
    assert_fails(bf_detector_create("Detector", "{\"pixel1\": 1e-4}", &d), BF_EINVAL,
                 "max_shape");
    assert_fails(bf_detector_create("Eiger1M", "{\"max_shape\": [1, -2]}", &d), BF_EINVAL,
                 "max_shape");
    assert_fails(bf_detector_create("Eiger1M", "{\"colour\": 1}", &d), BF_EINVAL, "'colour'");
    assert_fails(bf_detector_create("Eiger1M", "{oops", &d), BF_EFORMAT, "not valid JSON");
    assert_fails(bf_detector_create("Eiger1M", "[1]", &d), BF_EFORMAT, "JSON object");
    assert_fails(bf_detector_create("Eiger1M", "{\"pixel1\": -1}", &d), BF_EINVAL, "pixel1");
    assert_fails(bf_detector_create(NULL, NULL, &d), BF_EINVAL, "missing");
    assert_fails(bf_detector_create_generic(0, 1e-4, 10, 10, &d), BF_EINVAL, "positive");
    assert_fails(bf_detector_create_generic(1e-4, 1e-4, 0, 10, &d), BF_EINVAL, "shape");
    /* a config shape reshapes a catalogue detector and its mask, as pyFAI */
    assert_ok(bf_detector_create("Pilatus 1M", "{\"max_shape\": [407, 487]}", &d));
    assert_int_equal(bf_detector_rows(d), 407);
    char cfg[128];
    assert_ok(bf_detector_config_json(d, cfg, sizeof cfg));
    assert_string_equal(cfg, "{\"max_shape\": [407, 487]}");
    bf_detector_destroy(d);
}

static void bad_poni_files(void **state)
{
    (void)state;
    bf_geometry *g = (bf_geometry *)1;
    char text[2048];
    /* each: a modification of v2_text and the expected code + message fragments */
    static const struct {
        const char *from, *to;
        bf_status code;
        const char *needle;
    } bad[] = {
        {"Distance: 0.3", "Distance: 0.3x", BF_EFORMAT, "bad.poni:6: key 'distance': '0.3x'"},
        {"Poni1: 0.1456", "Poni1: nan", BF_EFORMAT, "bad.poni:7: key 'poni1'"},
        {"Rot2: -0.008", "Rot2: ", BF_EFORMAT, "bad.poni:10: key 'rot2'"},
        {"Rot3: 0\n", "", BF_ENOTFOUND, "bad.poni: missing key 'rot3'"},
        {"Distance: 0.3\n", "", BF_ENOTFOUND, "missing key 'Distance'"},
        {"Detector: PilatusCdTe2M", "Detector: Pilatus9M", BF_ENOTFOUND,
         "bad.poni:4: key 'Detector': unknown detector 'Pilatus9M'"},
        {"Detector_config: {}", "Detector_config: {", BF_EFORMAT, "bad.poni:5"},
        {"Detector_config: {}\n", "", BF_ENOTFOUND, "'Detector_config'"},
        {"poni_version: 2", "poni_version: 3", BF_EUNSUPPORTED, "bad.poni:3: key 'poni_version'"},
        {"Distance: 0.3", "Distance: -0.3", BF_EINVAL, "bad.poni:6: key 'distance': distance "
                                                        "must be positive"},
        {"Wavelength: 1.5e-11", "Wavelength: -1", BF_EINVAL, "key 'wavelength'"},
        {"Wavelength: 1.5e-11", "Wavelength: 1e999", BF_EFORMAT, "key 'wavelength'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *at = strstr(v2_text, bad[i].from);
        assert_non_null(at);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - v2_text), v2_text, bad[i].to,
                 at + strlen(bad[i].from));
        assert_fails(bf_geometry_parse_poni(text, strlen(text), "bad.poni", &g), bad[i].code,
                     bad[i].needle);
        assert_null(g);
    }
    const char *v1 = "Dist: 0.1\nPoni1: 0\nPoni2: 0\nRot1: 0\nRot2: 0\nRot3: 0\n"
                     "PixelSize1: 1e-4\nPixelSize2: 1e-4\n";
    assert_fails(bf_geometry_parse_poni(v1, strlen(v1), "v1.poni", &g), BF_EUNSUPPORTED,
                 "no detector shape");
    const char *spline = "Detector: Pilatus1M\nDist: 0.1\nPoni1: 0\nPoni2: 0\nRot1: 0\nRot2: 0\n"
                         "Rot3: 0\nSplineFile: /tmp/x.spline\n";
    assert_fails(bf_geometry_parse_poni(spline, strlen(spline), "s.poni", &g), BF_EUNSUPPORTED,
                 "s.poni:8: key 'SplineFile'");
    const char nul[] = "Dist: 0.1\0\n";
    assert_fails(bf_geometry_parse_poni(nul, sizeof nul, "n.poni", &g), BF_EFORMAT,
                 "n.poni:1: NUL");
    assert_fails(bf_geometry_read_poni("/nonexistent/x.poni", &g), BF_EIO, "/nonexistent/x.poni");
    assert_fails(bf_geometry_read_poni(NULL, &g), BF_EINVAL, "missing");
    assert_fails(bf_geometry_parse_poni(NULL, 0, "x", &g), BF_EINVAL, "no text");
    assert_ok(bf_geometry_parse_poni(v2_text, strlen(v2_text), NULL, &g));
    assert_fails(bf_geometry_write_poni(g, "/nonexistent/dir/x.poni"), BF_EIO, "/nonexistent");
    bf_geometry_destroy(g);
}

static void units_and_methods(void **state)
{
    (void)state;
    static const char *const names[] = {"2th_deg", "2th_rad", "q_nm^-1", "q_A^-1", "r_mm",
                                        "chi_deg"};
    for (int i = 0; i < 6; i++) {
        bf_ai_unit u;
        assert_ok(bf_ai_unit_parse(names[i], &u));
        assert_int_equal(u, i);
        assert_string_equal(bf_ai_unit_name(u), names[i]);
    }
    bf_ai_unit u;
    assert_fails(bf_ai_unit_parse("furlong", &u), BF_EINVAL, "unknown unit 'furlong'");
    bf_split s = BF_SPLIT_NO;
    bf_algorithm a = BF_ALGO_HISTOGRAM;
    assert_ok(bf_method_parse("bbox,csr,cython", &s, &a));
    assert_true(s == BF_SPLIT_BBOX && a == BF_ALGO_CSR);
    assert_ok(bf_method_parse("histogram, full", &s, &a));
    assert_true(s == BF_SPLIT_FULL && a == BF_ALGO_HISTOGRAM);
    assert_fails(bf_method_parse("bbox,lut", &s, &a), BF_EINVAL, "'lut'");
    bf_error_model em;
    assert_ok(bf_error_model_parse("poisson", &em));
    assert_int_equal(em, BF_ERROR_POISSON);
    assert_fails(bf_error_model_parse("gauss", &em), BF_EINVAL, "'gauss'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_v2),           cmocka_unit_test(reads_v1_and_generic),
        cmocka_unit_test(write_read_round_trip), cmocka_unit_test(detector_names),
        cmocka_unit_test(bad_poni_files),     cmocka_unit_test(units_and_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
