/* Single images: CBF (byte offset), EDF and TIFF written by fabio, NPY by numpy, compared bit for
 * bit (tests/io/image_reference.py; skipped without fabio); tiled / compressed / RGB TIFFs
 * written here with libtiff; HDF5 addresses; and every malformed-file error path. */
#include "bf_test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "beamflow/io.h"
#include "io/io_internal.h"

static char refdir[512];

static int setup(void **state)
{
    (void)state;
    const char *py = getenv("BF_PYTHON"), *srcdir = getenv("BF_SOURCE_DIR");
    if (!py || !srcdir)
        return 0;
    snprintf(refdir, sizeof refdir, "%s/img", bf_test_tmpdir());
    mkdir(refdir, 0755);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tests/io/image_reference.py %s 2>/dev/null", py, srcdir,
             refdir);
    if (system(cmd) != 0)
        refdir[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", bf_test_tmpdir());
    return system(cmd) == 0 ? 0 : -1;
}

static void reads_fabio_images(void **state)
{
    (void)state;
    if (!refdir[0]) {
        printf("fabio not installed: skipped\n");
        skip();
    }
    char path[700], name[64], file[640], dtype[32];
    size_t h, w, n = 0;
    snprintf(path, sizeof path, "%s/images.txt", refdir);
    FILE *lf = fopen(path, "r");
    assert_non_null(lf);
    while (fscanf(lf, "%63s %639s %31s %zu %zu", name, file, dtype, &h, &w) == 5) {
        bf_image *img = NULL;
        assert_ok(bf_image_read(file, &img));
        assert_string_equal(bf_dtype_name(bf_image_dtype(img)), dtype);
        assert_int_equal(bf_image_height(img), h);
        assert_int_equal(bf_image_width(img), w);
        size_t bytes = h * w * bf_dtype_size(bf_image_dtype(img));
        snprintf(path, sizeof path, "%s/%s.bin", refdir, name);
        uint8_t *ref = NULL;
        size_t len = 0;
        assert_ok(bf__read_file(path, 1 << 30, &ref, &len));
        assert_int_equal(len, bytes);
        if (memcmp(ref, bf_image_data(img), bytes) != 0)
            fail_msg("%s: pixels differ from fabio's", file);
        float *f = malloc(h * w * sizeof *f);
        assert_ok(bf_image_to_f32(img, f, h * w));
        assert_fails(bf_image_to_f32(img, f, h * w - 1), BF_EINVAL, "does not fit");
        free(f);
        free(ref);
        bf_image_destroy(img);
        n++;
    }
    fclose(lf);
    assert_true(n >= 14);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A TIFF written with libtiff: tiled or stripped, deflate, spp samples per pixel. */
static void write_tiff(const char *path, int tiled, int spp, const uint16_t *px, uint32_t h,
                       uint32_t w)
{
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
    if (tiled) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
        TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
        uint16_t tile[16 * 16];
        for (uint32_t y = 0; y < h; y += 16)
            for (uint32_t x = 0; x < w; x += 16) {
                memset(tile, 0, sizeof tile);
                for (uint32_t r = 0; r < 16 && y + r < h; r++)
                    for (uint32_t c = 0; c < 16 && x + c < w; c++)
                        tile[r * 16 + c] = px[(y + r) * w + x + c];
                assert_true(TIFFWriteTile(t, tile, x, y, 0, 0) >= 0);
            }
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 7);
        uint16_t *row = calloc((size_t)w * (size_t)spp, sizeof *row);
        for (uint32_t y = 0; y < h; y++) {
            for (uint32_t x = 0; x < w * (uint32_t)spp; x++)
                row[x] = px[(y * w + x / (uint32_t)spp)];
            assert_true(TIFFWriteScanline(t, row, y, 0) >= 0);
        }
        free(row);
    }
    TIFFClose(t);
}

