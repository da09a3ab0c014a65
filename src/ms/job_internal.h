/* Private to job.c and hrtem.c: the parsed simulation job. */
#ifndef BF_MS_JOB_INTERNAL_H
#define BF_MS_JOB_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "ms/ms_internal.h"

typedef enum { BF__WAVE_PLANE = 0, BF__WAVE_PROBE = 1 } bf__wave_kind;

struct bf_ms_job {
    char *name;         /* for messages */
    char *text;         /* the job file as given, stored with the results */
    char *dir;          /* relative paths start here */
    bf_frames frames;   /* the structure (after repeat); several frames = MD snapshots */
    int have_fp;
    size_t num_configs;
    double *sigmas;     /* per atom of frames[0] */
    char directions[4];
    uint64_t seed;
    int ensemble_mean;
    bf_potential_options pot;
    double *slice_list;
    bf__wave_kind wave;
    double energy;
    double tilt[2];      /* mrad */
    bf_probe_options probe;
    double position[2];  /* Å; default: centre of the cell */
    int have_position;
    int have_ctf;
    bf_ctf_options ctf;
    char *out[6];        /* file, exit_wave, intensity, potential, diffraction, image */
    int png, tiff, keep_ensemble;
    json_t *scan, *detectors; /* kept for STEM */
};

#endif
