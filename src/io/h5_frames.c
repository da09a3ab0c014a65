/* Opening an HDF5 frame dataset: address parsing, detection of the ESRF/LIMA and Dectris NeXus
 * layouts, dtype/shape/filter checks and one pass over the chunk index (H5Dget_chunk_info_by_coord:
 * file offset, stored size, filter mask), all under the HDF5 lock. Reading is in h5_read.c.
 *
 * A part takes the fast path when it is little-endian, in a file on the default (sec2) driver,
 * and either contiguous or chunked with whole frames per chunk and no filter, LZ4 alone or
 * bitshuffle+LZ4 alone. A virtual dataset whose mappings are whole-frame boxes becomes one part
 * per source (h5_vds.c). Anything else (other filters, frames split over chunks, big-endian data,
 * other VDS layouts) reads through H5Dread. */
#include "io/h5_frames.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/error.h"

#define MAX_PARTS 100000

static char *dup_printf(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b);
    return s;
}

/* Does path exist as a link chain from the root? (H5Lexists fails on a missing parent.) */
static int path_exists(hid_t fid, const char *path)
{
    char buf[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (H5Lexists(fid, buf, H5P_DEFAULT) <= 0)
                return 0;
            buf[i] = c;
        }
    }
    return H5Oexists_by_name(fid, path, H5P_DEFAULT) > 0;
}

typedef struct name_list {
    char **names;
    size_t n, cap;
    int overflow;
    const char *group; /* where collect_data_links is looking */
} name_list;

static int push_name(name_list *l, const char *name)
{
    if (l->n == MAX_PARTS) {
        l->overflow = 1;
        return -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **nn = realloc(l->names, cap * sizeof *nn);
        if (!nn)
            return -1;
        l->names = nn;
        l->cap = cap;
    }
    if (!(l->names[l->n] = strdup(name)))
        return -1;
    l->n++;
    return 0;
}

static void free_names(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
}

static herr_t collect_data_links(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    name_list *l = op;
    (void)g;
    (void)info;
    if (strncmp(name, "data_", 5) == 0 && strlen(name) > 5) {
        char full[1200];
        snprintf(full, sizeof full, "%s/%s", strcmp(l->group, "/") ? l->group : "", name);
        if (push_name(l, full) != 0)
            return -1;
    }
    return 0;
}

/* Inside a NeXus NXdata-like group: its data_NNNNNN links (Dectris), else its "data". Returns
 * BF_ENOTFOUND without a message when neither is there. */
static bf_status detect_in_group(hid_t fid, const char *file, const char *group, name_list *names)
{
    hsize_t idx = 0;
    char path[1200];
    names->group = group;
    if (H5Literate_by_name(fid, group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_data_links, names,
                           H5P_DEFAULT) < 0)
        return names->overflow ? bf__error_set(BF_EUNSUPPORTED, "%s: more than %d data_* links "
                                               "in %s", file, MAX_PARTS, group)
                               : bf__error_set(BF_ENOMEM, "%s: listing %s", file, group);
    if (names->n)
        return BF_OK;
    snprintf(path, sizeof path, "%s/data", strcmp(group, "/") ? group : "");
    if (path_exists(fid, path))
        return push_name(names, path) ? bf__error_set(BF_ENOMEM, "%s", file) : BF_OK;
    return BF_ENOTFOUND;
}

static int is_group(hid_t fid, const char *path)
{
    H5O_info_t oi;
    return path_exists(fid, path) && H5Oget_info_by_name(fid, path, &oi, H5P_DEFAULT) >= 0 &&
           oi.type == H5O_TYPE_GROUP;
}

static herr_t collect_3d(hid_t obj, const char *name, const H5O_info_t *info, void *op)
{
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    if (rank == 3) {
        char full[1024];
        snprintf(full, sizeof full, "/%s", name);
        if (push_name(op, full) != 0)
            return -1;
    }
    return 0;
}

