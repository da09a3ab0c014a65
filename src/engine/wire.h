/* Library-internal: how a unit's outcome travels between processes (pipes) and MPI ranks. A
 * message is a prefix (header, error message, phases) followed by the result's bytes, sent
 * separately so that the result is never copied just to be framed. */
#ifndef BF_ENGINE_WIRE_H
#define BF_ENGINE_WIRE_H

#include "engine/run.h"

#define BF__WIRE_MAGIC 0x62664d31u /* "bfM1" */
#define BF__WIRE_READY UINT64_MAX  /* the unit of the message answering worker_start */

typedef struct bf__wire_header {
    uint32_t magic;
    int32_t status;
    uint64_t unit;
    uint64_t bytes; /* result bytes that follow the prefix */
    uint32_t msglen;
    uint32_t nphases;
    double t_begin, t_end;
} bf__wire_header;

typedef struct bf__wire_phase {
    char name[24];
    double t_begin, t_end;
} bf__wire_phase;

#define BF__WIRE_PREFIX_MAX                                                                     \
    (sizeof(bf__wire_header) + BF_RESULT_MESSAGE_MAX + BF_PHASES_MAX * sizeof(bf__wire_phase))

/* Pack res's outcome for unit into buf (BF__WIRE_PREFIX_MAX bytes); returns the prefix length.
 * The result bytes (res->data, header.bytes of them) are sent after it. */
size_t bf__wire_pack(const bf_result *res, uint64_t unit, unsigned char *buf);

/* Length of the whole prefix whose header is h, or 0 if the header is malformed. */
size_t bf__wire_prefix_len(const bf__wire_header *h);

/* Unpack a prefix of len bytes into res (status, unit, worker, times, message, phases; names
 * interned in run); false if it is malformed. The result bytes still have to be received into
 * res (bf_result_alloc with header.bytes). */
bool bf__wire_unpack(bf__run *run, const unsigned char *buf, size_t len, int worker,
                     bf_result *res, bf__wire_header *h);

#endif
