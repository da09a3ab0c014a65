/* Writing frame stacks as LZ4 (32004) or bitshuffle+LZ4 (32008) HDF5 datasets: our own encoders
 * (liblz4 LZ4_compress_default), chunks stored with H5Dwrite_chunk, and the filter recorded in
 * the dataset's pipeline as optional with the cd_values the plugins use, so h5py + hdf5plugin
 * (or any HDF5 with the plugins) reads the file back. For test data and demos.
 *
 * Invariant: every stored chunk holds exactly frames_per_chunk frames (a short last chunk is padded
 * with zeros; the dataset's extent hides the padding), as HDF5 itself stores edge chunks. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/error.h"

struct bf_h5writer {
    char *path;
    hid_t fid, did;
    bf_dtype dt;
    size_t h, w, fb, fpc;
    bf_h5writer_options opt;
    size_t nwritten;   /* frames stored in full chunks */
    size_t npending;   /* frames waiting in pending */
    uint8_t *pending;  /* one chunk */
    uint8_t *enc;
    size_t enc_cap;
};

static void writer_free(bf_h5writer *w)
{
    if (!w)
        return;
    bf__h5_lock();
    if (w->did >= 0)
        H5Dclose(w->did);
    if (w->fid >= 0)
        H5Fclose(w->fid);
    bf__h5_unlock();
    free(w->pending);
    free(w->enc);
    free(w->path);
    free(w);
}

static bf_status make_dataset(bf_h5writer *w, const char *dataset)
{
    bf_status st = BF_OK;
    hsize_t dims[3] = {0, w->h, w->w}, maxd[3] = {H5S_UNLIMITED, w->h, w->w};
    hsize_t cdims[3] = {w->fpc, w->h, w->w};
    hid_t sp = H5Screate_simple(3, dims, maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    herr_t e = sp < 0 || dcpl < 0 || lcpl < 0 ? -1 : 0;
    if (e >= 0)
        e = H5Pset_chunk(dcpl, 3, cdims);
    if (e >= 0)
        e = H5Pset_create_intermediate_group(lcpl, 1);
    if (e >= 0 && w->opt.codec == BF_CODEC_LZ4) {
        unsigned cd[1] = {(unsigned)w->opt.lz4_block_bytes};
        e = H5Pset_filter(dcpl, BF__H5Z_FILTER_LZ4, H5Z_FLAG_OPTIONAL, 1, cd);
    } else if (e >= 0 && w->opt.codec == BF_CODEC_BITSHUFFLE_LZ4) {
        /* The plugin's set_local prepends [major, minor, element size] to what it is given;
         * without the plugin we store all five values ourselves. */
        unsigned cd[5] = {0, 3, (unsigned)bf_dtype_size(w->dt),
                          (unsigned)w->opt.bshuf_block_elems, BF__BSHUF_LZ4};
        int have = H5Zfilter_avail(BF__H5Z_FILTER_BSHUF) > 0;
        e = H5Pset_filter(dcpl, BF__H5Z_FILTER_BSHUF, H5Z_FLAG_OPTIONAL, have ? 2 : 5,
                          have ? cd + 3 : cd);
    }
    if (e >= 0)
        w->did = H5Dcreate2(w->fid, dataset, (hid_t)bf__h5_native(w->dt), sp, lcpl, dcpl,
                            H5P_DEFAULT);
    if (e < 0 || w->did < 0)
        st = bf__error_set(BF_EIO, "%s::%s: cannot create the dataset", w->path, dataset);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return st;
}

bf_status bf_h5writer_create(const char *path, const char *dataset, bf_dtype dtype,
                             size_t height, size_t width, const bf_h5writer_options *opt,
                             bf_h5writer **out)
{
    bf_h5writer_options def = BF_H5WRITER_OPTIONS_INIT;
    bf_status st = BF_OK;
    bf_h5writer *w = NULL;
    *out = NULL;
    if (!opt)
        opt = &def;
    size_t es = bf_dtype_size(dtype), fpc = opt->frames_per_chunk ? opt->frames_per_chunk : 1;
    if (!path || !dataset || dataset[0] != '/' || bf__h5_native(dtype) < 0 || height == 0 ||
        width == 0 ||
        height > SIZE_MAX / width / es / fpc || height * width * es * fpc > 0x7E000000u)
        return bf__error_set(BF_EINVAL, "%s: invalid writer arguments (dataset must start with "
                             "/, frames of an integer or real type, non-empty, a chunk under "
                             "2 GiB)", path ? path : "(null)");
    if (opt->codec != BF_CODEC_NONE && opt->codec != BF_CODEC_LZ4 &&
        opt->codec != BF_CODEC_BITSHUFFLE_LZ4)
        return bf__error_set(BF_EINVAL, "%s: the writer encodes none, lz4 or bitshuffle-lz4, not "
                             "%s", path, bf_codec_name(opt->codec));
    if (opt->bshuf_block_elems % 8 || opt->bshuf_block_elems * es > BF__BSHUF_MAX_BLOCK)
        return bf__error_set(BF_EINVAL, "%s: bitshuffle block of %zu elements (a multiple of 8, "
                             "at most %d bytes)", path, opt->bshuf_block_elems,
                             BF__BSHUF_MAX_BLOCK);
    if (!(w = calloc(1, sizeof *w)))
        return bf__error_set(BF_ENOMEM, "%s", path);
    w->fid = w->did = -1;
    w->dt = dtype;
    w->h = height;
    w->w = width;
    w->fb = height * width * es;
    w->fpc = fpc;
    w->opt = *opt;
    w->enc_cap = opt->codec == BF_CODEC_LZ4 ? bf__lz4_chunk_bound(w->fb * fpc, opt->lz4_block_bytes)
                 : opt->codec == BF_CODEC_BITSHUFFLE_LZ4
                     ? bf__bshuf_chunk_bound(w->fb * fpc, es, opt->bshuf_block_elems)
                     : 0;
    if (!(w->path = strdup(path)) || !(w->pending = calloc(fpc, w->fb)) ||
        (w->enc_cap && !(w->enc = malloc(w->enc_cap)))) {
        st = bf__error_set(BF_ENOMEM, "%s: writer buffers", path);
        goto done;
    }
    bf__h5_lock();
    bf__h5_quiet();
    w->fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->fid < 0)
        st = bf__error_set(BF_EIO, "%s: cannot create the HDF5 file", path);
    else
        st = make_dataset(w, dataset);
    bf__h5_unlock();
    if (st == BF_OK) {
        *out = w;
        w = NULL;
    }
done:
    writer_free(w);
    return st;
}

