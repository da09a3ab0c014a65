/* NeXus-over-HDF5 helpers (see nx.h). Names of objects are passed through to messages so that a
 * failure says which field of which file could not be written. */
#include "nexus/nx.h"

#include "io/io_internal.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bf_status fail(const char *what, const char *name)
{
    return bf__error_set(BF_EIO, "HDF5: cannot write %s '%s'", what, name);
}

bf_status bf__nx_group(hid_t parent, const char *name, const char *nx_class, hid_t *out)
{
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return fail("group", name);
    bf_status st = bf__nx_attr_string(g, "NX_class", nx_class);
    if (st) {
        H5Gclose(g);
        return st;
    }
    *out = g;
    return BF_OK;
}

static hid_t string_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len > 0 ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

bf_status bf__nx_attr_string(hid_t obj, const char *name, const char *value)
{
    /* variable-length UTF-8, as h5py writes str attributes, so readers get str back, not bytes */
    return bf__nx_attr_strings(obj, name, &value, 0);
}

bf_status bf__nx_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dims[1] = {n};
    hid_t s = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, values);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc < 0 ? fail("attribute", name) : BF_OK;
}

bf_status bf__nx_attr_double(hid_t obj, const char *name, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_NATIVE_DOUBLE, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return rc < 0 ? fail("attribute", name) : BF_OK;
}

static bf_status scalar(hid_t parent, const char *name, hid_t type, const void *value,
                        const char *units)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(parent, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value);
    bf_status st = rc < 0 ? fail("field", name) : BF_OK;
    if (st == BF_OK && units)
        st = bf__nx_attr_string(d, "units", units);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(s);
    return st;
}

bf_status bf__nx_string(hid_t parent, const char *name, const char *value)
{
    hid_t t = string_type(strlen(value));
    bf_status st = scalar(parent, name, t, value, NULL);
    H5Tclose(t);
    return st;
}

bf_status bf__nx_double(hid_t parent, const char *name, double value, const char *units)
{
    return scalar(parent, name, H5T_NATIVE_DOUBLE, &value, units);
}

bf_status bf__nx_int(hid_t parent, const char *name, int64_t value)
{
    return scalar(parent, name, H5T_NATIVE_INT64, &value, NULL);
}

bf_status bf__nx_bool(hid_t parent, const char *name, int value)
{
    /* NeXus NX_BOOLEAN: HDF5 has no boolean; h5py writes numpy bools as an enum, readers accept
     * an 8-bit integer 0/1 as well */
    int8_t v = value ? 1 : 0;
    return scalar(parent, name, H5T_NATIVE_INT8, &v, NULL);
}

static bf_status describe(hid_t d, const char *units, const char *long_name)
{
    bf_status st = BF_OK;
    if (units)
        st = bf__nx_attr_string(d, "units", units);
    if (st == BF_OK && long_name)
        st = bf__nx_attr_string(d, "long_name", long_name);
    return st;
}

bf_status bf__nx_array(hid_t parent, const char *name, hid_t type, int rank, const hsize_t *dims,
                       const void *data, const char *units, const char *long_name)
{
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (total * H5Tget_size(type) > (1u << 20) && rank <= 8) {
        hsize_t chunk[8];
        for (int i = 0; i < rank; i++)
            chunk[i] = i == 0 ? 1 : dims[i];
        if (rank == 1)
            chunk[0] = dims[0] < 262144 ? dims[0] : 262144;
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t d = H5Dcreate2(parent, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    bf_status st = rc < 0 ? fail("dataset", name) : describe(d, units, long_name);
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
    return st;
}

bf_status bf__nx_rows_create(hid_t parent, const char *name, hid_t type, int rank,
                             const hsize_t *dims, const char *units, const char *long_name,
                             hid_t *out)
{
    if (rank < 1 || rank > 8)
        return bf__error_set(BF_EINVAL, "dataset '%s': rank %d", name, rank);
    hsize_t chunk[8];
    for (int i = 0; i < rank; i++)
        chunk[i] = i == 0 ? 1 : dims[i];
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    hid_t d = H5Dcreate2(parent, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(s);
    if (d < 0)
        return fail("dataset", name);
    bf_status st = describe(d, units, long_name);
    if (st) {
        H5Dclose(d);
        return st;
    }
    *out = d;
    return BF_OK;
}

bf_status bf__nx_write_rows(hid_t dset, hid_t type, hsize_t first, hsize_t count, const void *data)
{
    hid_t fs = H5Dget_space(dset);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[8], start[8] = {0}, block[8];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    if (rank < 1 || first + count > dims[0]) {
        H5Sclose(fs);
        return bf__error_set(BF_EINVAL, "rows %llu-%llu are outside a dataset of %llu rows",
                             (unsigned long long)first, (unsigned long long)(first + count),
                             (unsigned long long)dims[0]);
    }
    for (int i = 0; i < rank; i++)
        block[i] = dims[i];
    start[0] = first;
    block[0] = count;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, block, NULL);
    hid_t ms = H5Screate_simple(rank, block, NULL);
    herr_t rc = H5Dwrite(dset, type, ms, fs, H5P_DEFAULT, data);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0 ? bf__error_set(BF_EIO, "HDF5: cannot write rows %llu-%llu",
                                  (unsigned long long)first, (unsigned long long)(first + count))
                  : BF_OK;
}

hid_t bf__nx_begin(const char *path, char *tmp, size_t n)
{
    bf_file_temp_name(path, tmp, n);
    bf__h5_lock();
    return H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

bf_status bf__nx_finish(hid_t file, int ok, const char *tmp, const char *path)
{
    if (file < 0 || H5Fclose(file) < 0)
        ok = 0;
    bf__h5_unlock();
    if (!ok) {
        remove(tmp);
        return bf__error_set(BF_EIO, "%s: writing the NeXus file failed", path);
    }
    return bf_file_commit(tmp, path);
}

void bf__nx_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S%z", &tm);
}
