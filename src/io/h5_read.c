/* Reading frames of an open HDF5 dataset: pread of whole stored chunks and decoding with no HDF5
 * call (thread-safe, allocation-free with a workspace), or H5Dread under the lock for parts and
 * chunks the fast path does not take. Also a convenience parallel reader.
 *
 * Errors name "file::/dataset: frames a-b (chunk k)", so a failed unit tells which frame is bad. */
#include "io/h5_frames.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/error.h"

bf_status bf_h5frames_workspace_create(const bf_h5frames *f, bf_h5frames_workspace **out)
{
    bf_h5frames_workspace *ws = calloc(1, sizeof *ws);
    *out = NULL;
    if (!ws)
        return bf__error_set(BF_ENOMEM, "%s: workspace", f->name);
    ws->owner = f;
    /* +16 so that vector loads near the end of a block stay inside the allocation */
    if ((f->comp_cap && !(ws->comp = malloc(f->comp_cap + 16))) ||
        (f->chunk_cap && !(ws->chunk = malloc(f->chunk_cap + 16))) ||
        (f->scratch_cap && !(ws->scratch = malloc(f->scratch_cap + 16)))) {
        bf_h5frames_workspace_destroy(ws);
        return bf__error_set(BF_ENOMEM, "%s: workspace of %zu + %zu + %zu bytes", f->name,
                             f->comp_cap, f->chunk_cap, f->scratch_cap);
    }
    *out = ws;
    return BF_OK;
}

void bf_h5frames_workspace_destroy(bf_h5frames_workspace *ws)
{
    if (!ws)
        return;
    free(ws->comp);
    free(ws->chunk);
    free(ws->scratch);
    free(ws);
}

bf_status bf__h5part_read_hdf5(const bf__h5part *p, size_t src, size_t count, bf_dtype dt,
                               void *dst)
{
    bf_status st = BF_OK;
    size_t global = p->first + (src - p->skip);
    bf__h5_lock();
    hid_t fsp = H5Dget_space((hid_t)p->did), msp = -1;
    hsize_t start[3] = {src, 0, 0}, cnt[3] = {count, 0, 0}, dims[3] = {0, 0, 0};
    if (fsp >= 0)
        H5Sget_simple_extent_dims(fsp, dims, NULL);
    int r = p->rank;
    if (r == 2) {
        start[0] = 0;
        cnt[0] = dims[0];
        cnt[1] = dims[1];
    } else {
        cnt[1] = dims[1];
        cnt[2] = dims[2];
    }
    if (fsp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
        (msp = H5Screate_simple(r, cnt, NULL)) < 0 ||
        H5Dread((hid_t)p->did, (hid_t)bf__h5_native(dt), msp, fsp, H5P_DEFAULT, dst) < 0)
        st = bf__error_set(BF_EFORMAT, "%s: frames %zu-%zu: H5Dread failed (corrupt data, or a "
                           "filter whose plugin is missing from HDF5's plugin path)", p->name,
                           global, global + count - 1);
    if (msp >= 0)
        H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    bf__h5_unlock();
    return st;
}

static bf_status pread_all(int fd, uint8_t *buf, size_t n, uint64_t off, const char *what)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return bf__error_errno(BF_EIO, errno, "%s: reading %zu bytes at offset %llu", what,
                                   n, (unsigned long long)off);
        if (r == 0)
            return bf__error_set(BF_EFORMAT, "%s: file truncated: chunk of %zu bytes at offset "
                                 "%llu ends past the end of the file", what, n,
                                 (unsigned long long)off);
        got += (size_t)r;
    }
    return BF_OK;
}

/* Dataset frames [src, src + take) of chunk k of p, which all lie in that chunk, into dst. */
static bf_status read_from_chunk(const bf_h5frames *f, const bf__h5part *p,
                                 bf_h5frames_workspace *ws, size_t k, size_t src, size_t take,
                                 uint8_t *dst)
{
    size_t fb = f->info.frame_bytes, r = src - k * p->fpc, global = p->first + (src - p->skip);
    char what[1200];
    snprintf(what, sizeof what, "%s: frames %zu-%zu (chunk %zu)", p->name, global,
             global + take - 1, k);
    if (p->unfiltered[k]) {
        if (p->size[k] != p->chunk_bytes)
            return bf__error_set(BF_EFORMAT, "%s: unfiltered chunk stores %llu bytes, expected "
                                 "%zu", what, (unsigned long long)p->size[k], p->chunk_bytes);
        return pread_all(p->fd, dst, take * fb, p->addr[k] + r * fb, what);
    }
    if (p->size[k] > f->comp_cap)
        return bf__error_set(BF_EINTERNAL, "%s: chunk larger than the workspace", what);
    /* let the kernel fetch the next chunk while this one decodes (cold files, network storage) */
    if (k + 1 < p->nchunks && p->addr[k + 1] != BF__CHUNK_MISSING)
        (void)posix_fadvise(p->fd, (off_t)p->addr[k + 1], (off_t)p->size[k + 1],
                            POSIX_FADV_WILLNEED);
    bf_status st = pread_all(p->fd, ws->comp, (size_t)p->size[k], p->addr[k], what);
    if (st != BF_OK)
        return st;
    int whole = r == 0 && take == p->fpc;
    uint8_t *into = whole ? dst : ws->chunk;
    if (!whole && (!ws->chunk || p->chunk_bytes > f->chunk_cap))
        return bf__error_set(BF_EINTERNAL, "%s: no bounce buffer", what);
    if (p->codec == BF_CODEC_LZ4)
        st = bf__lz4_chunk_decode(ws->comp, (size_t)p->size[k], into, p->chunk_bytes, what);
    else
        st = bf__bshuf_chunk_decode(ws->comp, (size_t)p->size[k], into, p->chunk_bytes,
                                    bf_dtype_size(f->info.dtype), ws->scratch, f->scratch_cap,
                                    what);
    if (st == BF_OK && !whole)
        memcpy(dst, ws->chunk + r * fb, take * fb);
    return st;
}