static void reads_libtiff_layouts(void **state)
{
    (void)state;
    uint32_t h = 45, w = 38;
    uint16_t *px = malloc(h * w * 2);
    uint64_t seed = bf_test_seed();
    for (size_t i = 0; i < h * w; i++)
        px[i] = (uint16_t)bf_test_rand(&seed);
    char path[600];
    for (int tiled = 0; tiled < 2; tiled++) {
        snprintf(path, sizeof path, "%s/t%d.tiff", bf_test_tmpdir(), tiled);
        write_tiff(path, tiled, 1, px, h, w);
        bf_image *img = NULL;
        assert_ok(bf_image_read(path, &img));
        assert_int_equal(bf_image_dtype(img), BF_DTYPE_U16);
        assert_memory_equal(bf_image_data(img), px, h * w * 2);
        bf_image_destroy(img);
        /* truncated: the pixel data are cut */
        uint8_t *buf;
        size_t len;
        assert_ok(bf__read_file(path, 1 << 20, &buf, &len));
        bf_image *bad = NULL;
        bf_status st = bf__tiff_parse(buf, len / 2, "cut.tif", &bad);
        assert_int_equal(st, BF_EFORMAT);
        assert_non_null(strstr(bf_last_error(), "cut.tif"));
        assert_null(bad);
        free(buf);
    }
    snprintf(path, sizeof path, "%s/rgb.tiff", bf_test_tmpdir());
    write_tiff(path, 0, 3, px, h, w);
    bf_image *img = NULL;
    assert_fails(bf_image_read(path, &img), BF_EUNSUPPORTED, "3 samples");
    assert_fails(bf__tiff_parse((const uint8_t *)"II*\0garbage", 11, "g.tif", &img), BF_EFORMAT,
                 "g.tif: not a readable TIFF");
    free(px);
}

static void reads_hdf5_addresses(void **state)
{
    (void)state;
    char path[600], addr[700];
    snprintf(path, sizeof path, "%s/stack.h5", bf_test_tmpdir());
    int32_t frames[3][5][4];
    for (int i = 0; i < 60; i++)
        (&frames[0][0][0])[i] = i * 1000 - 7;
    bf_h5writer *w = NULL;
    assert_ok(bf_h5writer_create(path, "/entry/data/data", BF_DTYPE_I32, 5, 4, NULL, &w));
    assert_ok(bf_h5writer_append(w, frames, 3));
    assert_ok(bf_h5writer_close(w));
    bf_image *img = NULL;
    snprintf(addr, sizeof addr, "%s::/entry/data/data#2", path);
    assert_ok(bf_image_read(addr, &img));
    assert_memory_equal(bf_image_data(img), frames[2], sizeof frames[2]);
    bf_image_destroy(img);
    assert_ok(bf_image_read(path, &img)); /* detected dataset, frame 0 */
    assert_memory_equal(bf_image_data(img), frames[0], sizeof frames[0]);
    bf_image_destroy(img);
    snprintf(addr, sizeof addr, "%s::/entry/data/data#x", path);
    assert_fails(bf_image_read(addr, &img), BF_EINVAL, "not a number");
    snprintf(addr, sizeof addr, "%s::/entry/data/data#3", path);
    assert_fails(bf_image_read(addr, &img), BF_EINVAL, "requested");
    assert_null(img);
}

