/* TIFF images through libtiff, always from memory (so files and fuzz input take one path):
 * the first page, one sample per pixel, 8/16/32/64-bit unsigned, signed or IEEE float pixels,
 * stripped or tiled, any compression libtiff decodes. libtiff's messages are caught per handle
 * (TIFFOpenOptions, libtiff >= 4.5) and become ours; nothing is printed. */
#include "io/io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "core/error.h"

#define MAX_IMAGE_BYTES ((size_t)1 << 30)

typedef struct memfile {
    const uint8_t *buf;
    size_t len, pos;
    char msg[256]; /* libtiff's first error */
} memfile;

static tmsize_t mem_read(thandle_t h, void *dst, tmsize_t n)
{
    memfile *m = (memfile *)h;
    if (n < 0)
        return -1;
    size_t k = m->pos < m->len ? m->len - m->pos : 0;
    if ((size_t)n < k)
        k = (size_t)n;
    memcpy(dst, m->buf + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h, (void)src, (void)n;
    return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    memfile *m = (memfile *)h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    if (off > UINT64_MAX - base)
        return (toff_t)-1;
    m->pos = (size_t)(base + off > m->len ? m->len : base + off);
    return base + off;
}

static int mem_close(thandle_t h) { return (void)h, 0; }
static toff_t mem_size(thandle_t h) { return ((memfile *)h)->len; }
static int mem_map(thandle_t h, void **base, toff_t *size)
{
    return (void)h, (void)base, (void)size, 0;
}
static void mem_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)module;
    memfile *m = user;
    if (!m->msg[0])
        vsnprintf(m->msg, sizeof m->msg, fmt, ap);
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

static bf_status pixel_type(uint16_t bps, uint16_t fmt, bf_dtype *dt)
{
    if (fmt == SAMPLEFORMAT_IEEEFP && (bps == 32 || bps == 64))
        *dt = bps == 32 ? BF_DTYPE_F32 : BF_DTYPE_F64;
    else if (fmt == SAMPLEFORMAT_INT && (bps == 8 || bps == 16 || bps == 32 || bps == 64))
        *dt = bps == 8 ? BF_DTYPE_I8 : bps == 16 ? BF_DTYPE_I16 : bps == 32 ? BF_DTYPE_I32 : BF_DTYPE_I64;
    else if (fmt == SAMPLEFORMAT_UINT && (bps == 8 || bps == 16 || bps == 32 || bps == 64))
        *dt = bps == 8 ? BF_DTYPE_U8 : bps == 16 ? BF_DTYPE_U16 : bps == 32 ? BF_DTYPE_U32 : BF_DTYPE_U64;
    else
        return BF_EUNSUPPORTED;
    return BF_OK;
}

/* Strips: each decodes into its rows of the image. */
static int read_strips(TIFF *tif, uint8_t *dst, size_t nbytes)
{
    size_t off = 0;
    tstrip_t ns = TIFFNumberOfStrips(tif);
    for (tstrip_t s = 0; s < ns && off < nbytes; s++) {
        tmsize_t got = TIFFReadEncodedStrip(tif, s, dst + off, (tmsize_t)(nbytes - off));
        if (got < 0)
            return -1;
        off += (size_t)got;
    }
    return off == nbytes ? 0 : -1;
}

/* Tiles: decode each into a tile buffer and copy its part inside the image. */
static int read_tiles(TIFF *tif, uint8_t *dst, uint32_t h, uint32_t w, size_t es)
{
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    tmsize_t tsize = TIFFTileSize(tif);
    if (tw == 0 || th == 0 || tsize <= 0 || (uint64_t)tw * th * es != (uint64_t)tsize ||
        (size_t)tsize > MAX_IMAGE_BYTES)
        return -1;
    uint8_t *tile = malloc((size_t)tsize);
    if (!tile)
        return -1;
    int rc = 0;
    for (uint32_t y = 0; y < h && rc == 0; y += th)
        for (uint32_t x = 0; x < w && rc == 0; x += tw) {
            if (TIFFReadTile(tif, tile, x, y, 0, 0) < 0) {
                rc = -1;
                break;
            }
            uint32_t ch = h - y < th ? h - y : th, cw = w - x < tw ? w - x : tw;
            for (uint32_t r = 0; r < ch; r++)
                memcpy(dst + ((size_t)(y + r) * w + x) * es, tile + (size_t)r * tw * es, cw * es);
        }
    free(tile);
    return rc;
}

bf_status bf__tiff_parse(const uint8_t *buf, size_t len, const char *source, bf_image **out)
{
    *out = NULL;
    memfile m = {buf, len, 0, ""};
    bf_status st = BF_OK;
    bf_image *img = NULL;
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return bf__error_set(BF_ENOMEM, "%s: TIFF options", source);
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, &m);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, &m);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)MAX_IMAGE_BYTES);
    TIFF *tif = TIFFClientOpenExt(source, "rm", (thandle_t)&m, mem_read, mem_write, mem_seek,
                                  mem_close, mem_size, mem_map, mem_unmap, o);
    TIFFOpenOptionsFree(o);
    if (!tif)
        return bf__error_set(BF_EFORMAT, "%s: not a readable TIFF file%s%s", source,
                             m.msg[0] ? ": " : "", m.msg);
    uint32_t w = 0, h = 0;
    uint16_t bps = 0, spp = 1, fmt = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    bf_dtype dt;
    if (spp != 1 || pixel_type(bps, fmt, &dt) != BF_OK) {
        st = bf__error_set(BF_EUNSUPPORTED, "%s: TIFF with %u samples of %u bits (format %u); "
                           "only single-channel 8-64 bit integer or float images are read",
                           source, spp, bps, fmt);
        goto done;
    }
    size_t es = bf_dtype_size(dt);
    if (w == 0 || h == 0 || (uint64_t)w * h > MAX_IMAGE_BYTES / es) {
        st = bf__error_set(BF_EFORMAT, "%s: TIFF image of %u x %u pixels", source, w, h);
        goto done;
    }
    if ((st = bf__image_alloc(dt, h, w, source, &img)) != BF_OK)
        goto done;
    int rc = TIFFIsTiled(tif) ? read_tiles(tif, img->data, h, w, es)
                              : read_strips(tif, img->data, (size_t)w * h * es);
    if (rc != 0)
        st = bf__error_set(BF_EFORMAT, "%s: TIFF pixel data unreadable%s%s", source,
                           m.msg[0] ? ": " : " (truncated?)", m.msg);
done:
    TIFFClose(tif);
    if (st != BF_OK) {
        bf_image_destroy(img);
        return st;
    }
    *out = img;
    return BF_OK;
}
