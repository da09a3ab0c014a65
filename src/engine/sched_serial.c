/* The serial scheduler: one worker in the calling thread. The reference every other scheduler
 * must match bit for bit, and the one to debug with. */
#include "engine/run.h"

#include "core/error.h"

bf_status bf__sched_serial(bf__run *run)
{
    bf_worker_info info = {.worker = 0, .workers = 1, .threads = run->opt.threads_per_worker};
    void *state = NULL;
    bf_status st = run->pipe->worker_start(run->job, &info, &state);
    if (st != BF_OK)
        return bf__error_prefix(st, "worker 0 could not start: ");
    size_t unit;
    while (bf__run_next(run, &unit)) {
        bf_result *res = bf__run_result_get(run);
        if (!res) {
            st = bf__error_set(BF_ENOMEM, "out of memory for a unit result");
            break;
        }
        bf__run_unit(run, state, 0, unit, res);
        bf__run_complete(run, res);
        bf__run_tick(run);
    }
    if (run->pipe->worker_stop)
        run->pipe->worker_stop(state);
    return st;
}
