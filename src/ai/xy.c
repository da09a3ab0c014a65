/* pyFAI-style .xy text curves (pyFAI 0.21.3 io/__init__.py save1D): '#' header lines with the
 * geometry and the options, "# --> path", a column header, then rows "%14.6e  %14.6e %14.6e"
 * (radial, I, sigma; sigma only with an error model). Written to a temporary name and renamed,
 * so a reader never sees half a file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "ai/ai_internal.h"
#include "core/error.h"

static const char *split_name(bf_split s)
{
    return s == BF_SPLIT_NO ? "no" : s == BF_SPLIT_BBOX ? "bbox" : "full";
}

static void write_header(FILE *f, const bf_geometry *g, const bf_integrator_options *o,
                         const char *path)
{
    const bf_geometry_params *p = &g->p;
    const bf_detector *d = g->det;
    fprintf(f, "# == pyFAI calibration ==\n");
    fprintf(f, "# Distance Sample to Detector: %.17g m\n", p->dist);
    fprintf(f, "# PONI: %.3e, %.3e m\n", p->poni1, p->poni2);
    fprintf(f, "# Rotations: %.6f %.6f %.6f rad\n#\n", p->rot1, p->rot2, p->rot3);
    fprintf(f, "# Detector %s\t PixelSize= %.3e, %.3e m\n", d->name, d->pixel1, d->pixel2);
    if (p->wavelength > 0)
        fprintf(f, "# Wavelength: %.17g m\n", p->wavelength);
    fprintf(f, "# Mask applied: %s\n", (o->mask || d->mask) ? "True" : "False");
    fprintf(f, "# Flat field applied: %s\n", o->flat ? "True" : "False");
    if (o->has_polarization)
        fprintf(f, "# Polarization factor: %.17g\n", o->polarization_factor);
    else
        fprintf(f, "# Polarization factor: None\n");
    fprintf(f, "# Normalization factor: %.17g\n",
            o->normalization_factor == 0 ? 1.0 : o->normalization_factor);
    fprintf(f, "# Solid angle correction: %s\n", o->no_solid_angle ? "False" : "True");
    fprintf(f, "# Method: %s,%s  npt: %d  error model: %s\n", split_name(o->split),
            o->algorithm == BF_ALGO_CSR ? "csr" : "histogram", o->npt,
            o->error_model == BF_ERROR_POISSON     ? "poisson"
            : o->error_model == BF_ERROR_AZIMUTHAL ? "azimuthal"
                                                   : "none");
    if (o->has_dummy)
        fprintf(f, "# Dummy: %.17g  delta_dummy: %.17g\n", o->dummy, o->delta_dummy);
    fprintf(f, "# Written by beamflow\n");
    fprintf(f, "\n# --> %s\n", path);
}

bf_status bf_curve_write_xy(const char *path, const bf_geometry *g,
                            const bf_integrator_options *o, size_t npt, const bf_curve *c)
{
    if (!path || !g || !o || !c || !c->radial || !c->intensity)
        return bf__error_set(BF_EINVAL, "missing path, geometry, options or curve arrays "
                                        "(radial and intensity are needed)");
    const int sig = o->error_model != BF_ERROR_NONE && c->sigma;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    write_header(f, g, o, path);
    const char *u = bf_ai_unit_name(o->unit);
    if (sig)
        fprintf(f, "#%14s  %14s  %14s\n", u, "I ", "sigma ");
    else
        fprintf(f, "#%14s %14s\n", u, "I ");
    for (size_t b = 0; b < npt; b++) {
        if (sig)
            fprintf(f, "%14.6e  %14.6e %14.6e\n", c->radial[b], (double)c->intensity[b],
                    (double)c->sigma[b]);
        else
            fprintf(f, "%14.6e  %14.6e\n", c->radial[b], (double)c->intensity[b]);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return bf__error_errno(BF_EIO, e, "%s: cannot write the curve", path);
    }
    return BF_OK;
}
