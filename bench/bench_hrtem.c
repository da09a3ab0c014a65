/* beamflow bench hrtem: the seed's HRTEM case (Au bulk cubic 5x5x2, gpts 512, 2 Å slices,
 * 200 keV, 4 frozen-phonon configurations, mean intensity) on 1 and 2 workers, one 512² FFT,
 * the FFT share of the run, and the finite-projection potential per slice. abTEM 1.0.9 is not a
 * Debian package: with BF_ABTEM_PYTHON naming a Python that imports it (pip install abtem==1.0.9
 * pyfftw), bench/abtem_hrtem.py runs the same case in this run, so the ratio is measured under
 * the same load. Otherwise its figures come from ../shared/refs/abtem/timings.md, measured on
 * this kind of machine when idle (0.174 s, 0.107 s on 2 workers), and speedup_1_fft_norm
 * rescales our time by the 512² FFT measured here against the 0.52 ms it records. The finite
 * projection is always timings.md's (301 ms per slice). All figures are medians. */
#include "bench.h"

#include "beamflow/ms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ABTEM_1W_S 0.174
#define ABTEM_2W_S 0.107
#define ABTEM_FINITE_MS 301.0
#define IDLE_FFT_512_MS 0.52 /* timings.md: FFTW 3.3.10 from C, FFTW_MEASURE, idle machine */

/* abTEM's 1- and 2-worker medians measured now; 0 when BF_ABTEM_PYTHON is unset or fails. */
static int run_abtem(int repeats, double *one, double *two)
{
    const char *py = getenv("BF_ABTEM_PYTHON");
    if (!py || !*py)
        return 0;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 %s "
             "%s/bench/abtem_hrtem.py %d 2>/dev/null", py, BF_SOURCE_DIR, repeats);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    char line[1024] = "";
    int ok = 0;
    while (fgets(line, sizeof line, p)) {
        char *a = strstr(line, "\"abtem_1_s\": "), *b = strstr(line, "\"abtem_2_s\": ");
        if (a && b) {
            *one = atof(a + 13);
            *two = atof(b + 13);
            ok = *one > 0 && *two > 0;
        }
    }
    return pclose(p) == 0 && ok;
}

int bf_bench_hrtem(int argc, char **argv)
{
    int repeats = 9;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
            repeats = atoi(argv[++i]);
        } else {
            printf("usage: beamflow bench hrtem [--repeats N]\n\n"
                   "Au 5x5x2, 512², 2 Å slices, 200 keV, 4 frozen phonons: seconds on 1 and 2\n"
                   "workers against abTEM 1.0.9: run in the same bench when BF_ABTEM_PYTHON names a\n"
                   "Python with abtem==1.0.9 and pyfftw, else its recorded timings.\n");
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    bf_ms_bench_report r;
    if (bf_ms_bench_hrtem(repeats, &r) != BF_OK) {
        fprintf(stderr, "bench hrtem: %s\n", bf_last_error());
        return 1;
    }
    double ab1 = ABTEM_1W_S, ab2 = ABTEM_2W_S;
    const int measured = run_abtem(repeats, &ab1, &ab2);
    printf("HRTEM Au 5x5x2, 512², 4 frozen phonons (abTEM 1.0.9 %s)\n",
           measured ? "run now, same machine and load" : "from refs/abtem/timings.md");
    printf("  %-26s %10s %10s %8s\n", "", "beamflow", "abTEM", "speed-up");
    printf("  %-26s %10.3f %10.3f %8.2f\n", "1 worker (s)", r.threads_1_s, ab1,
           ab1 / r.threads_1_s);
    printf("  %-26s %10.3f %10.3f %8.2f\n", "2 workers (s)", r.threads_2_s, ab2,
           ab2 / r.threads_2_s);
    printf("  %-26s %10.1f %10.1f %8.2f\n", "finite potential (ms/slice)", r.finite_ms_per_slice,
           ABTEM_FINITE_MS, ABTEM_FINITE_MS / r.finite_ms_per_slice);
    /* FFT work per configuration and slice in units of one 512² FFTW transform (4 × 5) */
    double fft_equiv = r.fft_share * r.threads_1_s / (r.fft_512_ms * 1e-3) / 20.0;
    double norm = ABTEM_1W_S / r.threads_1_s * (r.fft_512_ms / IDLE_FFT_512_MS);
    printf("  one 512² FFT: %.2f ms (%.2f idle); FFT share of the run: %.0f%% (%.2f 512² FFTs' "
           "time per slice); mean intensity %.6f\n", r.fft_512_ms, IDLE_FFT_512_MS,
           100 * r.fft_share, fft_equiv, r.mean_intensity);
    if (!measured)
        printf("  speed-up rescaled to an idle machine by the FFT time: %.2f (a model; set\n"
               "  BF_ABTEM_PYTHON to measure abTEM in this run)\n", norm);
    printf("{\"threads_1_s\": %.4f, \"threads_2_s\": %.4f, \"fft_512_ms\": %.3f, \"fft_share\": "
           "%.3f, \"finite_ms_per_slice\": %.2f, \"abtem_1_s\": %.3f, \"abtem_2_s\": %.3f, "
           "\"abtem_finite_ms_per_slice\": %.1f, \"speedup_1\": %.2f, \"speedup_1_fft_norm\": "
           "%.2f, \"fft_equiv_per_slice\": %.2f, \"mean_intensity\": %.6f, \"abtem_source\": \"%s\"}\n",
           r.threads_1_s, r.threads_2_s, r.fft_512_ms, r.fft_share, r.finite_ms_per_slice,
           ab1, ab2, ABTEM_FINITE_MS, ab1 / r.threads_1_s, norm, fft_equiv, r.mean_intensity,
           measured ? "this run" : "timings.md");
    return 0;
}
