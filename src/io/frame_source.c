/* Frame sources: every frame of a list of inputs (files, file.h5::/path addresses, shell globs,
 * directories), in a stable order: the expanded file list is sorted by name and de-duplicated.
 *
 * Directory walks follow the ESRF layout sample/dataset/scanNNNN/ *.h5: where a directory holds
 * scanNNNN sub-directories, its own files (the Bliss dataset file, which links to the same frames)
 * are skipped. Dectris data files (PREFIX_data_NNNNNN.h5) are skipped when PREFIX_master.h5 is in
 * the list, since the master file reaches them through its external links. Single images (CBF,
 * EDF, TIFF, NPY) of one folder and extension form one entry, a series (image_series.c); a
 * directory contributes its images only when it holds no HDF5 file, so that a mask.npy beside
 * a scan's files is not taken for a frame. The list is sorted by folder, then name, so that a
 * folder's images are consecutive even when it has sub-folders. Every file stays
 * open for the source's life (one HDF5 handle and one descriptor each; a listing of thousands
 * of files needs `ulimit -n` to match); bf_frame_source_open gives a private handle instead. */
#include "io/h5_frames.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/error.h"

#define MAX_DEPTH 12

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

struct bf_frame_source {
    size_t n;
    char **paths;    /* a file, an address, or a series' folder */
    size_t *lo;      /* entry i is files.v[lo[i]] (HDF5) or files.v[lo[i] .. lo[i] + count) */
    strvec files;    /* the sorted, expanded list */
    bf_h5frames **frames; /* open for the source's life */
    char *dataset;   /* as given, or NULL */
    size_t *first;   /* n + 1 entries: first[n] is the total */
    bf_frames_info info;
};

static bf_status push(strvec *s, const char *str)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return bf__error_set(BF_ENOMEM, "file list of %zu names", s->n);
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(str)))
        return bf__error_set(BF_ENOMEM, "file list of %zu names", s->n);
    s->n++;
    return BF_OK;
}

static void strvec_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int h5_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 3 && strcasecmp(name + n - 3, ".h5") == 0) ||
           (n > 4 && strcasecmp(name + n - 4, ".nxs") == 0) ||
           (n > 5 && strcasecmp(name + n - 5, ".hdf5") == 0);
}