/* Store pending (a full chunk's worth, zero-padded) as chunk number nwritten / fpc. */
static bf_status flush_chunk(bf_h5writer *w, size_t nframes_after)
{
    size_t n = w->fpc * w->fb, len = n;
    const uint8_t *data = w->pending;
    bf_status st = BF_OK;
    if (w->opt.codec == BF_CODEC_LZ4)
        st = bf__lz4_chunk_encode(w->pending, n, w->opt.lz4_block_bytes, w->enc, w->enc_cap, &len);
    else if (w->opt.codec == BF_CODEC_BITSHUFFLE_LZ4)
        st = bf__bshuf_chunk_encode(w->pending, n, bf_dtype_size(w->dt),
                                    w->opt.bshuf_block_elems, w->enc, w->enc_cap, &len);
    if (st != BF_OK)
        return st;
    if (w->opt.codec != BF_CODEC_NONE)
        data = w->enc;
    hsize_t dims[3] = {nframes_after, w->h, w->w}, off[3] = {w->nwritten, 0, 0};
    bf__h5_lock();
    if (H5Dset_extent(w->did, dims) < 0 ||
        H5Dwrite_chunk(w->did, H5P_DEFAULT, 0, off, len, data) < 0)
        st = bf__error_set(BF_EIO, "%s: writing the chunk of frames %zu-%zu failed", w->path,
                           w->nwritten, nframes_after - 1);
    bf__h5_unlock();
    return st;
}

bf_status bf_h5writer_append(bf_h5writer *w, const void *frames, size_t count)
{
    const uint8_t *src = frames;
    while (count > 0) {
        size_t take = w->fpc - w->npending < count ? w->fpc - w->npending : count;
        memcpy(w->pending + w->npending * w->fb, src, take * w->fb);
        w->npending += take;
        src += take * w->fb;
        count -= take;
        if (w->npending == w->fpc) {
            bf_status st = flush_chunk(w, w->nwritten + w->fpc);
            if (st != BF_OK)
                return st;
            w->nwritten += w->fpc;
            w->npending = 0;
        }
    }
    return BF_OK;
}

bf_status bf_h5writer_close(bf_h5writer *w)
{
    if (!w)
        return BF_OK;
    bf_status st = BF_OK;
    if (w->npending > 0) {
        memset(w->pending + w->npending * w->fb, 0, (w->fpc - w->npending) * w->fb);
        st = flush_chunk(w, w->nwritten + w->npending);
    }
    bf__h5_lock();
    if (w->did >= 0 && H5Dclose(w->did) < 0 && st == BF_OK)
        st = bf__error_set(BF_EIO, "%s: closing the dataset failed", w->path);
    w->did = -1;
    if (w->fid >= 0 && H5Fclose(w->fid) < 0 && st == BF_OK)
        st = bf__error_set(BF_EIO, "%s: closing the file failed", w->path);
    w->fid = -1;
    bf__h5_unlock();
    writer_free(w);
    return st;
}
