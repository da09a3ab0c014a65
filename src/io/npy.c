/* NumPy .npy reader/writer (see npy.h). The header is a Python dict literal; we parse just the
 * three keys numpy writes ('descr', 'fortran_order', 'shape') and refuse anything else that
 * would change the meaning of the bytes. Invariant: a successful read returns exactly
 * count * itemsize bytes, all of them from the file (short files are errors, never padding). */
#include "io/npy.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

/* numpy's descr of each dtype (sizes come from bf_dtype_size) */
static const char *const descrs[] = {
    [BF_DTYPE_BOOL] = "|b1", [BF_DTYPE_U8] = "|u1",  [BF_DTYPE_I8] = "|i1",  [BF_DTYPE_I16] = "<i2",
    [BF_DTYPE_U16] = "<u2",  [BF_DTYPE_I32] = "<i4", [BF_DTYPE_U32] = "<u4", [BF_DTYPE_I64] = "<i8",
    [BF_DTYPE_U64] = "<u8",  [BF_DTYPE_F32] = "<f4", [BF_DTYPE_F64] = "<f8", [BF_DTYPE_C64] = "<c8",
    [BF_DTYPE_C128] = "<c16",
};
#define NDTYPES (sizeof descrs / sizeof descrs[0])

const char *bf__npy_descr(bf_dtype dtype)
{
    return (unsigned)dtype < NDTYPES ? descrs[dtype] : "?";
}

void bf__npy_free(bf_npy *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Find 'key' in the header dict and return a pointer just past its ':' (spaces skipped). */
static const char *dict_value(const char *h, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(h, quoted);
    if (!p) {
        snprintf(quoted, sizeof quoted, "\"%s\"", key);
        p = strstr(h, quoted);
    }
    if (!p)
        return NULL;
    p += strlen(quoted);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static bf_status parse_descr(const char *h, const char *src, bf_npy *out)
{
    const char *v = dict_value(h, "descr");
    if (!v || (*v != '\'' && *v != '"'))
        return bf__error_set(BF_EFORMAT, "%s: .npy header has no 'descr' string", src);
    char q = *v++;
    const char *end = strchr(v, q);
    if (!end || end - v > 8)
        return bf__error_set(BF_EFORMAT, "%s: .npy header has a malformed 'descr'", src);
    char d[16];
    size_t n = (size_t)(end - v);
    memcpy(d, v, n);
    d[n] = 0;
    /* numpy writes single-byte types with '|'; accept '<' and '=' spellings too. */
    if (n >= 2 && (d[0] == '=' || d[0] == '<' || d[0] == '|') && (d[1] == 'b' || d[1] == 'u' ||
                                                                  d[1] == 'i') && d[2] == '1' &&
        d[3] == 0)
        d[0] = '|';
    if (d[0] == '=')
        d[0] = '<';
    for (size_t i = 0; i < NDTYPES; i++)
        if (strcmp(d, descrs[i]) == 0) {
            out->dtype = (bf_dtype)i;
            out->itemsize = bf_dtype_size((bf_dtype)i);
            return BF_OK;
        }
    if (d[0] == '>')
        return bf__error_set(BF_EUNSUPPORTED, "%s: big-endian dtype '%s' is not supported", src,
                             d);
    return bf__error_set(BF_EUNSUPPORTED, "%s: unsupported dtype '%s'", src, d);
}

static bf_status parse_shape(const char *h, const char *src, bf_npy *out)
{
    const char *v = dict_value(h, "fortran_order");
    if (!v)
        return bf__error_set(BF_EFORMAT, "%s: .npy header has no 'fortran_order'", src);
    if (strncmp(v, "True", 4) == 0)
        return bf__error_set(BF_EUNSUPPORTED, "%s: Fortran-order arrays are not supported", src);
    if (strncmp(v, "False", 5) != 0)
        return bf__error_set(BF_EFORMAT, "%s: malformed 'fortran_order'", src);
    v = dict_value(h, "shape");
    if (!v || *v != '(')
        return bf__error_set(BF_EFORMAT, "%s: .npy header has no 'shape' tuple", src);
    v++;
    out->ndim = 0;
    out->count = 1;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            break;
        if (!isdigit((unsigned char)*v))
            return bf__error_set(BF_EFORMAT, "%s: malformed 'shape' in .npy header", src);
        if (out->ndim == BF_NPY_MAX_NDIM)
            return bf__error_set(BF_EUNSUPPORTED, "%s: more than %d dimensions", src,
                                 BF_NPY_MAX_NDIM);
        errno = 0;
        char *end;
        unsigned long long d = strtoull(v, &end, 10);
        if (errno || d > (1ull << 40))
            return bf__error_set(BF_EFORMAT, "%s: dimension out of range in 'shape'", src);
        if (d && out->count > ((size_t)1 << 44) / d)
            return bf__error_set(BF_EFORMAT, "%s: array too large", src);
        out->shape[out->ndim++] = (size_t)d;
        out->count *= (size_t)d;
        v = end;
    }
    return BF_OK;
}

bf_status bf__npy_parse(const void *buf, size_t len, const char *src, bf_npy *out)
{
    const unsigned char *b = buf;
    bf_status st = BF_OK;
    char *h = NULL;
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        st = bf__error_set(BF_EFORMAT, "%s: not a .npy file (bad magic)", src);
        goto done;
    }
    size_t hlen, hstart;
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hstart = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (len < 12) {
            st = bf__error_set(BF_EFORMAT, "%s: truncated .npy header", src);
            goto done;
        }
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hstart = 12;
    } else {
        st = bf__error_set(BF_EUNSUPPORTED, "%s: .npy format version %d is not supported", src,
                           b[6]);
        goto done;
    }
    if (hlen > len - hstart) {
        st = bf__error_set(BF_EFORMAT, "%s: truncated .npy header", src);
        goto done;
    }
    h = malloc(hlen + 1);
    if (!h) {
        st = bf__error_set(BF_ENOMEM, "%s: out of memory", src);
        goto done;
    }
    memcpy(h, b + hstart, hlen);
    h[hlen] = 0;
    if ((st = parse_descr(h, src, out)) || (st = parse_shape(h, src, out)))
        goto done;
    size_t nbytes = out->count * out->itemsize;
    size_t avail = len - hstart - hlen;
    if (avail < nbytes) {
        st = bf__error_set(BF_EFORMAT, "%s: data truncated: %zu bytes for %zu elements, need %zu",
                           src, avail, out->count, nbytes);
        goto done;
    }
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data) {
        st = bf__error_set(BF_ENOMEM, "%s: out of memory for %zu bytes", src, nbytes);
        goto done;
    }
    memcpy(out->data, b + hstart + hlen, nbytes);
