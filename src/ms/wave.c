/* Electron waves as abTEM 1.0.9 makes them (core/energy.py, transfer.py, waves.py): relativistic
 * wavelength and interaction parameter with CODATA 2014 constants (ASE 3.22's units), polar
 * aberrations up to 5th order with abTEM's aliases (defocus = -C10), and the probe
 * ψ(k) = exp(-2πi k·r0)·A(α, φ)·exp(-iχ), normalised so that Σ_k |ψ(k)|² = 1, then inverse FFT
 * (numpy convention, 1/N), which leaves Σ_r |ψ(r)|² = 1/N. The soft aperture edge is one angular
 * pixel wide: A = clip((α_c - α)/D + 1/2, 0, 1), D = |(cos φ Δα_x, sin φ Δα_y)|. */
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

#define H_PLANCK 6.62607004e-34
#define C_LIGHT 299792458.0
#define M_ELECTRON 9.10938356e-31
#define Q_ELECTRON 1.6021766208e-19

static bf_status check_energy(double e)
{
    if (!(e > 0.0) || !isfinite(e))
        return bf__error_set(BF_EINVAL, "energy must be positive (eV), got %g", e);
    return BF_OK;
}

bf_status bf_energy2wavelength(double e, double *wavelength)
{
    bf_status st = check_energy(e);
    if (st)
        return st;
    double mc2 = M_ELECTRON * C_LIGHT * C_LIGHT / Q_ELECTRON; /* eV */
    *wavelength = H_PLANCK * C_LIGHT / sqrt(e * (2.0 * mc2 + e)) / Q_ELECTRON * 1e10;
    return BF_OK;
}

bf_status bf_energy2sigma(double e, double *sigma)
{
    double lambda;
    bf_status st = bf_energy2wavelength(e, &lambda);
    if (st)
        return st;
    double m = M_ELECTRON * (1.0 + Q_ELECTRON * e / (M_ELECTRON * C_LIGHT * C_LIGHT));
    *sigma = 2.0 * M_PI * m * Q_ELECTRON * (lambda * 1e-10) / (H_PLANCK * H_PLANCK) * 1e-10;
    return BF_OK;
}

static const char *const names[BF_NUM_ABERRATIONS] = {
    "C10", "C12", "phi12", "C21", "phi21", "C23", "phi23", "C30", "C32",
    "phi32", "C34", "phi34", "C41", "phi41", "C43", "phi43", "C45", "phi45",
    "C50", "C52", "phi52", "C54", "phi54", "C56", "phi56"};

static const struct {
    const char *alias, *name;
} aliases[] = {
    {"Cs", "C30"},           {"C5", "C50"},
    {"astigmatism", "C12"},  {"astigmatism_angle", "phi12"},
    {"astigmatism3", "C32"}, {"astigmatism3_angle", "phi32"},
    {"astigmatism5", "C52"}, {"astigmatism5_angle", "phi52"},
    {"coma", "C21"},         {"coma_angle", "phi21"},
    {"coma4", "C41"},        {"coma4_angle", "phi41"},
    {"trefoil", "C23"},      {"trefoil_angle", "phi23"},
    {"trefoil4", "C43"},     {"trefoil4_angle", "phi43"},
    {"quadrafoil", "C34"},   {"quadrafoil_angle", "phi34"},
    {"quadrafoil5", "C54"},  {"quadrafoil5_angle", "phi54"},
    {"pentafoil", "C45"},    {"pentafoil_angle", "phi45"},
    {"hexafoil", "C56"},     {"hexafoil_angle", "phi56"},
};

bf_status bf_aberrations_set(bf_aberrations *ab, const char *name, double value)
{
    if (!name)
        return bf__error_set(BF_EINVAL, "missing aberration name");
    if (!isfinite(value))
        return bf__error_set(BF_EINVAL, "aberration %s must be finite", name);
    if (strcmp(name, "defocus") == 0) {
        ab->c[BF_C10] = -value;
        return BF_OK;
    }
    const char *canon = name;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            canon = aliases[i].name;
    for (int i = 0; i < BF_NUM_ABERRATIONS; i++)
        if (strcmp(canon, names[i]) == 0) {
            ab->c[i] = value;
            return BF_OK;
        }
    return bf__error_set(BF_EINVAL, "unknown aberration '%s'", name);
}

double bf_aberrations_chi(const bf_aberrations *ab, double lambda, double a, double p)
{
    const double *c = ab->c;
    double a2 = a * a, a3 = a2 * a, a4 = a3 * a, a5 = a4 * a, a6 = a5 * a;
    double chi = 0.5 * a2 * (c[BF_C10] + c[BF_C12] * cos(2.0 * (p - c[BF_PHI12]))) +
                 a3 / 3.0 * (c[BF_C21] * cos(p - c[BF_PHI21]) +
                             c[BF_C23] * cos(3.0 * (p - c[BF_PHI23]))) +
                 0.25 * a4 * (c[BF_C30] + c[BF_C32] * cos(2.0 * (p - c[BF_PHI32])) +
                              c[BF_C34] * cos(4.0 * (p - c[BF_PHI34]))) +
                 0.2 * a5 * (c[BF_C41] * cos(p - c[BF_PHI41]) +
                             c[BF_C43] * cos(3.0 * (p - c[BF_PHI43])) +
                             c[BF_C45] * cos(5.0 * (p - c[BF_PHI45]))) +
                 a6 / 6.0 * (c[BF_C50] + c[BF_C52] * cos(2.0 * (p - c[BF_PHI52])) +
                             c[BF_C54] * cos(4.0 * (p - c[BF_PHI54])) +
                             c[BF_C56] * cos(6.0 * (p - c[BF_PHI56])));
    return 2.0 * M_PI / lambda * chi;
}

