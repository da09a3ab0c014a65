/* Plane-wave (HRTEM) and single-probe runs of a job: for every configuration build the potential
 * plan, start the incident wave (ψ₀ = 1 as abTEM's PlaneWave(normalize=False), or a probe at
 * probe.position, default the cell centre), run the multislice and keep the exit wave; then the
 * per-configuration intensity |ψ|², the image through the CTF, and the diffraction pattern
 * |FFT(ψ)|² (plane waves divided by N first, as abTEM's "values" normalisation), fft-shifted and
 * cropped to the antialias limit. One multislice plan serves every configuration. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ms/hrtem_internal.h"
#include "ms/multislice_internal.h"

void bf_ms_result_destroy(bf_ms_result *r)
{
    if (!r)
        return;
    free(r->exit);
    free(r->intensity);
    free(r->mean_intensity);
    free(r->image);
    free(r->diffraction);
    free(r);
}

size_t bf_ms_result_num_configs(const bf_ms_result *r) { return r->configs; }
const bf_complex64 *bf_ms_result_exit_waves(const bf_ms_result *r) { return r->exit; }
const float *bf_ms_result_image(const bf_ms_result *r) { return r->image; }

void bf_ms_result_grid(const bf_ms_result *r, int gpts[2], double sampling[2])
{
    memcpy(gpts, r->gpts, sizeof r->gpts);
    memcpy(sampling, r->sampling, sizeof r->sampling);
}

const float *bf_ms_result_intensity(const bf_ms_result *r) { return r->mean_intensity; }

const float *bf_ms_result_diffraction(const bf_ms_result *r, size_t dshape[2])
{
    dshape[0] = r->dshape[0];
    dshape[1] = r->dshape[1];
    return r->diffraction;
}

size_t bf__ms_crop_size(int n, double extent, double smax, int valid)
{
    long m = (long)floor(2.0 / 3.0 * extent / smax);
    if ((m % 2) != (n % 2))
        m += 1;
    if (valid) {
        m = (long)floor((double)m / sqrt(2.0));
        if ((m % 2) != (n % 2))
            m += 1;
    }
    if (m > n)
        m = n;
    return (size_t)(m < 1 ? 1 : m);
}

void bf__ms_shift_crop(const float *full, int nx, int ny, size_t mx, size_t my, float *out)
{
    for (size_t r = 0; r < mx; r++) {
        long fx = (long)r - (long)(mx / 2);
        size_t ix = (size_t)((fx % nx + nx) % nx);
        for (size_t c = 0; c < my; c++) {
            long fy = (long)c - (long)(my / 2);
            size_t iy = (size_t)((fy % ny + ny) % ny);
            out[r * my + c] = full[ix * ny + iy];
        }
    }
}

bf_status bf__hrtem_incident(const bf_ms_job *j, const int g[2], const double s[2],
                             bf_complex64 *w)
{
    size_t n = (size_t)g[0] * g[1];
    if (j->wave == BF__WAVE_PLANE) {
        for (size_t k = 0; k < n; k++)
            w[k] = 1.0f;
        return BF_OK;
    }
    double pos[2] = {j->position[0], j->position[1]};
    if (!j->have_position) {
        pos[0] = 0.5 * g[0] * s[0];
        pos[1] = 0.5 * g[1] * s[1];
    }
    return bf_probe_build(&j->probe, g, s, pos, w);
}

/* The results' storage. The exit waves are aligned (each configuration's too, n * 8 bytes apart),
 * so the multislice writes them in place without bouncing rows through scratch.
 * Per-configuration intensities only when the job writes the ensemble's. */
