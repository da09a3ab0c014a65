/* Library-internal helpers for writing NeXus over HDF5: groups with an NX_class, datasets with
 * units and long names, string and scalar fields, and the @default chain that lets silx and
 * h5py users see the data at once. Every call returns bf_status with the file and object named.
 * Callers hold io's HDF5 lock (bf__h5_lock), which also silences HDF5's own error printing. */
#ifndef BF_NEXUS_NX_H
#define BF_NEXUS_NX_H

#include <hdf5.h>

#include "beamflow/core.h"

/* A group with @NX_class; *out must be closed with H5Gclose. */
bf_status bf__nx_group(hid_t parent, const char *name, const char *nx_class, hid_t *out);

/* Attribute helpers on any object. Strings are variable-length UTF-8; bf__nx_attr_strings with
 * n == 0 writes one scalar string (values[0]). */
bf_status bf__nx_attr_string(hid_t obj, const char *name, const char *value);
bf_status bf__nx_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n);
bf_status bf__nx_attr_double(hid_t obj, const char *name, double value);

/* A scalar string / number / boolean field, with units when not NULL. */
bf_status bf__nx_string(hid_t parent, const char *name, const char *value);
bf_status bf__nx_double(hid_t parent, const char *name, double value, const char *units);
bf_status bf__nx_int(hid_t parent, const char *name, int64_t value);
bf_status bf__nx_bool(hid_t parent, const char *name, int value);

/* A whole array of type (H5T_NATIVE_DOUBLE, _FLOAT, ...) with units and long_name (either may be
 * NULL), compressed with deflate when it is large. */
bf_status bf__nx_array(hid_t parent, const char *name, hid_t type, int rank, const hsize_t *dims,
                       const void *data, const char *units, const char *long_name);

/* A dataset of rank dims, chunked by one leading slice, to be filled with bf__nx_write_rows. */
bf_status bf__nx_rows_create(hid_t parent, const char *name, hid_t type, int rank,
                             const hsize_t *dims, const char *units, const char *long_name,
                             hid_t *out);
/* Write count leading slices starting at first. */
bf_status bf__nx_write_rows(hid_t dset, hid_t type, hsize_t first, hsize_t count,
                            const void *data);

/* A file written in one go: bf__nx_begin takes io's HDF5 lock and creates path's temporary
 * name (tmp, n bytes) and returns the file (negative on failure, still locked); bf__nx_finish
 * closes it, releases the lock, and commits it to path when ok, else removes it. */
hid_t bf__nx_begin(const char *path, char *tmp, size_t n);
bf_status bf__nx_finish(hid_t file, int ok, const char *tmp, const char *path);

/* The current time as ISO 8601 with the time zone, for NeXus date fields. */
void bf__nx_now(char *buf, size_t n);

#endif