bf_status bf_h5frames_read(const bf_h5frames *f, bf_h5frames_workspace *ws, size_t first,
                           size_t count, void *dst, size_t dst_bytes)
{
    const bf_frames_info *in = &f->info;
    if (first > in->nframes || count > in->nframes - first)
        return bf__error_set(BF_EINVAL, "%s: frames %zu-%zu requested, the dataset has %zu",
                             f->name, first, first + count - 1, in->nframes);
    if (count > dst_bytes / in->frame_bytes)
        return bf__error_set(BF_EINVAL, "%s: %zu frames of %zu bytes do not fit in %zu bytes",
                             f->name, count, in->frame_bytes, dst_bytes);
    if (!ws || ws->owner != f)
        return bf__error_set(BF_EINVAL, "%s: workspace missing or made for another dataset",
                             f->name);
    uint8_t *out = dst;
    size_t ip = 0;
    while (count > 0) {
        while (first >= f->parts[ip].first + f->parts[ip].nframes)
            ip++;
        const bf__h5part *p = &f->parts[ip];
        size_t local = first - p->first, src = local + p->skip, take, k = 0;
        bf_status st;
        if (p->codec == BF_CODEC_IMAGE) {
            take = 1;
            st = bf__image_part_read(f, p, out);
        } else if (p->codec == BF_CODEC_HDF5) {
            take = p->nframes - local < count ? p->nframes - local : count;
            st = bf__h5part_read_hdf5(p, src, take, in->dtype, out);
        } else {
            k = src / p->fpc;
            take = (k + 1) * p->fpc - src;
            if (take > p->nframes - local)
                take = p->nframes - local;
            if (take > count)
                take = count;
            if (p->addr[k] == BF__CHUNK_MISSING)
                st = bf__h5part_read_hdf5(p, src, take, in->dtype, out); /* fill value */
            else
                st = read_from_chunk(f, p, ws, k, src, take, out);
        }
        if (st != BF_OK)
            return st;
        out += take * in->frame_bytes;
        first += take;
        count -= take;
    }
    return BF_OK;
}

/* ---- parallel reading: chunk-aligned pieces handed out from a counter ---- */

typedef struct par_job {
    const bf_h5frames *f;
    size_t first, count, piece; /* frames per piece */
    uint8_t *dst;
    pthread_mutex_t mu;
    size_t next;                /* next piece, under mu */
    bf_status st;               /* first failure, under mu */
    char msg[1024];
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    bf_h5frames_workspace *ws = NULL;
    bf_status st = bf_h5frames_workspace_create(j->f, &ws);
    size_t fb = j->f->info.frame_bytes, a0 = j->first - j->first % j->piece;
    size_t end = j->first + j->count, npieces = (end - a0 + j->piece - 1) / j->piece;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t i = j->st == BF_OK && st == BF_OK ? j->next++ : npieces;
        pthread_mutex_unlock(&j->mu);
        if (i >= npieces)
            break;
        size_t a = a0 + i * j->piece, b = a + j->piece < end ? a + j->piece : end;
        if (a < j->first)
            a = j->first;
        st = bf_h5frames_read(j->f, ws, a, b - a, j->dst + (a - j->first) * fb, (b - a) * fb);
    }
    if (st != BF_OK) {
        pthread_mutex_lock(&j->mu);
        if (j->st == BF_OK) {
            j->st = st;
            snprintf(j->msg, sizeof j->msg, "%s", bf_last_error());
        }
        pthread_mutex_unlock(&j->mu);
    }
    bf_h5frames_workspace_destroy(ws);
    return NULL;
}

bf_status bf_h5frames_read_parallel(const bf_h5frames *f, size_t first, size_t count, void *dst,
                                    size_t dst_bytes, int nthreads)
{
    if (first > f->info.nframes || count > f->info.nframes - first ||
        count > dst_bytes / f->info.frame_bytes)
        return bf_h5frames_read(f, NULL, first, count, dst, dst_bytes); /* reports the error */
    size_t fpc = f->info.frames_per_chunk ? f->info.frames_per_chunk : 1;
    if (nthreads > 64)
        nthreads = 64;
    if (nthreads <= 1 || count <= fpc) {
        bf_h5frames_workspace *ws = NULL;
        bf_status st = bf_h5frames_workspace_create(f, &ws);
        if (st == BF_OK)
            st = bf_h5frames_read(f, ws, first, count, dst, dst_bytes);
        bf_h5frames_workspace_destroy(ws);
        return st;
    }
    par_job job = {.f = f, .first = first, .count = count, .piece = fpc, .dst = dst};
    /* pieces aligned to chunks of the first part; a misaligned start costs one bounce copy */
    pthread_mutex_init(&job.mu, NULL);
    pthread_t tid[64];
    int started = 0;
    for (int t = 0; t < nthreads; t++, started++)
        if (pthread_create(&tid[t], NULL, par_worker, &job) != 0)
            break;
    if (started == 0)
        par_worker(&job);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&job.mu);
    if (job.st != BF_OK)
        return bf__error_set(job.st, "%s", job.msg);
    return BF_OK;
}
