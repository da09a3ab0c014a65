/* Private to src/ms: element tables, the atoms struct, parametrization kernels, FFT set-up and
 * small text helpers shared by the structure readers. */
#ifndef BF_MS_INTERNAL_H
#define BF_MS_INTERNAL_H

#include <fftw3.h>
#include <stddef.h>

#include "beamflow/ms.h"
#include "core/error.h"

#define BF__NUM_ELEMENTS 103

typedef enum bf__xtal {
    BF__XTAL_NONE = 0,
    BF__XTAL_SC,
    BF__XTAL_FCC,
    BF__XTAL_BCC,
    BF__XTAL_HCP,
    BF__XTAL_DIAMOND
} bf__xtal;

typedef struct bf__ms_element {
    const char *symbol;
    double mass;          /* u, IUPAC 2016 */
    bf__xtal xtal;        /* ASE reference state */
    double a, covera;     /* Å, c/a (hcp) */
    double lobato[2][5];  /* a[5], b[5] */
    double kirkland[4][3];/* a, b, c, d */
    double peng[2][5];    /* a[5], b[5]; zeros where Peng has no fit (Z > 98) */
} bf__ms_element;

extern const bf__ms_element bf__ms_elements[BF__NUM_ELEMENTS + 1];

struct bf_atoms {
    size_t n;
    int *z;
    double *xyz;   /* 3n */
    double cell[3];
    double *sigma; /* n thermal displacements (Å) from the file, or NULL */
};

/* An empty atoms object with room for n atoms (z and xyz uninitialised). */
bf_status bf__ms_atoms_alloc(size_t n, const double cell[3], bf_atoms **out);

/* Scaled parameters of one element (abTEM's scaled_parameters), as float32 values. */
typedef struct bf__radial {
    bf_parametrization kind;
    int z;
    int nterms;
    double p[4][5]; /* lobato: a', b'; kirkland: a', b', c', d'; peng: a', b' of V, a/κ, b/4 */
} bf__radial;

/* BF_EINVAL / BF_EUNSUPPORTED unless the parametrization covers element z. */
bf_status bf__radial_check(bf_parametrization p, int z);
void bf__radial_init(bf__radial *r, bf_parametrization kind, int z);
double bf__radial_potential(const bf__radial *r, double radius);          /* V */
double bf__radial_scattering(const bf__radial *r, double k2);             /* V·Å³ */
double bf__radial_cutoff(const bf__radial *r, double tolerance);          /* Å */

/* fftfreq(n, d)[i] as numpy: frequencies in 1/(unit of d). */
double bf__ms_fftfreq(int i, int n, double d);
/* gpts in 1..65536 and finite positive sampling. */
bf_status bf__ms_check_grid(const int gpts[2], const double sampling[2]);
/* abTEM's probe aperture at (alpha, phi) rad; origin: the k = 0 pixel. */
double bf__probe_aperture(const bf_probe_options *opt, double lambda, const double extent[2],
                          double alpha, double phi, int origin);

/* A probe's normalised Fourier coefficients divided by N (before the inverse FFT). */
bf_status bf__probe_fourier(const bf_probe_options *opt, const int gpts[2], const double sampling[2],
                            const double position[2], bf_complex64 *wave);

/* bf_multislice_run for one plane wave ψ₀ = 1 (written into wave), saving the first slice's
 * FFT pair. */
bf_status bf__multislice_run_plane_wave(bf_multislice *ms, const bf_potential *pot,
                                        bf_complex64 *wave);

/* FFTW set-up shared by ms files: makes the planner thread-safe once. */
void bf__ms_fft_init(void);
/* Median of 15 runs of a plan on its own buffers (s): what the benches and the FFT-share
 * accounting weigh transforms by. */
double bf__ms_fft_time(fftwf_plan p);
/* Destroys the plans of a set that were made (NULL entries are skipped). */
void bf__ms_fft_destroy_plans(const fftwf_plan *plans, int n);
/* FFTW planner flags for a planning choice (BF_FFT_DEFAULT: the process setting). */
unsigned bf__ms_fft_flags(bf_fft_planning p);

/* out[2k], out[2k+1] = cos, sin of (float)(s·v[k]) for k < n (expi.c): vectorised, within
 * ~1e-7 of libm's sincosf. */
void bf__ms_expi(const float *v, float s, float *out, size_t n);

/* Physical constants (CODATA 2014, as ASE 3.22). */
#define BF__KAPPA 0.0208865737082965 /* 1/(V·Å²): 4πε0/(2π a0 e) */

/* Reading text line by line for the structure readers. */
typedef struct bf__ms_lines {
    const char *p, *end;
    size_t lineno;
    char *buf;
    size_t cap;
} bf__ms_lines;
void bf__ms_lines_init(bf__ms_lines *l, const char *text, size_t len);
/* Next line (without newline, NUL-terminated copy), or NULL at the end; NULL also on ENOMEM
 * with *st set. */
const char *bf__ms_lines_next(bf__ms_lines *l, bf_status *st);
void bf__ms_lines_free(bf__ms_lines *l);

/* Split s in place on whitespace into at most max tokens; returns the count. */
size_t bf__ms_split(char *s, char **tok, size_t max);
/* Strict number parse of a whole token. */
int bf__ms_parse_double(const char *s, double *v);
int bf__ms_parse_long(const char *s, long *v);
/* Element symbol or number token ("Si", "si", "14", "Si1", "Si3+") -> Z; 0 if unknown. */
int bf__ms_element_from_token(const char *s, int allow_suffix);

/* A growable list of atoms for the readers. */
typedef struct bf__ms_atom_list {
    size_t n, cap;
    int *z;
    double *xyz;
} bf__ms_atom_list;
bf_status bf__ms_atom_list_push(bf__ms_atom_list *l, int z, double x, double y, double zz);
/* Give the atoms their file's per-atom σ (copied). */
bf_status bf__ms_atoms_set_sigmas(bf_atoms *atoms, const double *sigma);
/* Make atoms in the cell from the list (which is emptied either way). */
bf_status bf__ms_atom_list_finish(bf__ms_atom_list *l, const double cell[3], bf_atoms **out);
void bf__ms_atom_list_free(bf__ms_atom_list *l);

/* BF_EINVAL naming the first two atoms closer than tol (Å), periodic images included. */
bf_status bf__ms_check_overlaps(const bf_atoms *atoms, double tol);

/* Read a whole file into a NUL-terminated buffer. */
bf_status bf__ms_read_file(const char *path, char **text, size_t *len);

/* .npy with numpy's dtype names ("<f4", "<c8"), over io's reader and writer (npy_out.c); the
 * writer commits the file whole. The array read is malloc'ed: the caller frees it. */
bf_status bf__ms_npy_write(const char *path, const char *dtype, size_t ndim, const size_t *shape,
                           const void *data);
bf_status bf__ms_npy_read(const char *path, char dtype[8], size_t *ndim, size_t shape[8],
                          void **data);

#endif
