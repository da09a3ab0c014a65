/* beamflow potential: build the projected potential slices a job file's atoms and potential
 * sections describe and write them as float32 shaped (slice, x, y) in V·Å, laid out as abTEM's
 * Potential.build().array, to .npy or NeXus HDF5. All physics lives in the library
 * (bf_ms_write_potential). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "beamflow/ms.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: beamflow potential JOB.json -o POT.npy|POT.h5 [--help]\n\n"
               "Build the projected potential of the job's first configuration (atoms and\n"
               "potential sections; frozen-phonon configuration 0 when the job has them) and\n"
               "write it as float32 shaped (slice, x, y), in V*A: .npy, or NeXus HDF5 (.h5,\n"
               ".nxs) with the axes and slice thicknesses.\n\n"
               "  -o, --output FILE   the file to write (required)\n"
               "  -h, --help          this help\n");
}

static int cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "beamflow: potential: option '%s' needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "beamflow: potential: unknown option '%s' (see beamflow potential "
                            "--help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind != argc - 1 || !output) {
        fprintf(stderr, "beamflow: potential: expected one job file and -o FILE (see beamflow "
                        "potential --help)\n");
        return 2;
    }
    size_t n = strlen(output);
    int npy = n > 4 && strcmp(output + n - 4, ".npy") == 0;
    int h5 = (n > 3 && strcmp(output + n - 3, ".h5") == 0) ||
             (n > 4 && (strcmp(output + n - 4, ".nxs") == 0 || strcmp(output + n - 4, ".hdf") == 0));
    if (!npy && !h5) {
        fprintf(stderr, "beamflow: potential: '%s': expected a .npy or .h5 output file\n", output);
        return 2;
    }
    bf_ms_job *job = NULL;
    bf_status st = bf_ms_job_load(argv[optind], &job);
    if (!st)
        st = bf_ms_write_potential(job, output);
    bf_ms_job_destroy(job);
    return st ? bf_cli_fail(st, "potential") : 0;
}

const bf_cli_command bf_cmd_potential = {"potential",
                                         "write the projected potential slices of a job (.npy or NeXus .h5)",
                                         cmd};
