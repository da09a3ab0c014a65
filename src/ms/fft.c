/* FFTW set-up shared by the ms files: thread support and a thread-safe planner once per process,
 * the planning rigour (FFTW_MEASURE by default: on this hardware FFTW_ESTIMATE plans for 512²
 * run ~10x slower) and wisdom files, so a second run reuses the first run's measurements. Plans
 * are made at create time (potential workspaces, multislice plans), never in execution paths;
 * FFTW remembers measured sizes for the life of the process. */
#include <errno.h>
#include <fftw3.h>
#include <pthread.h>
#include <string.h>

#include "ms/ms_internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bf_fft_planning planning = BF_FFT_MEASURE;

static void init_once(void)
{
    fftwf_init_threads();
    fftwf_make_planner_thread_safe();
}

void bf__ms_fft_init(void) { pthread_once(&once, init_once); }

unsigned bf__ms_fft_flags(bf_fft_planning p)
{
    if (p == BF_FFT_DEFAULT)
        p = planning;
    switch (p) {
    case BF_FFT_ESTIMATE: return FFTW_ESTIMATE;
    case BF_FFT_PATIENT: return FFTW_PATIENT;
    default: return FFTW_MEASURE;
    }
}

void bf_fft_set_planning(bf_fft_planning p)
{
    if (p != BF_FFT_DEFAULT)
        planning = p;
}

bf_status bf_fft_planning_parse(const char *text, bf_fft_planning *out)
{
    static const char *const names[] = {"default", "measure", "estimate", "patient"};
    for (int i = 0; i < 4; i++)
        if (text && strcmp(text, names[i]) == 0) {
            *out = (bf_fft_planning)i;
            return BF_OK;
        }
    return bf__error_set(BF_EINVAL, "unknown FFT planning '%s' (estimate, measure or patient)",
                         text ? text : "");
}

bf_status bf_fft_wisdom_import(const char *path)
{
    bf__ms_fft_init();
    if (!path)
        return bf__error_set(BF_EINVAL, "missing wisdom file name");
    if (!fftwf_import_wisdom_from_filename(path))
        return bf__error_set(BF_EFORMAT, "%s: not an FFTW (single precision) wisdom file", path);
    return BF_OK;
}

bf_status bf_fft_wisdom_export(const char *path)
{
    bf__ms_fft_init();
    if (!path)
        return bf__error_set(BF_EINVAL, "missing wisdom file name");
    char tmp[4096];
    bf_file_temp_name(path, tmp, sizeof tmp);
    if (!fftwf_export_wisdom_to_filename(tmp))
        return bf__error_errno(BF_EIO, errno, "%s: cannot write FFTW wisdom", tmp);
    return bf_file_commit(tmp, path);
}

double bf__ms_fft_time(fftwf_plan p)
{
    double t[15];
    for (int i = 0; i < 15; i++) {
        double t0 = bf_time_now();
        fftwf_execute(p);
        t[i] = bf_time_now() - t0;
    }
    for (int i = 1; i < 15; i++) /* insertion sort for the median */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[7];
}

void bf__ms_fft_destroy_plans(const fftwf_plan *plans, int n)
{
    for (int i = 0; i < n; i++)
        if (plans[i])
            fftwf_destroy_plan(plans[i]);
}
