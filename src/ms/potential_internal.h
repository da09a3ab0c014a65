/* Private to the potential files (potential.c, potential_finite.c): the plan's layout. */
#ifndef BF_MS_POTENTIAL_INTERNAL_H
#define BF_MS_POTENTIAL_INTERNAL_H

#include "core/memory.h"
#include "ms/ms_internal.h"

#define BF__MAX_SPECIES 16
/* Columns per block in the pass along x of the infinite projection (potential_infinite.c). */
#define BF__POT_BLOCK 8

/* Finite projection: cumulative projection integrals T[j][i] at z = z0 + j*dzt (rows) and
 * radius r[i] (geometric grid), tapered. */
typedef struct bf__proj_table {
    size_t nr, nz;
    double *r;       /* nr */
    double z0, dzt;  /* row j at z0 + j*dzt */
    double *values;  /* nz * nr */
    double cutoff;   /* Å */
    double dt;       /* log(r[nr-1]/r[0])/(nr-1) */
} bf__proj_table;

struct bf_potential {
    int gpts[2];
    double sampling[2];
    double cell[3];
    bf_parametrization param;
    bf_projection proj;
    double tolerance;
    size_t nslices;
    double *dz, *zlim;
    size_t natoms; /* wrapped (infinite) or wrapped and padded (finite) */
    int *z;
    double *xyz;
    size_t *slice_off, *slice_idx; /* atoms of slice s: slice_idx[slice_off[s] .. slice_off[s+1]) */
    int nspecies;
    int species[BF__MAX_SPECIES];
    bf__radial radial[BF__MAX_SPECIES];
    float *fk[BF__MAX_SPECIES];            /* infinite, column-block layout (bf__fk_size) */
    bf__proj_table table[BF__MAX_SPECIES]; /* finite */
    size_t max_table_r;
    size_t finite_scratch; /* doubles a workspace needs: 2 * max table length + widest row */
    double margin; /* finite: max cutoff */
};


int bf__ms_fft_friendly(int n);
/* Floats in one species' f/S table: nx rows of ny/2+1 columns rounded up to BF__POT_BLOCK. */
size_t bf__fk_size(const bf_potential *p);
/* Infinite projection, slice i up to its last pass: the workspace then holds FFT_y V, and
 * bf__potential_real_row gives row x of V (V·Å, ny floats), each row once per slice. */
bf_status bf__potential_build_mixed(const bf_potential *p, bf_potential_workspace *ws, size_t i);
void bf__potential_real_row(bf_potential_workspace *ws, int x, float *out);
/* The workspace's transforms run so far (r2c rows, c2r rows, column blocks) and the time (s)
 * of one of each; seconds may be NULL. */
void bf__potential_fft_work(bf_potential_workspace *ws, size_t count[3], double seconds[3]);
/* The grid a potential of these atoms with these options would have. */
bf_status bf__potential_grid_for(const bf_atoms *atoms, const bf_potential_options *opt,
                                 int gpts[2], double sampling[2]);
bf_status bf__finite_prepare(bf_potential *p, const bf_potential *tmpl);
/* Whether ws can build p's slices. */
int bf__potential_workspace_fits(const bf_potential *p, const bf_potential_workspace *ws);
/* Doubles of scratch a workspace needs to build p's finite slices. */
size_t bf__finite_scratch(const bf_potential *p);
void bf__finite_build(const bf_potential *p, double *radial, size_t slice, float *out);

#endif
