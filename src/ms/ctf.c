/* The contrast transfer function of the objective lens, as abTEM 1.0.9's CTF (transfer.py):
 * exp(-iχ(α, φ)) · E_s · E_t · aperture, where
 *   E_t = exp(-(π/(2λ) · Δ · α²)²)                 (TemporalEnvelope, focal spread Δ in Å)
 *   E_s = exp(-(θ/2)² (∂χ/∂α² + ∂χ/∂φ²)) with abTEM's ∂χ/∂α and ∂χ/∂φ (SpatialEnvelope; θ in rad)
 * and the aperture of the probe (soft edge one angular pixel wide). α = λ|k|, φ = atan2(ky, kx);
 * k on the unshifted FFT grid. */
#include <complex.h>
#include <math.h>

#include "ms/ms_internal.h"

static void chi_derivatives(const double *c, double lam, double a, double p, double *dk,
                            double *dp)
{
    double a2 = a * a, a3 = a2 * a, a4 = a3 * a, a5 = a4 * a;
    *dk = 2.0 * M_PI / lam *
          ((c[BF_C12] * cos(2.0 * (p - c[BF_PHI12])) + c[BF_C10]) * a +
           (c[BF_C23] * cos(3.0 * (p - c[BF_PHI23])) + c[BF_C21] * cos(p - c[BF_PHI21])) * a2 +
           (c[BF_C34] * cos(4.0 * (p - c[BF_PHI34])) + c[BF_C32] * cos(2.0 * (p - c[BF_PHI32])) +
            c[BF_C30]) * a3 +
           (c[BF_C45] * cos(5.0 * (p - c[BF_PHI45])) + c[BF_C43] * cos(3.0 * (p - c[BF_PHI43])) +
            c[BF_C41] * cos(p - c[BF_PHI41])) * a4 +
           (c[BF_C56] * cos(6.0 * (p - c[BF_PHI56])) + c[BF_C54] * cos(4.0 * (p - c[BF_PHI54])) +
            c[BF_C52] * cos(2.0 * (p - c[BF_PHI52])) + c[BF_C50]) * a5);
    *dp = -2.0 * M_PI / lam *
          (0.5 * (2.0 * c[BF_C12] * sin(2.0 * (p - c[BF_PHI12]))) * a +
           (1.0 / 3.0) * (3.0 * c[BF_C23] * sin(3.0 * (p - c[BF_PHI23])) +
                          c[BF_C21] * sin(p - c[BF_PHI21])) * a2 +
           0.25 * (4.0 * c[BF_C34] * sin(4.0 * (p - c[BF_PHI34])) +
                   2.0 * c[BF_C32] * sin(2.0 * (p - c[BF_PHI32]))) * a3 +
           0.2 * (5.0 * c[BF_C45] * sin(5.0 * (p - c[BF_PHI45])) +
                  3.0 * c[BF_C43] * sin(3.0 * (p - c[BF_PHI43])) +
                  c[BF_C41] * sin(p - c[BF_PHI41])) * a4 +
           (1.0 / 6.0) * (6.0 * c[BF_C56] * sin(6.0 * (p - c[BF_PHI56])) +
                          4.0 * c[BF_C54] * sin(4.0 * (p - c[BF_PHI54])) +
                          2.0 * c[BF_C52] * sin(2.0 * (p - c[BF_PHI52]))) * a5);
}

bf_status bf_ctf_build(const bf_ctf_options *opt, const int gpts[2], const double sampling[2],
                       bf_complex64 *ctf)
{
    bf_status st;
    double lam;
    if (!opt || !ctf)
        return bf__error_set(BF_EINVAL, "ctf: missing options or output");
    if ((st = bf__ms_check_grid(gpts, sampling)) || (st = bf_energy2wavelength(opt->energy, &lam)))
        return st;
    if (opt->semiangle_cutoff < 0.0 || opt->focal_spread < 0.0 || !isfinite(opt->focal_spread) ||
        !isfinite(opt->angular_spread) || !isfinite(opt->semiangle_cutoff))
        return bf__error_set(BF_EINVAL,
                             "ctf: semiangle_cutoff and focal_spread must be non-negative");
    bf_probe_options ap = BF_PROBE_OPTIONS_INIT;
    ap.semiangle_cutoff = opt->semiangle_cutoff;
    ap.soft = opt->soft;
    double extent[2] = {gpts[0] * sampling[0], gpts[1] * sampling[1]};
    double theta = opt->angular_spread * 1e-3;
    for (int i = 0; i < gpts[0]; i++) {
        double kx = (float)bf__ms_fftfreq(i, gpts[0], sampling[0]);
        for (int j = 0; j < gpts[1]; j++) {
            double ky = (float)bf__ms_fftfreq(j, gpts[1], sampling[1]);
            double a = lam * sqrt(kx * kx + ky * ky), p = atan2(ky, kx);
            double complex v = cexp(-I * bf_aberrations_chi(&opt->aberrations, lam, a, p));
            if (theta != 0.0) {
                double dk, dp;
                chi_derivatives(opt->aberrations.c, lam, a, p, &dk, &dp);
                v *= exp(-(theta > 0 ? 1.0 : -1.0) * (theta / 2) * (theta / 2) * (dk * dk + dp * dp));
            }
            if (opt->focal_spread > 0.0) {
                double e = 0.5 * M_PI / lam * opt->focal_spread * a * a;
                v *= exp(-e * e);
            }
            if (opt->semiangle_cutoff > 0.0)
                v *= bf__probe_aperture(&ap, lam, extent, a, p, i == 0 && j == 0);
            ctf[(size_t)i * gpts[1] + j] = (bf_complex64)v;
        }
    }
    return BF_OK;
}
