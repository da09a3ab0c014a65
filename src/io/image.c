/* Single images (frames, masks, darks, flats): the format is sniffed from the content (then the
 * extension), the file read whole into memory and handed to the parser of its format; HDF5
 * addresses "file.h5::/path#N" go through bf_h5frames. Conversion to float32 for the integrator. */
#include "io/io_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/npy.h"

#define MAX_FILE_BYTES ((size_t)2 << 30)

bf_status bf__image_alloc(bf_dtype dt, size_t h, size_t w, const char *source, bf_image **out)
{
    size_t es = bf_dtype_size(dt);
    *out = NULL;
    if (es == 0 || h == 0 || w == 0 || h > SIZE_MAX / w / es)
        return bf__error_set(BF_EFORMAT, "%s: image of %zu x %zu pixels", source, h, w);
    bf_image *img = calloc(1, sizeof *img);
    if (!img || !(img->data = calloc(h * w, es))) {
        free(img);
        return bf__error_set(BF_ENOMEM, "%s: image of %zu x %zu %s", source, h, w,
                             bf_dtype_name(dt));
    }
    img->dtype = dt;
    img->height = h;
    img->width = w;
    *out = img;
    return BF_OK;
}

void bf_image_destroy(bf_image *img)
{
    if (!img)
        return;
    free(img->data);
    free(img);
}

bf_dtype bf_image_dtype(const bf_image *img) { return img->dtype; }
size_t bf_image_height(const bf_image *img) { return img->height; }
size_t bf_image_width(const bf_image *img) { return img->width; }
const void *bf_image_data(const bf_image *img) { return img->data; }

bf_status bf_image_to_f32(const bf_image *img, float *out, size_t n)
{
    size_t count = img->height * img->width;
    if (n < count)
        return bf__error_set(BF_EINVAL, "image of %zu pixels does not fit in %zu floats", count, n);
    const void *d = img->data;
    for (size_t i = 0; i < count; i++) {
        switch (img->dtype) {
        case BF_DTYPE_U8: out[i] = ((const uint8_t *)d)[i]; break;
        case BF_DTYPE_I8: out[i] = ((const int8_t *)d)[i]; break;
        case BF_DTYPE_U16: out[i] = ((const uint16_t *)d)[i]; break;
        case BF_DTYPE_I16: out[i] = ((const int16_t *)d)[i]; break;
        case BF_DTYPE_U32: out[i] = (float)((const uint32_t *)d)[i]; break;
        case BF_DTYPE_I32: out[i] = (float)((const int32_t *)d)[i]; break;
        case BF_DTYPE_U64: out[i] = (float)((const uint64_t *)d)[i]; break;
        case BF_DTYPE_I64: out[i] = (float)((const int64_t *)d)[i]; break;
        case BF_DTYPE_F32: out[i] = ((const float *)d)[i]; break;
        case BF_DTYPE_F64: out[i] = (float)((const double *)d)[i]; break;
        default: /* images hold no bools (read as uint8) and no complex values */
            return bf__error_set(BF_EINVAL, "an image of %s has no float32 value",
                                 bf_dtype_name(img->dtype));
        }
    }
    return BF_OK;
}

bf_status bf__read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(errno == ENOENT ? BF_ENOTFOUND : BF_EIO, errno, "%s", path);
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
        fclose(f);
        return bf__error_set(BF_EIO, "%s: not a regular file of at most %zu bytes", path, max);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *b = malloc(n + 1);
    if (!b) {
        fclose(f);
        return bf__error_set(BF_ENOMEM, "%s: %zu bytes", path, n);
    }
    size_t got = fread(b, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != n) {
        free(b);
        return bf__error_set(BF_EIO, "%s: read %zu of %zu bytes", path, got, n);
    }
    *buf = b;
    *len = n;
    return BF_OK;
}

