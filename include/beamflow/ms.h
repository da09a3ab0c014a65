/* beamflow ms: multislice physics for transmission electron microscopy, following abTEM 1.0.9's
 * conventions (see shared/refs/abtem-conventions.md).
 *
 * Units: lengths in Å, energies in eV, angles in mrad, potentials in V·Å (projected). Arrays are
 * row-major (…, x, y): x runs along the cell's first axis and is the slow index, as abTEM lays
 * out its arrays. Complex arrays are bf_complex64 (interleaved float re, im; the layout of numpy's
 * complex64 and of fftwf_complex).
 *
 * The flow is plan-then-execute: atoms -> bf_potential (slicing and per-species tables, built
 * once, read-only) -> bf_multislice (FFTW plans, propagators and antialias aperture, built once
 * per worker) -> execute on batches of waves in caller storage. */
#ifndef BEAMFLOW_MS_H
#define BEAMFLOW_MS_H

#include <stddef.h>

#include "beamflow/core.h"
#include "beamflow/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef float _Complex bf_complex64;

/* ---------------------------------------------------------------- elements and structures */

/** Atomic number of a chemical symbol ("Au" -> 79), Z = 1..103; BF_EINVAL names an unknown
 *  symbol. [thread-safe] */
bf_status bf_element_number(const char *symbol, int *z /* OUT */);

/** Chemical symbol of Z = 1..103, or NULL. [thread-safe] */
const char *bf_element_symbol(int z);

/** Atoms in an orthogonal, periodic cell (lengths cell[0..2] along x, y, z). Read-only once
 *  made; every function taking a const bf_atoms is [thread-safe]. */
typedef struct bf_atoms bf_atoms;

/** Copy n atoms (numbers z[n], positions xyz[3n] in Å) in the cell into a new handle. Fails for
 *  unknown Z, non-finite positions or a non-positive cell length. [thread-safe] */
bf_status bf_atoms_create(size_t n, const int *z, const double *xyz, const double cell[3],
                          bf_atoms **out /* OUT */);
/** Atoms in a general periodic cell (lattice vectors a, b, c as the rows of lattice[9], Å;
 *  Cartesian positions xyz[3n]) made into atoms in an orthogonal cell as abTEM 1.0.9's
 *  orthogonalize_cell does: an orthogonal cell is kept; otherwise the smallest supercell with
 *  vectors along x, y and z (combinations of at most ±5 of each lattice vector: the cubic cell
 *  of a primitive fcc or bcc cell, the orthorhombic a x a√3 x c cell of hcp) is cut out, atoms
 *  wrapped into it, and rotated onto the axes. Where abTEM would strain the structure because
 *  no such supercell exists (a rhombohedral lattice), this is BF_EUNSUPPORTED naming the strain.
 *  [thread-safe] */
bf_status bf_atoms_create_lattice(size_t n, const int *z, const double *xyz,
                                  const double lattice[9], bf_atoms **out /* OUT */);
void bf_atoms_destroy(bf_atoms *atoms);
size_t bf_atoms_count(const bf_atoms *atoms);
/** Views into the atoms: numbers (n), positions (3n, Å), cell (3, Å). [thread-safe] */
const int *bf_atoms_numbers(const bf_atoms *atoms);
const double *bf_atoms_positions(const bf_atoms *atoms);
const double *bf_atoms_cell(const bf_atoms *atoms);
/** Per-atom thermal displacements σ (Å) a structure file gave (Kirkland/Prismatic XYZ), or NULL.
 *  [thread-safe] */
const double *bf_atoms_sigmas(const bf_atoms *atoms);

/** Supercell: the atoms repeated rep[0] x rep[1] x rep[2] times (ASE's `atoms * rep` order:
 *  the original atoms first, then images with x outermost), σ included. [thread-safe] */
bf_status bf_atoms_repeat(const bf_atoms *atoms, const int rep[3], bf_atoms **out /* OUT */);

