/* Frame sources: directories in the ESRF layout (the Bliss dataset file beside scanNNNN/ is
 * skipped, and so is an image beside HDF5 files), globs, addresses, Dectris master + data files
 * (data files skipped), series of single images (one entry per folder, frames in name order),
 * sorted order and global frame indices; mixed shapes and missing inputs give clear errors. */
#include "bf_test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "beamflow/io.h"
#include "io/npy.h"

static void write_stack(const char *path, size_t n, size_t h, size_t w, int32_t base)
{
    int32_t *px = malloc(n * h * w * sizeof *px);
    for (size_t i = 0; i < n * h * w; i++)
        px[i] = base + (int32_t)i;
    bf_h5writer *wr = NULL;
    assert_ok(bf_h5writer_create(path, "/entry_0000/measurement/data", BF_DTYPE_I32, h, w, NULL,
                                 &wr));
    assert_ok(bf_h5writer_append(wr, px, n));
    assert_ok(bf_h5writer_close(wr));
    free(px);
}

static void write_image(const char *path, size_t h, size_t w, int32_t base)
{
    int32_t *px = malloc(h * w * sizeof *px);
    for (size_t i = 0; i < h * w; i++)
        px[i] = base + (int32_t)i;
    size_t shape[2] = {h, w};
    assert_ok(bf__npy_write(path, BF_DTYPE_I32, 2, shape, px));
    free(px);
}

static char root[600];

static int setup(void **state)
{
    (void)state;
    char p[700];
    snprintf(root, sizeof root, "%s/sample/ds", bf_test_tmpdir());
    snprintf(p, sizeof p, "%s/sample", bf_test_tmpdir());
    mkdir(p, 0755);
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/scan0001", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/scan0002", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ds.h5", root); /* the Bliss file: skipped */
    write_stack(p, 1, 4, 5, 0);
    snprintf(p, sizeof p, "%s/scan0002/p_0000.h5", root);
    write_stack(p, 4, 4, 5, 3000);
    snprintf(p, sizeof p, "%s/scan0001/p_0001.h5", root);
    write_stack(p, 2, 4, 5, 2000);
    snprintf(p, sizeof p, "%s/scan0001/p_0000.h5", root);
    write_stack(p, 3, 4, 5, 1000);
    snprintf(p, sizeof p, "%s/scan0001/mask.npy", root); /* beside HDF5 files: not a frame */
    write_image(p, 4, 5, 0);
    snprintf(p, sizeof p, "%s/scan0001/notes.txt", root);
    FILE *f = fopen(p, "w");
    fputs("not data\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", bf_test_tmpdir());
    return system(cmd) == 0 ? 0 : -1;
}

static void walks_esrf_layout(void **state)
{
    (void)state;
    const char *in[] = {root};
    bf_frame_source *src = NULL;
    assert_ok(bf_frame_source_create(in, 1, NULL, &src));
    assert_int_equal(bf_frame_source_nfiles(src), 3);
    assert_int_equal(bf_frame_source_nframes(src), 9);
    assert_non_null(strstr(bf_frame_source_path(src, 0), "scan0001/p_0000.h5"));
    assert_non_null(strstr(bf_frame_source_path(src, 2), "scan0002/p_0000.h5"));
    assert_int_equal(bf_frame_source_first(src, 1), 3);
    assert_int_equal(bf_frame_source_first(src, 2), 5);
    bf_frames_info info;
    bf_frame_source_info(src, &info);
    assert_int_equal(info.height, 4);
    assert_int_equal(info.width, 5);
    assert_int_equal(bf_frame_source_count(src, 1), 2);
    int32_t px0[20];
    assert_ok(bf_h5frames_read_parallel(bf_frame_source_frames(src, 2), 3, 1, px0, sizeof px0, 1));
    assert_int_equal(px0[0], 3000 + 60);
    bf_h5frames *f = NULL;
    assert_ok(bf_frame_source_open(src, 1, &f));
    int32_t px[20];
    assert_ok(bf_h5frames_read_parallel(f, 1, 1, px, sizeof px, 1));
    assert_int_equal(px[0], 2000 + 20);
    bf_h5frames_destroy(f);
    assert_fails(bf_frame_source_open(src, 3, &f), BF_EINVAL, "file 3");
    /* a file replaced after listing (written aside and renamed over it) */
    char p[700], q[700];
    snprintf(p, sizeof p, "%s/scan0001/p_0001.h5", root);
    snprintf(q, sizeof q, "%s/replacement.h5", bf_test_tmpdir());
    write_stack(q, 3, 4, 5, 2000);
    assert_int_equal(rename(q, p), 0);
    assert_fails(bf_frame_source_open(src, 1, &f), BF_EFORMAT, "changed since");
    bf_frame_source_destroy(src);
    write_stack(p, 2, 4, 5, 2000);
}

