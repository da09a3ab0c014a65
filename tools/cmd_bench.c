/* beamflow bench NAME: runs one of the benchmarks in bench/. */
#include "cli.h"

#include "bench.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} benches[] = {
    {"engine", bf_bench_engine, "engine overhead per unit on each scheduler"},
    {"integrate", bf_bench_integrate, "one-frame integration vs pyFAI, 1 and 2 cores"},
    {"decode", bf_bench_decode, "LZ4 / bitshuffle chunk decoding, frames/s per core"},
    {"pipeline", bf_bench_pipeline, "HDF5 files to curves vs h5py + pyFAI, 1 and 2 workers"},
    {"hrtem", bf_bench_hrtem, "HRTEM multislice vs abTEM, 1 and 2 workers"},
};
#define NBENCHES (sizeof benches / sizeof benches[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow bench NAME [options]   (beamflow bench NAME --help)\n\n");
    for (size_t i = 0; i < NBENCHES; i++)
        fprintf(f, "  %-10s %s\n", benches[i].name, benches[i].what);
    fprintf(f, "\nEach prints a table and, as its last line, one JSON object.\n");
}

static int bench_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < NBENCHES; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].run(argc - 1, argv + 1);
    fprintf(stderr, "beamflow: bench: unknown benchmark '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

const bf_cli_command bf_cmd_bench = {"bench", "measure speed, side by side with the reference",
                                     bench_main};
