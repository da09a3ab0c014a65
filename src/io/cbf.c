/* CBF images with byte-offset compression: the Pilatus / Eiger "miniCBF" native format.
 *
 * The MIME header of the binary section (after "--CIF-BINARY-FORMAT-SECTION--") gives the
 * conversion (x-CBF_BYTE_OFFSET), the element type, X-Binary-Size (compressed bytes), the number
 * of elements and the two dimensions; the data start after the 4-byte marker 0C 1A 04 D5.
 * Byte offset (Bernstein & Ellis, CBF/imgCIF, International Tables G, 2005): each value is the
 * previous one plus a delta stored as int8; -128 escapes to int16, -32768 to int32, INT32_MIN to
 * int64, all little-endian. Sums wrap modulo 2^32 as in CBFlib, so hostile input cannot overflow.
 * Every field is parsed inside the buffer's bounds; nothing assumes a terminating NUL. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const uint8_t MARKER[4] = {0x0C, 0x1A, 0x04, 0xD5};

bf_status bf__cbf_byte_offset_decode(const uint8_t *src, size_t srclen, int32_t *dst, size_t n,
                                     const char *source)
{
    uint32_t v = 0;
    size_t pos = 0, i = 0;
    for (; i < n; i++) {
        if (pos >= srclen)
            goto truncated;
        int8_t d8 = (int8_t)src[pos++];
        if (d8 != -128) {
            v += (uint32_t)(int32_t)d8;
        } else {
            if (srclen - pos < 2)
                goto truncated;
            int16_t d16 = (int16_t)(uint16_t)(src[pos] | src[pos + 1] << 8);
            pos += 2;
            if (d16 != -32768) {
                v += (uint32_t)(int32_t)d16;
            } else {
                if (srclen - pos < 4)
                    goto truncated;
                uint32_t d32 = (uint32_t)src[pos] | (uint32_t)src[pos + 1] << 8 |
                               (uint32_t)src[pos + 2] << 16 | (uint32_t)src[pos + 3] << 24;
                pos += 4;
                if (d32 != 0x80000000u) {
                    v += d32;
                } else {
                    if (srclen - pos < 8)
                        goto truncated;
                    v += (uint32_t)src[pos] | (uint32_t)src[pos + 1] << 8 |
                         (uint32_t)src[pos + 2] << 16 | (uint32_t)src[pos + 3] << 24;
                    pos += 8; /* the high half cannot matter to a 32-bit result */
                }
            }
        }
        memcpy(&dst[i], &v, 4);
    }
    return BF_OK;
truncated:
    return bf__error_set(BF_EFORMAT, "%s: CBF byte-offset data (%zu bytes) end before element "
                         "%zu of %zu", source, srclen, i, n);
}

/* Find needle in [hay, hay + len). */
static const uint8_t *find(const uint8_t *hay, size_t len, const char *needle)
{
    return memmem(hay, len, needle, strlen(needle));
}

/* The value after "key:" on its line, as an unsigned number; -1 when absent or malformed. */
static long long header_number(const uint8_t *h, size_t len, const char *key)
{
    const uint8_t *p = find(h, len, key);
    if (!p)
        return -1;
    size_t i = (size_t)(p - h) + strlen(key);
    while (i < len && (h[i] == ' ' || h[i] == '\t' || h[i] == ':'))
        i++;
    if (i >= len || h[i] < '0' || h[i] > '9')
        return -1;
    long long v = 0;
    for (; i < len && h[i] >= '0' && h[i] <= '9'; i++) {
        if (v > (1ll << 40))
            return -1;
        v = v * 10 + (h[i] - '0');
    }
    return v;
}

/* Does the line holding key contain word (case-sensitive)? */
static int header_has(const uint8_t *h, size_t len, const char *key, const char *word)
{
    const uint8_t *p = find(h, len, key);
    if (!p)
        return 0;
    size_t start = (size_t)(p - h), end = start;
    while (end < len && h[end] != '\n')
        end++;
    return find(h + start, end - start, word) != NULL;
}

bf_status bf__cbf_parse(const uint8_t *buf, size_t len, const char *source, bf_image **out)
{
    *out = NULL;
    if (len < 6 || memcmp(buf, "###CBF", 6) != 0)
        return bf__error_set(BF_EFORMAT, "%s: not a CBF file (no ###CBF signature)", source);
    const uint8_t *sec = find(buf, len, "--CIF-BINARY-FORMAT-SECTION--");
    if (!sec)
        return bf__error_set(BF_EFORMAT, "%s: CBF file without a binary section", source);
    size_t hoff = (size_t)(sec - buf);
    const uint8_t *mk = memmem(sec, len - hoff, MARKER, 4);
    if (!mk)
        return bf__error_set(BF_EFORMAT, "%s: CBF binary section without its start marker",
                             source);
    const uint8_t *h = sec;
    size_t hlen = (size_t)(mk - sec), data = (size_t)(mk - buf) + 4;
    if (!header_has(h, hlen, "conversions=", "x-CBF_BYTE_OFFSET"))
        return bf__error_set(BF_EUNSUPPORTED, "%s: only byte-offset compressed CBF is read "
                             "(conversions=\"x-CBF_BYTE_OFFSET\")", source);
    if (find(h, hlen, "X-Binary-Element-Byte-Order:") &&
        !header_has(h, hlen, "X-Binary-Element-Byte-Order:", "LITTLE_ENDIAN"))
        return bf__error_set(BF_EUNSUPPORTED, "%s: CBF byte order is not LITTLE_ENDIAN", source);
    long long size = header_number(h, hlen, "X-Binary-Size:");
    long long nel = header_number(h, hlen, "X-Binary-Number-of-Elements:");
    long long fast = header_number(h, hlen, "X-Binary-Size-Fastest-Dimension:");
    long long slow = header_number(h, hlen, "X-Binary-Size-Second-Dimension:");
    if (size < 0 || nel < 0 || fast <= 0 || slow <= 0)
        return bf__error_set(BF_EFORMAT, "%s: CBF header lacks X-Binary-Size, "
                             "-Number-of-Elements or the fastest/second dimensions", source);
    if ((unsigned long long)fast * (unsigned long long)slow != (unsigned long long)nel)
        return bf__error_set(BF_EFORMAT, "%s: CBF declares %lld elements but %lld x %lld "
                             "dimensions", source, nel, slow, fast);
    if ((unsigned long long)size > len - data)
        return bf__error_set(BF_EFORMAT, "%s: CBF declares %lld binary bytes, the file holds "
                             "%zu after the marker (truncated?)", source, size, len - data);
    if (nel > size) /* byte offset needs at least one byte per element */
        return bf__error_set(BF_EFORMAT, "%s: CBF declares %lld elements in %lld bytes", source,
                             nel, size);
    bf_dtype dt = header_has(h, hlen, "X-Binary-Element-Type:", "unsigned 32-bit")
                         ? BF_DTYPE_U32 : BF_DTYPE_I32;
    bf_image *img = NULL;
    bf_status st = bf__image_alloc(dt, (size_t)slow, (size_t)fast, source, &img);
    if (st == BF_OK)
        st = bf__cbf_byte_offset_decode(buf + data, (size_t)size, img->data, (size_t)nel, source);
    if (st != BF_OK) {
        bf_image_destroy(img);
        return st;
    }
    *out = img;
    return BF_OK;
}
