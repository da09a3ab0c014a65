/* libFuzzer target for the PONI reader (and, through Detector_config, the detector factory):
 * any bytes must give BF_OK or an error with a message, never a crash, a leak or UB. */
#include <stddef.h>
#include <stdint.h>

#include "beamflow/ai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bf_geometry *g = NULL;
    if (bf_geometry_parse_poni((const char *)data, size, "fuzz.poni", &g) == BF_OK) {
        bf_geometry_params p;
        bf_geometry_get_params(g, &p);
        char cfg[512];
        (void)bf_detector_config_json(bf_geometry_detector(g), cfg, sizeof cfg);
    }
    bf_geometry_destroy(g);
    return 0;
}
