/* Module-private layout of an open HDF5 frame dataset (src/io/h5_frames.c builds it under the
 * HDF5 lock, src/io/h5_read.c reads it with no HDF5 call on the fast path).
 *
 * Invariants after bf_h5frames_create: the struct is never written again; every part has the
 * same dtype and frame shape; for a part with a fast codec, chunk k holds frames
 * [k * fpc, (k + 1) * fpc) and its stored bytes lie at file offset addr[k] in fd; a part of
 * codec BF_CODEC_IMAGE is one single-image file (name), one frame, parsed whenever it is read. */
#ifndef BF_IO_H5_FRAMES_H
#define BF_IO_H5_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "io/io_internal.h"

#define BF__CHUNK_MISSING UINT64_MAX /* chunk never written: H5Dread gives the fill value */

typedef struct bf__h5part {
    char *name;          /* "file.h5::/entry/data/data_000001", for messages */
    int64_t did;         /* the dataset, open for the H5Dread fallback */
    int64_t fid;         /* a source file of a virtual dataset, opened for this part, or -1 */
    size_t skip;         /* the part is frames [skip, skip + nframes) of its dataset */
    int rank;            /* 2 (one frame) or 3 */
    size_t nframes;
    size_t first;        /* global index of its first frame */
    bf_codec codec;      /* BF_CODEC_HDF5: every read goes through H5Dread */
    int fd;              /* -1 unless the codec is fast */
    size_t fpc;          /* frames per chunk */
    size_t chunk_bytes;  /* fpc * frame_bytes */
    size_t nchunks;
    uint64_t *addr;      /* byte offset of chunk k in fd, or BF__CHUNK_MISSING */
    uint64_t *size;      /* stored bytes of chunk k */
    uint8_t *unfiltered; /* chunk k was stored with its filter skipped (filter mask) */
} bf__h5part;

struct bf_h5frames {
    char *name;          /* name of the first part */
    bf_frames_info info;
    size_t nparts, parts_cap;
    bf__h5part *parts;
    int64_t fid;         /* the file named in the address */
    size_t comp_cap;     /* largest stored chunk of a compressed part */
    size_t chunk_cap;    /* largest decoded chunk that may need a bounce buffer */
    size_t scratch_cap;  /* bitshuffle block buffer */
};

struct bf_h5frames_workspace {
    const bf_h5frames *owner;
    uint8_t *comp;
    uint8_t *chunk;
    uint8_t *scratch;
};

/* Read frames [src, src + count) of part p's dataset (src counts from the dataset's first
 * frame, skip included) through H5Dread, under the lock. */
bf_status bf__h5part_read_hdf5(const bf__h5part *p, size_t src, size_t count, bf_dtype dt,
                               void *dst);

/* One mapping of a virtual dataset: frames [vstart, vstart + count) are frames
 * [sstart, sstart + count) of dataset dset in file. */
typedef struct bf__vds_map {
    char *file; /* resolved path of the source file, or NULL for the virtual dataset's own file */
    char *dset;
    size_t vstart, sstart, count;
} bf__vds_map;

/* The mappings of virtual dataset dcpl (frames of h x w) when they tile [0, nframes) with whole
 * frames, in order; BF_EUNSUPPORTED (no message) when the layout is anything else, so the
 * caller reads through H5Dread. vds_file resolves relative source names. Caller holds the lock. */
bf_status bf__h5_vds_mappings(int64_t dcpl, size_t nframes, size_t h, size_t w,
                              const char *vds_file, bf__vds_map **maps /* OUT */,
                              size_t *nmaps /* OUT */);
void bf__h5_vds_free(bf__vds_map *maps, size_t n);

/* ---- single-image series (image_series.c) ---- */

/* Does the name end in .cbf, .edf, .tif, .tiff or .npy (any case)? */
bool bf__is_image_name(const char *name);

/* The images at paths[0..n), in that order, one frame each, as one frame dataset (parts of
 * codec BF_CODEC_IMAGE). The first is parsed (dtype, shape), the others checked readable. */
bf_status bf__h5frames_create_images(const char *const *paths, size_t n,
                                     bf_h5frames **out /* OUT */);

/* Parse image part p into dst (frame_bytes); its dtype and shape must match the series'. */
bf_status bf__image_part_read(const bf_h5frames *f, const bf__h5part *p, void *dst);

#endif