/** ASE's bulk(): name is a symbol ("Au") or a formula for compounds ("NaCl", "GaAs", "CaF2",
 *  "SrTiO3"); crystalstructure one of ASE's sc, fcc, bcc, tetragonal, bct, hcp, rhombohedral,
 *  orthorhombic, diamond, zincblende, rocksalt, cesiumchloride, fluorite, wurtzite, or
 *  perovskite (ABO3, cubic; an extension). NULL takes ASE 3.22's reference state of the element,
 *  and lattice constants left 0 come from it as ASE takes them. cubic and orthorhombic give
 *  ASE's conventional cells (cubic fluorite is an extension); otherwise ASE's primitive cell is
 *  built and made orthogonal as abTEM does (bf_atoms_create_lattice): fcc -> its 4-atom cubic
 *  cell, hcp -> the 4-atom a x a√3 x c cell; rhombohedral lattices (but for α = 60° or 90°)
 *  have no orthogonal supercell and are BF_EUNSUPPORTED. tetragonal (a x a x c, one atom per formula) is built as ASE lists
 *  but does not build it; mcl is not supported. */
typedef struct bf_bulk_options {
    const char *name;
    const char *crystalstructure; /* NULL: ASE's reference state for the element */
    double a;                     /* Å; 0: reference */
    double c;                     /* Å; 0: reference c/a (hcp, wurtzite: ideal sqrt(8/3) when
                                     the reference is another structure) */
    int cubic;                    /* 1: cubic conventional cell */
    int orthorhombic;             /* 1: orthorhombic cell (ASE's orthorhombic=True) */
    double b;                     /* Å (orthorhombic); 0: reference b/a */
    double alpha;                 /* degrees (rhombohedral); 0: reference */
    double u;                     /* wurtzite internal coordinate; 0: ideal 1/4 + 1/(3 (c/a)²) */
} bf_bulk_options;
#define BF_BULK_OPTIONS_INIT {NULL, NULL, 0.0, 0.0, 0, 0, 0.0, 0.0, 0.0}

bf_status bf_bulk(const bf_bulk_options *opt, bf_atoms **out /* OUT */);

/** A list of structures (frames of a trajectory). */
typedef struct bf_frames {
    size_t count;
    bf_atoms **frames;
} bf_frames;
void bf_frames_free(bf_frames *frames); /* destroys every frame and empties the list */

/** Parse text already in memory; name is used in messages ("file.xyz:12: ..."). Extended XYZ
 *  (Lattice= and Properties= with species:S:1:pos:R:3; several frames), Kirkland/Prismatic XYZ
 *  (comment, cell line, "Z x y z occ sigma" lines, -1), VASP POSCAR/CONTCAR (VASP 5 with species
 *  line, Direct or Cartesian), CIF (one data block; _cell_*, _atom_site_fract_* and the
 *  symmetry operations of _symmetry_equiv_pos_as_xyz / _space_group_symop_operation_xyz).
 *  Non-orthogonal cells are made orthogonal as bf_atoms_create_lattice does (BF_EUNSUPPORTED
 *  naming the file and line of the cell where that is impossible). Malformed input is
 *  BF_EFORMAT with a line number. [thread-safe] */
bf_status bf_xyz_parse(const char *text, size_t len, const char *name, bf_frames *out /* OUT */);
bf_status bf_kirkland_xyz_parse(const char *text, size_t len, const char *name,
                                bf_atoms **out /* OUT */);
bf_status bf_poscar_parse(const char *text, size_t len, const char *name, bf_atoms **out /* OUT */);
bf_status bf_cif_parse(const char *text, size_t len, const char *name, bf_atoms **out /* OUT */);

/** Read a structure file, choosing the reader by name: *.cif; POSCAR, CONTCAR or *.vasp; *.xyz
 *  (extended XYZ, or Kirkland XYZ when the second line is a bare cell). [thread-safe] */
bf_status bf_structure_read(const char *path, bf_frames *out /* OUT */);

/* ---------------------------------------------------------------- frozen phonons */

/** Displace every atom by sigma[i] * N(0, 1) along each axis in directions ("xyz", "xy", ...),
 *  then wrap into the cell. The random stream depends only on (seed, config), so any worker can
 *  build any configuration. sigmas: one value per atom (Å). [thread-safe] */
bf_status bf_frozen_phonons_displace(const bf_atoms *atoms, const double *sigmas,
                                     const char *directions, unsigned long long seed,
                                     size_t config, bf_atoms **out /* OUT */);

/* ---------------------------------------------------------------- potentials */

/* Lobato & Van Dyck (2014) and Kirkland (2010) for Z = 1..103; Peng (1999, high-angle fit)
 * for Z = 1..98. */
