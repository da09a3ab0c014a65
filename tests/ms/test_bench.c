/* labels: slow */
/* The HRTEM benchmark runs and reports sane numbers (no timed assertions: timings belong to
 * bench/, this only checks the measurement works and the physics' check value). */
#include "ms_test.h"

static void bench_hrtem_reports(void **s)
{
    (void)s;
    bf_ms_bench_report r;
    assert_ok(bf_ms_bench_hrtem(1, &r));
    printf("{\"threads_1_s\": %.4f, \"threads_2_s\": %.4f, \"fft_512_ms\": %.3f, \"fft_share\": "
           "%.2f, \"finite_ms_per_slice\": %.1f}\n", r.threads_1_s, r.threads_2_s, r.fft_512_ms,
           r.fft_share, r.finite_ms_per_slice);
    assert_true(r.threads_1_s > 0 && r.threads_2_s > 0 && r.fft_512_ms > 0);
    assert_true(r.fft_share > 0 && r.finite_ms_per_slice > 0);
    /* abTEM's run of the same case: 0.999338 (its own random displacements) */
    assert_close(r.mean_intensity, 0.9993, 0, 5e-4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(bench_hrtem_reports)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
