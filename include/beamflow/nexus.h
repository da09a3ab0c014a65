/* beamflow NeXus output: azimuthal integration results as NXazint1d / NXazint2d (the NeXus
 * application definitions for azimuthal integration, as MAX IV's azint writer writes them), so
 * that h5py, silx and nexusformat users find I, its errors and the radial axis with units, the
 * PONI and every integration parameter, and @default leading to the curves. */
#ifndef BEAMFLOW_NEXUS_H
#define BEAMFLOW_NEXUS_H

#include <stdbool.h>

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_azint_info {
    size_t frames;              /* rows of I */
    size_t npt_rad;             /* radial bins */
    size_t npt_azim;            /* azimuthal bins; 0 for 1D curves (NXazint1d) */
    const double *radial;       /* npt_rad bin centres, in radial_unit */
    const char *radial_unit;    /* pyFAI's name: 2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm */
    const double *azimuthal;    /* npt_azim bin centres in degrees (2D only) */
    double wavelength_m;        /* incident wavelength in metres; 0 if unknown */
    const char *poni;           /* the PONI text (may be NULL) */
    const char *poni_file;      /* where it came from (may be NULL) */
    const char *method;         /* "bbox,csr" */
    const char *error_model;    /* "poisson", "azimuthal", "none" */
    double polarization_factor; /* NaN when no polarization correction was applied */
    bool solid_angle;           /* solid-angle correction applied */
    const char *mask;           /* what masked pixels: a file name, "detector gaps", NULL */
    const char *source;         /* the frames' file and dataset, for provenance (may be NULL) */
} bf_azint_info;

typedef struct bf_azint_writer bf_azint_writer;

/** Start writing path (under a temporary name until commit). [thread-safe; the writer is
 *  handle-confined] */
bf_status bf_azint_writer_create(const char *path, const bf_azint_info *info,
                                 bf_azint_writer **out /* OUT */);

/** Write frames [first, first + count): I and sigma (NULL: no errors) hold count x npt_rad
 *  (x npt_azim for 2D, azimuth first) floats, as integrators return them. [handle-confined] */
bf_status bf_azint_writer_put(bf_azint_writer *w, size_t first, size_t count, const float *I,
                              const float *sigma);

/** Close the file and rename it into place; the writer must still be destroyed. */
bf_status bf_azint_writer_commit(bf_azint_writer *w);

/** Free the writer; without a commit the temporary file is removed. NULL is a no-op. */
void bf_azint_writer_destroy(bf_azint_writer *w);

/** Read back I and I_errors of a file this writer made: n floats each (frames x bins x ...),
 *  which must be exactly the dataset's size; sigma may be NULL. [thread-safe] */
bf_status bf_azint_read(const char *path, float *I, float *sigma, size_t n);

/** NeXus units and a long name for a pyFAI radial unit ("2th_deg" -> "degrees", "2θ"). */
bf_status bf_azint_unit_names(const char *radial_unit, const char **units,
                              const char **long_name);

#ifdef __cplusplus
}
#endif
#endif