static int scan_dir_name(const char *name)
{
    if (strncmp(name, "scan", 4) != 0 || !name[4])
        return 0;
    for (const char *p = name + 4; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static bf_status walk(const char *dir, int depth, strvec *out)
{
    if (depth > MAX_DEPTH)
        return BF_OK;
    DIR *d = opendir(dir);
    if (!d)
        return bf__error_errno(BF_EIO, errno, "%s", dir);
    strvec files = {0}, images = {0}, dirs = {0};
    int has_scans = 0;
    bf_status st = BF_OK;
    struct dirent *e;
    char path[4096];
    while (st == BF_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            has_scans |= scan_dir_name(e->d_name);
            st = push(&dirs, path);
        } else if ((S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) && h5_name(e->d_name)) {
            st = push(&files, path);
        } else if ((S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) && bf__is_image_name(e->d_name)) {
            st = push(&images, path);
        }
    }
    closedir(d);
    const strvec *take = files.n ? &files : &images;
    for (size_t i = 0; st == BF_OK && !has_scans && i < take->n; i++)
        st = push(out, take->v[i]);
    for (size_t i = 0; st == BF_OK && i < dirs.n; i++)
        st = walk(dirs.v[i], depth + 1, out);
    strvec_free(&files);
    strvec_free(&images);
    strvec_free(&dirs);
    return st;
}

static bf_status expand(const char *input, strvec *out)
{
    struct stat sb;
    if (strstr(input, "::"))
        return push(out, input);
    if (strpbrk(input, "*?[")) {
        glob_t g;
        int rc = glob(input, 0, NULL, &g);
        if (rc == GLOB_NOMATCH)
            return bf__error_set(BF_ENOTFOUND, "%s: no file matches", input);
        if (rc != 0)
            return bf__error_set(BF_EIO, "%s: glob failed", input);
        bf_status st = BF_OK;
        for (size_t i = 0; st == BF_OK && i < g.gl_pathc; i++)
            st = stat(g.gl_pathv[i], &sb) == 0 && S_ISDIR(sb.st_mode)
                     ? walk(g.gl_pathv[i], 0, out)
                     : push(out, g.gl_pathv[i]);
        globfree(&g);
        return st;
    }
    if (stat(input, &sb) != 0)
        return bf__error_errno(BF_ENOTFOUND, errno, "%s", input);
    if (S_ISDIR(sb.st_mode)) {
        size_t before = out->n;
        bf_status st = walk(input, 0, out);
        if (st == BF_OK && out->n == before)
            return bf__error_set(BF_ENOTFOUND, "%s: no .h5/.nxs/.hdf5 file and no image "
                                 "(.cbf .edf .tif .npy) in this directory", input);
        return st;
    }
    return push(out, input);
}

/* Folder first, then name: "a/x.cbf" < "a/z.cbf" < "a/y/w.cbf". */
static int cmp_path(const void *pa, const void *pb)
{
    const char *a = *(char *const *)pa, *b = *(char *const *)pb;
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    size_t da = sa ? (size_t)(sa - a) : 0, db = sb ? (size_t)(sb - b) : 0;
    int c = strncmp(a, b, da < db ? da : db);
    if (c == 0 && da != db)
        c = da < db ? -1 : 1;
    return c ? c : strcmp(a, b);
}

/* Do a and b share their folder and their extension? */
static bool same_series(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    size_t da = sa ? (size_t)(sa - a) : 0, db = sb ? (size_t)(sb - b) : 0;
    return da == db && strncmp(a, b, da) == 0 && strcasecmp(strrchr(a, '.'), strrchr(b, '.')) == 0;
}

/* Is path PREFIX_data_NNNNNN.h5 with PREFIX_master.h5 in the (sorted) list? */
static int dectris_data_of_listed_master(const strvec *s, const char *path)
{
    const char *p = strstr(path, "_data_");
    if (!p || strlen(p) < 12)
        return 0;
    char master[4096];
    snprintf(master, sizeof master, "%.*s_master.h5", (int)(p - path), path);
    const char *key = master;
    return bsearch(&key, s->v, s->n, sizeof *s->v, cmp_path) != NULL;
}

void bf_frame_source_destroy(bf_frame_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++) {
        bf_h5frames_destroy(src->frames ? src->frames[i] : NULL);
        free(src->paths[i]);
    }
    free(src->paths);
    free(src->lo);
    strvec_free(&src->files);
    free(src->frames);
    free(src->dataset);
    free(src->first);
    free(src);
}

/* The i-th entry's frames: its HDF5 file, or its series of images. */
static bf_status open_entry(const bf_frame_source *src, size_t i, bf_h5frames **out)
{
    const char *const *v = (const char *const *)src->files.v + src->lo[i];
    if (bf__is_image_name(v[0]) && !strstr(v[0], "::"))
        return bf__h5frames_create_images(v, src->first[i + 1] - src->first[i], out);
    return bf_h5frames_create(v[0], src->dataset, out);
}

/* Drop repeated names (the list is sorted). */
static void dedup(strvec *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k > 0 && strcmp(s->v[i], s->v[k - 1]) == 0)
            free(s->v[i]);
        else
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

/* A series' folder, the name its outputs are named after: as given, or resolved where its last
 * component says nothing (images named from inside their folder, or as ../x.cbf). */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    const char *last = dir ? strrchr(dir, '/') : NULL;
    last = last ? last + 1 : dir;
    if (dir && (strcmp(last, ".") == 0 || strcmp(last, "..") == 0)) {
        char *real = realpath(dir, NULL);
        if (real) {
            free(dir);
            dir = real;
        }
    }
    return dir;
}

