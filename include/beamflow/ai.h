/* beamflow ai: azimuthal integration of X-ray detector frames, bin for bin compatible with
 * pyFAI 0.21.3 (formulas in shared/refs/pyfai-formulas.md).
 *
 * Three objects, each opaque and read-only once built:
 *   bf_detector    a pixel grid (pyFAI catalogue name or generic) and its module-gap mask;
 *   bf_geometry    a detector placed in the beam: the six PONI parameters and the wavelength;
 *   bf_integrator  the plan: a pixel-to-bin sparse matrix with the static corrections folded in.
 * Conventions as pyFAI: arrays are C-order (rows, cols); "1" is the row (slow, y) axis, "2" the
 * column (fast, x) axis; lengths in metres, angles in radians unless a unit says otherwise.
 * Masks are uint8 arrays of rows*cols bytes, nonzero = masked (pyFAI's convention). */
#ifndef BEAMFLOW_AI_H
#define BEAMFLOW_AI_H

#include <stddef.h>
#include <stdint.h>

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- detectors ---------------------------------------------------------------------------- */

typedef struct bf_detector bf_detector;

/** Create a detector from a pyFAI name or alias ("Pilatus CdTe 2M", "PilatusCdTe2M",
 *  "eiger2_4m", "Detector"), matched like pyFAI's detector_factory (case-insensitive, spaces or
 *  underscores). config_json is pyFAI's Detector_config (a JSON object, may be NULL or "{}"):
 *  "pixel1", "pixel2" [m] and "max_shape" [rows, cols] are understood; the generic "Detector"
 *  needs all three. Unknown names fail with BF_ENOTFOUND naming the detector. [thread-safe] */
bf_status bf_detector_create(const char *name, const char *config_json,
                             bf_detector **out /* OUT */);

/** A generic detector (pyFAI "Detector") of rows x cols pixels of pixel1 x pixel2 metres, no
 *  mask. [thread-safe] */
bf_status bf_detector_create_generic(double pixel1, double pixel2, size_t rows, size_t cols,
                                     bf_detector **out /* OUT */);

/** An independent copy. [thread-safe] */
bf_status bf_detector_clone(const bf_detector *det, bf_detector **out /* OUT */);

/** NULL is a no-op. [handle-confined] */
void bf_detector_destroy(bf_detector *det);

/** pyFAI class name ("PilatusCdTe2M", "Detector"). View valid while det lives. [thread-safe] */
const char *bf_detector_name(const bf_detector *det);
size_t bf_detector_rows(const bf_detector *det);
size_t bf_detector_cols(const bf_detector *det);
double bf_detector_pixel1(const bf_detector *det); /* [m], along rows */
double bf_detector_pixel2(const bf_detector *det); /* [m], along columns */

/** The module-gap mask exactly as pyFAI's detector.mask (rows*cols bytes, 1 = masked), or NULL
 *  for a detector without one. View valid while det lives. [thread-safe] */
const uint8_t *bf_detector_mask(const bf_detector *det);

/** pyFAI's Detector_config JSON for this detector ("{}" for catalogue detectors at their
 *  defaults). Fails with BF_EINVAL if buf is too small. [thread-safe] */
bf_status bf_detector_config_json(const bf_detector *det, char *buf, size_t buflen);

/* ---- geometry and PONI files -------------------------------------------------------------- */

typedef struct bf_geometry bf_geometry;

typedef struct bf_geometry_params {
    double dist;       /* [m] sample to PONI along the detector normal, > 0 */
    double poni1;      /* [m] PONI along rows from the detector's origin corner */
    double poni2;      /* [m] PONI along columns */
    double rot1, rot2, rot3; /* [rad] pyFAI rotations */
    double wavelength; /* [m]; 0 = unknown (q units then unavailable) */
} bf_geometry_params;

/** Place a copy of det in the beam. [thread-safe] */
bf_status bf_geometry_create(const bf_detector *det, const bf_geometry_params *p,
                             bf_geometry **out /* OUT */);

/** Read a pyFAI .poni file, version 1 or 2. Errors name the file, the line and the key.
 *  [thread-safe] */
bf_status bf_geometry_read_poni(const char *path, bf_geometry **out /* OUT */);

/** As bf_geometry_read_poni from text in memory (len bytes, no terminator needed); source names
 *  it in messages. [thread-safe] */
bf_status bf_geometry_parse_poni(const char *text, size_t len, const char *source,
                                 bf_geometry **out /* OUT */);

/** Write a version 2 .poni file (replacing path, written to a temporary name and renamed).
 *  Numbers are written in their shortest round-trip form, as Python's repr. [thread-safe] */
bf_status bf_geometry_write_poni(const bf_geometry *geo, const char *path);