/* Fill names with the dataset path(s) of the frames. Caller holds the lock. */
static bf_status detect(hid_t fid, const char *file, name_list *names)
{
    if (path_exists(fid, "/entry_0000/measurement/data"))
        return push_name(names, "/entry_0000/measurement/data") ? BF_ENOMEM : BF_OK;
    if (is_group(fid, "/entry/data")) {
        bf_status st = detect_in_group(fid, file, "/entry/data", names);
        if (st != BF_ENOTFOUND)
            return st;
    }
    if (H5Ovisit(fid, H5_INDEX_NAME, H5_ITER_INC, collect_3d, names) < 0)
        return bf__error_set(BF_EFORMAT, "%s: cannot walk the file's objects", file);
    if (names->n == 1)
        return BF_OK;
    if (names->n == 0)
        return bf__error_set(BF_ENOTFOUND, "%s: no frame dataset found (looked for "
                             "/entry_0000/measurement/data, /entry/data/data_*, /entry/data/data "
                             "and any 3D dataset); name one with file.h5::/path", file);
    return bf__error_set(BF_EINVAL, "%s: %zu 3D datasets (%s, %s%s); name one with "
                         "file.h5::/path", file, names->n, names->names[0], names->names[1],
                         names->n > 2 ? ", ..." : "");
}

/* Which fast codec, if any, the dataset's filter pipeline allows. */
static bf_codec pipeline_codec(hid_t dcpl, size_t elem_size)
{
    int nf = H5Pget_nfilters(dcpl);
    if (nf == 0)
        return BF_CODEC_NONE;
    if (nf != 1)
        return BF_CODEC_HDF5;
    unsigned flags = 0, cd[8] = {0};
    size_t ncd = 8;
    char fname[64];
    H5Z_filter_t id = H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, sizeof fname, fname, NULL);
    if (id == BF__H5Z_FILTER_LZ4)
        return BF_CODEC_LZ4;
    if (id == BF__H5Z_FILTER_BSHUF && ncd >= 5 && cd[4] == BF__BSHUF_LZ4 &&
        (cd[2] == 0 || cd[2] == elem_size))
        return BF_CODEC_BITSHUFFLE_LZ4;
    return BF_CODEC_HDF5;
}

/* A part read through H5Dread needs every filter of its pipeline available to HDF5 (built in or
 * found as a plugin): say so when the file is opened rather than at the first frame. */
static bf_status check_filters(hid_t dcpl, const char *name)
{
    int nf = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, cd[16];
        size_t ncd = 16;
        char fname[128] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname,
                                         fname, NULL);
        char *semi = strchr(fname, ';'); /* stored names can carry a long description */
        if (semi)
            *semi = '\0';
        if (id < 0 || H5Zfilter_avail(id) <= 0)
            return bf__error_set(BF_EUNSUPPORTED, "%s: HDF5 filter %d (%s) is not available; "
                                 "install its plugin (Debian: hdf5-filter-plugin, bitshuffle) or "
                                 "point HDF5_PLUGIN_PATH at it", name, (int)id,
                                 fname[0] ? fname : "unnamed");
    }
    return BF_OK;
}

/* Chunk index of a fast part: offsets, sizes, masks; the file's descriptor. A contiguous
 * dataset becomes one unfiltered "chunk" per frame. Chunk addresses are relative to the file's
 * base (the user block); H5Dget_offset already includes it. */
