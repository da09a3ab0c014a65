/* NXazint1d / NXazint2d files (see include/beamflow/nexus.h). Layout:
 *
 *   /                       @default = "entry"
 *   /entry          NXentry @default = "data"; definition = NXazint1d | NXazint2d
 *     instrument    NXinstrument / monochromator NXmonochromator (wavelength Å, energy keV)
 *     reduction     NXprocess: program, version, date, note;
 *       input       NXparameters: poni, wavelength, radial_bins, azimuth_bins, unit, method,
 *                   error_model, polarization_factor, solid_angle, mask
 *     data          NXdata @signal = I, @axes = [".", ("azimuthal_axis",) "radial_axis"]:
 *                   I, I_errors, radial_axis(+_edges), azimuthal_axis(+_edges)
 *
 * The file is written under a temporary name and renamed on commit, so a reader or a resumed job
 * never sees a partial result. Edges assume uniform bins, as pyFAI's are. */
#include "beamflow/nexus.h"

#include "core/error.h"
#include "io/io_internal.h"
#include "nexus/nx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beamflow/beamflow.h"

struct bf_azint_writer {
    char path[4096], tmp[4200];
    hid_t file, I, sigma;
    size_t frames, row;
};

static const struct {
    const char *pyfai, *units, *long_name;
} unit_table[] = {
    {"2th_deg", "degrees", "2θ"},   {"2th_rad", "rad", "2θ"},       {"q_nm^-1", "1/nm", "q"},
    {"q_A^-1", "1/angstrom", "q"}, {"r_mm", "mm", "r"},           {"chi_deg", "degrees", "χ"},
};

bf_status bf_azint_unit_names(const char *radial_unit, const char **units, const char **long_name)
{
    for (size_t i = 0; i < sizeof unit_table / sizeof unit_table[0]; i++)
        if (radial_unit && strcmp(radial_unit, unit_table[i].pyfai) == 0) {
            *units = unit_table[i].units;
            *long_name = unit_table[i].long_name;
            return BF_OK;
        }
    return bf__error_set(BF_EINVAL, "unknown radial unit '%s' (expected 2th_deg, 2th_rad, "
                                    "q_nm^-1, q_A^-1 or r_mm)", radial_unit ? radial_unit : "");
}

/* centres and their edges (n + 1) for uniform bins */
static bf_status axis_with_edges(hid_t g, const char *name, const double *c, size_t n,
                                 const char *units, const char *long_name)
{
    hsize_t dims[1] = {n}, edims[1] = {n + 1};
    bf_status st = bf__nx_array(g, name, H5T_NATIVE_DOUBLE, 1, dims, c, units, long_name);
    if (st)
        return st;
    double *e = malloc((n + 1) * sizeof *e);
    if (!e)
        return bf__error_set(BF_ENOMEM, "out of memory for bin edges");
    double w = n > 1 ? c[1] - c[0] : 1.0;
    for (size_t i = 0; i < n; i++)
        e[i] = c[i] - 0.5 * w;
    e[n] = c[n - 1] + 0.5 * w;
    char ename[64];
    snprintf(ename, sizeof ename, "%s_edges", name);
    st = bf__nx_array(g, ename, H5T_NATIVE_DOUBLE, 1, edims, e, units, "bin edges");
    free(e);
    return st;
}

