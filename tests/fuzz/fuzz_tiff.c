/* Fuzz target: the TIFF reader on an in-memory file. Any bytes must give an image or an error
 * naming the source; a returned image is read whole (converted to float32) so that ASan sees any
 * pixel buffer shorter than its declared shape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bf_image *img = NULL;
    bf_status st = bf__tiff_parse(data, size, "fuzz.tiff", &img);
    if (st != BF_OK) {
        if (img || !strstr(bf_last_error(), "fuzz.tiff"))
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