typedef enum bf_parametrization { BF_LOBATO = 0, BF_KIRKLAND = 1, BF_PENG = 2 } bf_parametrization;
typedef enum bf_projection { BF_PROJECTION_INFINITE = 0, BF_PROJECTION_FINITE = 1 } bf_projection;

/** Parse "lobato"/"kirkland"/"peng", "infinite"/"finite". [thread-safe] */
bf_status bf_parametrization_parse(const char *text, bf_parametrization *out /* OUT */);
bf_status bf_projection_parse(const char *text, bf_projection *out /* OUT */);

/** The parametrization's electron scattering factor at k² (1/Å²) scaled as abTEM's projected
 *  scattering factor (V·Å³), and its radial potential at r (V). [thread-safe] */
bf_status bf_scattering_factor(bf_parametrization p, int z, double k2, double *f /* OUT */);
bf_status bf_radial_potential(bf_parametrization p, int z, double r, double *v /* OUT */);

typedef struct bf_potential_options {
    int gpts[2];                     /* grid points; 0: from sampling */
    double sampling[2];              /* Å/pixel, used when gpts is 0 */
    double slice_thickness;          /* Å; n = ceil(c/Δ) slices of c/n. 0: 1 Å */
    const double *slice_thicknesses; /* optional list (Å), summing to the cell's c */
    size_t num_slice_thicknesses;
    bf_parametrization parametrization;
    bf_projection projection;
    int fft_friendly;                /* 1: round gpts from sampling up to a 7-smooth size */
    double cutoff_tolerance;         /* finite projection: |V(r_c)| = tol (V); 0: 1e-4 */
} bf_potential_options;
#define BF_POTENTIAL_OPTIONS_INIT {{0, 0}, {0.0, 0.0}, 1.0, NULL, 0, BF_LOBATO, \
                                   BF_PROJECTION_INFINITE, 0, 1e-4}

/** A sliced potential plan: grid, slices, atoms sorted into slices, per-species tables. */
typedef struct bf_potential bf_potential;

/** Validate, slice and precompute. [thread-safe] */
bf_status bf_potential_create(const bf_atoms *atoms, const bf_potential_options *opt,
                              bf_potential **out /* OUT */);

/** The same plan for other atoms in the same cell (another frozen-phonon configuration), reusing
 *  the template's per-species tables where the species match. [thread-safe] */
bf_status bf_potential_create_from(const bf_potential *tmpl, const bf_atoms *atoms,
                                   bf_potential **out /* OUT */);
void bf_potential_destroy(bf_potential *pot);
size_t bf_potential_num_slices(const bf_potential *pot);
void bf_potential_grid(const bf_potential *pot, int gpts[2] /* OUT */,
                       double sampling[2] /* OUT */);
double bf_potential_slice_thickness(const bf_potential *pot, size_t i);

/** Scratch for building slices; one per thread. It serves any potential with the same grid and
 *  projection (and, for the finite projection, tables no longer than the first one's). */
typedef struct bf_potential_workspace bf_potential_workspace;
bf_status bf_potential_workspace_create(const bf_potential *pot,
                                        bf_potential_workspace **out /* OUT */);
void bf_potential_workspace_destroy(bf_potential_workspace *ws);

/** Projected potential of slice i (V·Å) into out[nx*ny]. Allocation-free. [thread-safe] with a
 *  workspace per thread. */
bf_status bf_potential_build_slice(const bf_potential *pot, bf_potential_workspace *ws, size_t i,
                                   float *out /* OUT */);

/* ---------------------------------------------------------------- waves */

/** Relativistic wavelength (Å) and interaction parameter σ (1/(V·Å)) at energy E (eV), with
 *  CODATA 2014 constants as ASE/abTEM. Non-positive or non-finite E is BF_EINVAL. [thread-safe] */
bf_status bf_energy2wavelength(double energy, double *wavelength /* OUT */);
bf_status bf_energy2sigma(double energy, double *sigma /* OUT */);

