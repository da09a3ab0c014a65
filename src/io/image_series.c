/* A series of single-image files (CBF, EDF, TIFF, NPY: one frame each, as a Pilatus writes them)
 * as one frame dataset: each image is a part of one frame with codec BF_CODEC_IMAGE, so that the
 * frame source, the plan and the pipeline take a folder of images exactly as one HDF5 stack.
 *
 * Creating reads the first image whole (dtype and shape for every check made before work
 * starts) and checks that every other file is readable; parsing the rest up front would read
 * the whole series twice. An image parsed later whose dtype or shape differs fails the read of
 * its frame, naming the file, so only its unit fails. */
#include "io/h5_frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"

bool bf__is_image_name(const char *name)
{
    static const char *const exts[] = {".cbf", ".edf", ".tif", ".tiff", ".npy", NULL};
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (!dot || (slash && dot < slash))
        return false;
    for (int i = 0; exts[i]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return true;
    return false;
}

bf_status bf__h5frames_create_images(const char *const *paths, size_t n, bf_h5frames **out)
{
    bf_status st = BF_OK;
    bf_image *img = NULL;
    *out = NULL;
    if (n == 0)
        return bf__error_set(BF_EINVAL, "an image series needs at least one file");
    bf_h5frames *f = calloc(1, sizeof *f);
    if (!f || !(f->parts = calloc(n, sizeof *f->parts))) {
        free(f);
        return bf__error_set(BF_ENOMEM, "%s: series of %zu images", paths[0], n);
    }
    f->fid = -1;
    f->parts_cap = n;
    if ((st = bf_image_read(paths[0], &img)) != BF_OK)
        goto done;
    bf_frames_info *in = &f->info;
    in->dtype = bf_image_dtype(img);
    in->height = bf_image_height(img);
    in->width = bf_image_width(img);
    in->frame_bytes = in->height * in->width * bf_dtype_size(in->dtype);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && access(paths[i], R_OK) != 0) {
            st = bf__error_errno(BF_ENOTFOUND, errno, "%s", paths[i]);
            goto done;
        }
        bf__h5part *p = &f->parts[f->nparts];
        p->did = p->fid = -1;
        p->fd = -1;
        if (!(p->name = strdup(paths[i]))) {
            st = bf__error_set(BF_ENOMEM, "%s", paths[i]);
            goto done;
        }
        f->nparts++;
        p->rank = 2;
        p->nframes = 1;
        p->first = i;
        p->codec = BF_CODEC_IMAGE;
        p->fpc = 1;
        p->chunk_bytes = in->frame_bytes;
    }
    in->nframes = n;
    in->nparts = n;
    in->codec = BF_CODEC_IMAGE;
    in->frames_per_chunk = 1;
    f->name = f->parts[0].name;
    *out = f;
    f = NULL;
done:
    bf_image_destroy(img);
    bf_h5frames_destroy(f);
    return st;
}

bf_status bf__image_part_read(const bf_h5frames *f, const bf__h5part *p, void *dst)
{
    bf_image *img = NULL;
    const bf_frames_info *in = &f->info;
    bf_status st = bf_image_read(p->name, &img);
    if (st != BF_OK)
        return bf__error_prefix(st, "frame %zu: ", p->first);
    if (bf_image_dtype(img) != in->dtype || bf_image_height(img) != in->height ||
        bf_image_width(img) != in->width)
        st = bf__error_set(BF_EFORMAT, "%s: frame %zu: %s image of %zu x %zu, but the series "
                           "(%s) has %s images of %zu x %zu", p->name, p->first,
                           bf_dtype_name(bf_image_dtype(img)), bf_image_height(img),
                           bf_image_width(img), f->name, bf_dtype_name(in->dtype),
                           in->height, in->width);
    else
        memcpy(dst, bf_image_data(img), in->frame_bytes);
    bf_image_destroy(img);
    return st;
}
