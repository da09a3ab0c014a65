/* A small private .npy (format 1.0) writer and reader for float32 ("<f4") and complex64 ("<c8")
 * C-order arrays, for ms outputs and reference comparisons. To be folded into the shared
 * src/io/npy module once it lands. Invariant: the header is padded so data starts at a multiple
 * of 64 bytes, as numpy writes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

static size_t dtype_size(const char *dtype)
{
    if (strcmp(dtype, "<f4") == 0)
        return 4;
    if (strcmp(dtype, "<c8") == 0)
        return 8;
    return 0;
}

bf_status bf__ms_npy_write(const char *path, const char *dtype, size_t ndim, const size_t *shape,
                          const void *data)
{
    size_t es = dtype ? dtype_size(dtype) : 0;
    if (!es)
        return bf__error_set(BF_EINVAL, "%s: unsupported npy dtype '%s'", path,
                             dtype ? dtype : "");
    if (ndim > 8)
        return bf__error_set(BF_EINVAL, "%s: %zu dimensions is too many", path, ndim);
    char shp[256] = "";
    size_t count = 1, o = 0;
    for (size_t i = 0; i < ndim; i++) {
        o += (size_t)snprintf(shp + o, sizeof shp - o, "%zu%s", shape[i],
                              (ndim == 1 || i + 1 < ndim) ? ", " : "");
        count *= shape[i];
    }
    char header[512];
    int hl = snprintf(header, sizeof header,
                      "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", dtype, shp);
    size_t total = 10 + (size_t)hl + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(header + hl, ' ', pad);
    header[hl + pad] = '\n';
    size_t hlen = (size_t)hl + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    char tmp[4096];
    bf_file_temp_name(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open for writing", tmp);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen &&
             fwrite(data, es, count, f) == count;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        int e = errno;
        remove(tmp);
        return bf__error_errno(BF_EIO, e, "%s: write failed", path);
    }
    return bf_file_commit(tmp, path);
}

static bf_status parse_header(const char *path, const char *h, char dtype[8], size_t *ndim,
                              size_t shape[8])
{
    const char *d = strstr(h, "'descr':");
    const char *fo = strstr(h, "'fortran_order':");
    const char *sh = strstr(h, "'shape':");
    if (!d || !fo || !sh)
        return bf__error_set(BF_EFORMAT, "%s: malformed npy header", path);
    d = strchr(d + 8, '\'');
    if (!d || strncmp(d + 1, "<f4'", 4) != 0) {
        if (!d || strncmp(d + 1, "<c8'", 4) != 0)
            return bf__error_set(BF_EUNSUPPORTED, "%s: only <f4 and <c8 npy files are read", path);
    }
    memcpy(dtype, d + 1, 3);
    dtype[3] = '\0';
    if (strncmp(fo + 16, " False", 6) != 0)
        return bf__error_set(BF_EUNSUPPORTED, "%s: Fortran-order npy files are not read", path);
    const char *q = strchr(sh, '(');
    if (!q)
        return bf__error_set(BF_EFORMAT, "%s: malformed npy shape", path);
    q++;
    *ndim = 0;
    while (*q && *q != ')') {
        char *end;
        unsigned long long v = strtoull(q, &end, 10);
        if (end == q)
            return bf__error_set(BF_EFORMAT, "%s: malformed npy shape", path);
        if (*ndim == 8)
            return bf__error_set(BF_EUNSUPPORTED, "%s: more than 8 dimensions", path);
        shape[(*ndim)++] = (size_t)v;
        q = end;
        while (*q == ',' || *q == ' ')
            q++;
    }
    return BF_OK;
}

bf_status bf__ms_npy_read(const char *path, char dtype[8], size_t *ndim, size_t shape[8],
                         void **data)
{
    bf_status st = BF_OK;
    *data = NULL;
    char *h = NULL;
    void *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open", path);
    unsigned char pre[10];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
        st = bf__error_set(BF_EFORMAT, "%s: not a version 1 npy file", path);
        goto done;
    }
    size_t hlen = pre[8] | ((size_t)pre[9] << 8);
    h = calloc(hlen + 1, 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
        st = bf__error_set(BF_EFORMAT, "%s: truncated npy header", path);
        goto done;
    }
    if ((st = parse_header(path, h, dtype, ndim, shape)))
        goto done;
    size_t count = 1;
    for (size_t i = 0; i < *ndim; i++)
        count *= shape[i];
    size_t es = dtype_size(dtype);
    buf = malloc(count * es + 1);
    if (!buf) {
        st = bf__error_set(BF_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(buf, es, count, f) != count) {
        st = bf__error_set(BF_EFORMAT, "%s: truncated npy data", path);
        goto done;
    }
    *data = buf;
    buf = NULL;
done:
    free(h);
    free(buf);
    fclose(f);
    return st;
}
