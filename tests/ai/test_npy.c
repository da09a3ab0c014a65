/* The .npy reader and writer: round trips of every written type, numpy-written headers
 * (versions 1 and 2, 1-d and 0-d), conversions, and every malformed-file error. */
#include "bf_test.h"

#include "io/npy.h"

static void path_in_tmp(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%.200s/%s", bf_test_tmpdir(), name);
}

static void round_trips(void **state)
{
    (void)state;
    char path[256];
    path_in_tmp(path, sizeof path, "a.npy");
    float f[6] = {1, -2.5f, 3, NAN, 5e30f, 0};
    size_t shape[2] = {2, 3};
    assert_ok(bf__npy_write(path, BF_DTYPE_F32, 2, shape, f));
    bf_npy a;
    assert_ok(bf__npy_read(path, &a));
    assert_int_equal(a.dtype, BF_DTYPE_F32);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_memory_equal(a.data, f, sizeof f);
    double d[6];
    assert_ok(bf__npy_to_f64(&a, d, path));
    assert_true(d[1] == -2.5 && isnan(d[3]));
    bf__npy_free(&a);
    bf__npy_free(&a); /* idempotent */
    float c[4] = {1, 2, 3, 4}; /* complex64: two values */
    size_t one[1] = {2};
    assert_ok(bf__npy_write(path, BF_DTYPE_C64, 1, one, c));
    assert_ok(bf__npy_read(path, &a));
    assert_int_equal(a.dtype, BF_DTYPE_C64);
    assert_int_equal(a.count, 2);
    assert_memory_equal(a.data, c, sizeof c);
    assert_fails(bf__npy_to_f64(&a, d, "c.npy"), BF_EUNSUPPORTED, "c.npy: cannot convert");
    bf__npy_free(&a);
    size_t zero[1] = {0};
    assert_ok(bf__npy_write(path, BF_DTYPE_F64, 1, zero, NULL));
    assert_ok(bf__npy_read(path, &a));
    assert_int_equal(a.count, 0);
    bf__npy_free(&a);
    assert_ok(bf__npy_write(path, BF_DTYPE_F64, 0, NULL, d));
    assert_ok(bf__npy_read(path, &a));
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    bf__npy_free(&a);
    assert_fails(bf__npy_write("/nonexistent/x.npy", BF_DTYPE_F32, 2, shape, f), BF_EIO,
                 "/nonexistent/x.npy");
    assert_fails(bf__npy_write(path, (bf_dtype)99, 2, shape, f), BF_EINVAL, "bad arguments");
}

static void parses_numpy_headers(void **state)
{
    (void)state;
    /* as numpy writes them: version 1 '<i4' 2-d, '|b1', '<u2' 1-d, and a version 2 header */
    unsigned char buf[256];
    const char *hdrs[] = {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }",
                          "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                          "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }"};
    const bf_dtype types[] = {BF_DTYPE_I32, BF_DTYPE_BOOL, BF_DTYPE_U16};
    for (int v = 0; v < 3; v++) {
        const int ver = v == 2 ? 2 : 1;
        const size_t pre = ver == 1 ? 10 : 12, hl = strlen(hdrs[v]) + 1;
        memcpy(buf, "\x93NUMPY", 6);
        buf[6] = (unsigned char)ver;
        buf[7] = 0;
        buf[8] = (unsigned char)hl;
        buf[9] = 0;
        if (ver == 2)
            buf[10] = buf[11] = 0;
        memcpy(buf + pre, hdrs[v], hl - 1);
        buf[pre + hl - 1] = '\n';
        const int32_t data[2] = {7, -9};
        memcpy(buf + pre + hl, data, 8);
        bf_npy a;
        assert_ok(bf__npy_parse(buf, pre + hl + 8, "mem", &a));
        assert_int_equal(a.dtype, types[v]);
        uint8_t m[2];
        if (v == 0) {
            assert_int_equal(((int32_t *)a.data)[1], -9);
            float fl[2];
            assert_ok(bf__npy_to_f32(&a, fl, "mem"));
            assert_true(fl[1] == -9.0f);
        }
        if (v == 1) {
            assert_ok(bf__npy_to_mask(&a, m, "mem"));
            assert_true(m[0] == 1 && m[1] == 0);
        }
        bf__npy_free(&a);
    }
}

static void rejects_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        bf_status code;
        const char *needle;
    } bad[] = {
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", BF_EUNSUPPORTED,
         "big-endian dtype '>f4'"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", BF_EUNSUPPORTED, "Fortran"},
        {"{'descr': '<U8', 'fortran_order': False, 'shape': (1,), }", BF_EUNSUPPORTED,
         "unsupported dtype '<U8'"},
        {"{'fortran_order': False, 'shape': (1,), }", BF_EFORMAT, "no 'descr'"},
        {"{'descr': '<f4', 'shape': (1,), }", BF_EFORMAT, "no 'fortran_order'"},
        {"{'descr': '<f4', 'fortran_order': False, }", BF_EFORMAT, "no 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", BF_EFORMAT,
         "malformed 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", BF_EFORMAT,
         "data truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999,), }", BF_EFORMAT,
         "out of range"},
    };
    unsigned char buf[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t hl = strlen(bad[i].header);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)hl;
        buf[9] = 0;
        memcpy(buf + 10, bad[i].header, hl);
        memset(buf + 10 + hl, 0, 8);
        bf_npy a;
        assert_fails(bf__npy_parse(buf, 10 + hl + 8, "bad.npy", &a), bad[i].code, bad[i].needle);
        assert_null(a.data);
    }
    bf_npy a;
    assert_fails(bf__npy_parse("hello world", 11, "x.npy", &a), BF_EFORMAT, "x.npy: not a .npy");
    memcpy(buf, "\x93NUMPY\x01\x00\xff\x00", 10);
    assert_fails(bf__npy_parse(buf, 20, "t.npy", &a), BF_EFORMAT, "truncated .npy header");
    memcpy(buf, "\x93NUMPY\x07\x00\x01\x00", 10);
    assert_fails(bf__npy_parse(buf, 20, "v.npy", &a), BF_EUNSUPPORTED, "version 7");
    assert_fails(bf__npy_read("/nonexistent.npy", &a), BF_EIO, "/nonexistent.npy: cannot open");
    assert_fails(bf__npy_read(NULL, &a), BF_EINVAL, "missing");
    assert_int_equal(bf_dtype_size(BF_DTYPE_C128), 16);
    assert_string_equal(bf__npy_descr(BF_DTYPE_U16), "<u2");
    assert_string_equal(bf__npy_descr((bf_dtype)77), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(parses_numpy_headers),
        cmocka_unit_test(rejects_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