static bf_status index_chunks(bf__h5part *p, hid_t did, size_t frame_bytes, int contiguous)
{
    bf_status st = BF_OK;
    hid_t fid = H5Iget_file_id(did), fapl = -1, fcpl = -1;
    char fname[4096];
    hsize_t userblock = 0;
    if (fid < 0 || H5Fget_name(fid, fname, sizeof fname) <= 0 ||
        (fapl = H5Fget_access_plist(fid)) < 0 || (fcpl = H5Fget_create_plist(fid)) < 0 ||
        H5Pget_userblock(fcpl, &userblock) < 0) {
        st = bf__error_set(BF_EFORMAT, "%s: cannot query the file holding the dataset", p->name);
        goto done;
    }
    haddr_t base = contiguous ? H5Dget_offset(did) : 0;
    if (H5Pget_driver(fapl) != H5FD_SEC2 || base == HADDR_UNDEF) {
        p->codec = BF_CODEC_HDF5; /* offsets would not be plain file offsets, or no storage */
        goto done;
    }
    size_t end = p->skip + p->nframes;
    p->nchunks = contiguous ? end : (end + p->fpc - 1) / p->fpc;
    p->addr = calloc(p->nchunks ? p->nchunks : 1, sizeof *p->addr);
    p->size = calloc(p->nchunks ? p->nchunks : 1, sizeof *p->size);
    p->unfiltered = calloc(p->nchunks ? p->nchunks : 1, 1);
    if (!p->addr || !p->size || !p->unfiltered) {
        st = bf__error_set(BF_ENOMEM, "%s: chunk index of %zu chunks", p->name, p->nchunks);
        goto done;
    }
    for (size_t k = 0; k < p->nchunks; k++) {
        hsize_t off[3] = {(hsize_t)(k * p->fpc), 0, 0};
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t size = 0;
        if (contiguous) {
            addr = base + k * frame_bytes;
            size = frame_bytes;
        } else if (H5Dget_chunk_info_by_coord(did, p->rank == 2 ? off + 1 : off, &mask, &addr,
                                              &size) < 0) {
            st = bf__error_set(BF_EFORMAT, "%s: chunk index unreadable at frame %zu", p->name,
                               k * p->fpc);
            goto done;
        }
        p->addr[k] = addr == HADDR_UNDEF ? BF__CHUNK_MISSING
                                         : (uint64_t)addr + (contiguous ? 0 : userblock);
        p->size[k] = addr == HADDR_UNDEF ? 0 : (uint64_t)size;
        p->unfiltered[k] = (mask & 1u) != 0 || p->codec == BF_CODEC_NONE;
    }
    p->fd = open(fname, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0)
        st = bf__error_errno(BF_EIO, errno, "%s: cannot open %s for chunk reads", p->name, fname);
done:
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fid >= 0)
        H5Fclose(fid);
    return st;
}

/* Raw reads for a contiguous dataset or one chunked by whole frames with a codec of ours;
 * otherwise p->codec stays BF_CODEC_HDF5. */
static bf_status plan_fast_path(bf__h5part *p, hid_t did, hid_t dcpl, size_t frame_bytes,
                                size_t h, size_t w)
{
    hsize_t cdims[3] = {0, 0, 0};
    H5D_layout_t layout = H5Pget_layout(dcpl);
    if (layout == H5D_CHUNKED && H5Pget_chunk(dcpl, 3, cdims) == p->rank &&
        cdims[p->rank - 2] == h && cdims[p->rank - 1] == w) {
        p->fpc = p->rank == 3 ? (size_t)cdims[0] : 1;
        p->chunk_bytes = p->fpc * frame_bytes;
        p->codec = pipeline_codec(dcpl, frame_bytes / h / w);
        if (p->codec != BF_CODEC_HDF5 && p->fpc > 0 && p->chunk_bytes / p->fpc == frame_bytes)
            return index_chunks(p, did, frame_bytes, 0);
        p->codec = BF_CODEC_HDF5;
    } else if (layout == H5D_CONTIGUOUS && H5Pget_external_count(dcpl) == 0) {
        p->fpc = 1;
        p->chunk_bytes = frame_bytes;
        p->codec = BF_CODEC_NONE;
        return index_chunks(p, did, frame_bytes, 1);
    }
    return BF_OK;
}

/* Open dataset dset of file loc as part p, frames [skip, skip + count) of it (count SIZE_MAX:
 * all from skip); its dtype and shape go to info (first part) or must match it. */