/** NULL is a no-op. [handle-confined] */
void bf_geometry_destroy(bf_geometry *geo);

void bf_geometry_get_params(const bf_geometry *geo, bf_geometry_params *out /* OUT */);
/** View valid while geo lives. [thread-safe] */
const bf_detector *bf_geometry_detector(const bf_geometry *geo);

typedef enum bf_ai_unit {
    BF_UNIT_2TH_DEG = 0, /* "2th_deg" */
    BF_UNIT_2TH_RAD,     /* "2th_rad" */
    BF_UNIT_Q_NM,        /* "q_nm^-1" */
    BF_UNIT_Q_A,         /* "q_A^-1" */
    BF_UNIT_R_MM,        /* "r_mm" */
    BF_UNIT_CHI_DEG      /* "chi_deg": azimuthal axis only */
} bf_ai_unit;

/** Parse a pyFAI unit name ("2th_deg", "q_nm^-1", ...). [thread-safe] */
bf_status bf_ai_unit_parse(const char *name, bf_ai_unit *out /* OUT */);
const char *bf_ai_unit_name(bf_ai_unit unit);

/** Per-pixel value of unit at the pixel centres, rows*cols doubles, computed exactly as pyFAI
 *  (float32 centre positions, float64 after). [thread-safe] */
bf_status bf_geometry_centres(const bf_geometry *geo, bf_ai_unit unit, double *out /* OUT */);

/** pyFAI's corner_array: rows*cols*4*2 floats, corners A=(i,j), B=(i+1,j), C=(i+1,j+1),
 *  D=(i,j+1), [..,0] = radial value in unit, [..,1] = chi [rad]. [thread-safe] */
bf_status bf_geometry_corners(const bf_geometry *geo, bf_ai_unit unit, float *out /* OUT */);

/* ---- integrator --------------------------------------------------------------------------- */

typedef enum bf_split { BF_SPLIT_NO = 0, BF_SPLIT_BBOX, BF_SPLIT_FULL } bf_split;
typedef enum bf_algorithm { BF_ALGO_CSR = 0, BF_ALGO_HISTOGRAM } bf_algorithm;
typedef enum bf_error_model {
    BF_ERROR_NONE = 0, /* no variance: sigma is written as 0 */
    BF_ERROR_POISSON,  /* variance = max(raw, 1), as pyFAI 0.21.3 (the dark does not enter);
                          in 2D variance = raw, as pyFAI 0.21.3's integrate2d_ng */
    BF_ERROR_AZIMUTHAL /* spread of the pixels around their bin's mean: variance =
                          sum c * norm * (signal/norm - mean)^2 (as pyFAI 0.21.3 in 1D; in 2D
                          the spread within each cell, where pyFAI 0.21.3 gives no sigma) */
} bf_error_model;

/** Parse "no"/"bbox"/"full" and "csr"/"histogram" from a pyFAI method string "bbox,csr" (either
 *  order; missing parts keep *split / *algo). [thread-safe] */
bf_status bf_method_parse(const char *text, bf_split *split /* IN/OUT */,
                          bf_algorithm *algo /* IN/OUT */);
bf_status bf_error_model_parse(const char *text, bf_error_model *out /* OUT */);

typedef struct bf_integrator_options {
    int npt;                    /* radial bins, > 0 */
    bf_ai_unit unit;            /* radial unit (not chi_deg) */
    bf_split split;
    bf_algorithm algorithm;
    bf_error_model error_model;
    int no_solid_angle;         /* 0 = correct for solid angle (pyFAI's default) */
    int has_polarization;       /* 0 = no polarization correction */
    double polarization_factor; /* [-1, 1] */
    double polarization_offset; /* [rad] axis offset */
    const float *flat;          /* rows*cols, borrowed for create only; NULL = none */
    const uint8_t *mask;        /* rows*cols, nonzero = masked, borrowed for create; NULL = the
                                   detector's own mask (as pyFAI) */
    int has_dummy;              /* 1: pixels equal to dummy (|raw-dummy| <= delta_dummy) are
                                   invalid, and empty bins read dummy */
    double dummy, delta_dummy;
    int has_radial_range;
    double radial_range[2];     /* in unit */
    int has_azimuth_range;
    double azimuth_range[2];    /* [deg]; 1D: a pixel counts if its chi (bbox: chi -+ deltaChi;
                                   full: its corners' chi extent) meets the range, as pyFAI */
    double normalization_factor; /* 0 means 1.0 */
    double empty;               /* value of empty bins (when no dummy); pyFAI default 0 */
    int threads;                /* threads used by create (0: the online CPUs, at most 8); the
                                   result does not depend on it */
    int npt_azim;               /* 0: 1D curve; > 0: 2D cake with this many azimuthal (chi)
                                   bins (full splitting: csr algorithm only) */
} bf_integrator_options;

