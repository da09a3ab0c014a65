/* NeXus/HDF5 output of a plane-wave or probe run, readable by h5py and silx:
 *   /entry (NXentry): program_name, job (the job file text), energy (eV)
 *   /entry/exit_wave (NXdata): exit_wave complex64 as the compound {r, i} h5py reads as
 *       complex, (config, x, y) or (x, y); axes config, x, y (x, y in angstrom)
 *   /entry/intensity (NXdata): mean |ψ|² (x, y), axes x, y
 *   /entry/image (NXdata): the image through the CTF, when the job has one
 *   /entry/diffraction (NXdata): the pattern, axes kx, ky in 1/angstrom, when computed
 * The file is written under a temporary name and committed whole, under io's HDF5 lock (which
 * also keeps HDF5 from printing), with src/nexus's field writers. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/job_internal.h"
#include "ms/ms_result.h"
#include "nexus/nx.h"

/* Boolean shorthands over src/nexus's helpers, so a group reads as one chain of fields. */
static int attr_string(hid_t obj, const char *name, const char *value)
{
    return bf__nx_attr_string(obj, name, value) == BF_OK;
}

static int attr_strings(hid_t obj, const char *name, const char *const *v, size_t n)
{
    return bf__nx_attr_strings(obj, name, v, n) == BF_OK;
}

static int string_dataset(hid_t g, const char *name, const char *value)
{
    return bf__nx_string(g, name, value) == BF_OK;
}

static int dataset(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims,
                   const void *data, const char *units)
{
    return bf__nx_array(g, name, type, rank, dims, data, units, NULL) == BF_OK;
}

static hid_t group(hid_t parent, const char *name, const char *nxclass)
{
    hid_t g = -1;
    return bf__nx_group(parent, name, nxclass, &g) == BF_OK ? g : -1;
}

/* An axis of n points: i * step (real space) or centred frequencies (fft-shifted). */
static int axis(hid_t g, const char *name, size_t n, double step, int centred, const char *units)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return 0;
    for (size_t i = 0; i < n; i++)
        v[i] = centred ? ((double)i - (double)(n / 2)) * step : (double)i * step;
    hsize_t d = n;
    int ok = dataset(g, name, H5T_NATIVE_DOUBLE, 1, &d, v, units);
    free(v);
    return ok;
}

static int image_group(hid_t entry, const char *name, const float *data, const bf_ms_result *r)
{
    hid_t g = group(entry, name, "NXdata");
    if (g < 0)
        return 0;
    static const char *const axes[2] = {"x", "y"};
    hsize_t d[2] = {(hsize_t)r->gpts[0], (hsize_t)r->gpts[1]};
    int ok = attr_string(g, "signal", name) && attr_strings(g, "axes", axes, 2) &&
             dataset(g, name, H5T_NATIVE_FLOAT, 2, d, data, NULL) &&
             axis(g, "x", d[0], r->sampling[0], 0, "angstrom") &&
             axis(g, "y", d[1], r->sampling[1], 0, "angstrom");
    H5Gclose(g);
    return ok;
}

static int exit_group(hid_t entry, const bf_ms_result *r)
{
    hid_t g = group(entry, "exit_wave", "NXdata");
    if (g < 0)
        return 0;
    hid_t ct = H5Tcreate(H5T_COMPOUND, 2 * sizeof(float));
    H5Tinsert(ct, "r", 0, H5T_NATIVE_FLOAT);
    H5Tinsert(ct, "i", sizeof(float), H5T_NATIVE_FLOAT);
    int one = r->configs == 1;
    static const char *const axes3[3] = {"config", "x", "y"};
    hsize_t d[3] = {(hsize_t)r->configs, (hsize_t)r->gpts[0], (hsize_t)r->gpts[1]};
    int ok = attr_string(g, "signal", "exit_wave") &&
             attr_strings(g, "axes", one ? axes3 + 1 : axes3, one ? 2 : 3) &&
             dataset(g, "exit_wave", ct, one ? 2 : 3, one ? d + 1 : d, r->exit, NULL) &&
             axis(g, "x", d[1], r->sampling[0], 0, "angstrom") &&
             axis(g, "y", d[2], r->sampling[1], 0, "angstrom") &&
             (one || axis(g, "config", d[0], 1.0, 0, NULL));
    H5Tclose(ct);
    H5Gclose(g);
    return ok;
}