static void expands_globs_and_addresses(void **state)
{
    (void)state;
    char g[700], a[700], dup[700];
    snprintf(g, sizeof g, "%s/scan000*/p_*.h5", root);
    snprintf(a, sizeof a, "%s/ds.h5::/entry_0000/measurement/data", root);
    snprintf(dup, sizeof dup, "%s/scan0001/p_0000.h5", root);
    const char *in[] = {g, a, dup};
    bf_frame_source *src = NULL;
    assert_ok(bf_frame_source_create(in, 3, NULL, &src));
    assert_int_equal(bf_frame_source_nfiles(src), 4); /* the duplicate is dropped */
    assert_int_equal(bf_frame_source_nframes(src), 10);
    bf_frame_source_destroy(src);
}

static void skips_dectris_data_files(void **state)
{
    (void)state;
    char dir[700], p[800], master[800];
    snprintf(dir, sizeof dir, "%s/dectris", bf_test_tmpdir());
    mkdir(dir, 0755);
    for (int i = 1; i <= 2; i++) {
        snprintf(p, sizeof p, "%s/x_data_%06d.h5", dir, i);
        write_stack(p, 2, 3, 3, i * 100);
    }
    snprintf(master, sizeof master, "%s/x_master.h5", dir);
    hid_t fid = H5Fcreate(master, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    assert_true(H5Lcreate_external("x_data_000001.h5", "/entry_0000/measurement/data", fid,
                                   "/entry/data/data_000001", lcpl, H5P_DEFAULT) >= 0);
    assert_true(H5Lcreate_external("x_data_000002.h5", "/entry_0000/measurement/data", fid,
                                   "/entry/data/data_000002", lcpl, H5P_DEFAULT) >= 0);
    H5Pclose(lcpl);
    H5Fclose(fid);
    const char *in[] = {dir};
    bf_frame_source *src = NULL;
    assert_ok(bf_frame_source_create(in, 1, NULL, &src));
    assert_int_equal(bf_frame_source_nfiles(src), 1);
    assert_int_equal(bf_frame_source_nframes(src), 4);
    int32_t px[4 * 9];
    bf_h5frames *f = NULL;
    assert_ok(bf_frame_source_open(src, 0, &f));
    assert_ok(bf_h5frames_read_parallel(f, 0, 4, px, sizeof px, 2));
    assert_int_equal(px[0], 100);
    assert_int_equal(px[2 * 9], 200);
    bf_h5frames_destroy(f);
    bf_frame_source_destroy(src);
}

static void groups_image_series(void **state)
{
    (void)state;
    char dir[700], p[800];
    snprintf(dir, sizeof dir, "%s/images.v2", bf_test_tmpdir());
    mkdir(dir, 0755);
    for (int k = 2; k >= 0; k--) { /* written out of order: the source sorts by name */
        snprintf(p, sizeof p, "%s/f_%04d.npy", dir, k);
        write_image(p, 4, 5, 100 * k);
    }
    snprintf(p, sizeof p, "%s/sub", dir); /* sorts between f_0000 and f_0002 by plain strcmp */
    mkdir(p, 0755);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/sub/g_%d.npy", dir, k);
        write_image(p, 4, 5, 1000 + 100 * k);
    }
    const char *in[] = {dir};
    bf_frame_source *src = NULL;
    assert_ok(bf_frame_source_create(in, 1, NULL, &src));
    assert_int_equal(bf_frame_source_nfiles(src), 2); /* one series per folder */
    assert_int_equal(bf_frame_source_nframes(src), 5);
    assert_string_equal(bf_frame_source_path(src, 0), dir);
    assert_int_equal(bf_frame_source_count(src, 0), 3);
    assert_non_null(strstr(bf_frame_source_member(src, 0, 2), "images.v2/f_0002.npy"));
    assert_non_null(strstr(bf_frame_source_member(src, 1, 1), "sub/g_1.npy"));
    bf_frames_info info;
    bf_h5frames_info(bf_frame_source_frames(src, 0), &info);
    assert_int_equal(info.codec, BF_CODEC_IMAGE);
    assert_string_equal(bf_codec_name(info.codec), "image");
    int32_t px[3 * 20];
    assert_ok(bf_h5frames_read_parallel(bf_frame_source_frames(src, 0), 0, 3, px, sizeof px, 2));
    assert_int_equal(px[0], 0);
    assert_int_equal(px[20 + 7], 107);
    assert_int_equal(px[40 + 19], 219);
    bf_h5frames *f = NULL;
    assert_ok(bf_frame_source_open(src, 1, &f));
    assert_ok(bf_h5frames_read_parallel(f, 1, 1, px, sizeof px, 1));
    assert_int_equal(px[0], 1100);
    bf_h5frames_destroy(f);
    /* an image of another shape in the series fails the read of its frame, naming it */
    snprintf(p, sizeof p, "%s/f_0001.npy", dir);
    write_image(p, 5, 4, 0);
    assert_fails(bf_h5frames_read_parallel(bf_frame_source_frames(src, 0), 0, 3, px, sizeof px,
                                           1), BF_EFORMAT, "f_0001.npy: frame 1: int32 image of 5 x 4");
    bf_frame_source_destroy(src);
    /* one image given alone is a series of one, named after its folder */
    const char *one[] = {p};
    assert_ok(bf_frame_source_create(one, 1, NULL, &src));
    assert_int_equal(bf_frame_source_nframes(src), 1);
    assert_string_equal(bf_frame_source_path(src, 0), dir);
    bf_frame_source_destroy(src);
    snprintf(p, sizeof p, "%s/f_0002.npy", dir);
    assert_int_equal(unlink(p), 0);
    snprintf(p, sizeof p, "%s/f_000[0-2].npy", dir);
    const char *glob1[] = {p};
    assert_ok(bf_frame_source_create(glob1, 1, NULL, &src));
    assert_int_equal(bf_frame_source_nframes(src), 2);
    bf_frame_source_destroy(src);
    snprintf(p, sizeof p, "%s/f_0000.npy", dir);
    FILE *fp = fopen(p, "w");
    fputs("not an image", fp);
    fclose(fp);
    assert_int_not_equal(bf_frame_source_create(in, 1, NULL, &src), BF_OK);
    assert_non_null(strstr(bf_last_error(), "f_0000.npy"));
}

