/* Radial atomic potentials and projected scattering factors of the Lobato & Van Dyck (2014),
 * Kirkland (2010) and Peng (1999) parametrizations, scaled to V and V·Å³ as abTEM 1.0.9 scales them
 * (parametrizations/__init__.py: scaled_parameters), with the scaled parameters rounded to
 * float32 as abTEM evaluates them. The slice integral ∫∫ V_proj dx dy of one atom equals
 * bf__radial_scattering(k² = 0): the constant linking the two is 1 in these units. */
#include <math.h>
#include <string.h>

#include "ms/ms_internal.h"

static double f32(double v) { return (double)(float)v; }

void bf__radial_init(bf__radial *r, bf_parametrization kind, int z)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->z = z;
    const bf__ms_element *e = &bf__ms_elements[z];
    if (kind == BF_LOBATO) {
        r->nterms = 5;
        for (int i = 0; i < 5; i++) {
            double a = e->lobato[0][i], b = e->lobato[1][i];
            r->p[0][i] = f32(M_PI * M_PI * a / pow(b, 1.5) / BF__KAPPA);
            r->p[1][i] = f32(2.0 * M_PI / sqrt(b));
        }
    } else if (kind == BF_PENG) {
        /* Peng's b is for s = k/2: abTEM divides it by 4 first */
        r->nterms = 5;
        for (int i = 0; i < 5; i++) {
            double a = e->peng[0][i], b = e->peng[1][i] / 4.0;
            r->p[0][i] = f32(pow(M_PI, 1.5) * a / pow(b, 1.5) / BF__KAPPA);
            r->p[1][i] = f32(M_PI * M_PI / b);
            r->p[2][i] = f32(a / BF__KAPPA);
            r->p[3][i] = f32(b);
        }
    } else {
        r->nterms = 3;
        for (int i = 0; i < 3; i++) {
            double a = e->kirkland[0][i], b = e->kirkland[1][i];
            double c = e->kirkland[2][i], d = e->kirkland[3][i];
            r->p[0][i] = f32(M_PI * a / BF__KAPPA);
            r->p[1][i] = f32(2.0 * M_PI * sqrt(b));
            r->p[2][i] = f32(pow(M_PI, 1.5) * c / pow(d, 1.5) / BF__KAPPA);
            r->p[3][i] = f32(M_PI * M_PI / d);
        }
    }
}

double bf__radial_potential(const bf__radial *r, double x)
{
    double v = 0.0;
    if (r->kind == BF_LOBATO) {
        for (int i = 0; i < 5; i++) {
            double a = r->p[0][i], b = r->p[1][i];
            v += a * (2.0 / (b * x) + 1.0) * exp(-b * x);
        }
    } else if (r->kind == BF_PENG) {
        for (int i = 0; i < 5; i++)
            v += r->p[0][i] * exp(-r->p[1][i] * x * x);
    } else {
        for (int i = 0; i < 3; i++)
            v += r->p[0][i] * exp(-r->p[1][i] * x) / x + r->p[2][i] * exp(-r->p[3][i] * x * x);
    }
    return v;
}

double bf__radial_scattering(const bf__radial *r, double k2)
{
    double f = 0.0;
    if (r->kind == BF_LOBATO) {
        double q2 = 4.0 * M_PI * M_PI * k2;
        for (int i = 0; i < 5; i++) {
            double a = r->p[0][i], b = r->p[1][i], d = q2 + b * b;
            f += a / b / d + a * b / (d * d);
        }
        f *= 8.0 * M_PI;
    } else if (r->kind == BF_PENG) {
        for (int i = 0; i < 5; i++)
            f += r->p[2][i] * exp(-r->p[3][i] * k2);
    } else {
        for (int i = 0; i < 3; i++) {
            double a = r->p[0][i], b = r->p[1][i], c = r->p[2][i], d = r->p[3][i];
            f += 4.0 * M_PI * a / (4.0 * M_PI * M_PI * k2 + b * b) +
                 sqrt(M_PI / d) * c * M_PI / d * exp(-M_PI * M_PI * k2 / d);
        }
    }
    return f;
}

/* The radius where |V| falls to tolerance, bracketed in [1e-3, 1e3] Å as abTEM's brentq. */
double bf__radial_cutoff(const bf__radial *r, double tolerance)
{
    double lo = 1e-3, hi = 1e3;
    double flo = fabs(bf__radial_potential(r, lo)) - tolerance;
    if (flo <= 0.0)
        return lo;
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        double fm = fabs(bf__radial_potential(r, mid)) - tolerance;
        if ((fm > 0.0) == (flo > 0.0)) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

bf_status bf_parametrization_parse(const char *text, bf_parametrization *out)
{
    if (text && strcmp(text, "lobato") == 0)
        *out = BF_LOBATO;
    else if (text && strcmp(text, "kirkland") == 0)
        *out = BF_KIRKLAND;
    else if (text && strcmp(text, "peng") == 0)
        *out = BF_PENG;
    else
        return bf__error_set(BF_EINVAL,
                             "unknown parametrization '%s' (lobato, kirkland or peng)",
                             text ? text : "");
    return BF_OK;
}

bf_status bf_projection_parse(const char *text, bf_projection *out)
{
    if (text && strcmp(text, "infinite") == 0)
        *out = BF_PROJECTION_INFINITE;
    else if (text && strcmp(text, "finite") == 0)
        *out = BF_PROJECTION_FINITE;
    else
        return bf__error_set(BF_EINVAL, "unknown projection '%s' (infinite or finite)",
                             text ? text : "");
    return BF_OK;
}

bf_status bf__radial_check(bf_parametrization p, int z)
{
    if (p != BF_LOBATO && p != BF_KIRKLAND && p != BF_PENG)
        return bf__error_set(BF_EINVAL, "unknown parametrization %d", (int)p);
    if (z < 1 || z > BF__NUM_ELEMENTS)
        return bf__error_set(BF_EINVAL, "unknown element Z=%d", z);
    if (p == BF_PENG && bf__ms_elements[z].peng[0][0] == 0.0)
        return bf__error_set(BF_EUNSUPPORTED, "the Peng parametrization has no %s (Z=%d); use "
                             "lobato or kirkland", bf__ms_elements[z].symbol, z);
    return BF_OK;
}

bf_status bf_scattering_factor(bf_parametrization p, int z, double k2, double *f)
{
    bf_status st = bf__radial_check(p, z);
    if (st)
        return st;
    if (!(k2 >= 0.0))
        return bf__error_set(BF_EINVAL, "k² must be non-negative, got %g", k2);
    bf__radial r;
    bf__radial_init(&r, p, z);
    *f = bf__radial_scattering(&r, k2);
    return BF_OK;
}

bf_status bf_radial_potential(bf_parametrization p, int z, double x, double *v)
{
    bf_status st = bf__radial_check(p, z);
    if (st)
        return st;
    if (!(x > 0.0))
        return bf__error_set(BF_EINVAL, "radius must be positive, got %g", x);
    bf__radial r;
    bf__radial_init(&r, p, z);
    *v = bf__radial_potential(&r, x);
    return BF_OK;
}
