/* Private to hrtem.c and output.c: the results of a plane-wave or single-probe run. */
#ifndef BF_MS_RESULT_H
#define BF_MS_RESULT_H

#include "ms/ms_internal.h"

struct bf_ms_result {
    size_t configs, n;
    int gpts[2];
    double sampling[2];
    bf_complex64 *exit;    /* configs × n, 64-byte aligned */
    float *intensity;      /* configs × n when the job writes the ensemble's, else NULL */
    float *mean_intensity; /* n */
    float *image;          /* mean CTF image (n) or NULL */
    float *diffraction;    /* dshape[0] × dshape[1] mean pattern, then scratch */
    size_t dshape[2];
};

/* Side of the square cropped to the antialias circle ("cutoff") or to the largest square inside
 * it ("valid"), matched to the grid's parity as abTEM's PixelatedDetector. */
size_t bf__ms_crop_size(int n, double extent, double smax, int valid);
/* fftshift and crop an nx × ny pattern to mx × my. */
void bf__ms_shift_crop(const float *full, int nx, int ny, size_t mx, size_t my, float *out);

/* Pictures: float32 TIFF and an 8-bit PNG scaled min..max, rows along x. */
bf_status bf__ms_write_tiff(const char *path, const float *data, size_t nx, size_t ny);
bf_status bf__ms_write_png(const char *path, const float *data, size_t nx, size_t ny);

/* NeXus/HDF5 file of the results (nexus_out.c). */
struct bf_ms_job;
bf_status bf__ms_write_nexus(const struct bf_ms_job *j, const bf_ms_result *r, const char *path);

/* NeXus/HDF5 file of potential slices (slice, x, y) in V·Å. */
bf_status bf__ms_write_potential_nexus(const char *path, const char *job_text, const float *v,
                                       size_t ns, const int gpts[2], const double sampling[2],
                                       const double *dz);

#endif