/** Polar aberration coefficients (Å, angles in rad), abTEM's names. */
enum {
    BF_C10, BF_C12, BF_PHI12, BF_C21, BF_PHI21, BF_C23, BF_PHI23, BF_C30, BF_C32, BF_PHI32,
    BF_C34, BF_PHI34, BF_C41, BF_PHI41, BF_C43, BF_PHI43, BF_C45, BF_PHI45, BF_C50, BF_C52,
    BF_PHI52, BF_C54, BF_PHI54, BF_C56, BF_PHI56, BF_NUM_ABERRATIONS
};
typedef struct bf_aberrations {
    double c[BF_NUM_ABERRATIONS];
} bf_aberrations;

/** Set one coefficient by abTEM's name or alias: C10..C56, phi12..phi56, defocus (= -C10), Cs
 *  (C30), C5 (C50), astigmatism (C12), astigmatism_angle (phi12), coma (C21), coma_angle
 *  (phi21), Cs5, ... Unknown names are BF_EINVAL. [thread-safe] */
bf_status bf_aberrations_set(bf_aberrations *ab, const char *name, double value);

/** Phase error χ(α, φ) (rad) at scattering angle alpha (rad), azimuth phi. [thread-safe] */
double bf_aberrations_chi(const bf_aberrations *ab, double wavelength, double alpha, double phi);

typedef struct bf_probe_options {
    double energy;           /* eV */
    double semiangle_cutoff; /* mrad; 0: 30 (abTEM's default) */
    int soft;                /* 1: abTEM's soft aperture edge (default), 0: hard */
    bf_aberrations aberrations;
} bf_probe_options;
#define BF_PROBE_OPTIONS_INIT {0.0, 0.0, 1, {{0}}}

/** A probe at position (Å) on the grid into wave[nx*ny] (real space), normalised as abTEM:
 *  Σ_k |ψ(k)|² = 1, so Σ_r |ψ(r)|² = 1/(nx·ny). [thread-safe] */
bf_status bf_probe_build(const bf_probe_options *opt, const int gpts[2], const double sampling[2],
                         const double position[2], bf_complex64 *wave /* OUT */);

/** The objective lens of HRTEM imaging, as abTEM's CTF: exp(-iχ) times the spatial (angular
 *  spread) and temporal (focal spread) envelopes of the quasi-coherent approximation, times the
 *  objective aperture (soft edge as the probe's). */
typedef struct bf_ctf_options {
    double energy;           /* eV */
    double semiangle_cutoff; /* mrad; 0: no aperture (abTEM's inf) */
    int soft;                /* 1: soft aperture edge (default) */
    double focal_spread;     /* Å, standard deviation; 0: none */
    double angular_spread;   /* mrad; 0: none */
    bf_aberrations aberrations;
} bf_ctf_options;
#define BF_CTF_OPTIONS_INIT {0.0, 0.0, 1, 0.0, 0.0, {{0}}}

/** The CTF on the FFT grid (unshifted, k = fftfreq) into ctf[nx*ny]. [thread-safe] */
bf_status bf_ctf_build(const bf_ctf_options *opt, const int gpts[2], const double sampling[2],
                       bf_complex64 *ctf /* OUT */);

/* ---------------------------------------------------------------- FFT planning */

/** How hard FFTW plans: measure (the default: slower start, fast transforms), estimate (instant
 *  plans, slow transforms), patient. BF_FFT_DEFAULT in an options struct means the process
 *  setting. */
typedef enum bf_fft_planning {
    BF_FFT_DEFAULT = 0,
    BF_FFT_MEASURE = 1,
    BF_FFT_ESTIMATE = 2,
    BF_FFT_PATIENT = 3
} bf_fft_planning;

bf_status bf_fft_planning_parse(const char *text, bf_fft_planning *out /* OUT */);
/** The process-wide planning for plans whose options say BF_FFT_DEFAULT. [init-only] */
void bf_fft_set_planning(bf_fft_planning planning);
/** Load / save FFTW wisdom (single precision), so planning is measured once per machine.
 *  [thread-safe] */
bf_status bf_fft_wisdom_import(const char *path);
bf_status bf_fft_wisdom_export(const char *path);

/* ---------------------------------------------------------------- multislice */

