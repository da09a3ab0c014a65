/* beamflow configuration: one mechanism for the whole project.
 *
 * Precedence, lowest to highest: built-in defaults < config file ($BEAMFLOW_CONFIG, else
 * ~/.config/beamflow/config.json if it exists) < environment (BEAMFLOW_<KEY>, with '-' written
 * '_', upper case: BEAMFLOW_CHUNK_SIZE) < command line / API. Every value remembers where it came
 * from ("default", "/path/config.json:3", "BEAMFLOW_WORKERS", "--workers"), and every error names
 * that source. Each value remembers its layer too, and a layer never overrides a value from a
 * higher one, so precedence does not depend on the order of the calls: a CLI may apply its
 * flags with bf_config_set before it loads the file and the environment, and the flags still
 * win. Each load is all or nothing: on failure the configuration is unchanged.
 *
 * Errors: BF_ENOTFOUND for an unknown key or variable and a missing file, BF_EINVAL for a value
 * out of its domain, BF_EFORMAT for a file that is not a JSON object, BF_EIO for an unreadable
 * file. Keys (all values are validated when set; text is canonical, so "512MB" reads back as
 * "512 MB", "1.5GiB" as "1.50 GiB", "THREADS" as "threads"):
 *
 *   scheduler           serial | threads | processes | mpi              (default threads)
 *   workers             integer >= 1, or "auto" = online CPUs / threads-per-worker (auto)
 *   threads-per-worker  integer >= 1                                    (1)
 *   chunk-size          size, the CPU unit budget                       (128 MiB)
 *   chunk-size-gpu      size, the GPU unit budget                       (512 MiB)
 *   device              cpu | gpu                                       (cpu)
 *   progress            auto | bar | plain | json | none                (auto)
 *   log-level           error | warn | info | debug                     (warn)
 *   fft-planning        estimate | measure | patient                    (measure)
 *   fft-cache-size      size, memory kept for FFT plans and wisdom      (256 MiB)
 *   max-retries         integer >= 0, reruns of a unit whose worker died (3)
 */
#ifndef BEAMFLOW_CONFIG_H
#define BEAMFLOW_CONFIG_H

#include "beamflow/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_config bf_config;

/** A configuration holding the built-in defaults only. [thread-safe] */
bf_status bf_config_create(bf_config **out /* OUT */);
void bf_config_destroy(bf_config *cfg);

/** Layer a JSON config file (at most 1 MiB) over defaults and earlier files: an object of
 *  key: value, integers as numbers or strings, sizes as strings ("128 MiB") or integer bytes.
 *  Values are recorded with source "path:line"; errors name path:line and the key.
 *  [handle-confined] */
bf_status bf_config_load_file(bf_config *cfg, const char *path);

/** The standard layers in order: the config file ($BEAMFLOW_CONFIG, which must exist if set;
 *  else ~/.config/beamflow/config.json when present), then BEAMFLOW_* variables from envp
 *  (NULL: the process environment). Unknown BEAMFLOW_ variables are errors, except
 *  BEAMFLOW_CONFIG and BEAMFLOW_LOG (an alias of BEAMFLOW_LOG_LEVEL). [handle-confined] */
bf_status bf_config_load_standard(bf_config *cfg, char *const *envp);

/** Set one key from text, recording source ("--workers"; NULL: "api"). Overrides files and
 *  the environment, whether they are loaded before or after. [handle-confined] */
bf_status bf_config_set(bf_config *cfg, const char *key, const char *value, const char *source);

/** The effective value as text, and where it came from; NULL for an unknown key. [thread-safe] */
const char *bf_config_get(const bf_config *cfg, const char *key);
const char *bf_config_source(const bf_config *cfg, const char *key);

/** Typed views of validated keys: integers (workers resolved from "auto" with the CPUs in this
 *  process's affinity mask when the config was created), sizes in bytes.
 *  Calling them on a key of another type is a bug and returns 0. [thread-safe] */
int64_t bf_config_int(const bf_config *cfg, const char *key);
uint64_t bf_config_size(const bf_config *cfg, const char *key);

/** The known keys in a fixed order, for listing: the i-th key, or NULL past the end. */
const char *bf_config_key(size_t i);

#ifdef __cplusplus
}
#endif
#endif
