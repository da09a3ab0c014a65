/* Element symbols <-> atomic numbers, and parsing of atom-type tokens as structure files write
 * them ("Si", "SI", "Si1", "Si4+", "14"). Table in element_data.c; Z = 1..103. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ms/ms_internal.h"

static int lookup(const char *s, size_t len)
{
    if (len == 0 || len > 2)
        return 0;
    char sym[3] = {0};
    sym[0] = (char)toupper((unsigned char)s[0]);
    if (len == 2)
        sym[1] = (char)tolower((unsigned char)s[1]);
    for (int z = 1; z <= BF__NUM_ELEMENTS; z++)
        if (strcmp(bf__ms_elements[z].symbol, sym) == 0)
            return z;
    return 0;
}

bf_status bf_element_number(const char *symbol, int *z)
{
    *z = 0;
    if (!symbol)
        return bf__error_set(BF_EINVAL, "missing element symbol");
    size_t len = strlen(symbol);
    int found = 0;
    /* exact spelling first: "Co" is cobalt, never C + o */
    for (int k = 1; k <= BF__NUM_ELEMENTS && len <= 2; k++)
        if (strcmp(bf__ms_elements[k].symbol, symbol) == 0)
            found = k;
    if (!found)
        return bf__error_set(BF_EINVAL, "unknown element '%s'", symbol);
    *z = found;
    return BF_OK;
}

const char *bf_element_symbol(int z)
{
    return (z >= 1 && z <= BF__NUM_ELEMENTS) ? bf__ms_elements[z].symbol : NULL;
}

int bf__ms_element_from_token(const char *s, int allow_suffix)
{
    if (!s || !*s)
        return 0;
    if (isdigit((unsigned char)s[0])) {
        char *end;
        long v = strtol(s, &end, 10);
        return (*end == '\0' && v >= 1 && v <= BF__NUM_ELEMENTS) ? (int)v : 0;
    }
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (s[n] != '\0' && !allow_suffix)
        return 0;
    if (s[n] != '\0') {
        /* a label such as Si1, O2-, Fe3+: letters then digits/charge only */
        for (const char *q = s + n; *q; q++)
            if (!isdigit((unsigned char)*q) && *q != '+' && *q != '-' && *q != '_')
                return 0;
    }
    int z = lookup(s, n);
    if (!z && n > 1 && allow_suffix)
        z = lookup(s, 1); /* "Oa" style labels: one-letter element plus a letter tag */
    return z;
}
