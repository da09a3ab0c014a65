/* beamflow io: detector frames in, from HDF5 (LZ4 32004, bitshuffle+LZ4 32008, uncompressed or
 * any filter HDF5 can run) and from the single-frame formats of the field (CBF byte-offset, EDF,
 * TIFF, NPY).
 *
 * The HDF5 fast path follows FFTW's plan/execute split: bf_h5frames_create does every HDF5 call
 * (finds the dataset, checks dtype/shape/filters and walks the chunk index once, under one lock);
 * afterwards bf_h5frames_read reads chunks with pread and decodes them with liblz4 and our own
 * bitshuffle transpose, with no HDF5 call and no allocation, into caller buffers. Any number of
 * threads read one handle at once, each with its own workspace. Contiguous datasets take the
 * same path, and a virtual dataset made of whole-frame mappings is read from its sources.
 * Datasets the fast path cannot take (other filters, frames split over chunks, big-endian data,
 * other virtual layouts) are read through H5Dread under the lock: correct, only slower. */
#ifndef BEAMFLOW_IO_H
#define BEAMFLOW_IO_H

#include <stddef.h>
#include <stdint.h>

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif


/* How the frames of a dataset are decoded. */
typedef enum bf_codec {
    BF_CODEC_NONE = 0,        /* no filter (chunked or contiguous): raw reads */
    BF_CODEC_LZ4,             /* HDF5 filter 32004 */
    BF_CODEC_BITSHUFFLE_LZ4,  /* HDF5 filter 32008 with LZ4 compression */
    BF_CODEC_HDF5,            /* anything else: H5Dread through HDF5's pipeline and plugins */
    BF_CODEC_IMAGE            /* single-image files (CBF, EDF, TIFF, NPY), one frame each */
} bf_codec;

/** "none", "lz4", "bitshuffle-lz4", "hdf5", "image". [thread-safe] */
const char *bf_codec_name(bf_codec c);

/* What a frame dataset holds. Frames are height x width pixels, C order. */
typedef struct bf_frames_info {
    bf_dtype dtype;
    size_t nframes;
    size_t height;            /* pixels (slow axis) */
    size_t width;             /* pixels (fast axis) */
    size_t frame_bytes;       /* height * width * bf_dtype_size(dtype) */
    size_t frames_per_chunk;  /* of the first part; 0 when the fast path is not used */
    bf_codec codec;           /* of the first part */
    size_t nparts;            /* datasets joined end to end (Dectris data_000001...), >= 1 */
} bf_frames_info;

/* ------------------------------------------------------------------------------------------ */
/* HDF5 frame datasets                                                                         */

typedef struct bf_h5frames bf_h5frames;                     /* read-only once created */
typedef struct bf_h5frames_workspace bf_h5frames_workspace; /* one per reading thread */

/** Open the frames at address, one of
 *    "scan.h5::/entry/data/data"    an explicit dataset (a 3D stack or one 2D frame),
 *    "master.h5::/entry/data"       a group: its data_NNNNNN links, joined, else its "data",
 *    "scan.h5"                      detection, in order: /entry_0000/measurement/data (ESRF/LIMA),
 *                                   /entry/data/data_NNNNNN (Dectris NeXus master with external
 *                                   links, joined in name order), /entry/data/data, then the only
 *                                   3D dataset of the file.
 *  dataset (may be NULL) names the path inside the file and wins over detection; an address with
 *  "::" must not also pass one. A dataset read through HDF5 whose filter is not available (no
 *  plugin) fails here, naming the filter. Errors name the file and the dataset. [thread-safe] */
bf_status bf_h5frames_create(const char *address, const char *dataset,
                             bf_h5frames **out /* OUT */);

/** Close the files; NULL is a no-op. Workspaces must be destroyed first or after, in any order,
 *  but not used after this. [handle-confined] */
void bf_h5frames_destroy(bf_h5frames *f);

/** Dtype, shape and codec. [thread-safe] */
void bf_h5frames_info(const bf_h5frames *f, bf_frames_info *out /* OUT */);

/** "file.h5::/dataset" of the first part, for messages. [thread-safe] */
const char *bf_h5frames_name(const bf_h5frames *f);

/** Scratch memory for one reading thread (compressed chunk, a decoded chunk when a read covers
 *  part of a multi-frame chunk, a bitshuffle block). [thread-safe] */
bf_status bf_h5frames_workspace_create(const bf_h5frames *f,
                                       bf_h5frames_workspace **out /* OUT */);
void bf_h5frames_workspace_destroy(bf_h5frames_workspace *ws);

/** Read frames [first, first + count) into dst (count * frame_bytes, checked against
 *  dst_bytes), decoded, in the dataset's dtype. Allocates nothing (except for frames of an
 *  image series, each parsed from its file). A corrupt or truncated chunk
 *  fails with BF_EFORMAT and a message naming the file, the dataset and the frame.
 *  [thread-safe] on a shared handle when each thread passes its own workspace. */
bf_status bf_h5frames_read(const bf_h5frames *f, bf_h5frames_workspace *ws, size_t first,
                           size_t count, void *dst, size_t dst_bytes);

/** Same, decoding with nthreads threads (each chunk decoded by one thread; 0 or 1 = this
 *  thread only). Allocates the threads' workspaces for the call. [thread-safe] */
bf_status bf_h5frames_read_parallel(const bf_h5frames *f, size_t first, size_t count, void *dst,
                                    size_t dst_bytes, int nthreads);

/* ------------------------------------------------------------------------------------------ */
/* Writing LZ4 / bitshuffle frame stacks (test data, demos): chunks are encoded here and stored  */
/* with H5Dwrite_chunk; the filter is recorded in the dataset's pipeline (optional), so h5py +   */
/* hdf5plugin and any HDF5 reader with the plugin read the file back.                          */