static bf_status alloc_result(bf_ms_result *r, const bf_ms_job *j, int has_ctf, int has_dif)
{
    size_t n = (size_t)r->gpts[0] * r->gpts[1];
    r->n = n;
    double smax = fmax(r->sampling[0], r->sampling[1]);
    for (int k = 0; k < 2; k++)
        r->dshape[k] = bf__ms_crop_size(r->gpts[k], r->gpts[k] * r->sampling[k], smax, 0);
    r->exit = bf__big_alloc((r->configs ? r->configs : 1) * n * sizeof *r->exit);
    int ensemble = j->out[2] && j->keep_ensemble && r->configs > 1;
    r->intensity = ensemble ? malloc(r->configs * n * sizeof *r->intensity) : NULL;
    r->mean_intensity = bf__big_alloc(n * sizeof *r->mean_intensity);
    r->image = has_ctf ? calloc(n, sizeof *r->image) : NULL;
    r->diffraction = has_dif ? calloc(r->dshape[0] * r->dshape[1] + n, sizeof *r->diffraction)
                             : NULL;
    if (!r->exit || (ensemble && !r->intensity) || !r->mean_intensity || (has_ctf && !r->image) ||
        (has_dif && !r->diffraction))
        return bf__error_set(BF_ENOMEM, "out of memory for %zu configurations of %zu points",
                             r->configs, n);
    memset(r->mean_intensity, 0, n * sizeof *r->mean_intensity);
    return BF_OK;
}

/* Intensity, CTF image and diffraction of configuration c (its exit wave is in r->exit). */
static bf_status measure(bf_ms_result *r, const bf_ms_job *j, bf_multislice *ms,
                         const bf_complex64 *ctf, size_t c, bf_complex64 *tmp, float *full)
{
    size_t n = r->n;
    const bf_complex64 *w = r->exit + c * n;
    float inv = 1.0f / (float)r->configs;
    float *mean = r->mean_intensity, *each = r->intensity ? r->intensity + c * n : NULL;
    for (size_t k = 0; k < n; k++) {
        float v = crealf(w[k]) * crealf(w[k]) + cimagf(w[k]) * cimagf(w[k]);
        if (each)
            each[k] = v;
        mean[k] += v * inv;
    }
    bf_status st;
    if (ctf) {
        memcpy(tmp, w, n * sizeof *tmp);
        if ((st = bf_multislice_apply_kernel(ms, ctf, tmp, 1)))
            return st;
        for (size_t k = 0; k < n; k++)
            r->image[k] += inv * (crealf(tmp[k]) * crealf(tmp[k]) + cimagf(tmp[k]) * cimagf(tmp[k]));
    }
    if (!r->diffraction)
        return BF_OK;
    memcpy(tmp, w, n * sizeof *tmp);
    if ((st = bf_multislice_fft(ms, tmp, 1)))
        return st;
    double scale = j->wave == BF__WAVE_PLANE ? 1.0 / ((double)n * n) : 1.0;
    for (size_t k = 0; k < n; k++)
        full[k] = (float)(scale * (crealf(tmp[k]) * crealf(tmp[k]) + cimagf(tmp[k]) * cimagf(tmp[k])));
    size_t m = r->dshape[0] * r->dshape[1];
    float *crop = r->diffraction + m; /* scratch after the pattern */
    bf__ms_shift_crop(full, r->gpts[0], r->gpts[1], r->dshape[0], r->dshape[1], crop);
    for (size_t k = 0; k < m; k++)
        r->diffraction[k] += crop[k] * inv;
    return BF_OK;
}

/* The grid of the job's potential. */
static bf_status job_grid(const bf_ms_job *j, int g[2], double s[2])
{
    return bf__potential_grid_for(j->frames.frames[0], &j->pot, g, s);
}