bf_status bf__ms_check_grid(const int gpts[2], const double sampling[2])
{
    for (int k = 0; k < 2; k++) {
        if (gpts[k] < 1 || gpts[k] > 65536)
            return bf__error_set(BF_EINVAL, "gpts[%d] must be in 1..65536, got %d", k, gpts[k]);
        if (!(sampling[k] > 0.0) || !isfinite(sampling[k]))
            return bf__error_set(BF_EINVAL, "sampling[%d] must be positive, got %g", k,
                                 sampling[k]);
    }
    return BF_OK;
}

double bf__probe_aperture(const bf_probe_options *opt, double lambda, const double extent[2],
                          double alpha, double phi, int origin)
{
    double ac = (opt->semiangle_cutoff > 0.0 ? opt->semiangle_cutoff : 30.0) * 1e-3;
    if (!opt->soft)
        return alpha <= ac ? 1.0 : 0.0;
    if (origin)
        return 1.0;
    double dax = lambda / extent[0], day = lambda / extent[1];
    double d = sqrt(pow(cos(phi) * dax, 2) + pow(sin(phi) * day, 2));
    double v = (ac - alpha) / d + 0.5;
    return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

/* The probe's Fourier coefficients ψ(k), normalised so that Σ_k |ψ(k)|² = 1, times 1/N for the
 * unnormalised inverse FFT that follows. */
bf_status bf__probe_fourier(const bf_probe_options *opt, const int gpts[2], const double sampling[2],
                            const double position[2], bf_complex64 *wave)
{
    bf_status st;
    double lambda;
    if (!opt || !wave || !position)
        return bf__error_set(BF_EINVAL, "probe: missing options, position or output");
    if ((st = bf__ms_check_grid(gpts, sampling)) || (st = bf_energy2wavelength(opt->energy, &lambda)))
        return st;
    if (opt->semiangle_cutoff < 0.0 || !isfinite(opt->semiangle_cutoff))
        return bf__error_set(BF_EINVAL, "probe: semiangle_cutoff must be positive, got %g",
                             opt->semiangle_cutoff);
    if (!isfinite(position[0]) || !isfinite(position[1]))
        return bf__error_set(BF_EINVAL, "probe: position must be finite");
    int nx = gpts[0], ny = gpts[1];
    double extent[2] = {nx * sampling[0], ny * sampling[1]};
    float px = (float)(position[0] / sampling[0]), py = (float)(position[1] / sampling[1]);
    double norm = 0.0;
    for (int i = 0; i < nx; i++) {
        float kx = (float)bf__ms_fftfreq(i, nx, sampling[0]);
        double fx = bf__ms_fftfreq(i, nx, 1.0);
        for (int j = 0; j < ny; j++) {
            float ky = (float)bf__ms_fftfreq(j, ny, sampling[1]);
            double fy = bf__ms_fftfreq(j, ny, 1.0);
            double alpha = lambda * sqrt((double)kx * kx + (double)ky * ky);
            double phi = atan2((double)ky, (double)kx);
            double ap = bf__probe_aperture(opt, lambda, extent, alpha, phi, i == 0 && j == 0);
            double complex v = 0.0;
            if (ap > 0.0) {
                double ph = -2.0 * M_PI * (fx * px + fy * py) -
                            bf_aberrations_chi(&opt->aberrations, lambda, alpha, phi);
                v = ap * cexp(I * ph);
                norm += ap * ap;
            }
            wave[(size_t)i * ny + j] = (bf_complex64)v;
        }
    }
    if (norm <= 0.0)
        return bf__error_set(BF_EINVAL, "probe: the aperture passes no beam");
    float scale = (float)(1.0 / (sqrt(norm) * (double)nx * ny));
    for (size_t k = 0; k < (size_t)nx * ny; k++)
        wave[k] *= scale;
    return BF_OK;
}

bf_status bf_probe_build(const bf_probe_options *opt, const int gpts[2], const double sampling[2],
                         const double position[2], bf_complex64 *wave)
{
    bf_status st = bf__probe_fourier(opt, gpts, sampling, position, wave);
    if (st)
        return st;
    int nx = gpts[0], ny = gpts[1];
    bf__ms_fft_init();
    fftwf_plan plan = fftwf_plan_dft_2d(nx, ny, (fftwf_complex *)wave, (fftwf_complex *)wave,
                                        FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!plan)
        return bf__error_set(BF_EINTERNAL, "FFTW could not plan a %dx%d transform", nx, ny);
    fftwf_execute(plan);
    fftwf_destroy_plan(plan);
    return BF_OK;
}
