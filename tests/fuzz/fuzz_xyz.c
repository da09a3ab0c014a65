/* libFuzzer target: extended XYZ and Kirkland XYZ parsing of arbitrary bytes must never crash,
 * leak or read out of bounds; success must give consistent atoms. */
#include <stdint.h>
#include <stdlib.h>

#include "beamflow/ms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bf_frames frames;
    if (bf_xyz_parse((const char *)data, size, "fuzz.xyz", &frames) == BF_OK) {
        for (size_t i = 0; i < frames.count; i++)
            if (bf_atoms_count(frames.frames[i]) && !bf_atoms_numbers(frames.frames[i]))
                abort();
        bf_frames_free(&frames);
    }
    bf_atoms *atoms = NULL;
    if (bf_kirkland_xyz_parse((const char *)data, size, "fuzz.xyz", &atoms) == BF_OK)
        bf_atoms_destroy(atoms);
    return 0;
}
