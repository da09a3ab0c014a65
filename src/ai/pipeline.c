/* The integrate pipeline (include/beamflow/integrate.h): job -> checked inputs -> plan of frame
 * ranges -> workers sharing one integrator -> a sink writing one NXazint1d file per input
 * file (or per series of single images: a folder of CBF/EDF/TIFF/NPY files is one entry of the
 * frame source), in unit order, committed whole when its last frame arrives.
 *
 * Invariants: units never span two files (unit->key is the file index); a file's output exists
 * only once all its frames are written; the integrator is built once per process and shared by
 * its workers; workers read only through bf_h5frames (no HDF5 call on the fast path) and
 * allocate only when they start. */
#include "beamflow/integrate.h"

#include "beamflow/io.h"
#include "beamflow/nexus.h"
#include "core/error.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct bf_integration {
    bf_integrate_job job;
    bf_frame_source *src;
    bf_frames_info info;
    bf_geometry *geo;
    char *poni_text;
    uint8_t *mask;   /* rows*cols or NULL: the detector's own */
    float *dark, *flat;
    size_t nfiles, npt, npt_azim, bins; /* bins: values per frame (npt, or npt_azim x npt) */
    bf_integrator *integ; /* built once per process, shared read-only by its workers */
    /* outputs: one per input file, or per scan folder with per_scan */
    size_t ngroups;
    size_t *group_of;     /* file -> output */
    size_t *group_first;  /* output -> global index of its first frame */
    size_t *group_frames; /* output -> frames */
    char **outputs;
    char journal[4200];
    bf_pipeline pipeline;
    /* sink */
    bf_azint_writer **writers;
    size_t *written;
    double *radial, *azimuthal;
};

#define CACHE_STEP_BYTES (8u << 20) /* frames decoded then integrated together by one thread */

typedef struct worker {
    const bf_integration *ig;
    const bf_integrator *integ; /* the job's, shared */
    int threads;
    size_t batch;         /* frames per read + integrate pass */
    void *frames;         /* batch * frame_bytes */
    bf_h5frames_workspace *ws; /* reading scratch for file ws_file, kept across units */
    size_t ws_file;
    bf_frame *fr;
    bf_curve *curves;
} worker;

static bf_status check_dtype(bf_dtype dt, const char *name)
{
    if (bf_frame_dtype_supported(dt))
        return BF_OK;
    return bf__error_set(BF_EUNSUPPORTED, "%s: frames of %s cannot be integrated yet (int32, "
                                          "uint32, uint16, float32, float64 can)",
                         name, bf_dtype_name(dt));
}

/* A correction image (mask, dark, flat) of exactly the detector's shape, as float32. */
static bf_status load_image(const char *path, const char *what, size_t rows, size_t cols,
                            float **out)
{
    bf_image *img = NULL;
    bf_status st = bf_image_read(path, &img);
    if (st)
        return bf__error_prefix(st, "%s: ", what);
    if (bf_image_height(img) != rows || bf_image_width(img) != cols) {
        st = bf__error_set(BF_EINVAL, "%s %s is %zu x %zu pixels, the detector %zu x %zu", what,
                           path, bf_image_height(img), bf_image_width(img), rows, cols);
    } else if (!(*out = malloc(rows * cols * sizeof **out))) {
        st = bf__error_set(BF_ENOMEM, "out of memory for the %s", what);
    } else {
        st = bf_image_to_f32(img, *out, rows * cols);
    }
    bf_image_destroy(img);
    return st;
}

static bf_status read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot read", path);
    char *buf = calloc(1, 1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    (void)n;
    fclose(f);
    if (!buf)
        return bf__error_set(BF_ENOMEM, "out of memory");
    *out = buf;
    return BF_OK;
}

/* Is entry i a series of single-image files (one frame per file)? */
static bool is_series(const bf_integration *ig, size_t i)
{
    bf_frames_info fi;
    bf_h5frames_info(bf_frame_source_frames(ig->src, i), &fi);
    return fi.codec == BF_CODEC_IMAGE;
}

