/* Fuzz target: the JSON config-file layer. Any bytes must load or fail with a message naming the
 * file; never crash, never leak. The bytes reach bf_config_load_file through a memfd, so the
 * real file path (reading, size cap, line lookup) is what gets fuzzed. */
#include "beamflow/config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("bf_fuzz_config", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    bf_config *cfg = NULL;
    if (bf_config_create(&cfg) == BF_OK) {
        bf_status st = bf_config_load_file(cfg, path);
        if (st != BF_OK && !strstr(bf_last_error(), path) && !strstr(bf_last_error(), "memory"))
            __builtin_trap(); /* every error must name the file */
        for (size_t i = 0; bf_config_key(i); i++)
            (void)bf_config_get(cfg, bf_config_key(i));
    }
    bf_config_destroy(cfg);
    close(fd);
    return 0;
}