static bf_status write_parameters(hid_t entry, const bf_azint_info *in)
{
    hid_t proc = -1, input = -1, instr = -1, mono = -1;
    char now[64];
    bf__nx_now(now, sizeof now);
    double wl_A = in->wavelength_m * 1e10;
    bf_status st;
    if ((st = bf__nx_group(entry, "instrument", "NXinstrument", &instr)) ||
        (st = bf__nx_group(instr, "monochromator", "NXmonochromator", &mono)))
        goto done;
    if (in->wavelength_m > 0 &&
        ((st = bf__nx_double(mono, "wavelength", wl_A, "angstrom")) ||
         (st = bf__nx_double(mono, "energy", 12.398419843320026 / wl_A, "keV"))))
        goto done;
    if ((st = bf__nx_group(entry, "reduction", "NXprocess", &proc)) ||
        (st = bf__nx_string(proc, "program", "beamflow")) ||
        (st = bf__nx_string(proc, "version", BEAMFLOW_VERSION)) ||
        (st = bf__nx_string(proc, "date", now)) ||
        (st = bf__nx_string(proc, "note", "Geometry and units follow pyFAI 0.21: chi is the "
                                          "azimuth in degrees, 2th/q/r the radial unit.")) ||
        (st = bf__nx_group(proc, "input", "NXparameters", &input)))
        goto done;
    if ((in->poni && (st = bf__nx_string(input, "poni", in->poni))) ||
        (in->poni_file && (st = bf__nx_string(input, "poni_file", in->poni_file))) ||
        (in->wavelength_m > 0 && (st = bf__nx_double(input, "wavelength", wl_A, "angstrom"))) ||
        (st = bf__nx_int(input, "radial_bins", (int64_t)in->npt_rad)) ||
        (st = bf__nx_int(input, "azimuth_bins", in->npt_azim ? (int64_t)in->npt_azim : 1)) ||
        (st = bf__nx_string(input, "unit", in->radial_unit)) ||
        (st = bf__nx_string(input, "method", in->method ? in->method : "")) ||
        (st = bf__nx_string(input, "error_model", in->error_model ? in->error_model : "none")) ||
        (st = bf__nx_double(input, "polarization_factor",
                            isnan(in->polarization_factor) ? 0.0 : in->polarization_factor, NULL)) ||
        (st = bf__nx_bool(input, "polarization_applied", !isnan(in->polarization_factor))) ||
        (st = bf__nx_bool(input, "solid_angle", in->solid_angle)) ||
        (st = bf__nx_string(input, "mask", in->mask ? in->mask : "None")) ||
        (in->source && (st = bf__nx_string(input, "source", in->source))))
        goto done;
done:
    if (input >= 0) H5Gclose(input);
    if (proc >= 0) H5Gclose(proc);
    if (mono >= 0) H5Gclose(mono);
    if (instr >= 0) H5Gclose(instr);
    return st;
}

static bf_status write_layout(bf_azint_writer *w, const bf_azint_info *in)
{
    const char *units, *long_name;
    bf_status st = bf_azint_unit_names(in->radial_unit, &units, &long_name);
    if (st)
        return st;
    hid_t entry = -1, data = -1;
    bool cake = in->npt_azim > 0;
    if ((st = bf__nx_attr_string(w->file, "default", "entry")) ||
        (st = bf__nx_attr_string(w->file, "creator", "beamflow " BEAMFLOW_VERSION)) ||
        (st = bf__nx_group(w->file, "entry", "NXentry", &entry)) ||
        (st = bf__nx_attr_string(entry, "default", "data")) ||
        (st = bf__nx_string(entry, "definition", cake ? "NXazint2d" : "NXazint1d")) ||
        (st = write_parameters(entry, in)) ||
        (st = bf__nx_group(entry, "data", "NXdata", &data)) ||
        (st = bf__nx_attr_string(data, "signal", "I")) ||
        (st = axis_with_edges(data, "radial_axis", in->radial, in->npt_rad, units, long_name)))
        goto done;
    const char *axes1[] = {".", "radial_axis"}, *axes2[] = {".", "azimuthal_axis", "radial_axis"};
    if ((st = bf__nx_attr_strings(data, "axes", cake ? axes2 : axes1, cake ? 3 : 2)) ||
        (st = bf__nx_attr_string(data, "interpretation", cake ? "image" : "spectrum")))
        goto done;
    if (cake && (st = axis_with_edges(data, "azimuthal_axis", in->azimuthal, in->npt_azim,
                                      "degrees", "χ")))
        goto done;
    hsize_t dims[3] = {in->frames, cake ? in->npt_azim : in->npt_rad, in->npt_rad};
    if ((st = bf__nx_rows_create(data, "I", H5T_NATIVE_FLOAT, cake ? 3 : 2, dims,
                                 "arbitrary units", "intensity", &w->I)) ||
        (st = bf__nx_rows_create(data, "I_errors", H5T_NATIVE_FLOAT, cake ? 3 : 2, dims,
                                 "arbitrary units", "estimated errors on intensity", &w->sigma)))
        goto done;
done:
    if (data >= 0) H5Gclose(data);
    if (entry >= 0) H5Gclose(entry);
    return st;
}

