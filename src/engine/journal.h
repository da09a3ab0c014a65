/* Library-internal journal of finished units (see journal.c). */
#ifndef BF_ENGINE_JOURNAL_H
#define BF_ENGINE_JOURNAL_H

#include <stdbool.h>

#include "beamflow/engine.h"

typedef struct bf__journal bf__journal;

/* Open path for this plan. With resume, an existing journal of the same plan marks its units
 * done (torn or corrupt lines are dropped) and is rewritten clean before appending; a journal of
 * another plan is an error. Without resume any old journal is replaced. With spool, each
 * recorded unit's result bytes are kept in PATH.d/ for replay. */
bf_status bf__journal_open(const char *path, const bf_plan *plan, const char *pipeline, bool resume,
                           bool spool, bf__journal **out);
void bf__journal_close(bf__journal *j);

bool bf__journal_done(const bf__journal *j, size_t unit);
size_t bf__journal_count(const bf__journal *j);

/* Record a finished unit: its result is spooled first (when spooling), then one checksummed
 * line is appended and flushed to the kernel, so it survives the process being killed. */
bf_status bf__journal_record(bf__journal *j, size_t unit, const void *data, size_t bytes);

/* Read back a spooled result into *data (malloc'ed, caller frees), checking its checksum. */
bf_status bf__journal_load(const bf__journal *j, size_t unit, void **data, size_t *bytes);

/* Delete the spooled results once the run finished completely and the sink has written its
 * output; the journal itself stays, and a later --resume recomputes units whose spool is gone. */
void bf__journal_drop_spool(bf__journal *j);

#endif
