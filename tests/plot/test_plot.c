/* Plots: the PNGs exist, have the asked size, show data where data is (not a blank canvas), and
 * bad input is refused with a message. The colour map matches viridis' published end points. */
#include "bf_test.h"

#include "beamflow/plot.h"

#include <cairo.h>

static int count_colored(const char *path, int *w, int *h)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s), n = 0;
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++) {
            const unsigned char *p = d + y * stride + 4 * x;
            n += !(p[0] == p[1] && p[1] == p[2]); /* not grey/white/black */
        }
    cairo_surface_destroy(s);
    return n;
}

static void curve_with_error_bars(void **state)
{
    (void)state;
    enum { N = 2500 };
    static double x[N], y[N], e[N];
    for (int i = 0; i < N; i++) {
        x[i] = 0.02 * i;
        y[i] = 100 + 5000 * exp(-0.5 * pow((x[i] - 20) / 0.1, 2)) + 3000 * exp(-0.5 * pow((x[i] - 33) / 0.1, 2));
        e[i] = sqrt(y[i]);
    }
    y[10] = NAN; /* an empty bin */
    char path[512];
    snprintf(path, sizeof path, "%s/curve.png", bf_test_tmpdir());
    bf_plot_options o = BF_PLOT_OPTIONS_INIT;
    o.title = "test pattern";
    o.xlabel = "2θ (°)";
    o.ylabel = "intensity";
    assert_ok(bf_plot_curve(path, x, y, e, N, &o));
    int w, h;
    assert_true(count_colored(path, &w, &h) > 1000);
    assert_int_equal(w, 960);
    assert_int_equal(h, 640);
    o.log = true;
    o.width = 400, o.height = 300;
    assert_ok(bf_plot_curve(path, x, y, NULL, N, &o));
    assert_true(count_colored(path, &w, &h) > 200);
    assert_int_equal(w, 400);

    double nan[3] = {NAN, NAN, NAN};
    assert_fails(bf_plot_curve(path, x, nan, NULL, 3, NULL), BF_EINVAL, "no finite point");
    o.width = 50;
    assert_fails(bf_plot_curve(path, x, y, NULL, N, &o), BF_EINVAL, "plot size 50x300");
    assert_fails(bf_plot_curve("/nonexistent/dir/c.png", x, y, NULL, N, NULL), BF_EIO,
                 "/nonexistent/dir/c.png");
}

static void heatmap_with_colorbar(void **state)
{
    (void)state;
    enum { R = 120, C = 300 };
    static float v[R * C];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            v[r * C + c] = (float)(1 + r + 100 * exp(-0.5 * pow((c - 150.0) / 5, 2)));
    v[5] = NAN;
    char path[512];
    snprintf(path, sizeof path, "%s/heat.png", bf_test_tmpdir());
    bf_plot_options o = BF_PLOT_OPTIONS_INIT;
    o.xlabel = "q (nm⁻¹)";
    o.ylabel = "frame";
    o.zlabel = "intensity";
    assert_ok(bf_plot_heatmap(path, v, R, C, 0, 50, 0, R, &o));
    int w, h;
    assert_true(count_colored(path, &w, &h) > 100000);
    o.log = true;
    o.equal_aspect = true;
    assert_ok(bf_plot_heatmap(path, v, R, C, 0, 30, 0, 12, &o));
    assert_fails(bf_plot_heatmap(path, v, 0, C, 0, 1, 0, 1, &o), BF_EINVAL, "0 x 300");
    assert_fails(bf_plot_heatmap(path, v, R, C, 1, 1, 0, 1, &o), BF_EINVAL, "empty axis range");
    float neg[4] = {-1, -2, -3, -4};
    assert_fails(bf_plot_heatmap(path, neg, 2, 2, 0, 1, 0, 1, &o), BF_EINVAL, "no finite positive");
}

static void viridis_end_points(void **state)
{
    (void)state;
    unsigned char rgb[3];
    bf_plot_viridis(0, rgb); /* matplotlib: #440154 */
    assert_true(abs(rgb[0] - 0x44) <= 4 && abs(rgb[1] - 0x01) <= 4 && abs(rgb[2] - 0x54) <= 4);
    bf_plot_viridis(1, rgb); /* #fde725 */
    assert_true(abs(rgb[0] - 0xfd) <= 4 && abs(rgb[1] - 0xe7) <= 4 && abs(rgb[2] - 0x25) <= 5);
    bf_plot_viridis(0.5, rgb); /* #21918c */
    assert_true(abs(rgb[0] - 0x21) <= 4 && abs(rgb[1] - 0x91) <= 4 && abs(rgb[2] - 0x8c) <= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curve_with_error_bars),
        cmocka_unit_test(heatmap_with_colorbar),
        cmocka_unit_test(viridis_end_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