static void cbf_errors(void **state)
{
    (void)state;
    static const char head[] =
        "###CBF: VERSION 1.5\r\n_array_data.data\r\n;\r\n--CIF-BINARY-FORMAT-SECTION--\r\n"
        "Content-Type: application/octet-stream;\r\n     conversions=\"x-CBF_BYTE_OFFSET\"\r\n"
        "X-Binary-Size: 7\r\nX-Binary-Element-Type: \"signed 32-bit integer\"\r\n"
        "X-Binary-Element-Byte-Order: LITTLE_ENDIAN\r\nX-Binary-Number-of-Elements: 4\r\n"
        "X-Binary-Size-Fastest-Dimension: 2\r\nX-Binary-Size-Second-Dimension: 2\r\n\r\n";
    uint8_t buf[1024];
    size_t n = strlen(head);
    memcpy(buf, head, n);
    static const uint8_t data[] = {0x0C, 0x1A, 0x04, 0xD5, 5, 0x80, 0x10, 0x27, 0xFF, 0x01, 0x02};
    memcpy(buf + n, data, sizeof data);
    bf_image *img = NULL;
    assert_ok(bf__cbf_parse(buf, n + sizeof data, "ok.cbf", &img));
    const int32_t *v = bf_image_data(img);
    assert_int_equal(v[0], 5);
    assert_int_equal(v[1], 10005);
    assert_int_equal(v[2], 10004);
    assert_int_equal(v[3], 10005);
    bf_image_destroy(img);
    assert_fails(bf__cbf_parse(buf, n + sizeof data - 1, "t.cbf", &img), BF_EFORMAT,
                 "t.cbf: CBF declares 7 binary bytes");
    assert_fails(bf__cbf_parse(buf, 10, "s.cbf", &img), BF_EFORMAT, "without a binary section");
    assert_fails(bf__cbf_parse(buf, n, "m.cbf", &img), BF_EFORMAT, "start marker");
    assert_fails(bf__cbf_parse((const uint8_t *)"##CBF", 5, "x.cbf", &img), BF_EFORMAT,
                 "not a CBF");
    uint8_t mod[1024];
    memcpy(mod, buf, n + sizeof data);
    memcpy(strstr((char *)mod, "BYTE_OFFSET"), "PACKED_V2__", 11);
    assert_fails(bf__cbf_parse(mod, n + sizeof data, "p.cbf", &img), BF_EUNSUPPORTED,
                 "byte-offset");
    memcpy(mod, buf, n + sizeof data);
    memcpy(strstr((char *)mod, "Dimension: 2\r\nX"), "Dimension: 3", 12);
    assert_fails(bf__cbf_parse(mod, n + sizeof data, "d.cbf", &img), BF_EFORMAT, "dimensions");
    memcpy(mod, buf, n + sizeof data);
    memcpy(strstr((char *)mod, "Elements: 4"), "Elements: x", 11);
    assert_fails(bf__cbf_parse(mod, n + sizeof data, "e.cbf", &img), BF_EFORMAT, "lacks");
    memcpy(mod, buf, n + sizeof data);
    memcpy(strstr((char *)mod, "LITTLE_ENDIAN"), "BIG___ENDIAN", 12);
    assert_fails(bf__cbf_parse(mod, n + sizeof data, "b.cbf", &img), BF_EUNSUPPORTED, "LITTLE");
    int32_t out[4];
    static const uint8_t esc[] = {0x80, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 1, 0, 0, 0, 0, 0, 0,
                                  0, 0x80, 0x00};
    assert_ok(bf__cbf_byte_offset_decode(esc, 15, out, 1, "w"));
    assert_int_equal(out[0], 1);
    assert_fails(bf__cbf_byte_offset_decode(esc, 17, out, 2, "w"), BF_EFORMAT,
                 "before element 1 of 2");
    assert_fails(bf__cbf_byte_offset_decode(esc, 10, out, 1, "w"), BF_EFORMAT, "element 0");
    assert_fails(bf__cbf_byte_offset_decode(esc, 5, out, 1, "w"), BF_EFORMAT, "element 0");
    assert_fails(bf__cbf_byte_offset_decode(esc, 2, out, 1, "w"), BF_EFORMAT, "element 0");
}

/* Parse "{\n<hdr>}\n" followed by 16 data bytes. */
static bf_status edf_try(const char *hdr, const char *name, bf_image **img)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "{\n%s}\n0123456789abcdef", hdr);
    return bf__edf_parse((const uint8_t *)buf, (size_t)n, name, img);
}