/* Intensities, CTF images and diffraction patterns of every configuration, in order. */
static bf_status measure_all(bf_ms_result *r, const bf_ms_job *j, const bf_ms_run_options *opt)
{
    bf_status st = BF_OK;
    bf_multislice *ms = NULL;
    bf_complex64 *ctf = NULL, *tmp = NULL;
    float *full = NULL;
    if (r->image || r->diffraction) { /* scratch and FFTs only for outputs the job asks for */
        tmp = malloc(r->n * sizeof *tmp);
        full = malloc(r->n * sizeof *full);
        if (!tmp || !full) {
            st = bf__error_set(BF_ENOMEM, "out of memory");
            goto done;
        }
        bf_multislice_options mo = BF_MULTISLICE_OPTIONS_INIT;
        mo.energy = j->energy;
        memcpy(mo.gpts, r->gpts, sizeof mo.gpts);
        memcpy(mo.sampling, r->sampling, sizeof mo.sampling);
        mo.planning = opt ? opt->planning : BF_FFT_DEFAULT;
        if ((st = bf_multislice_create(&mo, &ms)))
            goto done;
    }
    if (r->image) {
        if (!(ctf = malloc(r->n * sizeof *ctf))) {
            st = bf__error_set(BF_ENOMEM, "out of memory");
            goto done;
        }
        if ((st = bf_ctf_build(&j->ctf, r->gpts, r->sampling, ctf)))
            goto done;
    }
    for (size_t c = 0; c < r->configs && !st; c++)
        st = measure(r, j, ms, ctf, c, tmp, full);
done:
    bf_multislice_destroy(ms);
    free(ctf);
    free(tmp);
    free(full);
    return st;
}

bf_status bf_ms_simulate(const bf_ms_job *j, const bf_ms_run_options *opt, bf_ms_result **out)
{
    bf_status st = BF_OK;
    *out = NULL;
    if (j->scan || j->detectors)
        return bf__error_set(BF_EUNSUPPORTED, "%s: scan and detectors (STEM) are not run by "
                             "this command yet; remove them for a plane-wave or single-probe run",
                             j->name);
    bf_ms_result *r = calloc(1, sizeof *r);
    if (!r)
        return bf__error_set(BF_ENOMEM, "out of memory for results");
    r->configs = j->num_configs;
    bf__hrtem_job hj = {j, opt ? opt->planning : BF_FFT_DEFAULT,
                        opt && opt->threads > 0 ? opt->threads : 1, NULL, NULL};
    if ((st = job_grid(j, r->gpts, r->sampling)) ||
        (st = alloc_result(r, j, j->have_ctf, j->out[4] != NULL)) ||
        (st = bf__hrtem_run(&hj, r, opt ? opt->run : NULL)) || (st = measure_all(r, j, opt))) {
        bf_ms_result_destroy(r);
        return st;
    }
    *out = r;
    return BF_OK;
}

bf_status bf_ms_write_potential(const bf_ms_job *j, const char *path)
{
    bf_status st;
    bf_atoms *atoms = NULL;
    bf_potential *pot = NULL;
    bf_potential_workspace *ws = NULL;
    float *v = NULL;
    if ((st = bf_ms_job_atoms(j, 0, &atoms)) || (st = bf_potential_create(atoms, &j->pot, &pot)) ||
        (st = bf_potential_workspace_create(pot, &ws)))
        goto done;
    int g[2];
    bf_potential_grid(pot, g, NULL);
    size_t n = (size_t)g[0] * g[1], ns = bf_potential_num_slices(pot);
    v = malloc(ns * n * sizeof *v);
    if (!v) {
        st = bf__error_set(BF_ENOMEM, "out of memory for %zu slices", ns);
        goto done;
    }
    for (size_t i = 0; i < ns && !st; i++)
        st = bf_potential_build_slice(pot, ws, i, v + i * n);
    size_t shape[3] = {ns, (size_t)g[0], (size_t)g[1]};
    size_t len = strlen(path);
    int h5 = (len > 3 && !strcmp(path + len - 3, ".h5")) ||
             (len > 4 && (!strcmp(path + len - 4, ".nxs") || !strcmp(path + len - 4, ".hdf")));
    double smp[2];
    bf_potential_grid(pot, NULL, smp);
    double *dz = malloc((ns ? ns : 1) * sizeof *dz);
    if (!st && !dz)
        st = bf__error_set(BF_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < ns; i++)
        dz[i] = bf_potential_slice_thickness(pot, i);
    if (!st)
        st = h5 ? bf__ms_write_potential_nexus(path, j->text, v, ns, g, smp, dz)
                : bf__ms_npy_write(path, "<f4", 3, shape, v);
    free(dz);
done:
    free(v);
    bf_potential_workspace_destroy(ws);
    bf_potential_destroy(pot);
    bf_atoms_destroy(atoms);
    return st;
}
