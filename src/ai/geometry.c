/* Geometry: the detector placed in the beam, units, and per-pixel 2theta / q / r / chi, solid
 * angle and polarization terms, computed exactly as pyFAI 0.21.3 does (refs/pyfai-formulas.md:
 * geometry.py 284-452, 703-806, 1117-1250, 1809-1869).
 *
 * Invariants: centre positions are float32 (p = f32(f32(f32(i + 0.5) * f32(pixel)) - f32(poni)),
 * as numpy.fromfunction(..., dtype=float32) makes them); everything after is float64. Corner
 * positions are float64 (p = i * pixel - poni) and corner values are rounded to float32. The
 * rotation is (t1, t2, t3) = R3 R2 R1 (p1, p2, L). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/ai_internal.h"
#include "core/error.h"

static const struct {
    const char *name;
    bf__space space;
    double scale;
} units[] = {
    [BF_UNIT_2TH_DEG] = {"2th_deg", BF__SPACE_2TH, 180.0 / M_PI},
    [BF_UNIT_2TH_RAD] = {"2th_rad", BF__SPACE_2TH, 1.0},
    [BF_UNIT_Q_NM] = {"q_nm^-1", BF__SPACE_Q, 1.0},
    [BF_UNIT_Q_A] = {"q_A^-1", BF__SPACE_Q, 0.1},
    [BF_UNIT_R_MM] = {"r_mm", BF__SPACE_R, 1000.0},
    [BF_UNIT_CHI_DEG] = {"chi_deg", BF__SPACE_2TH, 180.0 / M_PI},
};
#define NUNITS (sizeof units / sizeof units[0])

bf_status bf_ai_unit_parse(const char *name, bf_ai_unit *out)
{
    if (!name)
        return bf__error_set(BF_EINVAL, "missing unit");
    for (size_t i = 0; i < NUNITS; i++)
        if (strcmp(name, units[i].name) == 0) {
            *out = (bf_ai_unit)i;
            return BF_OK;
        }
    if (strcmp(name, "q_nm-1") == 0 || strcmp(name, "q_nm^-1") == 0) {
        *out = BF_UNIT_Q_NM;
        return BF_OK;
    }
    if (strcmp(name, "q_A-1") == 0) {
        *out = BF_UNIT_Q_A;
        return BF_OK;
    }
    return bf__error_set(BF_EINVAL,
                         "unknown unit '%s' (2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm, chi_deg)",
                         name);
}

const char *bf_ai_unit_name(bf_ai_unit unit)
{
    return (unsigned)unit < NUNITS ? units[unit].name : "?";
}

bf_status bf__unit_space(bf_ai_unit unit, bf__space *space, double *scale)
{
    if ((unsigned)unit >= NUNITS || unit == BF_UNIT_CHI_DEG)
        return bf__error_set(BF_EINVAL, "unit %s is not a radial unit", bf_ai_unit_name(unit));
    *space = units[unit].space;
    *scale = units[unit].scale;
    return BF_OK;
}

void bf__format_repr(double x, char *buf, size_t buflen)
{
    if (x == 0) {
        snprintf(buf, buflen, signbit(x) ? "-0.0" : "0.0");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, buflen, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* Python writes integral values as "2.0" and exponents with two digits at least; "%g"
     * already writes "1e-05"; only add ".0" to plain integers. */
    if (!strpbrk(buf, ".eEn")) {
        size_t n = strlen(buf);
        if (n + 2 < buflen)
            memcpy(buf + n, ".0", 3);
    }
}

bf_status bf_geometry_create(const bf_detector *det, const bf_geometry_params *p,
                             bf_geometry **out)
{
    *out = NULL;
    if (!det || !p)
        return bf__error_set(BF_EINVAL, "missing detector or geometry parameters");
    bf_geometry *g = calloc(1, sizeof *g);
    if (!g)
        return bf__error_set(BF_ENOMEM, "out of memory for a geometry");
    bf_status st = bf_detector_clone(det, &g->det);
    if (st) {
        free(g);
        return st;
    }
    g->p = *p;
    *out = g;
    return BF_OK;
}

void bf_geometry_destroy(bf_geometry *g)
{
    if (!g)
        return;
    bf_detector_destroy(g->det);
    free(g);
}

void bf_geometry_get_params(const bf_geometry *g, bf_geometry_params *out) { *out = g->p; }
const bf_detector *bf_geometry_detector(const bf_geometry *g) { return g->det; }