static void reports_errors(void **state)
{
    (void)state;
    bf_frame_source *src = NULL;
    char p[700], q[700];
    assert_fails(bf_frame_source_create(NULL, 0, NULL, &src), BF_EINVAL, "no input");
    const char *missing[] = {"/nonexistent/a.h5"};
    assert_fails(bf_frame_source_create(missing, 1, NULL, &src), BF_ENOTFOUND, "a.h5");
    snprintf(p, sizeof p, "%s/nomatch*.h5", root);
    const char *nomatch[] = {p};
    assert_fails(bf_frame_source_create(nomatch, 1, NULL, &src), BF_ENOTFOUND, "no file matches");
    snprintf(p, sizeof p, "%s/empty", bf_test_tmpdir());
    mkdir(p, 0755);
    const char *empty[] = {p};
    assert_fails(bf_frame_source_create(empty, 1, NULL, &src), BF_ENOTFOUND, "no .h5");
    snprintf(q, sizeof q, "%s/empty/frame.tif", bf_test_tmpdir()); /* a missing image */
    const char *gone[] = {q};
    assert_fails(bf_frame_source_create(gone, 1, NULL, &src), BF_ENOTFOUND, "frame.tif");
    snprintf(p, sizeof p, "%s/other.h5", bf_test_tmpdir());
    write_stack(p, 1, 5, 5, 0);
    snprintf(q, sizeof q, "%s/scan0001/p_0000.h5", root);
    const char *mixed[] = {q, p};
    assert_fails(bf_frame_source_create(mixed, 2, NULL, &src), BF_EFORMAT, "5 x 5");
    const char *baddset[] = {q};
    assert_fails(bf_frame_source_create(baddset, 1, "/nope", &src), BF_ENOTFOUND, "/nope");
    assert_null(src);
    bf_frame_source_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walks_esrf_layout),
        cmocka_unit_test(expands_globs_and_addresses),
        cmocka_unit_test(skips_dectris_data_files),
        cmocka_unit_test(groups_image_series),
        cmocka_unit_test(reports_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
