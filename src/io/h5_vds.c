/* Virtual datasets resolved to their sources, so that a VDS over LZ4 / bitshuffle files (a Bliss
 * scan file, a Dectris or LIMA stack stitched by h5py) reads through the raw-chunk fast path.
 *
 * Only the simple, common shape is taken: every mapping selects a box of whole frames in the
 * virtual dataset and a box of as many whole frames in its source, and the mappings tile frames
 * [0, nframes) in order. Anything else (printf-style or unlimited mappings, strided or partial
 * selections, overlaps, gaps that HDF5 would fill) returns BF_EUNSUPPORTED and the dataset is
 * read with H5Dread, which implements the whole VDS semantics. */
#include "io/h5_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/error.h"

/* Frames [*first, *first + *count) if selection sp is a box of whole h x w frames. */
static int frame_box(hid_t sp, size_t h, size_t w, size_t *first, size_t *count)
{
    hsize_t start[3] = {0}, end[3] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    if ((rank != 3 && rank != 2) || H5Sget_select_bounds(sp, start, end) < 0)
        return -1;
    hssize_t npoints = H5Sget_select_npoints(sp);
    if (rank == 2) {
        start[2] = start[1], end[2] = end[1], start[1] = start[0], end[1] = end[0];
        start[0] = end[0] = 0;
    }
    size_t n = (size_t)(end[0] - start[0] + 1);
    if (start[1] != 0 || start[2] != 0 || end[1] + 1 != h || end[2] + 1 != w || npoints < 0 ||
        (size_t)npoints != n * h * w)
        return -1;
    *first = (size_t)start[0];
    *count = n;
    return 0;
}

static char *get_name(hid_t dcpl, size_t i, int file)
{
    ssize_t n = file ? H5Pget_virtual_filename(dcpl, i, NULL, 0)
                     : H5Pget_virtual_dsetname(dcpl, i, NULL, 0);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s && (file ? H5Pget_virtual_filename(dcpl, i, s, (size_t)n + 1)
                   : H5Pget_virtual_dsetname(dcpl, i, s, (size_t)n + 1)) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

/* "." is the VDS's own file; a relative name is looked up beside the VDS file, then as given. */
static char *resolve(const char *name, const char *vds_file)
{
    if (strcmp(name, ".") == 0)
        return NULL;
    if (name[0] != '/') {
        const char *slash = strrchr(vds_file, '/');
        if (slash) {
            size_t n = (size_t)(slash - vds_file) + 1 + strlen(name) + 1;
            char *p = malloc(n);
            if (p) {
                snprintf(p, n, "%.*s/%s", (int)(slash - vds_file), vds_file, name);
                if (access(p, R_OK) == 0)
                    return p;
                free(p);
            }
        }
    }
    return strdup(name);
}

static int cmp_vstart(const void *a, const void *b)
{
    const bf__vds_map *x = a, *y = b;
    return x->vstart < y->vstart ? -1 : x->vstart > y->vstart;
}

void bf__h5_vds_free(bf__vds_map *maps, size_t n)
{
    for (size_t i = 0; maps && i < n; i++) {
        free(maps[i].file);
        free(maps[i].dset);
    }
    free(maps);
}

bf_status bf__h5_vds_mappings(int64_t dcpl_id, size_t nframes, size_t h, size_t w,
                              const char *vds_file, bf__vds_map **maps, size_t *nmaps)
{
    hid_t dcpl = (hid_t)dcpl_id;
    size_t n = 0;
    *maps = NULL;
    *nmaps = 0;
    if (H5Pget_virtual_count(dcpl, &n) < 0 || n == 0 || n > 1000000)
        return BF_EUNSUPPORTED;
    bf__vds_map *m = calloc(n, sizeof *m);
    if (!m)
        return BF_ENOMEM;
    bf_status st = BF_OK;
    for (size_t i = 0; i < n && st == BF_OK; i++) {
        hid_t vs = H5Pget_virtual_vspace(dcpl, i), ss = H5Pget_virtual_srcspace(dcpl, i);
        size_t vcount = 0, scount = 0;
        char *fname = get_name(dcpl, i, 1);
        m[i].dset = get_name(dcpl, i, 0);
        /* an "all" source selection carries no extent: the whole source, checked on opening */
        int all = ss >= 0 && H5Sget_select_type(ss) == H5S_SEL_ALL;
        if (vs < 0 || ss < 0 || !fname || !m[i].dset ||
            frame_box(vs, h, w, &m[i].vstart, &vcount) != 0 ||
            (!all && (frame_box(ss, h, w, &m[i].sstart, &scount) != 0 || vcount != scount)))
            st = BF_EUNSUPPORTED;
        m[i].count = vcount;
        if (st == BF_OK)
            m[i].file = resolve(fname, vds_file);
        free(fname);
        if (vs >= 0)
            H5Sclose(vs);
        if (ss >= 0)
            H5Sclose(ss);
    }
    if (st == BF_OK) {
        qsort(m, n, sizeof *m, cmp_vstart);
        size_t next = 0;
        for (size_t i = 0; i < n && st == BF_OK; i++) {
            if (m[i].vstart != next)
                st = BF_EUNSUPPORTED; /* a gap (fill values) or an overlap */
            next = m[i].vstart + m[i].count;
        }
        if (next != nframes)
            st = BF_EUNSUPPORTED;
    }
    if (st != BF_OK) {
        bf__h5_vds_free(m, n);
        return st;
    }
    *maps = m;
    *nmaps = n;
    return BF_OK;
}