bf_status bf__geometry_check(const bf_geometry *g, bf__space space)
{
    const bf_geometry_params *p = &g->p;
    double v[7] = {p->dist, p->poni1, p->poni2, p->rot1, p->rot2, p->rot3, p->wavelength};
    for (int i = 0; i < 7; i++)
        if (!isfinite(v[i]))
            return bf__error_set(BF_EINVAL, "geometry has a non-finite parameter");
    if (!(p->dist > 0))
        return bf__error_set(BF_EINVAL, "geometry: distance must be positive, got %g m", p->dist);
    /* The beam (z) must hit the detector plane: the plane's normal after rotation is
     * R3 R2 R1 e3; its z component is cos(rot1) cos(rot2). */
    if (fabs(cos(p->rot1) * cos(p->rot2)) < 1e-9)
        return bf__error_set(BF_EINVAL, "geometry: the beam is parallel to the detector plane "
                                        "(rot1 = %g, rot2 = %g rad)",
                             p->rot1, p->rot2);
    if (space == BF__SPACE_Q && !(p->wavelength > 0))
        return bf__error_set(BF_EINVAL, "geometry: q units need a positive wavelength");
    return BF_OK;
}

typedef struct rotation {
    double L, a[3][3]; /* (t1,t2,t3) = a * (p1, p2, L) */
} rotation;

static rotation make_rotation(const bf_geometry_params *p)
{
    double c1 = cos(p->rot1), c2 = cos(p->rot2), c3 = cos(p->rot3);
    double s1 = sin(p->rot1), s2 = sin(p->rot2), s3 = sin(p->rot3);
    rotation r = {.L = p->dist,
                  .a = {{c2 * c3, c3 * s1 * s2 - c1 * s3, -(c1 * c3 * s2 + s1 * s3)},
                        {c2 * s3, c1 * c3 + s1 * s2 * s3, -(-c3 * s1 + c1 * s2 * s3)},
                        {s2, -c2 * s1, c1 * c2}}};
    return r;
}

/* Columns per block: the per-row work is done a block at a time so atan2 runs over arrays. */
#define BLOCK 256

typedef struct centre_job {
    const bf_geometry *g;
    bf__space space;
    const bf__centre_arrays *o;
    rotation rot;
    int simd;
    double cos2off, sin2off; /* cos, sin of 2 * chi_offset */
} centre_job;

/* Radial values of a block from the rotated positions (rr = sqrt(t1^2 + t2^2)). */
static void radial_block(bf__space space, const double *rr, const double *t3, double qfac,
                         double *out, size_t n, int simd)
{
    if (space == BF__SPACE_R) {
        for (size_t j = 0; j < n; j++)
            out[j] = rr[j];
        return;
    }
    bf__atan2_n(rr, t3, out, n, simd);
    if (space == BF__SPACE_Q)
        for (size_t j = 0; j < n; j++)
            out[j] = qfac * sin(out[j] / 2);
}

/* The arithmetic of a block of centres, in loops the compiler vectorises (this file is built
 * with -fno-math-errno -fno-trapping-math so that sqrt needs no errno branch and the selects
 * around divisions are branch-free; CMakeLists.txt): the rotated positions, rr, and the extras
 * (solid angle, polarization terms, normalisation), one option at a time. Inlined into a plain
 * and an AVX2 copy (the same IEEE operations, no FMA: the same bits). The column index goes
 * through int, a conversion that vectorises (a detector is far below 2^31 pixels wide). */
typedef struct centre_block {
    double p2[BLOCK], t1[BLOCK], t2[BLOCK], t3[BLOCK], rr[BLOCK];
} centre_block;