#define BF_INTEGRATOR_OPTIONS_INIT                                                               \
    {.npt = 1000, .unit = BF_UNIT_2TH_DEG, .split = BF_SPLIT_BBOX, .algorithm = BF_ALGO_CSR,     \
     .error_model = BF_ERROR_NONE, .normalization_factor = 1.0}

typedef struct bf_integrator bf_integrator;

/** Build the pixel-to-bin matrix for geo and opt (all expensive work happens here, on
 *  opt->threads threads). The integrator keeps no pointer to geo or opt. Errors: BF_EINVAL for
 *  options out of range, a geometry that cannot be integrated (beam parallel to the detector,
 *  q without wavelength) or a fully masked detector. [thread-safe] */
bf_status bf_integrator_create(const bf_geometry *geo, const bf_integrator_options *opt,
                               bf_integrator **out /* OUT */);

/** NULL is a no-op. [handle-confined] */
void bf_integrator_destroy(bf_integrator *integ);

/** Number of radial bins, bin centres in the output unit (view), nonzeros in the matrix.
 *  [thread-safe] */
size_t bf_integrator_npt(const bf_integrator *integ);
const double *bf_integrator_radial(const bf_integrator *integ);
size_t bf_integrator_nnz(const bf_integrator *integ);
/** Azimuthal bins of a 2D integrator (0 for 1D) and their centres [deg] (view, NULL for 1D).
 *  [thread-safe] */
size_t bf_integrator_npt_azim(const bf_integrator *integ);
const double *bf_integrator_azimuthal(const bf_integrator *integ);

/** 1 for the frame types the integrator reads as they are: int32, uint32, uint16, float32,
 *  float64 (others are converted first, e.g. with bf_image_to_f32). [thread-safe] */
int bf_frame_dtype_supported(bf_dtype dt);

/** One frame, borrowed for the call. */
typedef struct bf_frame {
    const void *data;       /* rows*cols values of dtype, C-order */
    bf_dtype dtype;
    size_t rows, cols;      /* must equal the detector's */
    const float *dark;      /* rows*cols or NULL */
    const uint8_t *invalid; /* rows*cols per-frame mask (nonzero = skip) or NULL */
} bf_frame;

/** Caller storage for one curve; every array holds bf_integrator_npt() elements (a 2D cake:
 *  npt_azim x npt, row-major by azimuthal bin as pyFAI's result.intensity, except radial: npt
 *  and azimuthal: npt_azim). intensity is required; the others may be NULL. */
typedef struct bf_curve {
    double *radial;            /* bin centres in the unit */
    float *intensity;
    float *sigma;              /* 0 when the error model is none */
    double *sum_signal;        /* pyFAI's sums, in double */
    double *sum_variance;
    double *sum_normalization;
    double *count;
    double *azimuthal;         /* 2D only: azimuthal bin centres [deg] */
} bf_curve;

/** Integrate one frame into out. Allocates nothing (the histogram algorithm keeps its sums on
 *  the stack up to 4096 bins; beyond, the curve must provide the four sum arrays). Pixels that
 *  are NaN/inf, equal to the dummy, flagged in frame->invalid or whose dark is NaN count as
 *  absent, as in pyFAI. The results do not depend on the CPU's vector unit or on batching.
 *  [thread-safe] on a shared integrator. */
bf_status bf_integrator_integrate1d(const bf_integrator *integ, const bf_frame *frame,
                                    bf_curve *out /* OUT */);

/** Integrate one frame into a 2D cake (integrator built with npt_azim > 0): as integrate1d,
 *  arrays of npt_azim x npt. Allocates nothing. [thread-safe] */
bf_status bf_integrator_integrate2d(const bf_integrator *integ, const bf_frame *frame,
                                    bf_curve *out /* OUT */);

/** Integrate nframes frames (same dtype/shape; each out[k] as above). Each result is
 *  bit-identical to integrating that frame alone. Allocates nothing. [thread-safe] */
bf_status bf_integrator_integrate1d_batch(const bf_integrator *integ, const bf_frame *frames,
                                          size_t nframes, bf_curve *out /* OUT */);

/* ---- .xy output --------------------------------------------------------------------------- */

/** Write a pyFAI-style .xy text curve: '#' header lines (geometry, options), then columns
 *  radial, I and (with an error model) sigma. [thread-safe] */
bf_status bf_curve_write_xy(const char *path, const bf_geometry *geo,
                            const bf_integrator_options *opt, size_t npt, const bf_curve *c);

#ifdef __cplusplus
}
#endif
#endif