/* Frames per unit of entry i: the job's, else a whole HDF5 file, else (a series of images, one
 * file per frame: often thousands) as many frames as fit in the unit budget. */
static uint64_t unit_frames(const bf_integration *ig, size_t i)
{
    if (ig->job.frames_per_unit)
        return ig->job.frames_per_unit;
    if (!is_series(ig, i))
        return bf_frame_source_count(ig->src, i);
    uint64_t budget = ig->job.unit_bytes ? ig->job.unit_bytes : (128ull << 20);
    uint64_t n = budget / ig->info.frame_bytes;
    return n < 1 ? 1 : n;
}

/* Order image paths by the stem their .xy is named after ("a/img_1.cbf" ~ "b/img_1.npy"). */
static int cmp_base(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    x = strrchr(x, '/') ? strrchr(x, '/') + 1 : x;
    y = strrchr(y, '/') ? strrchr(y, '/') + 1 : y;
    size_t nx = strrchr(x, '.') ? (size_t)(strrchr(x, '.') - x) : strlen(x);
    size_t ny = strrchr(y, '.') ? (size_t)(strrchr(y, '.') - y) : strlen(y);
    int c = strncmp(x, y, nx < ny ? nx : ny);
    return c ? c : (nx > ny) - (nx < ny);
}

/* With --xy, a series' frames become "<image name>.xy" beside the outputs, all in one folder:
 * two series holding images of the same name would overwrite each other's curves. */
static bf_status check_xy_names(const bf_integration *ig)
{
    size_t n = 0, series = 0;
    for (size_t i = 0; i < ig->nfiles; i++)
        if (is_series(ig, i))
            n += bf_frame_source_count(ig->src, i), series++;
    if (!ig->job.xy || series < 2)
        return BF_OK;
    const char **names = malloc(n * sizeof *names);
    if (!names)
        return bf__error_set(BF_ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < ig->nfiles; i++)
        for (size_t k = 0; is_series(ig, i) && k < bf_frame_source_count(ig->src, i); k++)
            names[n++] = bf_frame_source_member(ig->src, i, k);
    qsort(names, n, sizeof *names, cmp_base);
    bf_status st = BF_OK;
    for (size_t k = 1; st == BF_OK && k < n; k++)
        if (cmp_base(&names[k - 1], &names[k]) == 0)
            st = bf__error_set(BF_EINVAL, "--xy: %s and %s would write the same .xy beside the "
                               "outputs; integrate those folders separately, one -o each",
                               names[k - 1], names[k]);
    free(names);
    return st;
}

