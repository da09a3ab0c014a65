/* libFuzzer target: POSCAR parsing of arbitrary bytes must never crash, leak or read out of
 * bounds. */
#include <stdint.h>

#include "beamflow/ms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bf_atoms *atoms = NULL;
    if (bf_poscar_parse((const char *)data, size, "POSCAR", &atoms) == BF_OK)
        bf_atoms_destroy(atoms);
    return 0;
}
