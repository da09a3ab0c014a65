/* beamflow integrate pipeline: frames in (HDF5 files, globs, directories, series of CBF, EDF,
 * TIFF or NPY images), curves out (one NXazint1d file per input file or image series, optional
 * .xy per frame), on the engine: a unit is a range of
 * frames of one file (by default the whole file), each worker builds one integrator when it
 * starts and reuses it for every unit, and threads inside a worker decode chunks in parallel.
 *
 * Everything that can be checked is checked before any work starts (files, dataset, frame shape
 * against the PONI's detector, mask/dark/flat shapes); a corrupt chunk fails only its unit, the
 * others finish and are kept, and --resume redoes only what is missing. */
#ifndef BEAMFLOW_INTEGRATE_H
#define BEAMFLOW_INTEGRATE_H

#include <stdbool.h>

#include "beamflow/ai.h"
#include "beamflow/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_integrate_job {
    const char *const *inputs;   /* files, "file.h5::/path", globs, directories; single images
                                    (.cbf .edf .tif .npy) of one folder form one series */
    size_t ninputs;
    const char *dataset;         /* path inside the files; NULL: detect (ESRF/LIMA, Dectris) */
    const char *poni;            /* the geometry file */
    bf_integrator_options options; /* npt (npt_azim > 0: 2D cakes, NXazint2d), unit, method,
                                      error model, polarization, dummy, ranges; its mask and flat
                                      pointers are ignored: see the files */
    const char *mask_file;       /* image files (npy, edf, tiff, cbf, h5::path); the mask
                                    replaces the detector's, as in pyFAI; NULL: none (the
                                    detector's gap mask, no dark, no flat) */
    const char *dark_file;
    const char *flat_file;
    const char *output;          /* a file when there is one input file (or one series), else
                                    a folder; NULL:
                                    the current folder */
    bool xy;                     /* also one .xy curve per frame beside the outputs (1D) */
    bool per_scan;               /* one output per scan folder instead of per input file */
    uint64_t frames_per_unit;    /* 0: one input HDF5 file per unit; for a series of single
                                    images, as many as fit in unit_bytes */
    uint64_t batch_bytes;        /* at most this many bytes of frames are read then integrated
                                    together in a worker (0: 128 MiB); a worker with one thread
                                    takes at most 8 MiB at a time, so that frames are integrated
                                    while still in cache */
    uint64_t unit_bytes;         /* frame bytes of one unit of an image series; 0: 128 MiB */
} bf_integrate_job;

#define BF_INTEGRATE_JOB_INIT {NULL, 0, NULL, NULL, BF_INTEGRATOR_OPTIONS_INIT, NULL, NULL, NULL, \
                               NULL, false, false, 0, 0, 0}

/* A prepared job: inputs opened and checked, geometry and corrections loaded, outputs named. */
typedef struct bf_integration bf_integration;

/** Check and prepare everything; fails before any work with a message naming the file, the
 *  dataset or the option at fault. [thread-safe] */
bf_status bf_integration_create(const bf_integrate_job *job, bf_integration **out /* OUT */);
void bf_integration_destroy(bf_integration *ig);

/** The plan: one unit per file, or frames_per_unit frames. [thread-safe] */
bf_status bf_integration_plan(const bf_integration *ig, bf_plan **out /* OUT */);

/** Run the plan (made here) with these engine options; the outputs appear whole, one per input
 *  file, as their last unit is accepted. A default journal is set when opt has none. */
bf_status bf_integration_run(bf_integration *ig, const bf_run_options *opt,
                             bf_run_report *report /* OUT */);

/** Output files, one per input file (or scan folder with per_scan), in input order. */
size_t bf_integration_noutputs(const bf_integration *ig);
const char *bf_integration_output(const bf_integration *ig, size_t i);

/** The journal path used when the run options name none. */
const char *bf_integration_journal(const bf_integration *ig);

/** A synthetic CeO2 powder frame (demos, benchmarks): rings for the given lattice constant
 *  [Å] on geo, peak_counts at the strongest ring, Poisson noise from (seed, frame) only, module
 *  gaps at -1. tth_deg holds each pixel's 2θ in degrees (bf_geometry_centres), out rows*cols
 *  values. [thread-safe] */
bf_status bf_synthetic_powder(const bf_geometry *geo, const double *tth_deg, double lattice_A,
                              double peak_counts, uint64_t seed, uint64_t frame, int32_t *out);

#ifdef __cplusplus
}
#endif
#endif
