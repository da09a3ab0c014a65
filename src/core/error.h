/* Library-internal side of error reporting and logging (see include/beamflow/core.h). */
#ifndef BF_CORE_ERROR_H
#define BF_CORE_ERROR_H

#include "beamflow/core.h"

#if defined(__GNUC__)
#define BF__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BF__PRINTF(a, b)
#endif

/* Record this thread's message and return code, so that a detector writes
 * `return bf__error_set(BF_EINVAL, "...")`. Overwrites any earlier message. */
bf_status bf__error_set(bf_status code, const char *fmt, ...) BF__PRINTF(2, 3);

/* As bf__error_set, with strerror(errno_value) appended after ": ". */
bf_status bf__error_errno(bf_status code, int errno_value, const char *fmt, ...) BF__PRINTF(3, 4);

/* Prefix this thread's current message with context ("job.json: "), keeping the code. Used only
 * where the detector cannot know the context, such as a parser called on a buffer. */
bf_status bf__error_prefix(bf_status code, const char *fmt, ...) BF__PRINTF(2, 3);

void bf__log(bf_log_level level, const char *fmt, ...) BF__PRINTF(2, 3);

#endif
