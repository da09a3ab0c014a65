/* Per-thread error messages and the log callback.
 *
 * Each thread owns one message buffer, so concurrent failures never overwrite each other (the
 * libvips global-buffer mistake). The log handler is set once at start-up, before threads. */
#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MESSAGE_MAX 1024

static _Thread_local char thread_message[MESSAGE_MAX];

static bf_log_fn log_handler;
static void *log_user;
static bf_log_level log_max_level = BF_LOG_WARN;

const char *bf_status_name(bf_status st)
{
    switch (st) {
    case BF_OK: return "OK";
    case BF_EINVAL: return "EINVAL";
    case BF_ENOMEM: return "ENOMEM";
    case BF_EIO: return "EIO";
    case BF_EFORMAT: return "EFORMAT";
    case BF_ENOTFOUND: return "ENOTFOUND";
    case BF_EUNSUPPORTED: return "EUNSUPPORTED";
    case BF_ECANCELED: return "ECANCELED";
    case BF_EWORKER: return "EWORKER";
    case BF_ESYSTEM: return "ESYSTEM";
    case BF_EINTERNAL: return "EINTERNAL";
    }
    return "EUNKNOWN";
}

const char *bf_last_error(void) { return thread_message; }

void bf_error_clear(void) { thread_message[0] = '\0'; }

bf_status bf__error_set(bf_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_message, sizeof thread_message, fmt, ap);
    va_end(ap);
    return code;
}

bf_status bf_error_set(bf_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_message, sizeof thread_message, fmt, ap);
    va_end(ap);
    return code;
}

bf_status bf__error_errno(bf_status code, int errno_value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(thread_message, sizeof thread_message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof thread_message)
        snprintf(thread_message + n, sizeof thread_message - (size_t)n, ": %s",
                 strerror(errno_value));
    return code;
}

bf_status bf__error_prefix(bf_status code, const char *fmt, ...)
{
    char old[MESSAGE_MAX];
    memcpy(old, thread_message, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(thread_message, sizeof thread_message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof thread_message)
        snprintf(thread_message + n, sizeof thread_message - (size_t)n, "%s", old);
    return code;
}

void bf_log_set_handler(bf_log_fn fn, void *user, bf_log_level max_level)
{
    log_handler = fn;
    log_user = user;
    log_max_level = max_level;
}

void bf__log(bf_log_level level, const char *fmt, ...)
{
    if (!log_handler || level > log_max_level)
        return;
    char message[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_handler(level, message, log_user);
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *bf_log_level_name(bf_log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "?";
}

bf_status bf_log_level_parse(const char *text, bf_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (text && strcmp(text, level_names[i]) == 0) {
            *out = (bf_log_level)i;
            return BF_OK;
        }
    }
    if (text && strcmp(text, "warning") == 0) {
        *out = BF_LOG_WARN;
        return BF_OK;
    }
    return bf__error_set(BF_EINVAL, "unknown log level '%s' (expected error, warn, info or debug)",
                         text ? text : "(null)");
}