/* Close everything; false if the file could not be written out completely. */
static bool close_all(bf_azint_writer *w)
{
    herr_t rc = 0;
    if (w->I >= 0) rc |= H5Dclose(w->I);
    if (w->sigma >= 0) rc |= H5Dclose(w->sigma);
    if (w->file >= 0) rc |= H5Fclose(w->file);
    w->I = w->sigma = w->file = -1;
    return rc >= 0;
}

static bf_status create(const char *path, const bf_azint_info *info, bf_azint_writer **out)
{
    *out = NULL;
    if (!info->radial || info->npt_rad == 0 || info->frames == 0 ||
        (info->npt_azim > 0 && !info->azimuthal))
        return bf__error_set(BF_EINVAL, "%s: integration results need frames, radial bins and "
                                        "their centres", path);
    bf_azint_writer *w = calloc(1, sizeof *w);
    if (!w)
        return bf__error_set(BF_ENOMEM, "out of memory");
    w->I = w->sigma = -1;
    w->frames = info->frames;
    snprintf(w->path, sizeof w->path, "%s", path);
    bf_file_temp_name(path, w->tmp, sizeof w->tmp);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        bf_status st = bf__error_set(BF_EIO, "%s: cannot create the HDF5 file", w->tmp);
        free(w);
        return st;
    }
    bf_status st = write_layout(w, info);
    if (st) {
        bf__error_prefix(st, "%s: ", path);
        close_all(w);
        remove(w->tmp);
        free(w);
        return st;
    }
    *out = w;
    return BF_OK;
}

/* Every HDF5 call goes through io's lock, so that a fork never copies it held. */
bf_status bf_azint_writer_create(const char *path, const bf_azint_info *info, bf_azint_writer **out)
{
    bf__h5_lock();
    bf_status st = create(path, info, out);
    bf__h5_unlock();
    return st;
}

bf_status bf_azint_writer_put(bf_azint_writer *w, size_t first, size_t count, const float *I,
                              const float *sigma)
{
    bf__h5_lock();
    bf_status st = bf__nx_write_rows(w->I, H5T_NATIVE_FLOAT, first, count, I);
    if (st == BF_OK && sigma)
        st = bf__nx_write_rows(w->sigma, H5T_NATIVE_FLOAT, first, count, sigma);
    bf__h5_unlock();
    if (st)
        return bf__error_prefix(st, "%s: ", w->path);
    w->row += count;
    return BF_OK;
}

bf_status bf_azint_writer_commit(bf_azint_writer *w)
{
    if (w->row < w->frames)
        return bf__error_set(BF_EINVAL, "%s: only %zu of %zu frames were written", w->path,
                             w->row, w->frames);
    bf__h5_lock();
    bool closed = close_all(w);
    bf__h5_unlock();
    if (!closed)
        return bf__error_set(BF_EIO, "%s: HDF5 could not finish writing the file", w->tmp);
    bf_status st = bf_file_commit(w->tmp, w->path);
    if (st == BF_OK)
        w->tmp[0] = '\0';
    return st;
}

void bf_azint_writer_destroy(bf_azint_writer *w)
{
    if (!w)
        return;
    bf__h5_lock();
    close_all(w);
    bf__h5_unlock();
    if (w->tmp[0])
        remove(w->tmp);
    free(w);
}

static bf_status read_floats(hid_t file, const char *path, const char *name, float *v, size_t n)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        return bf__error_set(BF_ENOTFOUND, "%s: no dataset %s", path, name);
    hid_t space = H5Dget_space(d);
    hssize_t have = H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
    bf_status st = BF_OK;
    if (have < 0 || (size_t)have != n)
        st = bf__error_set(BF_EINVAL, "%s: %s holds %lld values, expected %zu", path, name,
                           (long long)have, n);
    else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        st = bf__error_set(BF_EIO, "%s: cannot read %s", path, name);
    H5Dclose(d);
    return st;
}

bf_status bf_azint_read(const char *path, float *I, float *sigma, size_t n)
{
    bf__h5_lock();
    bf_status st;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        st = bf__error_set(BF_EIO, "%s: cannot open as HDF5", path);
    } else {
        st = read_floats(f, path, "/entry/data/I", I, n);
        if (st == BF_OK && sigma)
            st = read_floats(f, path, "/entry/data/I_errors", sigma, n);
        H5Fclose(f);
    }
    bf__h5_unlock();
    return st;
}