static int diffraction_group(hid_t entry, const bf_ms_result *r)
{
    hid_t g = group(entry, "diffraction", "NXdata");
    if (g < 0)
        return 0;
    static const char *const axes[2] = {"kx", "ky"};
    hsize_t d[2] = {(hsize_t)r->dshape[0], (hsize_t)r->dshape[1]};
    int ok = attr_string(g, "signal", "diffraction") && attr_strings(g, "axes", axes, 2) &&
             dataset(g, "diffraction", H5T_NATIVE_FLOAT, 2, d, r->diffraction, NULL) &&
             axis(g, "kx", d[0], 1.0 / (r->gpts[0] * r->sampling[0]), 1, "1/angstrom") &&
             axis(g, "ky", d[1], 1.0 / (r->gpts[1] * r->sampling[1]), 1, "1/angstrom");
    H5Gclose(g);
    return ok;
}

bf_status bf__ms_write_nexus(const bf_ms_job *j, const bf_ms_result *r, const char *path)
{
    char tmp[4096];
    hid_t f = bf__nx_begin(path, tmp, sizeof tmp);
    int ok = f >= 0;
    hid_t e = ok ? group(f, "entry", "NXentry") : -1;
    ok = e >= 0 && attr_string(f, "default", "entry") && attr_string(e, "default", "intensity");
    if (ok) {
        hsize_t one = 1;
        ok = string_dataset(e, "job", j->text) && string_dataset(e, "program_name", "beamflow") &&
             dataset(e, "energy", H5T_NATIVE_DOUBLE, 1, &one, &j->energy, "eV") &&
             exit_group(e, r) && image_group(e, "intensity", r->mean_intensity, r) &&
             (!r->image || image_group(e, "image", r->image, r)) &&
             (!r->diffraction || diffraction_group(e, r));
    }
    if (e >= 0)
        H5Gclose(e);
    return bf__nx_finish(f, ok, tmp, path);
}

bf_status bf__ms_write_potential_nexus(const char *path, const char *job_text, const float *v,
                                       size_t ns, const int gpts[2], const double sampling[2],
                                       const double *dz)
{
    char tmp[4096];
    hid_t f = bf__nx_begin(path, tmp, sizeof tmp);
    hid_t e = f >= 0 ? group(f, "entry", "NXentry") : -1;
    hid_t g = e >= 0 ? group(e, "potential", "NXdata") : -1;
    int ok = g >= 0 && attr_string(f, "default", "entry") && attr_string(e, "default", "potential");
    double *zc = malloc((ns ? ns : 1) * sizeof *zc);
    if (ok && zc) {
        double z = 0.0;
        for (size_t i = 0; i < ns; i++) {
            zc[i] = z + 0.5 * dz[i]; /* slice centres */
            z += dz[i];
        }
        static const char *const axes[3] = {"z", "x", "y"};
        hsize_t d[3] = {ns, (hsize_t)gpts[0], (hsize_t)gpts[1]};
        ok = string_dataset(e, "job", job_text) && string_dataset(e, "program_name", "beamflow") &&
             attr_string(g, "signal", "potential") && attr_strings(g, "axes", axes, 3) &&
             dataset(g, "potential", H5T_NATIVE_FLOAT, 3, d, v, "V*angstrom") &&
             dataset(g, "z", H5T_NATIVE_DOUBLE, 1, d, zc, "angstrom") &&
             dataset(g, "slice_thickness", H5T_NATIVE_DOUBLE, 1, d, dz, "angstrom") &&
             axis(g, "x", d[1], sampling[0], 0, "angstrom") &&
             axis(g, "y", d[2], sampling[1], 0, "angstrom");
    } else {
        ok = 0;
    }
    free(zc);
    if (g >= 0)
        H5Gclose(g);
    if (e >= 0)
        H5Gclose(e);
    return bf__nx_finish(f, ok, tmp, path);
}
