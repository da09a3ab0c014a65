/* Framing of unit outcomes between processes and ranks (see wire.h). Both ends run the same
 * binary on the same machine or cluster, so fields travel in native byte order. */
#include "engine/wire.h"

#include <string.h>

size_t bf__wire_pack(const bf_result *res, uint64_t unit, unsigned char *buf)
{
    size_t msglen = res->status != BF_OK ? strnlen(res->message, BF_RESULT_MESSAGE_MAX - 1) : 0;
    bf__wire_header h = {BF__WIRE_MAGIC, res->status, unit, res->status == BF_OK ? res->size : 0,
                         (uint32_t)msglen, (uint32_t)res->nphases, res->t_begin, res->t_end};
    size_t n = 0;
    memcpy(buf, &h, sizeof h);
    n += sizeof h;
    memcpy(buf + n, res->message, msglen);
    n += msglen;
    for (int i = 0; i < res->nphases; i++) {
        bf__wire_phase ph;
        memset(&ph, 0, sizeof ph);
        strncpy(ph.name, res->phases[i].name, sizeof ph.name - 1);
        ph.t_begin = res->phases[i].t_begin;
        ph.t_end = res->phases[i].t_end;
        memcpy(buf + n, &ph, sizeof ph);
        n += sizeof ph;
    }
    return n;
}

size_t bf__wire_prefix_len(const bf__wire_header *h)
{
    if (h->magic != BF__WIRE_MAGIC || h->msglen >= BF_RESULT_MESSAGE_MAX ||
        h->nphases > BF_PHASES_MAX)
        return 0;
    return sizeof *h + h->msglen + h->nphases * sizeof(bf__wire_phase);
}

bool bf__wire_unpack(bf__run *run, const unsigned char *buf, size_t len, int worker,
                     bf_result *res, bf__wire_header *h)
{
    if (len < sizeof *h)
        return false;
    memcpy(h, buf, sizeof *h);
    if (bf__wire_prefix_len(h) != len)
        return false;
    size_t n = sizeof *h;
    memcpy(res->message, buf + n, h->msglen);
    res->message[h->msglen] = '\0';
    n += h->msglen;
    res->nphases = (int)h->nphases;
    for (uint32_t i = 0; i < h->nphases; i++) {
        bf__wire_phase ph;
        memcpy(&ph, buf + n, sizeof ph);
        n += sizeof ph;
        ph.name[sizeof ph.name - 1] = '\0';
        res->phases[i] = (bf__phase){bf__run_intern(run, ph.name), ph.t_begin, ph.t_end};
    }
    res->unit = (size_t)h->unit;
    res->worker = worker;
    res->status = (bf_status)h->status;
    res->t_begin = h->t_begin;
    res->t_end = h->t_end;
    return true;
}