typedef struct bf_h5writer_options {
    bf_codec codec;           /* NONE, LZ4 or BITSHUFFLE_LZ4 (0: none) */
    size_t frames_per_chunk;  /* frames in one chunk (0: 1) */
    size_t lz4_block_bytes;   /* LZ4 block in bytes (0: the whole chunk, hdf5plugin's default) */
    size_t bshuf_block_elems; /* bitshuffle block in elements, a multiple of 8 (0: 8 KiB) */
} bf_h5writer_options;

#define BF_H5WRITER_OPTIONS_INIT {BF_CODEC_LZ4, 1, 0, 0}

typedef struct bf_h5writer bf_h5writer;

/** Create path (truncating it) with an extendible dataset (0 x height x width) at dataset
 *  (intermediate groups created). [handle-confined] */
bf_status bf_h5writer_create(const char *path, const char *dataset, bf_dtype dtype,
                             size_t height, size_t width, const bf_h5writer_options *opt,
                             bf_h5writer **out /* OUT */);

/** Append count frames (count * frame bytes at frames). A partial last chunk is kept until
 *  more frames arrive or the writer is closed. [handle-confined] */
bf_status bf_h5writer_append(bf_h5writer *w, const void *frames, size_t count);

/** Write what is pending and close the file; the handle is freed whatever the outcome. NULL is
 *  a no-op that returns BF_OK. [handle-confined] */
bf_status bf_h5writer_close(bf_h5writer *w);

/* ------------------------------------------------------------------------------------------ */
/* Single images: frames, masks, darks, flats                                                   */

typedef struct bf_image bf_image; /* read-only once read */

/** Read one image. The format comes from the content (CBF "###CBF", EDF "{", TIFF "II*"/"MM*",
 *  NPY "\x93NUMPY", HDF5 signature) or the extension; "file.h5::/path" reads an HDF5 2D dataset or
 *  frame 0 of a stack, "file.h5::/path#N" frame N. CBF: byte-offset compression (Pilatus, Eiger
 *  miniCBF), int32 or uint32 etc. as declared; EDF: header + raw data with ByteOrder/DataType,
 *  several frames take the first; TIFF: one strip- or tile-organised, single-channel page.
 *  [thread-safe] */
bf_status bf_image_read(const char *path, bf_image **out /* OUT */);

/** NULL is a no-op. [handle-confined] */
void bf_image_destroy(bf_image *img);

/** Pixel type and shape. [thread-safe] */
bf_dtype bf_image_dtype(const bf_image *img);
size_t bf_image_height(const bf_image *img);
size_t bf_image_width(const bf_image *img);
/** The pixels, height * width of bf_image_dtype, C order; a view valid until destroy.
 *  [thread-safe] */
const void *bf_image_data(const bf_image *img);

/** Convert to float32 into caller storage of n >= height * width values. [thread-safe] */
bf_status bf_image_to_f32(const bf_image *img, float *out, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Frame sources: every frame of a list of inputs                                               */

typedef struct bf_frame_source bf_frame_source;

/** Expand inputs (HDF5 files, "file.h5::/path" addresses, shell globs such as "scan_0*.h5",
 *  directories searched recursively for *.h5 / *.nxs / *.hdf5 files, which covers the ESRF layout
 *  sample/dataset/scanNNNN/ *.h5) into a de-duplicated file list sorted by folder then name,
 *  open each (dataset as in bf_h5frames_create; NULL detects) and check that all share dtype and
 *  frame shape. Dectris data files linked from a master file in the same list are skipped.
 *  Single-image files (.cbf .edf .tif .tiff .npy, given or found in directories that hold no
 *  HDF5 file) become series: the images of one folder with one extension are one entry, one
 *  frame per image in name order, whose path is the folder (codec BF_CODEC_IMAGE; only the
 *  first image is parsed here, the others are checked readable). [thread-safe] */
bf_status bf_frame_source_create(const char *const *inputs, size_t ninputs, const char *dataset,
                                 bf_frame_source **out /* OUT */);
/** Close every file; NULL is a no-op. [handle-confined] */
void bf_frame_source_destroy(bf_frame_source *src);

/** Number of files; total frames; the shared frame info (nframes = total). [thread-safe] */
size_t bf_frame_source_nfiles(const bf_frame_source *src);
size_t bf_frame_source_nframes(const bf_frame_source *src);
void bf_frame_source_info(const bf_frame_source *src, bf_frames_info *out /* OUT */);
/** The i-th file's path (or address), the global index of its first frame and its number of
 *  frames. [thread-safe] */
const char *bf_frame_source_path(const bf_frame_source *src, size_t i);
size_t bf_frame_source_first(const bf_frame_source *src, size_t i);
size_t bf_frame_source_count(const bf_frame_source *src, size_t i);
/** The file holding frame k (< bf_frame_source_count) of the i-th entry: the entry's own path
 *  for HDF5, the k-th image of a series. [thread-safe] */
const char *bf_frame_source_member(const bf_frame_source *src, size_t i, size_t k);
/** The i-th file's frames, open for the source's life (a view owned by src; read it from any
 *  number of threads, each with its own workspace). [thread-safe] */
const bf_h5frames *bf_frame_source_frames(const bf_frame_source *src, size_t i);
/** A private handle on the i-th file (the caller destroys it), for a process or thread that
 *  wants its own; fails if the file no longer matches what was listed. [thread-safe] */
bf_status bf_frame_source_open(const bf_frame_source *src, size_t i,
                               bf_h5frames **out /* OUT */);

#ifdef __cplusplus
}
#endif
#endif
