/* Frozen-phonon configurations: Gaussian thermal displacements as abTEM 1.0.9's FrozenPhonons
 * (σ per atom stored as float32, the same σ along each displaced axis, default axes "xyz", then
 * wrapped into the cell). Random numbers are beamflow's own and not numpy's: configuration i
 * draws from a xoshiro256** stream seeded by splitmix64 from (seed, i) alone, three normals per
 * atom in atom order (Marsaglia's polar method), so any worker builds any configuration and the
 * result does not depend on scheduling. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ms/ms_internal.h"

typedef struct rng {
    uint64_t s[4];
    int have_spare;
    double spare;
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static void seed_stream(rng *r, uint64_t seed, uint64_t config)
{
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x) ^ (config * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&mixed);
    r->have_spare = 0;
}

static double uniform(rng *r) { return (double)(next(r) >> 11) * 0x1.0p-53; }

static double normal(rng *r)
{
    if (r->have_spare) {
        r->have_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * uniform(r) - 1.0;
        v = 2.0 * uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->have_spare = 1;
    return u * m;
}

bf_status bf_frozen_phonons_displace(const bf_atoms *atoms, const double *sigmas,
                                     const char *directions, unsigned long long seed,
                                     size_t config, bf_atoms **out)
{
    *out = NULL;
    if (!atoms || !sigmas)
        return bf__error_set(BF_EINVAL, "frozen phonons: missing atoms or sigmas");
    int axis[3] = {0, 0, 0};
    const char *d = directions ? directions : "xyz";
    if (!*d)
        return bf__error_set(BF_EINVAL, "frozen_phonons.directions is empty");
    for (const char *p = d; *p; p++) {
        if (*p < 'x' || *p > 'z' || axis[*p - 'x'])
            return bf__error_set(BF_EINVAL,
                                 "frozen_phonons.directions: expected distinct x, y, z, got '%s'",
                                 d);
        axis[*p - 'x'] = 1;
    }
    for (size_t i = 0; i < atoms->n; i++)
        if (!(sigmas[i] >= 0.0) || !isfinite(sigmas[i]))
            return bf__error_set(BF_EINVAL, "frozen_phonons.sigmas: atom %zu has sigma %g", i,
                                 sigmas[i]);
    bf_status st = bf_atoms_create(atoms->n, atoms->z, atoms->xyz, atoms->cell, out);
    if (st)
        return st;
    rng r;
    seed_stream(&r, seed, config);
    for (size_t i = 0; i < atoms->n; i++) {
        double s = (double)(float)sigmas[i];
        for (int k = 0; k < 3; k++) {
            double g = normal(&r);
            double *x = &(*out)->xyz[3 * i + k];
            if (axis[k])
                *x += s * g;
            double f = *x / atoms->cell[k];
            f -= floor(f);
            if (f >= 1.0)
                f = 0.0;
            *x = f * atoms->cell[k];
        }
    }
    return BF_OK;
}