static bool is_directory(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The folder holding path, in buf. */
static void folder_of(const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(buf, n, ".");
}

/* Group input files into outputs: one per file, or one per scan folder (files sharing their
 * folder, consecutive in the sorted list). */
static bf_status group_files(bf_integration *ig)
{
    ig->group_of = calloc(ig->nfiles, sizeof *ig->group_of);
    ig->group_first = calloc(ig->nfiles, sizeof *ig->group_first);
    ig->group_frames = calloc(ig->nfiles, sizeof *ig->group_frames);
    if (!ig->group_of || !ig->group_first || !ig->group_frames)
        return bf__error_set(BF_ENOMEM, "out of memory");
    char prev[4096] = "", cur[4096];
    for (size_t i = 0; i < ig->nfiles; i++) {
        folder_of(bf_frame_source_path(ig->src, i), cur, sizeof cur);
        if (i == 0 || !ig->job.per_scan || strcmp(cur, prev) != 0)
            ig->group_first[ig->ngroups++] = bf_frame_source_first(ig->src, i);
        ig->group_of[i] = ig->ngroups - 1;
        bf_frames_info fi;
        bf_h5frames_info(bf_frame_source_frames(ig->src, i), &fi);
        ig->group_frames[ig->ngroups - 1] += fi.nframes;
        snprintf(prev, sizeof prev, "%s", cur);
    }
    return BF_OK;
}

/* "<folder>/<stem>_azint.h5" for each output (stem: the input file's name, or the scan folder's
 * with per_scan), or job->output itself when there is one input file. */
static bf_status name_outputs(bf_integration *ig)
{
    bf_status st = group_files(ig);
    if (st)
        return st;
    const char *out = ig->job.output;
    size_t len = out ? strlen(out) : 0;
    bool folder = !out || ig->nfiles > 1 || is_directory(out) || (len && out[len - 1] == '/');
    /* EEXIST is fine: MPI ranks prepare the same job at the same time */
    if (folder && out && !is_directory(out) && mkdir(out, 0777) != 0 && errno != EEXIST)
        return bf__error_errno(BF_EIO, errno, "-o %s: cannot create the output folder", out);
    ig->outputs = calloc(ig->ngroups, sizeof *ig->outputs);
    if (!ig->outputs)
        return bf__error_set(BF_ENOMEM, "out of memory");
    for (size_t i = 0, g = 0; i < ig->nfiles; i++) {
        if (i > 0 && ig->group_of[i] == ig->group_of[i - 1])
            continue; /* named after its first file */
        char buf[4200], base[4096];
        if (!folder) {
            snprintf(buf, sizeof buf, "%s", out);
        } else {
            if (ig->job.per_scan)
                folder_of(bf_frame_source_path(ig->src, i), base, sizeof base);
            else
                snprintf(base, sizeof base, "%s", bf_frame_source_path(ig->src, i));
            char *stem = basename(base);
            /* a series is named after its folder, whose dots are part of the name */
            char *dot = ig->job.per_scan || is_series(ig, i) ? NULL : strrchr(stem, '.');
            if (dot && dot != stem)
                *dot = '\0';
            snprintf(buf, sizeof buf, "%s/%s_azint.h5", out ? out : ".", stem);
        }
        if (!(ig->outputs[g] = strdup(buf)))
            return bf__error_set(BF_ENOMEM, "out of memory");
        for (size_t k = 0; k < g; k++)
            if (strcmp(ig->outputs[k], buf) == 0)
                return bf__error_set(BF_EINVAL, "two outputs would both be %s (inputs named alike "
                                                "in different folders: give --per-scan or one -o "
                                                "folder per scan)", buf);
        g++;
    }
    if (folder)
        snprintf(ig->journal, sizeof ig->journal, "%s/beamflow-integrate.journal", out ? out : ".");
    else
        snprintf(ig->journal, sizeof ig->journal, "%s.journal", out);
    return BF_OK;
}

static bf_status load_corrections(bf_integration *ig, size_t rows, size_t cols)
{
    bf_status st = BF_OK;
    float *m = NULL;
    if (ig->job.mask_file) {
        if ((st = load_image(ig->job.mask_file, "mask", rows, cols, &m)))
            return st;
        /* as pyFAI's integrate1d(mask=...): the user's mask replaces the detector's */
        ig->mask = malloc(rows * cols);
        if (!ig->mask) {
            free(m);
            return bf__error_set(BF_ENOMEM, "out of memory for the mask");
        }
        for (size_t i = 0; i < rows * cols; i++)
            ig->mask[i] = m[i] != 0;
        free(m);
    }
    if (ig->job.dark_file && (st = load_image(ig->job.dark_file, "dark", rows, cols, &ig->dark)))
        return st;
    if (ig->job.flat_file && (st = load_image(ig->job.flat_file, "flat", rows, cols, &ig->flat)))
        return st;
    return BF_OK;
}

static const bf_pipeline integrate_pipeline;

bf_status bf_integration_create(const bf_integrate_job *job, bf_integration **out)
{
    *out = NULL;
    if (!job->poni)
        return bf__error_set(BF_EINVAL, "a geometry is needed: -p/--poni FILE");
    if (job->ninputs == 0)
        return bf__error_set(BF_EINVAL, "no input files");
    if (job->options.npt <= 0)
        return bf__error_set(BF_EINVAL, "npt must be positive, got %d", job->options.npt);
    bf_integration *ig = calloc(1, sizeof *ig);
    if (!ig)
        return bf__error_set(BF_ENOMEM, "out of memory");
    ig->job = *job;
    ig->pipeline = integrate_pipeline;
    bf_status st;
    if ((st = bf_geometry_read_poni(job->poni, &ig->geo)) || (st = read_text(job->poni, &ig->poni_text)) ||
        (st = bf_frame_source_create(job->inputs, job->ninputs, job->dataset, &ig->src)))
        goto done;
    bf_frame_source_info(ig->src, &ig->info);
    ig->nfiles = bf_frame_source_nfiles(ig->src);
    const bf_detector *det = bf_geometry_detector(ig->geo);
    size_t rows = bf_detector_rows(det), cols = bf_detector_cols(det);
    const char *first = bf_h5frames_name(bf_frame_source_frames(ig->src, 0));
    if (ig->info.height != rows || ig->info.width != cols) {
        st = bf__error_set(BF_EINVAL, "%s: frames are %zu x %zu pixels but the detector of %s (%s) "
                                      "is %zu x %zu", first, ig->info.height, ig->info.width,
                           job->poni, bf_detector_name(det), rows, cols);
        goto done;
    }
    if ((st = check_dtype(ig->info.dtype, first)) || (st = load_corrections(ig, rows, cols)) ||
        (st = name_outputs(ig)) || (st = check_xy_names(ig)))
        goto done;
    /* The integrator, once: its errors (ranges, units without a wavelength) surface before any
     * work; it is read-only and thread-safe, so every worker thread shares it, and forked worker
     * processes inherit it without building their own. */
    bf_integrator_options o = job->options;
    o.mask = ig->mask;
    o.flat = ig->flat;
    if ((st = bf_integrator_create(ig->geo, &o, &ig->integ)))
        goto done;
    ig->npt = bf_integrator_npt(ig->integ);
    ig->npt_azim = bf_integrator_npt_azim(ig->integ);
    ig->bins = ig->npt * (ig->npt_azim ? ig->npt_azim : 1);
    ig->radial = malloc(ig->npt * sizeof *ig->radial);
    if (ig->radial)
        memcpy(ig->radial, bf_integrator_radial(ig->integ), ig->npt * sizeof *ig->radial);
    if (ig->npt_azim && (ig->azimuthal = malloc(ig->npt_azim * sizeof *ig->azimuthal)))
        memcpy(ig->azimuthal, bf_integrator_azimuthal(ig->integ),
               ig->npt_azim * sizeof *ig->azimuthal);
    if (ig->npt_azim && job->xy) {
        st = bf__error_set(BF_EINVAL, "--xy writes 1D curves; a 2D cake (--npt-azim) has none");
        goto done;
    }
    ig->writers = calloc(ig->ngroups, sizeof *ig->writers);
    ig->written = calloc(ig->ngroups, sizeof *ig->written);
    if (!ig->radial || (ig->npt_azim && !ig->azimuthal) || !ig->writers || !ig->written) {
        st = bf__error_set(BF_ENOMEM, "out of memory");
        goto done;
    }
    /* an output's finished units replay into its writer on --resume when it has several: a
     * file cut into units, or a scan folder of several files with per_scan */
    if (ig->ngroups < ig->nfiles)
        ig->pipeline.flags |= BF_PIPELINE_REDUCES;
    for (size_t i = 0; i < ig->nfiles; i++)
        if (unit_frames(ig, i) < bf_frame_source_count(ig->src, i))
            ig->pipeline.flags |= BF_PIPELINE_REDUCES;
    *out = ig;
    ig = NULL;
done:
    bf_integration_destroy(ig);
    return st;
}

void bf_integration_destroy(bf_integration *ig)
{
    if (!ig)
        return;
    for (size_t i = 0; ig->writers && i < ig->ngroups; i++)
        bf_azint_writer_destroy(ig->writers[i]); /* uncommitted: its temporary file goes */
    for (size_t i = 0; ig->outputs && i < ig->ngroups; i++)
        free(ig->outputs[i]);
    free(ig->group_of);
    free(ig->group_first);
    free(ig->group_frames);
    free(ig->azimuthal);
    free(ig->outputs);
    free(ig->writers);
    free(ig->written);
    free(ig->radial);
    free(ig->mask);
    free(ig->dark);
    free(ig->flat);
    free(ig->poni_text);
    bf_integrator_destroy(ig->integ);
    bf_frame_source_destroy(ig->src);
    bf_geometry_destroy(ig->geo);
    free(ig);
}

size_t bf_integration_noutputs(const bf_integration *ig) { return ig->ngroups; }
const char *bf_integration_output(const bf_integration *ig, size_t i) { return ig->outputs[i]; }
const char *bf_integration_journal(const bf_integration *ig) { return ig->journal; }

bf_status bf_integration_plan(const bf_integration *ig, bf_plan **out)
{
    bf_plan *plan = NULL;
    bf_status st = bf_plan_create("integrate", &plan);
    if (st)
        return st;
    uint64_t shape[3] = {bf_frame_source_nframes(ig->src), ig->info.height, ig->info.width};
    const char *axes[3] = {"frame", "y", "x"};
    st = bf_plan_set_shape(plan, 3, shape, axes, bf_dtype_name(ig->info.dtype),
                           bf_dtype_size(ig->info.dtype));
    for (size_t i = 0; st == BF_OK && i < ig->nfiles; i++) {
        const bf_h5frames *f = bf_frame_source_frames(ig->src, i);
        bf_frames_info fi;
        bf_h5frames_info(f, &fi);
        char *path = strdup(bf_frame_source_path(ig->src, i));
        const char *name = path ? basename(path) : "file";
        uint64_t per = unit_frames(ig, i);
        uint64_t first = bf_frame_source_first(ig->src, i);
        /* labels count frames within the file, as the user sees them */
        for (uint64_t k = 0; st == BF_OK && k < fi.nframes; k += per) {
            uint64_t n = fi.nframes - k < per ? fi.nframes - k : per;
            char label[BF_UNIT_LABEL_MAX];
            snprintf(label, sizeof label, "%.60s frames %llu-%llu", name, (unsigned long long)k,
                     (unsigned long long)(k + n - 1));
            st = bf_plan_add(plan, first + k, n, n * fi.frame_bytes, i, label);
        }
        free(path);
    }
    if (st) {
        bf_plan_destroy(plan);
        return st;
    }
    *out = plan;
    return BF_OK;
}

/* ---- workers ----------------------------------------------------------------------------- */

static void worker_stop(void *state)
{
    worker *w = state;
    if (!w)
        return;
    bf_h5frames_workspace_destroy(w->ws);
    free(w->frames);
    free(w->fr);
    free(w->curves);
    free(w);
}

static bf_status worker_start(const void *job, const bf_worker_info *info, void **state)
{
    const bf_integration *ig = job;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return bf__error_set(BF_ENOMEM, "out of memory starting a worker");
    w->ig = ig;
    w->threads = info->threads;
    uint64_t budget = ig->job.batch_bytes ? ig->job.batch_bytes : (128ull << 20);
    /* One thread gains nothing from a long batch (the kernel integrates frame after frame), and
     * a decoded frame integrated while it is still in cache saves reading it back from memory:
     * 12-frame batches of Pilatus 2M frames (120 MB) cost ~7 % more CPU per frame than one frame
     * at a time, more with two workers sharing the memory bus. Several threads decode a batch
     * in parallel, up to the budget. */
    if (w->threads <= 1 && budget > CACHE_STEP_BYTES)
        budget = CACHE_STEP_BYTES;
    w->batch = budget / ig->info.frame_bytes;
    w->batch = w->batch < 1 ? 1 : w->batch > 64 ? 64 : w->batch;
    w->integ = ig->integ;
    bf_status st = BF_OK;
    w->frames = malloc(w->batch * ig->info.frame_bytes);
    w->fr = calloc(w->batch, sizeof *w->fr);
    w->curves = calloc(w->batch, sizeof *w->curves);
    if (st == BF_OK && (!w->frames || !w->fr || !w->curves))
        st = bf__error_set(BF_ENOMEM, "out of memory for %zu frames", w->batch);
    if (st) {
        worker_stop(w);
        return st;
    }
    *state = w;
    return BF_OK;
}

/* Result layout: count x bins intensities, then count x bins sigmas, float32 (bins = npt, or
 * npt_azim x npt for cakes). */
static bf_status run_unit(void *state, const bf_unit *unit, bf_result *out)
{
    worker *w = state;
    const bf_integration *ig = w->ig;
    size_t npt = ig->bins, file = (size_t)unit->key;
    const bf_h5frames *f = bf_frame_source_frames(ig->src, file);
    size_t local = (size_t)(unit->first - bf_frame_source_first(ig->src, file));
    float *res;
    bf_status st = bf_result_alloc(out, 2 * unit->count * npt * sizeof *res, (void **)&res);
    if (st == BF_OK && w->threads <= 1 && (!w->ws || w->ws_file != file)) {
        /* one thread decodes: keep its scratch from unit to unit of the same file, so that
         * steady state allocates (and page-faults) nothing */
        bf_h5frames_workspace_destroy(w->ws);
        w->ws = NULL;
        st = bf_h5frames_workspace_create(f, &w->ws);
        w->ws_file = file;
    }
    for (size_t done = 0; st == BF_OK && done < unit->count; done += w->batch) {
        size_t n = unit->count - done < w->batch ? unit->count - done : w->batch;
        double t0 = bf_time_now();
        size_t bytes = n * ig->info.frame_bytes;
        st = w->threads <= 1 ? bf_h5frames_read(f, w->ws, local + done, n, w->frames, bytes)
                             : bf_h5frames_read_parallel(f, local + done, n, w->frames, bytes,
                                                         w->threads);
        double t1 = bf_time_now();
        bf_result_phase(out, "read", t0, t1);
        for (size_t k = 0; st == BF_OK && k < n; k++) {
            w->fr[k] = (bf_frame){(const char *)w->frames + k * ig->info.frame_bytes, ig->info.dtype,
                                  ig->info.height, ig->info.width, ig->dark, NULL};
            w->curves[k] = (bf_curve){.intensity = res + (done + k) * npt,
                                      .sigma = res + (unit->count + done + k) * npt};
        }
        if (st == BF_OK && ig->npt_azim == 0)
            st = bf_integrator_integrate1d_batch(w->integ, w->fr, n, w->curves);
        for (size_t k = 0; st == BF_OK && ig->npt_azim && k < n; k++)
            st = bf_integrator_integrate2d(w->integ, &w->fr[k], &w->curves[k]);
        bf_result_phase(out, "integrate", t1, bf_time_now());
    }
    return st;
}

/* ---- the sink ---------------------------------------------------------------------------- */

/* "<output stem>_NNNNN.xy", NNNNN the frame's row in its output; for a frame of an image
 * series, "<image stem>.xy" beside the output, as pyFAI-integrate names them. local: the frame
 * within its entry. */
static bf_status write_xy(const bf_integration *ig, size_t file, size_t frame, size_t local,
                          float *I, float *s)
{
    char path[4300];
    snprintf(path, sizeof path, "%.4200s", ig->outputs[ig->group_of[file]]);
    if (is_series(ig, file)) {
        char *slash = strrchr(path, '/');
        const char *img = bf_frame_source_member(ig->src, file, local);
        const char *name = strrchr(img, '/') ? strrchr(img, '/') + 1 : img;
        const char *dot = strrchr(name, '.');
        int n = dot ? (int)(dot - name) : (int)strlen(name);
        size_t at = slash ? (size_t)(slash + 1 - path) : 0;
        snprintf(path + at, sizeof path - at, "%.*s.xy", n, name);
    } else {
        char *dot = strrchr(path, '.');
        if (dot)
            *dot = '\0';
        snprintf(path + strlen(path), sizeof path - strlen(path), "_%05zu.xy", frame);
    }
    bf_curve c = {.radial = ig->radial, .intensity = I, .sigma = s};
    return bf_curve_write_xy(path, ig->geo, &ig->job.options, ig->npt, &c);
}

static bf_status open_writer(bf_integration *ig, size_t file, size_t group)
{
    const bf_integrator_options *o = &ig->job.options;
    bf_geometry_params gp;
    bf_geometry_get_params(ig->geo, &gp);
    bf_azint_info info = {
        .frames = ig->group_frames[group], .npt_rad = ig->npt, .npt_azim = ig->npt_azim,
        .radial = ig->radial, .azimuthal = ig->azimuthal,
        .radial_unit = bf_ai_unit_name(o->unit), .wavelength_m = gp.wavelength,
        .poni = ig->poni_text, .poni_file = ig->job.poni,
        .method = o->split == BF_SPLIT_NO ? "no" : o->split == BF_SPLIT_BBOX ? "bbox" : "full",
        .error_model = o->error_model == BF_ERROR_POISSON     ? "poisson"
                       : o->error_model == BF_ERROR_AZIMUTHAL ? "azimuthal" : "none",
        .polarization_factor = o->has_polarization ? o->polarization_factor : NAN,
        .solid_angle = !o->no_solid_angle,
        .mask = ig->job.mask_file ? ig->job.mask_file : "detector gaps",
        .source = is_series(ig, file) ? bf_frame_source_path(ig->src, file)
                                      : bf_h5frames_name(bf_frame_source_frames(ig->src, file)),
    };
    return bf_azint_writer_create(ig->outputs[group], &info, &ig->writers[group]);
}

static bf_status accept(void *sink, const bf_unit *unit, const void *data, size_t bytes)
{
    bf_integration *ig = sink;
    size_t file = (size_t)unit->key, group = ig->group_of[file], npt = ig->bins;
    if (bytes != 2 * unit->count * npt * sizeof(float))
        return bf__error_set(BF_EINTERNAL, "integrate: unit %llu brought %zu bytes",
                             (unsigned long long)unit->id, bytes);
    bf_status st = BF_OK;
    if (!ig->writers[group] && (st = open_writer(ig, file, group)))
        return st;
    const float *I = data, *sigma = I + unit->count * npt;
    size_t row = (size_t)(unit->first - ig->group_first[group]);
    if ((st = bf_azint_writer_put(ig->writers[group], row, unit->count, I, sigma)))
        return st;
    size_t local = (size_t)(unit->first - bf_frame_source_first(ig->src, file));
    for (size_t k = 0; ig->job.xy && k < unit->count; k++)
        if ((st = write_xy(ig, file, row + k, local + k, (float *)I + k * npt,
                           (float *)sigma + k * npt)))
            return st;
    ig->written[group] += unit->count;
    if (ig->written[group] == ig->group_frames[group]) {
        st = bf_azint_writer_commit(ig->writers[group]);
        bf_azint_writer_destroy(ig->writers[group]);
        ig->writers[group] = NULL;
    }
    return st;
}

static const bf_pipeline integrate_pipeline = {
    .name = "integrate",
    .worker_start = worker_start,
    .run_unit = run_unit,
    .worker_stop = worker_stop,
    .accept = accept,
    .flags = 0,
};

bf_status bf_integration_run(bf_integration *ig, const bf_run_options *opt, bf_run_report *report)
{
    bf_plan *plan = NULL;
    bf_status st = bf_integration_plan(ig, &plan);
    if (st)
        return st;
    bf_run_options o = *opt;
    if (!o.journal)
        o.journal = ig->journal;
    st = bf_run(&ig->pipeline, ig, plan, ig, &o, report);
    bf_plan_destroy(plan);
    return st;
}