static inline __attribute__((always_inline)) void
centre_math(const centre_job *cj, centre_block *b, size_t k0, size_t j0, double p1, size_t n)
{
    const bf__centre_arrays *o = cj->o;
    const rotation *rot = &cj->rot;
    const bf_geometry *g = cj->g;
    const double L = rot->L, cos2off = cj->cos2off, sin2off = cj->sin2off;
    const float px2 = (float)g->det->pixel2, pn2 = (float)g->p.poni2;
    for (size_t j = 0; j < n; j++) {
        b->p2[j] = (float)((float)((float)(int)(j0 + j) + 0.5f) * px2) - pn2;
        b->t1[j] = rot->a[0][0] * p1 + rot->a[0][1] * b->p2[j] + rot->a[0][2] * L;
        b->t2[j] = rot->a[1][0] * p1 + rot->a[1][1] * b->p2[j] + rot->a[1][2] * L;
        b->t3[j] = rot->a[2][0] * p1 + rot->a[2][1] * b->p2[j] + rot->a[2][2] * L;
        b->rr[j] = sqrt(b->t1[j] * b->t1[j] + b->t2[j] * b->t2[j]);
    }
    const double *p2 = b->p2, *t1 = b->t1, *t2 = b->t2, *t3 = b->t3;
    if (o->omega)
        for (size_t j = 0; j < n; j++) {
            const double ca = L / sqrt(L * L + p1 * p1 + p2[j] * p2[j]);
            o->omega[k0 + j] = ca * ca * ca;
        }
    if (!o->cos2tth && !o->cos2chi && !o->norm)
        return;
    /* cos(2theta) and cos(2(chi + offset)) without trigonometry (equal to pyFAI's
     * cos(tth), cos(2*(chi+offset)) to ~1e-16; they end in a float32 product) */
    double ctth[BLOCK], c2chi[BLOCK];
    for (size_t j = 0; j < n; j++) {
        const double rr2 = t1[j] * t1[j] + t2[j] * t2[j];
        ctth[j] = t3[j] / sqrt(rr2 + t3[j] * t3[j]);
        const double den = rr2 > 0 ? rr2 : 1.0;
        const double c2 = (t2[j] * t2[j] - t1[j] * t1[j]) / den;
        const double s2 = 2 * t1[j] * t2[j] / den;
        c2chi[j] = rr2 > 0 ? c2 * cos2off - s2 * sin2off : cos2off;
    }
    if (o->cos2tth)
        memcpy(o->cos2tth + k0, ctth, n * sizeof *ctth);
    if (o->cos2chi)
        memcpy(o->cos2chi + k0, c2chi, n * sizeof *c2chi);
    if (!o->norm)
        return;
    float *nn = o->norm + k0;
    for (size_t j = 0; j < n; j++)
        nn[j] = o->nf;
    if (o->flat)
        for (size_t j = 0; j < n; j++)
            nn[j] *= o->flat[k0 + j];
    if (o->has_pol)
        for (size_t j = 0; j < n; j++) {
            const double cc = ctth[j] * ctth[j];
            nn[j] *= (float)(0.5 * (1 + cc - o->pol_factor * c2chi[j] * (1 - cc)));
        }
    if (o->solid)
        for (size_t j = 0; j < n; j++) {
            const double ca = L / sqrt(L * L + p1 * p1 + p2[j] * p2[j]);
            nn[j] *= (float)(ca * ca * ca);
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
static __attribute__((target("avx2"))) void centre_math_avx2(const centre_job *cj,
                                                             centre_block *b, size_t k0,
                                                             size_t j0, double p1, size_t n)
{
    centre_math(cj, b, k0, j0, p1, n);
}
#else
#define centre_math_avx2 centre_math_plain
#endif

static void centre_math_plain(const centre_job *cj, centre_block *b, size_t k0, size_t j0,
                              double p1, size_t n)
{
    centre_math(cj, b, k0, j0, p1, n);
}

static void centre_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const centre_job *cj = arg;
    const bf_geometry *g = cj->g;
    const bf__centre_arrays *o = cj->o;
    const size_t C = g->det->cols;
    const double qfac = g->p.wavelength > 0 ? 4e-9 * M_PI / g->p.wavelength : 0;
    const float px1 = (float)g->det->pixel1, pn1 = (float)g->p.poni1;
    centre_block b;
    (void)tid;
    for (size_t i = r0; i < r1; i++) {
        const float p1f = (float)((float)((float)i + 0.5f) * px1) - pn1;
        const double p1 = p1f;
        for (size_t j0 = 0; j0 < C; j0 += BLOCK) {
            const size_t n = C - j0 < BLOCK ? C - j0 : BLOCK, k0 = i * C + j0;
            if (cj->simd)
                centre_math_avx2(cj, &b, k0, j0, p1, n);
            else
                centre_math_plain(cj, &b, k0, j0, p1, n);
            if (o->rad)
                radial_block(cj->space, b.rr, b.t3, qfac, o->rad + k0, n, cj->simd);
            if (o->chi)
                bf__atan2_n(b.t1, b.t2, o->chi + k0, n, cj->simd);
        }
    }
}

bf_status bf__geometry_centre_arrays(const bf_geometry *g, bf__space space,
                                     const bf__centre_arrays *o)
{
    bf_status st = bf__geometry_check(g, space);
    if (st)
        return st;
    centre_job cj = {g,
                     space,
                     o,
                     make_rotation(&g->p),
                     bf__cpu_has_avx2(),
                     cos(2 * o->chi_offset),
                     sin(2 * o->chi_offset)};
    bf__parallel_rows(g->det->rows, 1, o->nthreads, centre_rows, &cj);
    return BF_OK;
}

typedef struct corner_job {
    const bf_geometry *g;
    bf__space space;
    float *rad, *chi;
    rotation rot;
    int simd;
} corner_job;

static void corner_rows(void *arg, size_t r0, size_t r1, int tid)
{
    const corner_job *cj = arg;
    const bf_geometry *g = cj->g;
    const rotation rot = cj->rot;
    const size_t C = g->det->cols + 1;
    const double L = rot.L, qfac = g->p.wavelength > 0 ? 4e-9 * M_PI / g->p.wavelength : 0;
    const double px1 = g->det->pixel1, px2 = g->det->pixel2, pn2 = g->p.poni2;
    double t1[BLOCK], t2[BLOCK], t3[BLOCK], rr[BLOCK], v[BLOCK];
    (void)tid;
    for (size_t i = r0; i < r1; i++) {
        const double p1 = (double)i * px1 - g->p.poni1;
        for (size_t j0 = 0; j0 < C; j0 += BLOCK) {
            const size_t n = C - j0 < BLOCK ? C - j0 : BLOCK, k0 = i * C + j0;
            for (size_t j = 0; j < n; j++) {
                /* (int): a conversion that vectorises (a detector is far below 2^31 pixels
                 * wide) */
                const double p2 = (double)(int)(j0 + j) * px2 - pn2;
                t1[j] = rot.a[0][0] * p1 + rot.a[0][1] * p2 + rot.a[0][2] * L;
                t2[j] = rot.a[1][0] * p1 + rot.a[1][1] * p2 + rot.a[1][2] * L;
                t3[j] = rot.a[2][0] * p1 + rot.a[2][1] * p2 + rot.a[2][2] * L;
                rr[j] = sqrt(t1[j] * t1[j] + t2[j] * t2[j]);
            }
            if (cj->rad && cj->space == BF__SPACE_2TH) {
                /* float32 of the angle exactly as (float)atan2 (see atan2.c) */
                bf__atan2_f32_n(rr, t3, cj->rad + k0, n, cj->simd);
            } else if (cj->rad) {
                radial_block(cj->space, rr, t3, qfac, v, n, cj->simd);
                for (size_t j = 0; j < n; j++)
                    cj->rad[k0 + j] = (float)v[j];
            }
            if (cj->chi)
                bf__atan2_f32_n(t1, t2, cj->chi + k0, n, cj->simd);
        }
    }
}

bf_status bf__geometry_corner_grid(const bf_geometry *g, bf__space space, float *rad, float *chi,
                                   int nthreads)
{
    bf_status st = bf__geometry_check(g, space);
    if (st)
        return st;
    corner_job cj = {g, space, rad, chi, make_rotation(&g->p), bf__cpu_has_avx2()};
    bf__parallel_rows(g->det->rows + 1, 1, nthreads, corner_rows, &cj);
    return BF_OK;
}

bf_status bf_geometry_centres(const bf_geometry *g, bf_ai_unit unit, double *out)
{
    bf__space space = BF__SPACE_2TH;
    double scale = 180.0 / M_PI;
    bf_status st;
    if (unit != BF_UNIT_CHI_DEG && (st = bf__unit_space(unit, &space, &scale)))
        return st;
    bf__centre_arrays o = {0};
    o.nthreads = bf__build_threads(0);
    if (unit == BF_UNIT_CHI_DEG)
        o.chi = out;
    else
        o.rad = out;
    if ((st = bf__geometry_centre_arrays(g, space, &o)))
        return st;
    const size_t n = g->det->rows * g->det->cols;
    for (size_t k = 0; k < n; k++)
        out[k] *= scale;
    return BF_OK;
}

bf_status bf_geometry_corners(const bf_geometry *g, bf_ai_unit unit, float *out)
{
    bf__space space = BF__SPACE_2TH;
    double scale = 1.0;
    bf_status st = bf__unit_space(unit, &space, &scale);
    if (st)
        return st;
    const size_t R = g->det->rows, C = g->det->cols, G = (R + 1) * (C + 1);
    float *rad = malloc(G * sizeof *rad), *chi = malloc(G * sizeof *chi);
    if (!rad || !chi) {
        st = bf__error_set(BF_ENOMEM, "out of memory for the corner arrays");
        goto done;
    }
    if ((st = bf__geometry_corner_grid(g, space, rad, chi, bf__build_threads(0))))
        goto done;
    const float fscale = (float)scale;
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < C; j++) {
            float *o = out + (i * C + j) * 8;
            const size_t a = i * (C + 1) + j, b = a + C + 1, c = b + 1, d = a + 1;
            const size_t idx[4] = {a, b, c, d};
            for (int k = 0; k < 4; k++) {
                o[2 * k] = scale == 1.0 ? rad[idx[k]] : rad[idx[k]] * fscale;
                o[2 * k + 1] = chi[idx[k]];
            }
        }
done:
    free(rad);
    free(chi);
    return st;
}