typedef struct bf_multislice_options {
    double energy;            /* eV */
    int gpts[2];
    double sampling[2];       /* Å */
    double antialias_cutoff;  /* fraction of Nyquist; 0: 2/3 (abTEM's 0.6666666) */
    double antialias_taper;   /* fraction of 1/max(sampling); 0: 0.01 */
    double tilt[2];           /* beam tilt, mrad (applied through the propagator, as abTEM) */
    size_t max_batch;         /* waves per FFT batch; 0: 1 */
    int threads;              /* FFTW threads; 0: 1 */
    bf_fft_planning planning; /* BF_FFT_DEFAULT: the process setting (measure) */
} bf_multislice_options;
#define BF_MULTISLICE_OPTIONS_INIT {0.0, {0, 0}, {0.0, 0.0}, 0.0, 0.0, {0.0, 0.0}, 1, 1, \
                                    BF_FFT_DEFAULT}

/** Worker state for propagation: FFTW plans, antialias aperture, cached propagators. Not
 *  shared between threads: [handle-confined]. */
typedef struct bf_multislice bf_multislice;

bf_status bf_multislice_create(const bf_multislice_options *opt, bf_multislice **out /* OUT */);
void bf_multislice_destroy(bf_multislice *ms);

/** Wavelength (Å) and σ of the plan. [thread-safe] */
double bf_multislice_wavelength(const bf_multislice *ms);

/** Transmission function t = bandlimit(exp(iσV)) of a projected potential slice V (V·Å) into
 *  t[nx*ny]. [handle-confined] */
bf_status bf_multislice_transmission(bf_multislice *ms, const float *potential,
                                     bf_complex64 *t /* OUT */);

/** Free-space Fresnel propagation of nwaves waves (each nx*ny, contiguous) by dz (Å), with the
 *  antialias aperture. [handle-confined] */
bf_status bf_multislice_propagate(bf_multislice *ms, double dz, bf_complex64 *waves,
                                  size_t nwaves);

/** One multislice step for a batch: ψ ← P(dz) * (ψ · t). [handle-confined] */
bf_status bf_multislice_step(bf_multislice *ms, const bf_complex64 *t, double dz,
                             bf_complex64 *waves, size_t nwaves);

/** Propagate a batch through every slice of a potential (same grid). Each slice's transmission
 *  function is built once and applied to the batch. [handle-confined] */
bf_status bf_multislice_run(bf_multislice *ms, const bf_potential *pot, bf_complex64 *waves,
                            size_t nwaves);

/** Multiply nwaves waves by a Fourier-space kernel (unshifted, e.g. a CTF): ψ ← IFFT(FFT(ψ)·K).
 *  [handle-confined] */
bf_status bf_multislice_apply_kernel(bf_multislice *ms, const bf_complex64 *kernel,
                                     bf_complex64 *waves, size_t nwaves);

/** Probes at n positions (Å, pairs) into waves (n × nx × ny), with the plan's FFTs (fast for
 *  many probes; bf_probe_build plans its own). The probe's energy must be the plan's.
 *  [handle-confined] */
bf_status bf_multislice_probes(bf_multislice *ms, const bf_probe_options *opt,
                               const double *positions, size_t n, bf_complex64 *waves /* OUT */);

/** Forward FFT of nwaves waves in place (numpy's unnormalised convention). [handle-confined] */
bf_status bf_multislice_fft(bf_multislice *ms, bf_complex64 *waves, size_t nwaves);

/* ---------------------------------------------------------------- jobs and HRTEM runs */

/** A simulation job file (shared/job-format.md), parsed and validated: atoms (bulk or file,
 *  repeat), frozen_phonons, potential, plane_wave or probe, ctf, output; scan and detectors are
 *  kept for STEM. Unknown keys and wrong types are BF_EINVAL naming the key path
 *  ("potential.gpts: expected an integer or [nx, ny]"). Relative file names are relative to the
 *  job file. Read-only once loaded: [thread-safe]. */
typedef struct bf_ms_job bf_ms_job;

bf_status bf_ms_job_load(const char *path, bf_ms_job **out /* OUT */);
/** Parse JSON text; base_dir resolves relative file names, name prefixes messages. */
bf_status bf_ms_job_parse(const char *text, const char *base_dir, const char *name,
                          bf_ms_job **out /* OUT */);
void bf_ms_job_destroy(bf_ms_job *job);

/** Number of configurations: frozen_phonons.num_configs, the frames of a multi-frame XYZ, or 1. */
size_t bf_ms_job_num_configs(const bf_ms_job *job);

/** The atoms of configuration i (displaced by its own random stream, or frame i). */
bf_status bf_ms_job_atoms(const bf_ms_job *job, size_t config, bf_atoms **out /* OUT */);