static bf_status open_all(bf_frame_source *src, const char *dataset)
{
    const char *name0 = NULL;
    const strvec *files = &src->files;
    for (size_t i = 0, next; i < files->n; i = next) {
        next = i + 1;
        if (dectris_data_of_listed_master(files, files->v[i]))
            continue;
        bool series = bf__is_image_name(files->v[i]) && !strstr(files->v[i], "::");
        while (series && next < files->n && bf__is_image_name(files->v[next]) &&
               same_series(files->v[i], files->v[next]))
            next++;
        size_t k = src->n;
        src->lo[k] = i;
        if (!(src->paths[k] = series ? folder_of(files->v[i]) : strdup(files->v[i])))
            return bf__error_set(BF_ENOMEM, "%s", files->v[i]);
        src->n++;
        bf_status st = series ? bf__h5frames_create_images((const char *const *)files->v + i,
                                                           next - i, &src->frames[k])
                              : bf_h5frames_create(files->v[i], dataset, &src->frames[k]);
        if (st != BF_OK)
            return st;
        const bf_h5frames *f = src->frames[k];
        bf_frames_info in;
        bf_h5frames_info(f, &in);
        if (k == 0) {
            src->info = in;
            src->info.nframes = 0;
            name0 = files->v[i];
        } else if (in.dtype != src->info.dtype || in.height != src->info.height ||
                   in.width != src->info.width) {
            st = bf__error_set(BF_EFORMAT, "%s: %s frames of %zu x %zu, but %s has %s frames "
                               "of %zu x %zu", bf_h5frames_name(f), bf_dtype_name(in.dtype),
                               in.height, in.width, name0, bf_dtype_name(src->info.dtype),
                               src->info.height, src->info.width);
        }
        if (st != BF_OK)
            return st;
        src->first[k] = src->info.nframes;
        src->info.nframes += in.nframes;
    }
    src->first[src->n] = src->info.nframes;
    return BF_OK;
}

bf_status bf_frame_source_create(const char *const *inputs, size_t ninputs, const char *dataset,
                                 bf_frame_source **out)
{
    strvec files = {0};
    bf_frame_source *src = NULL;
    bf_status st = BF_OK;
    *out = NULL;
    if (ninputs == 0)
        return bf__error_set(BF_EINVAL, "no input files given");
    for (size_t i = 0; st == BF_OK && i < ninputs; i++)
        st = expand(inputs[i], &files);
    if (st != BF_OK)
        goto done;
    qsort(files.v, files.n, sizeof *files.v, cmp_path);
    dedup(&files);
    if (!(src = calloc(1, sizeof *src)) || !(src->paths = calloc(files.n, sizeof *src->paths)) ||
        !(src->lo = calloc(files.n, sizeof *src->lo)) ||
        !(src->frames = calloc(files.n, sizeof *src->frames)) ||
        !(src->first = calloc(files.n + 1, sizeof *src->first)) ||
        (dataset && !(src->dataset = strdup(dataset)))) {
        st = bf__error_set(BF_ENOMEM, "frame source of %zu files", files.n);
        goto done;
    }
    src->files = files;
    files = (strvec){0};
    if ((st = open_all(src, dataset)) != BF_OK)
        goto done;
    src->info.nparts = src->n;
    *out = src;
    src = NULL;
done:
    bf_frame_source_destroy(src);
    strvec_free(&files);
    return st;
}

size_t bf_frame_source_nfiles(const bf_frame_source *src) { return src->n; }
size_t bf_frame_source_nframes(const bf_frame_source *src) { return src->info.nframes; }
void bf_frame_source_info(const bf_frame_source *src, bf_frames_info *out) { *out = src->info; }
const char *bf_frame_source_path(const bf_frame_source *src, size_t i) { return src->paths[i]; }
size_t bf_frame_source_first(const bf_frame_source *src, size_t i) { return src->first[i]; }
const bf_h5frames *bf_frame_source_frames(const bf_frame_source *src, size_t i)
{
    return src->frames[i];
}
size_t bf_frame_source_count(const bf_frame_source *src, size_t i)
{
    return src->first[i + 1] - src->first[i];
}
const char *bf_frame_source_member(const bf_frame_source *src, size_t i, size_t k)
{
    const bf_h5frames *f = src->frames[i];
    return f->info.codec == BF_CODEC_IMAGE ? src->files.v[src->lo[i] + k] : src->paths[i];
}

bf_status bf_frame_source_open(const bf_frame_source *src, size_t i, bf_h5frames **out)
{
    *out = NULL;
    if (i >= src->n)
        return bf__error_set(BF_EINVAL, "file %zu requested, the source has %zu", i, src->n);
    bf_status st = open_entry(src, i, out);
    if (st != BF_OK)
        return st;
    bf_frames_info in;
    bf_h5frames_info(*out, &in);
    if (in.nframes != bf_frame_source_count(src, i) || in.dtype != src->info.dtype ||
        in.height != src->info.height || in.width != src->info.width) {
        bf_h5frames_destroy(*out);
        *out = NULL;
        return bf__error_set(BF_EFORMAT, "%s: changed since the source was listed (%zu %s frames "
                             "of %zu x %zu now)", src->paths[i], in.nframes,
                             bf_dtype_name(in.dtype), in.height, in.width);
    }
    return BF_OK;
}
