/* Fuzz target: the TIFF reader on an in-memory file (see fuzz_image.h). */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return bf_fuzz_image(bf__tiff_parse, "fuzz.tiff", data, size);
}