/** The potential section as options (a view valid while the job lives). */
const bf_potential_options *bf_ms_job_potential_options(const bf_ms_job *job);

/** The resolved path of an output ("file", "exit_wave", "intensity", "potential",
 *  "diffraction", "image"), or NULL when the job does not ask for it. */
const char *bf_ms_job_output(const bf_ms_job *job, const char *key);

typedef struct bf_ms_run_options {
    int threads;                /* FFTW threads per worker when run does not set them; 0: 1 */
    bf_fft_planning planning;   /* BF_FFT_DEFAULT: the process setting (measure) */
    const bf_run_options *run;  /* engine scheduler, workers, journal...; NULL: serial */
} bf_ms_run_options;
#define BF_MS_RUN_OPTIONS_INIT {1, BF_FFT_DEFAULT, NULL}

/** Results of a plane-wave (HRTEM) or single-probe run. */
typedef struct bf_ms_result bf_ms_result;

/** Run every configuration (one engine unit each: any scheduler and worker count give the same
 *  bytes): incident wave, multislice, exit wave; then, in configuration order, the mean
 *  intensity, the image through the CTF (when the job has one) and the diffraction pattern. Jobs
 *  with scan or detectors (STEM) are BF_EUNSUPPORTED here. [thread-safe] */
bf_status bf_ms_simulate(const bf_ms_job *job, const bf_ms_run_options *opt,
                         bf_ms_result **out /* OUT */);
void bf_ms_result_destroy(bf_ms_result *res);
size_t bf_ms_result_num_configs(const bf_ms_result *res);
void bf_ms_result_grid(const bf_ms_result *res, int gpts[2] /* OUT */, double sampling[2] /* OUT */);
/** Views: exit waves (configs × nx × ny), mean intensity |ψ|² (nx × ny), CTF image (nx × ny, NULL
 *  without a ctf section), diffraction pattern (dshape[0] × dshape[1], fft-shifted, cropped to
 *  the antialias limit, summing to ≤ 1 with the plane wave normalised as abTEM). */
const bf_complex64 *bf_ms_result_exit_waves(const bf_ms_result *res);
const float *bf_ms_result_intensity(const bf_ms_result *res);
const float *bf_ms_result_image(const bf_ms_result *res);
const float *bf_ms_result_diffraction(const bf_ms_result *res, size_t dshape[2] /* OUT */);
/* The image exists when the job has a ctf section; the diffraction pattern only when the job's
 * output asks for it (output.diffraction); otherwise these views are NULL. */

/** Write what the job's output section asks for (NeXus HDF5 file, npy exit waves and
 *  intensity, diffraction, image, potential, TIFF/PNG pictures). One call at a time per process
 *  when output.file is set (HDF5 is not thread-safe). */
bf_status bf_ms_result_write(const bf_ms_job *job, const bf_ms_result *res);

/** Build every slice of configuration 0's potential and write it as float32 shaped
 *  (slice, x, y) in V·Å: .npy, or NeXus HDF5 for *.h5 / *.nxs / *.hdf (axes z, x, y in Å and
 *  the slice thicknesses). One HDF5 writer at a time per process. */
bf_status bf_ms_write_potential(const bf_ms_job *job, const char *path);

/* ---------------------------------------------------------------- benchmark */

typedef struct bf_ms_bench_report {
    double threads_1_s;         /* warm HRTEM run, 1 worker (s) */
    double threads_2_s;         /* the same with 2 workers (s) */
    double fft_512_ms;          /* one 512² complex64 FFT, FFTW_MEASURE (ms) */
    double fft_share;           /* FFT time / run time of the 1-worker run */
    double finite_ms_per_slice; /* finite projection of the static specimen (ms per slice) */
    double mean_intensity;      /* check value: mean |ψ|² of the run */
} bf_ms_bench_report;

/** The seed's HRTEM benchmark (Au bulk cubic 5×5×2, gpts 512, 2 Å slices, 200 keV, 4 frozen-
 *  phonon configurations, mean intensity): best of repeats (0: 3) warm runs. [init-only] */
bf_status bf_ms_bench_hrtem(int repeats, bf_ms_bench_report *out /* OUT */);

#ifdef __cplusplus
}
#endif
#endif
