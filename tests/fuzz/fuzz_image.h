/* The body every single-image fuzz target shares (fuzz_cbf.c, fuzz_edf.c, fuzz_tiff.c): any bytes
 * must give an image or an error naming the source; a returned image is read whole (converted to
 * float32) so that ASan sees any pixel buffer shorter than its declared shape. */
#ifndef BF_FUZZ_IMAGE_H
#define BF_FUZZ_IMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

typedef bf_status (*bf_fuzz_image_parser)(const uint8_t *data, size_t size, const char *name,
                                          bf_image **out);

static inline int bf_fuzz_image(bf_fuzz_image_parser parse, const char *name, const uint8_t *data,
                                size_t size)
{
    bf_image *img = NULL;
    bf_status st = parse(data, size, name, &img);
    if (st != BF_OK) {
        if (img || !strstr(bf_last_error(), name))
            __builtin_trap();
        return 0;
    }
    size_t n = bf_image_height(img) * bf_image_width(img);
    float *f = malloc(n * sizeof *f);
    if (f && bf_image_to_f32(img, f, n) != BF_OK)
        __builtin_trap();
    free(f);
    bf_image_destroy(img);
    return 0;
}

#endif
