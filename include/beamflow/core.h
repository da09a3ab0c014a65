/* beamflow core: status codes, per-thread error messages, logging, sizes and clocks.
 *
 * Every fallible function in beamflow returns a bf_status: BF_OK (0) or a negative code. The
 * function that detects a problem records one message for the calling thread, naming the file,
 * key, frame or line at fault; callers pass the status up unchanged. The library never prints
 * and never exits: messages reach the caller through bf_last_error() and the log callback. */
#ifndef BEAMFLOW_CORE_H
#define BEAMFLOW_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bf_status {
    BF_OK = 0,
    BF_EINVAL = -1,       /* an argument or option is out of its domain */
    BF_ENOMEM = -2,       /* an allocation failed */
    BF_EIO = -3,          /* reading or writing a file or pipe failed */
    BF_EFORMAT = -4,      /* a file or text is malformed */
    BF_ENOTFOUND = -5,    /* a file, dataset, key or name does not exist */
    BF_EUNSUPPORTED = -6, /* valid, but not something beamflow does */
    BF_ECANCELED = -7,    /* stopped on request (Ctrl-C, a progress callback) */
    BF_EWORKER = -8,      /* a worker failed beyond its retry limit */
    BF_ESYSTEM = -9,      /* an operating-system call failed */
    BF_EINTERNAL = -10    /* a broken invariant: a bug in beamflow */
} bf_status;

/** Short stable name of a status ("EINVAL"). [thread-safe] */
const char *bf_status_name(bf_status st);

/** The message recorded by the last failing call on this thread, or "" if none. The view stays
 *  valid until the next beamflow call on this thread. [thread-safe] */
const char *bf_last_error(void);

/** Record this thread's message and return code: for code outside the library that plugs into
 *  it (a pipeline's run_unit, a sink), so its failures reach the user like beamflow's own.
 *  [thread-safe] */
bf_status bf_error_set(bf_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Forget this thread's message. [thread-safe] */
void bf_error_clear(void);

typedef enum bf_log_level {
    BF_LOG_ERROR = 0,
    BF_LOG_WARN = 1,
    BF_LOG_INFO = 2,
    BF_LOG_DEBUG = 3
} bf_log_level;

/* Element types of frames and arrays, little-endian in memory: io reads them, ai integrates
 * them, nexus and ms write them. */
typedef enum bf_dtype {
    BF_DTYPE_U8 = 0,
    BF_DTYPE_I8,
    BF_DTYPE_U16,
    BF_DTYPE_I16,
    BF_DTYPE_U32,
    BF_DTYPE_I32,
    BF_DTYPE_U64,
    BF_DTYPE_I64,
    BF_DTYPE_F32,
    BF_DTYPE_F64,
    BF_DTYPE_BOOL, /* numpy's bool: one byte, 0 or 1 */
    BF_DTYPE_C64,  /* complex64: two float32 */
    BF_DTYPE_C128  /* complex128: two float64 */
} bf_dtype;

/** Bytes per element (0 for an unknown value). [thread-safe] */
size_t bf_dtype_size(bf_dtype dt);
/** numpy's name: "uint16", "int32", "float32"... [thread-safe] */
const char *bf_dtype_name(bf_dtype dt);

typedef void (*bf_log_fn)(bf_log_level level, const char *message, void *user);

/** Route log messages to fn (NULL: drop them). Messages above max_level are dropped before
 *  they are formatted. [init-only] */
void bf_log_set_handler(bf_log_fn fn, void *user, bf_log_level max_level);

/** Parse "error", "warn", "info" or "debug". [thread-safe] */
bf_status bf_log_level_parse(const char *text, bf_log_level *out /* OUT */);
const char *bf_log_level_name(bf_log_level level);

/** Parse a memory size: "128 MiB", "512MB", "2 GB", "1.5GiB", "4096" (bytes). Binary (KiB,
 *  MiB, GiB, TiB) and decimal (kB, MB, GB, TB) units, case-insensitive, optional space. The
 *  error message quotes the text. [thread-safe] */
bf_status bf_size_parse(const char *text, uint64_t *bytes /* OUT */);

/** Write bytes as "128 MiB" / "1.50 GiB" / "512 B" into buf. [thread-safe] */
void bf_size_format(uint64_t bytes, char *buf, size_t buflen);

/** Seconds on a monotonic clock, for durations. [thread-safe] */
double bf_time_now(void);

/* Files that appear whole: write under a temporary name, then commit. */

/** A name beside path to write to before bf_file_commit renames it over path: "path.tmp-PID".
 *  [thread-safe] */
void bf_file_temp_name(const char *path, char *buf, size_t buflen);

/** fsync tmp, rename it to path, fsync the directory: after this returns, path is complete,
 *  even after a power cut. [thread-safe] */
bf_status bf_file_commit(const char *tmp, const char *path);

#ifdef __cplusplus
}
#endif
#endif
