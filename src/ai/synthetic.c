/* Synthetic powder frames for demos and benchmarks: CeO2 (fluorite, a = 5.411 Å) Debye-Scherrer
 * rings drawn on a real detector geometry, with Poisson noise and module gaps at -1 as a Pilatus
 * writes them. The noise stream of a frame depends only on (seed, frame), so any worker can make
 * any frame. Relative ring intensities are rounded values of the CeO2 powder pattern. */
#include "beamflow/integrate.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>

static const struct {
    int h, k, l;
    double intensity;
} ceo2[] = {
    {1, 1, 1, 100}, {2, 0, 0, 29}, {2, 2, 0, 51}, {3, 1, 1, 42}, {2, 2, 2, 8},  {4, 0, 0, 8},
    {3, 3, 1, 15},  {4, 2, 0, 7},  {4, 2, 2, 12}, {5, 1, 1, 9},  {4, 4, 0, 5},  {5, 3, 1, 9},
};

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return ((double)(next(s) >> 11) + 0.5) * 0x1.0p-53; }

/* Poisson deviate: Knuth's product method for small means, the normal approximation (Box-Muller)
 * above 30 counts, where it is within the shot noise's own accuracy for a picture. */
static int32_t poisson(double mean, uint64_t *s)
{
    if (mean <= 0)
        return 0;
    if (mean < 30) {
        double l = exp(-mean), p = 1.0;
        int32_t k = 0;
        do {
            k++;
            p *= uniform(s);
        } while (p > l);
        return k - 1;
    }
    double g = sqrt(-2.0 * log(uniform(s))) * cos(2.0 * M_PI * uniform(s));
    double v = mean + sqrt(mean) * g + 0.5;
    return v < 0 ? 0 : (int32_t)v;
}

bf_status bf_synthetic_powder(const bf_geometry *geo, const double *tth_deg, double lattice_A,
                              double peak_counts, uint64_t seed, uint64_t frame, int32_t *out)
{
    bf_geometry_params p;
    bf_geometry_get_params(geo, &p);
    if (!(p.wavelength > 0))
        return bf__error_set(BF_EINVAL, "a synthetic powder pattern needs the wavelength");
    const bf_detector *det = bf_geometry_detector(geo);
    const uint8_t *gaps = bf_detector_mask(det);
    size_t n = bf_detector_rows(det) * bf_detector_cols(det);
    double ring[sizeof ceo2 / sizeof ceo2[0]];
    size_t nring = 0;
    for (size_t r = 0; r < sizeof ceo2 / sizeof ceo2[0]; r++) {
        double d = lattice_A / sqrt(ceo2[r].h * ceo2[r].h + ceo2[r].k * ceo2[r].k +
                                    ceo2[r].l * ceo2[r].l);
        double s = p.wavelength * 1e10 / (2.0 * d);
        ring[nring++] = s < 1 ? 2.0 * asin(s) * 180.0 / M_PI : 1e9;
    }
    uint64_t s = seed * 0xD1B54A32D192ED03ull ^ (frame + 1) * 0x9E3779B97F4A7C15ull;
    const double width = 0.03; /* degrees, Gaussian sigma */
    for (size_t i = 0; i < n; i++) {
        if (gaps && gaps[i]) {
            out[i] = -1;
            continue;
        }
        double t = tth_deg[i], v = 0.02 * peak_counts * (1.0 + 3.0 * exp(-t / 4.0));
        for (size_t r = 0; r < nring; r++) {
            double x = (t - ring[r]) / width;
            if (fabs(x) < 8)
                v += peak_counts * ceo2[r].intensity / 100.0 * exp(-0.5 * x * x);
        }
        out[i] = poisson(v, &s);
    }
    return BF_OK;
}