static void edf_errors(void **state)
{
    (void)state;
    bf_image *img = NULL;
    assert_ok(edf_try("Dim_1 = 4 ;\nDim_2 = 2 ;\nDataType = UnsignedShort ;\n", "ok.edf", &img));
    assert_int_equal(((const uint16_t *)bf_image_data(img))[0], '0' | '1' << 8);
    bf_image_destroy(img);
    assert_fails(edf_try("Dim_1 = 4 ;\nDim_2 = 3 ;\nDataType = UnsignedShort ;\n", "t.edf", &img),
                 BF_EFORMAT, "t.edf: EDF image of 3 x 4");
    assert_fails(edf_try("Dim_2 = 3 ;\nDataType = UnsignedShort ;\n", "d.edf", &img), BF_EFORMAT,
                 "Dim_1");
    assert_fails(edf_try("Dim_1 = 4 ;\nDataType = Complex ;\n", "c.edf", &img), BF_EUNSUPPORTED,
                 "\"Complex\"");
    assert_fails(edf_try("Dim_1 = 4 ;\n", "n.edf", &img), BF_EFORMAT, "lacks DataType");
    assert_fails(edf_try("Dim_1 = 4 ;\nDataType = FloatValue ;\nCompression = gzip ;\n", "z.edf",
                         &img), BF_EUNSUPPORTED, "gzip");
    assert_fails(edf_try("Dim_1 = 4 ;\nDataType = FloatValue ;\nByteOrder = Middle ;\n", "o.edf",
                         &img), BF_EFORMAT, "Middle");
    assert_fails(edf_try("Dim_1 = 2 ;\nDataType = FloatValue ;\nSize = 4 ;\n", "s.edf", &img),
                 BF_EFORMAT, "Size = 4");
    assert_fails(edf_try("Dim_1 = 2 ;\nDim_2 = 1 ;\nDim_3 = 5 ;\nDataType = Float ;\n", "3.edf",
                         &img), BF_EUNSUPPORTED, "3D");
    assert_fails(bf__edf_parse((const uint8_t *)"{ Dim_1 = 2 ;", 13, "u.edf", &img), BF_EFORMAT,
                 "closing");
    assert_fails(bf__edf_parse((const uint8_t *)"  x", 3, "x.edf", &img), BF_EFORMAT,
                 "not an EDF");
    assert_null(img);
}

static void dispatch_errors(void **state)
{
    (void)state;
    bf_image *img = NULL;
    char path[600];
    assert_fails(bf_image_read("", &img), BF_EINVAL, "no image");
    assert_fails(bf_image_read("/nonexistent/f.cbf", &img), BF_ENOTFOUND, "f.cbf");
    assert_fails(bf_image_read("/tmp", &img), BF_EIO, "regular file");
    snprintf(path, sizeof path, "%s/what.xyz", bf_test_tmpdir());
    write_file(path, "hello", 5);
    assert_fails(bf_image_read(path, &img), BF_EUNSUPPORTED, "what.xyz: unknown image format");
    snprintf(path, sizeof path, "%s/empty.cbf", bf_test_tmpdir());
    write_file(path, "", 0);
    assert_fails(bf_image_read(path, &img), BF_EFORMAT, "empty.cbf");
    snprintf(path, sizeof path, "%s/v.npy", bf_test_tmpdir());
    static const char npy[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': "
                              "False, 'shape': (3,), }";
    char hdr[128 + 12];
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, npy, sizeof npy - 1);
    hdr[127] = '\n';
    memset(hdr + 128, 0, 12);
    write_file(path, hdr, sizeof hdr);
    assert_fails(bf_image_read(path, &img), BF_EUNSUPPORTED, "2D");
    assert_null(img);
    bf_image_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_fabio_images), cmocka_unit_test(reads_libtiff_layouts),
        cmocka_unit_test(reads_hdf5_addresses), cmocka_unit_test(cbf_errors),
        cmocka_unit_test(edf_errors),           cmocka_unit_test(dispatch_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