done:
    free(h);
    if (st)
        bf__npy_free(out);
    return st;
}

bf_status bf__npy_read(const char *path, bf_npy *out)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return bf__error_set(BF_EINVAL, "missing .npy path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open", path);
    bf_status st = BF_OK;
    unsigned char *buf = NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        st = bf__error_errno(BF_EIO, errno, "%s: cannot seek", path);
        goto done;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = bf__error_errno(BF_EIO, errno, "%s: cannot seek", path);
        goto done;
    }
    buf = malloc(n ? (size_t)n : 1);
    if (!buf) {
        st = bf__error_set(BF_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        st = bf__error_set(BF_EIO, "%s: read failed", path);
        goto done;
    }
    st = bf__npy_parse(buf, (size_t)n, path, out);
done:
    free(buf);
    fclose(f);
    return st;
}

bf_status bf__npy_write(const char *path, bf_dtype dtype, int ndim, const size_t *shape,
                        const void *data)
{
    if ((unsigned)dtype >= NDTYPES || ndim < 0 || ndim > BF_NPY_MAX_NDIM || !path)
        return bf__error_set(BF_EINVAL, "bad arguments for .npy file %s", path ? path : "(null)");
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descrs[dtype]);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%zu%s", shape[i],
                      (ndim == 1 || i < ndim - 1) ? ", " : "");
        count *= shape[i];
    }
    if (ndim == 1)
        k -= 1; /* "(5,)" */
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    /* Pad with spaces so that magic + length + dict + '\n' is a multiple of 64. */
    size_t total = 10 + (size_t)k + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)k + pad + 1;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 255),
                             (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)k, f) == (size_t)k;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    size_t nbytes = count * bf_dtype_size(dtype);
    ok = ok && (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return bf__error_errno(BF_EIO, e, "%s: write failed", path);
    }
    return BF_OK;
}

#define CONVERT_LOOP(T, OUT, EXPR)                                                              \
    do {                                                                                        \
        const T *src_ = a->data;                                                                \
        for (size_t i = 0; i < a->count; i++)                                                   \
            OUT[i] = EXPR(src_[i]);                                                             \
    } while (0)

#define AS_IS(x) (x)
#define NONZERO(x) ((uint8_t)((x) != 0))

#define CONVERT_ALL(OUT, EXPR)                                                                  \
    switch (a->dtype) {                                                                         \
    case BF_DTYPE_BOOL:                                                                           \
    case BF_DTYPE_U8: CONVERT_LOOP(uint8_t, OUT, EXPR); break;                                     \
    case BF_DTYPE_I8: CONVERT_LOOP(int8_t, OUT, EXPR); break;                                      \
    case BF_DTYPE_I16: CONVERT_LOOP(int16_t, OUT, EXPR); break;                                    \
    case BF_DTYPE_U16: CONVERT_LOOP(uint16_t, OUT, EXPR); break;                                   \
    case BF_DTYPE_I32: CONVERT_LOOP(int32_t, OUT, EXPR); break;                                    \
    case BF_DTYPE_U32: CONVERT_LOOP(uint32_t, OUT, EXPR); break;                                   \
    case BF_DTYPE_I64: CONVERT_LOOP(int64_t, OUT, EXPR); break;                                    \
    case BF_DTYPE_U64: CONVERT_LOOP(uint64_t, OUT, EXPR); break;                                   \
    case BF_DTYPE_F32: CONVERT_LOOP(float, OUT, EXPR); break;                                      \
    case BF_DTYPE_F64: CONVERT_LOOP(double, OUT, EXPR); break;                                     \
    default:                                                                                    \
        return bf__error_set(BF_EUNSUPPORTED, "%s: cannot convert dtype %s to a real array",    \
                             src ? src : "array", bf__npy_descr(a->dtype));                     \
    }

bf_status bf__npy_to_f64(const bf_npy *a, double *out, const char *src)
{
    CONVERT_ALL(out, (double)AS_IS);
    return BF_OK;
}

bf_status bf__npy_to_f32(const bf_npy *a, float *out, const char *src)
{
    CONVERT_ALL(out, (float)AS_IS);
    return BF_OK;
}

bf_status bf__npy_to_mask(const bf_npy *a, uint8_t *out, const char *src)
{
    CONVERT_ALL(out, NONZERO);
    return BF_OK;
}