static bf_status from_npy(const uint8_t *buf, size_t len, const char *path, bf_image **out)
{
    bf_npy a;
    bf_status st = bf__npy_parse(buf, len, path, &a);
    if (st != BF_OK)
        return st;
    if (a.dtype == BF_DTYPE_C64 || a.dtype == BF_DTYPE_C128 || a.ndim < 2 ||
        (a.ndim == 3 && a.shape[0] < 1) || a.ndim > 3) {
        bf__npy_free(&a);
        return bf__error_set(BF_EUNSUPPORTED, "%s: an image must be a real 2D array (or the "
                             "first of a 3D stack)", path);
    }
    size_t h = a.shape[a.ndim - 2], w = a.shape[a.ndim - 1];
    /* numpy bools are bytes of 0 or 1 */
    st = bf__image_alloc(a.dtype == BF_DTYPE_BOOL ? BF_DTYPE_U8 : a.dtype, h, w, path, out);
    if (st == BF_OK)
        memcpy((*out)->data, a.data, h * w * a.itemsize);
    bf__npy_free(&a);
    return st;
}

/* "file.h5::/path#N" or a plain HDF5 file (detected dataset, frame 0). */
static bf_status from_h5(const char *address, bf_image **out)
{
    char *copy = strdup(address);
    if (!copy)
        return bf__error_set(BF_ENOMEM, "%s", address);
    size_t frame = 0;
    char *hash = strrchr(copy, '#'), *sep = strstr(copy, "::");
    if (hash && sep && hash > sep) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(hash + 1, &end, 10);
        if (end == hash + 1 || *end || errno) {
            free(copy);
            return bf__error_set(BF_EINVAL, "%s: frame number after '#' is not a number",
                                 address);
        }
        frame = (size_t)v;
        *hash = '\0';
    }
    bf_h5frames *f = NULL;
    bf_h5frames_workspace *ws = NULL;
    bf_frames_info in;
    bf_status st = bf_h5frames_create(copy, NULL, &f);
    if (st == BF_OK) {
        bf_h5frames_info(f, &in);
        st = bf__image_alloc(in.dtype, in.height, in.width, address, out);
    }
    if (st == BF_OK)
        st = bf_h5frames_workspace_create(f, &ws);
    if (st == BF_OK)
        st = bf_h5frames_read(f, ws, frame, 1, (*out)->data, in.frame_bytes);
    if (st != BF_OK) {
        bf_image_destroy(*out);
        *out = NULL;
    }
    bf_h5frames_workspace_destroy(ws);
    bf_h5frames_destroy(f);
    free(copy);
    return st;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* HDF5 by signature (at offset 0; files with a user block carry an .h5 name) or name. */
static int is_hdf5(const char *path)
{
    uint8_t sig[8];
    FILE *f = fopen(path, "rb");
    int yes = 0;
    if (f) {
        yes = fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
        fclose(f);
    }
    return yes || has_suffix(path, ".h5") || has_suffix(path, ".nxs") || has_suffix(path, ".hdf5");
}

bf_status bf_image_read(const char *path, bf_image **out)
{
    *out = NULL;
    if (!path || !*path)
        return bf__error_set(BF_EINVAL, "no image file given");
    if (strstr(path, "::") || is_hdf5(path))
        return from_h5(path, out);
    uint8_t *buf = NULL;
    size_t len = 0;
    bf_status st = bf__read_file(path, MAX_FILE_BYTES, &buf, &len);
    if (st != BF_OK)
        return st;
    size_t s = 0;
    while (s < len && s < 64 && (buf[s] == ' ' || buf[s] == '\n' || buf[s] == '\r'))
        s++;
    if (len >= 6 && memcmp(buf, "###CBF", 6) == 0)
        st = bf__cbf_parse(buf, len, path, out);
    else if (s < len && buf[s] == '{')
        st = bf__edf_parse(buf, len, path, out);
    else if (len >= 4 && (memcmp(buf, "II*\0", 4) == 0 || memcmp(buf, "MM\0*", 4) == 0 ||
                          memcmp(buf, "II+\0", 4) == 0 || memcmp(buf, "MM\0+", 4) == 0))
        st = bf__tiff_parse(buf, len, path, out);
    else if (len >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
        st = from_npy(buf, len, path, out);
    else if (has_suffix(path, ".cbf"))
        st = bf__cbf_parse(buf, len, path, out);
    else if (has_suffix(path, ".edf"))
        st = bf__edf_parse(buf, len, path, out);
    else
        st = bf__error_set(BF_EUNSUPPORTED, "%s: unknown image format (CBF, EDF, TIFF, NPY and "
                           "HDF5 are read)", path);
    free(buf);
    return st;
}
