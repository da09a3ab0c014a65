/* EDF (ESRF Data Format) images: an ASCII header "{ key = value ; ... }" (usually padded to a
 * multiple of 512 bytes) followed by raw pixels. Keys used: Dim_1 (fast axis), Dim_2, DataType,
 * ByteOrder (LowByteFirst / HighByteFirst), Size (data bytes, optional) and Compression (only
 * none). A file with several frames yields its first. The header is parsed inside the buffer's
 * bounds; the data size is checked against what the file holds before any copy. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

static const struct {
    const char *name;
    bf_dtype dt;
} TYPES[] = {
    {"SignedByte", BF_DTYPE_I8},        {"Signed8", BF_DTYPE_I8},           {"UnsignedByte", BF_DTYPE_U8},
    {"Unsigned8", BF_DTYPE_U8},         {"SignedShort", BF_DTYPE_I16},      {"Signed16", BF_DTYPE_I16},
    {"UnsignedShort", BF_DTYPE_U16},    {"Unsigned16", BF_DTYPE_U16},
    {"UnsignedShortInteger", BF_DTYPE_U16},
    {"SignedInteger", BF_DTYPE_I32},    {"Signed32", BF_DTYPE_I32},         {"SignedLong", BF_DTYPE_I32},
    {"UnsignedInteger", BF_DTYPE_U32},  {"Unsigned32", BF_DTYPE_U32},       {"UnsignedLong", BF_DTYPE_U32},
    {"Signed64", BF_DTYPE_I64},         {"Unsigned64", BF_DTYPE_U64},       {"FloatValue", BF_DTYPE_F32},
    {"Float", BF_DTYPE_F32},            {"FloatIEEE32", BF_DTYPE_F32},      {"Float32", BF_DTYPE_F32},
    {"DoubleValue", BF_DTYPE_F64},      {"Double", BF_DTYPE_F64},           {"FloatIEEE64", BF_DTYPE_F64},
    {"DoubleIEEE64", BF_DTYPE_F64},
};

/* Copy the value of "key = value ;" from header h (hlen bytes) into val; 0 if found. Keys match
 * whole words at a line start (after whitespace or '{' / ';'). */
static int header_value(const uint8_t *h, size_t hlen, const char *key, char *val, size_t cap)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen < hlen; i++) {
        if ((i > 0 && h[i - 1] != '\n' && h[i - 1] != '{' && h[i - 1] != ';' &&
             h[i - 1] != ' ' && h[i - 1] != '\r') ||
            strncasecmp((const char *)h + i, key, klen) != 0)
            continue;
        size_t j = i + klen;
        while (j < hlen && (h[j] == ' ' || h[j] == '\t'))
            j++;
        if (j >= hlen || h[j] != '=')
            continue;
        j++;
        while (j < hlen && (h[j] == ' ' || h[j] == '\t'))
            j++;
        size_t n = 0;
        while (j < hlen && h[j] != ';' && h[j] != '\n' && h[j] != '}' && n + 1 < cap)
            val[n++] = (char)h[j++];
        while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t' || val[n - 1] == '\r'))
            n--;
        val[n] = '\0';
        return 0;
    }
    return -1;
}

static long long parse_count(const char *s)
{
    long long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (1ll << 40))
            return -1;
        v = v * 10 + (*s - '0');
    }
    return *s ? -1 : v;
}

static void byteswap(uint8_t *p, size_t n, size_t es)
{
    for (size_t i = 0; i + es <= n; i += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            uint8_t t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
}

bf_status bf__edf_parse(const uint8_t *buf, size_t len, const char *source, bf_image **out)
{
    *out = NULL;
    size_t s = 0;
    while (s < len && (buf[s] == ' ' || buf[s] == '\n' || buf[s] == '\r'))
        s++;
    if (s >= len || buf[s] != '{')
        return bf__error_set(BF_EFORMAT, "%s: not an EDF file (no '{' header)", source);
    const uint8_t *end = memchr(buf + s, '}', len - s);
    if (!end)
        return bf__error_set(BF_EFORMAT, "%s: EDF header has no closing '}'", source);
    const uint8_t *h = buf + s + 1;
    size_t hlen = (size_t)(end - h), data = (size_t)(end - buf) + 1;
    if (data < len && buf[data] == '\r')
        data++;
    if (data < len && buf[data] == '\n')
        data++;
    char v[128];
    long long d1 = -1, d2 = -1, size = -1;
    if (header_value(h, hlen, "Dim_1", v, sizeof v) == 0)
        d1 = parse_count(v);
    if (header_value(h, hlen, "Dim_2", v, sizeof v) == 0)
        d2 = parse_count(v);
    else
        d2 = 1; /* a 1D EDF is one row */
    if (d1 <= 0 || d2 <= 0)
        return bf__error_set(BF_EFORMAT, "%s: EDF header lacks valid Dim_1 / Dim_2", source);
    if (header_value(h, hlen, "Dim_3", v, sizeof v) == 0 && parse_count(v) > 1)
        return bf__error_set(BF_EUNSUPPORTED, "%s: 3D EDF images are not read", source);
    if (header_value(h, hlen, "Compression", v, sizeof v) == 0 && strcasecmp(v, "None") != 0 &&
        strcasecmp(v, "NoCompression") != 0 && v[0])
        return bf__error_set(BF_EUNSUPPORTED, "%s: EDF compression \"%s\" is not read", source, v);
    if (header_value(h, hlen, "DataType", v, sizeof v) != 0)
        return bf__error_set(BF_EFORMAT, "%s: EDF header lacks DataType", source);
    int found = -1;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcasecmp(v, TYPES[i].name) == 0)
            found = (int)i;
    if (found < 0)
        return bf__error_set(BF_EUNSUPPORTED, "%s: EDF DataType \"%s\" is not known", source, v);
    bf_dtype dt = TYPES[found].dt;
    int swap = 0;
    if (header_value(h, hlen, "ByteOrder", v, sizeof v) == 0) {
        if (strcasecmp(v, "HighByteFirst") == 0)
            swap = 1;
        else if (strcasecmp(v, "LowByteFirst") != 0)
            return bf__error_set(BF_EFORMAT, "%s: EDF ByteOrder \"%s\"", source, v);
    }
    size_t es = bf_dtype_size(dt);
    if ((unsigned long long)d1 * (unsigned long long)d2 > (len - data) / es)
        return bf__error_set(BF_EFORMAT, "%s: EDF image of %lld x %lld %s needs %llu bytes, the "
                             "file holds %zu after the header (truncated?)", source, d2, d1,
                             bf_dtype_name(dt), (unsigned long long)(d1 * d2) * es,
                             len - data);
    size_t nbytes = (size_t)d1 * (size_t)d2 * es;
    if (header_value(h, hlen, "Size", v, sizeof v) == 0 && (size = parse_count(v)) >= 0 &&
        (unsigned long long)size < nbytes)
        return bf__error_set(BF_EFORMAT, "%s: EDF Size = %lld is below Dim_1 x Dim_2 x %zu = "
                             "%zu", source, size, es, nbytes);
    bf_image *img = NULL;
    bf_status st = bf__image_alloc(dt, (size_t)d2, (size_t)d1, source, &img);
    if (st != BF_OK)
        return st;
    memcpy(img->data, buf + data, nbytes);
    if (swap)
        byteswap(img->data, nbytes, es);
    *out = img;
    return BF_OK;
}