static bf_status open_part(bf_h5frames *f, hid_t loc, const char *file, const char *dset,
                           size_t skip, size_t count, bf__h5part *p)
{
    bf_status st = BF_OK;
    hid_t sp = -1, dcpl = -1, type = -1, did = -1;
    bf_frames_info *info = &f->info;
    if (!(p->name = dup_printf("%s::%s", file, dset)))
        return bf__error_set(BF_ENOMEM, "%s::%s", file, dset);
    if (!path_exists(loc, dset) || (did = H5Dopen2(loc, dset, H5P_DEFAULT)) < 0) {
        st = bf__error_set(BF_ENOTFOUND, "%s: no such dataset (or an external link to a "
                           "missing file)", p->name);
        goto done;
    }
    p->did = did;
    sp = H5Dget_space(did);
    type = H5Dget_type(did);
    dcpl = H5Dget_create_plist(did);
    hsize_t dims[3] = {0, 0, 0};
    p->rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (type < 0 || dcpl < 0 || (p->rank != 2 && p->rank != 3)) {
        st = bf__error_set(BF_EUNSUPPORTED, "%s: frames must be a 2D image or a 3D stack, this "
                           "dataset has rank %d", p->name, p->rank);
        goto done;
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    size_t n = p->rank == 3 ? (size_t)dims[0] : 1;
    size_t h = (size_t)dims[p->rank - 2], w = (size_t)dims[p->rank - 1];
    bf_dtype dt;
    int big = 0;
    if (bf__h5_dtype(type, &dt, &big) != BF_OK) {
        st = bf__error_set(BF_EUNSUPPORTED, "%s: pixel type is not an integer or float of 1-8 "
                           "bytes", p->name);
        goto done;
    }
    if (p == &f->parts[0]) {
        info->dtype = dt;
        info->height = h;
        info->width = w;
        info->frame_bytes = h * w * bf_dtype_size(dt);
        if (h == 0 || w == 0 || info->frame_bytes / bf_dtype_size(dt) / w != h) {
            st = bf__error_set(BF_EUNSUPPORTED, "%s: frame of %zu x %zu pixels", p->name, h, w);
            goto done;
        }
    } else if (dt != info->dtype || h != info->height || w != info->width) {
        st = bf__error_set(BF_EFORMAT, "%s: %s frames of %zu x %zu, but %s has %s frames of "
                           "%zu x %zu", p->name, bf_dtype_name(dt), h, w, f->parts[0].name,
                           bf_dtype_name(info->dtype), info->height, info->width);
        goto done;
    }
    if (skip > n || (count != SIZE_MAX && count > n - skip)) {
        st = bf__error_set(BF_EFORMAT, "%s: frames %zu-%zu mapped, the dataset has %zu", p->name,
                           skip, skip + count - 1, n);
        goto done;
    }
    p->skip = skip;
    p->nframes = count == SIZE_MAX ? n - skip : count;
    p->first = info->nframes;
    p->codec = BF_CODEC_HDF5;
    if (!big)
        st = plan_fast_path(p, did, dcpl, info->frame_bytes, h, w);
    if (st == BF_OK && p->codec == BF_CODEC_HDF5 && H5Pget_layout(dcpl) != H5D_VIRTUAL)
        st = check_filters(dcpl, p->name);
done:
    if (sp >= 0)
        H5Sclose(sp);
    if (type >= 0)
        H5Tclose(type);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return st;
}

/* Release what a part holds. Caller holds the lock. */
static void close_part(bf__h5part *p)
{
    if (p->did >= 0)
        H5Dclose((hid_t)p->did);
    if (p->fid >= 0)
        H5Fclose((hid_t)p->fid);
    if (p->fd >= 0)
        close(p->fd);
    free(p->addr);
    free(p->size);
    free(p->unfiltered);
    free(p->name);
    memset(p, 0, sizeof *p);
    p->did = p->fid = -1;
    p->fd = -1;
}

static void size_workspace(bf_h5frames *f)
{
    for (size_t i = 0; i < f->nparts; i++) {
        const bf__h5part *p = &f->parts[i];
        if (p->codec == BF_CODEC_LZ4 || p->codec == BF_CODEC_BITSHUFFLE_LZ4) {
            for (size_t k = 0; k < p->nchunks; k++)
                if (p->size[k] > f->comp_cap && p->addr[k] != BF__CHUNK_MISSING)
                    f->comp_cap = p->size[k];
            if (p->fpc > 1 && p->chunk_bytes > f->chunk_cap)
                f->chunk_cap = p->chunk_bytes;
            if (p->codec == BF_CODEC_BITSHUFFLE_LZ4)
                f->scratch_cap = BF__BSHUF_MAX_BLOCK;
        }
    }
}

/* A new zeroed part at the end of f->parts. */
static bf__h5part *new_part(bf_h5frames *f)
{
    if (f->nparts == f->parts_cap) {
        size_t cap = f->parts_cap ? 2 * f->parts_cap : 4;
        bf__h5part *np = realloc(f->parts, cap * sizeof *np);
        if (!np)
            return NULL;
        f->parts = np;
        f->parts_cap = cap;
    }
    bf__h5part *p = &f->parts[f->nparts++]; /* counted at once, so destroy frees it */
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->did = p->fid = -1;
    return p;
}

/* A virtual dataset whose mappings are whole-frame boxes becomes one part per source. Returns
 * BF_EUNSUPPORTED (no message) to read the dataset as it is. */
static bf_status add_vds_sources(bf_h5frames *f, const char *file, const char *dset)
{
    hid_t did = H5Dopen2((hid_t)f->fid, dset, H5P_DEFAULT), dcpl = -1, sp = -1;
    bf__vds_map *maps = NULL;
    size_t nmaps = 0;
    bf_status st = BF_EUNSUPPORTED;
    hsize_t dims[3] = {0, 0, 0};
    if (did < 0 || (dcpl = H5Dget_create_plist(did)) < 0 || H5Pget_layout(dcpl) != H5D_VIRTUAL ||
        (sp = H5Dget_space(did)) < 0 || H5Sget_simple_extent_ndims(sp) != 3)
        goto done;
    H5Sget_simple_extent_dims(sp, dims, NULL);
    if (bf__h5_vds_mappings(dcpl, dims[0], dims[1], dims[2], file, &maps, &nmaps) != BF_OK)
        goto done;
    for (size_t i = 0; i < nmaps; i++) /* every source must open, or HDF5 decides (fill values) */
        if (maps[i].file && access(maps[i].file, R_OK) != 0)
            goto done;
    for (size_t i = 0; i < nmaps; i++) {
        bf__h5part *p = new_part(f);
        if (!p) {
            st = bf__error_set(BF_ENOMEM, "%s::%s: %zu sources", file, dset, nmaps);
            goto done;
        }
        hid_t loc = (hid_t)f->fid;
        if (maps[i].file) {
            hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
            H5Pset_file_locking(fapl, 0, 1);
            p->fid = H5Fopen(maps[i].file, H5F_ACC_RDONLY, fapl);
            H5Pclose(fapl);
            if (p->fid < 0) {
                st = bf__error_set(BF_EFORMAT, "%s::%s: source %s of the virtual dataset is not "
                                   "a readable HDF5 file", file, dset, maps[i].file);
                goto done;
            }
            loc = (hid_t)p->fid;
        }
        st = open_part(f, loc, maps[i].file ? maps[i].file : file, maps[i].dset, maps[i].sstart,
                       maps[i].count, p);
        if (st != BF_OK)
            goto done;
        f->info.nframes += p->nframes;
    }
    st = BF_OK;
done:
    bf__h5_vds_free(maps, nmaps);
    if (sp >= 0)
        H5Sclose(sp);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (did >= 0)
        H5Dclose(did);
    return st;
}

static bf_status open_all(bf_h5frames *f, const char *file, const char *dataset)
{
    name_list names = {0};
    bf_status st = BF_OK;
    if (dataset && is_group((hid_t)f->fid, dataset)) {
        if ((st = detect_in_group((hid_t)f->fid, file, dataset, &names)) == BF_ENOTFOUND)
            st = bf__error_set(BF_ENOTFOUND, "%s::%s is a group without data_* links or a data "
                               "dataset", file, dataset);
        if (st != BF_OK)
            goto done;
    } else if (dataset) {
        if (push_name(&names, dataset)) {
            st = bf__error_set(BF_ENOMEM, "%s", file);
            goto done;
        }
    } else if ((st = detect((hid_t)f->fid, file, &names)) != BF_OK) {
        goto done;
    }
    for (size_t i = 0; i < names.n; i++) {
        size_t before = f->nparts;
        if (path_exists((hid_t)f->fid, names.names[i]) &&
            (st = add_vds_sources(f, file, names.names[i])) != BF_EUNSUPPORTED) {
            if (st != BF_OK)
                goto done;
            continue;
        }
        while (f->nparts > before) /* a VDS resolution given up half way */
            close_part(&f->parts[--f->nparts]);
        bf__h5part *p = new_part(f);
        if (!p) {
            st = bf__error_set(BF_ENOMEM, "%s: %zu datasets", file, names.n);
            goto done;
        }
        st = open_part(f, (hid_t)f->fid, file, names.names[i], 0, SIZE_MAX, p);
        if (st != BF_OK)
            goto done;
        f->info.nframes += p->nframes;
    }
    f->info.nparts = f->nparts;
    f->info.codec = f->parts[0].codec;
    f->info.frames_per_chunk = f->parts[0].codec == BF_CODEC_HDF5 ? 0 : f->parts[0].fpc;
    size_workspace(f);
done:
    free_names(&names);
    return st;
}

bf_status bf_h5frames_create(const char *address, const char *dataset, bf_h5frames **out)
{
    bf_status st = BF_OK;
    bf_h5frames *f = NULL;
    char *file = NULL;
    hid_t fapl = -1;
    *out = NULL;
    if (!address || !*address)
        return bf__error_set(BF_EINVAL, "no HDF5 file given");
    const char *sep = strstr(address, "::");
    if (sep && dataset)
        return bf__error_set(BF_EINVAL, "%s: the address names a dataset and --dataset %s was "
                             "given too; keep one", address, dataset);
    if (!(file = sep ? strndup(address, (size_t)(sep - address)) : strdup(address)))
        return bf__error_set(BF_ENOMEM, "%s", address);
    if (sep)
        dataset = sep + 2;
    if (dataset && dataset[0] != '/') {
        st = bf__error_set(BF_EINVAL, "%s: dataset path \"%s\" must start with /", file, dataset);
        goto out;
    }
    if (access(file, R_OK) != 0) {
        st = bf__error_errno(BF_ENOTFOUND, errno, "%s", file);
        goto out;
    }
    bf__h5_lock();
    bf__h5_quiet();
    if (!(f = calloc(1, sizeof *f))) {
        st = bf__error_set(BF_ENOMEM, "%s", file);
        goto unlock;
    }
    f->fid = -1;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1); /* read-only readers on NFS/Lustre; writers lock anyway */
    if ((f->fid = H5Fopen(file, H5F_ACC_RDONLY, fapl)) < 0) {
        st = bf__error_set(BF_EFORMAT, "%s: not an HDF5 file, or unreadable", file);
        goto unlock;
    }
    if ((st = open_all(f, file, dataset)) != BF_OK)
        goto unlock;
    f->name = f->parts[0].name;
    *out = f;
    f = NULL;
unlock:
    if (fapl >= 0)
        H5Pclose(fapl);
    bf__h5_unlock();
    bf_h5frames_destroy(f);
out:
    free(file);
    return st;
}

void bf_h5frames_destroy(bf_h5frames *f)
{
    if (!f)
        return;
    bf__h5_lock();
    for (size_t i = 0; i < f->nparts; i++)
        close_part(&f->parts[i]);
    if (f->fid >= 0)
        H5Fclose((hid_t)f->fid);
    bf__h5_unlock();
    free(f->parts);
    free(f);
}

void bf_h5frames_info(const bf_h5frames *f, bf_frames_info *out) { *out = f->info; }

const char *bf_h5frames_name(const bf_h5frames *f) { return f->name; }
