/* Fuzz target: the EDF reader on an in-memory file (see fuzz_image.h). */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return bf_fuzz_image(bf__edf_parse, "fuzz.edf", data, size);
}
