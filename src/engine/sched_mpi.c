/* The MPI scheduler: every rank runs the same command; rank 0 owns the run (hand-out, journal,
 * accept in plan order, progress, profile) and ranks 1..N-1 are workers, each with its own state.
 * Launch with `mpirun -n N beamflow ...` or `srun --mpi=pmix beamflow ...`.
 *
 * Messages (MPI_COMM_WORLD): owner -> worker TAG_UNIT (a uint64 unit index) or TAG_STOP;
 * worker -> owner TAG_PREFIX (wire.h prefix, also the READY answer to worker_start) then, when
 * the result has bytes, TAG_DATA with them. MPI keeps messages between two ranks in order, so
 * a prefix and its data never cross another unit's.
 *
 * A dead rank cannot be recovered inside the job with Open MPI 4 (mpirun kills the job; see
 * refs/mpi-slurm.md): the journal is the recovery, and a relaunch with --resume redoes only the
 * units that were not finished. */
#include "engine/run.h"
#include "engine/wire.h"

#include "core/error.h"

#ifdef BF_HAVE_MPI

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_UNIT = 11, TAG_STOP = 12, TAG_PREFIX = 13, TAG_DATA = 14 };

static bf_status role(int *rank, int *size)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (finalized)
        return bf__error_set(BF_EINVAL, "MPI was already finalized in this process");
    if (!inited) {
        int provided;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return bf__error_set(BF_ESYSTEM, "MPI_Init_thread failed");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    const char *tasks = getenv("SLURM_NTASKS");
    if (tasks && atoi(tasks) > 1 && *size == 1)
        return bf__error_set(BF_EINVAL, "SLURM started %s tasks but MPI sees a single rank: the "
                                        "launcher and the MPI library do not match (use srun "
                                        "--mpi=pmix with Open MPI, or mpirun)", tasks);
    return BF_OK;
}

int bf_mpi_rank(void)
{
    int inited = 0, finalized = 0, rank = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

void bf_mpi_finalize(void)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized)
        MPI_Finalize();
}

static void send_outcome(const bf_result *res, uint64_t unit)
{
    unsigned char prefix[BF__WIRE_PREFIX_MAX];
    size_t n = bf__wire_pack(res, unit, prefix);
    MPI_Send(prefix, (int)n, MPI_BYTE, 0, TAG_PREFIX, MPI_COMM_WORLD);
    if (res->status == BF_OK && res->size > 0) /* results above 2 GiB would need splitting */
        MPI_Send(res->data, (int)res->size, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
}

/* A worker rank's whole run. */
static bf_status work(bf__run *run, int rank, int size)
{
    bf_worker_info info = {.worker = rank - 1, .workers = size - 1,
                           .threads = run->opt.threads_per_worker, .process = true};
    void *state = NULL;
    bf_result *res = bf__run_result_get(run);
    if (!res)
        return bf__error_set(BF_ENOMEM, "out of memory");
    bf_error_clear();
    res->status = run->pipe->worker_start(run->job, &info, &state);
    snprintf(res->message, sizeof res->message, "%s", bf_last_error());
    res->size = 0;
    send_outcome(res, BF__WIRE_READY);
    bf_status st = res->status;
    for (; st == BF_OK;) {
        MPI_Status ms;
        uint64_t unit;
        MPI_Recv(&unit, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &ms);
        if (ms.MPI_TAG == TAG_STOP)
            break;
        bf__run_unit(run, state, rank - 1, (size_t)unit, res);
        send_outcome(res, unit);
    }
    if (st == BF_OK && run->pipe->worker_stop)
        run->pipe->worker_stop(state);
    bf__run_result_put(run, res);
    return BF_OK; /* the owner reports this rank's failures */
}

/* Receive one outcome from source; false if it was malformed. */
static bool receive(bf__run *run, int source, int *ready, bool *busy)
{
    unsigned char prefix[BF__WIRE_PREFIX_MAX];
    MPI_Status ms;
    int len = 0;
    MPI_Recv(prefix, (int)sizeof prefix, MPI_BYTE, source, TAG_PREFIX, MPI_COMM_WORLD, &ms);
    MPI_Get_count(&ms, MPI_BYTE, &len);
    bf_result *res = bf__run_result_get(run);
    bf__wire_header h;
    void *data = NULL;
    if (!res || !bf__wire_unpack(run, prefix, (size_t)len, source - 1, res, &h) ||
        bf_result_alloc(res, (size_t)h.bytes, &data) != BF_OK) {
        bf__run_result_put(run, res);
        return false;
    }
    if (h.bytes > 0)
        MPI_Recv(data, (int)h.bytes, MPI_BYTE, source, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (h.unit == BF__WIRE_READY) {
        ready[source] = h.status == BF_OK ? 1 : -1;
        if (h.status != BF_OK) {
            char msg[BF_RESULT_MESSAGE_MAX + 64];
            snprintf(msg, sizeof msg, "rank %d could not start: %s", source, res->message);
            bf__run_fail(run, (bf_status)h.status, msg);
        }
        bf__run_result_put(run, res);
        return true;
    }
    busy[source] = false;
    bf__run_complete(run, res);
    return true;
}

static bf_status own(bf__run *run, int size)
{
    int *ready = calloc((size_t)size, sizeof *ready);
    bool *busy = calloc((size_t)size, sizeof *busy);
    bf_status st = BF_OK;
    if (!ready || !busy) {
        free(ready);
        free(busy);
        return bf__error_set(BF_ENOMEM, "out of memory");
    }
    run->window = 4 * (size_t)(size - 1) + 4;
    int answered = 0;
    for (;;) {
        bool any_busy = false;
        for (int r = 1; r < size; r++) {
            size_t unit;
            if (ready[r] == 1 && !busy[r] && bf__run_next(run, &unit)) {
                uint64_t u = unit;
                MPI_Send(&u, 1, MPI_UINT64_T, r, TAG_UNIT, MPI_COMM_WORLD);
                busy[r] = true;
            }
            any_busy |= busy[r];
        }
        if (!any_busy && answered == size - 1 && bf__run_finished(run))
            break;
        if (!any_busy && answered == size - 1 && !bf__run_finished(run)) {
            bool anyone = false;
            for (int r = 1; r < size; r++)
                anyone |= ready[r] == 1;
            if (!anyone)
                break; /* every rank failed to start: the failure is recorded */
        }
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_PREFIX, MPI_COMM_WORLD, &flag, &ms);
        if (flag) {
            int before = ready[ms.MPI_SOURCE];
            if (!receive(run, ms.MPI_SOURCE, ready, busy)) {
                st = bf__error_set(BF_EINTERNAL, "malformed message from rank %d", ms.MPI_SOURCE);
                break;
            }
            answered += before == 0 && ready[ms.MPI_SOURCE] != 0;
        } else {
            struct timespec ts = {0, 100000}; /* 0.1 ms: idle polling costs little CPU */
            nanosleep(&ts, NULL);
        }
        bf__run_tick(run);
    }
    /* stop every rank that started (those that failed to start have left their loop) */
    for (int r = 1; r < size; r++) {
        uint64_t none = 0;
        if (ready[r] == 1)
            MPI_Send(&none, 1, MPI_UINT64_T, r, TAG_STOP, MPI_COMM_WORLD);
    }
    free(ready);
    free(busy);
    return st;
}

bf_status bf__sched_mpi(bf__run *run)
{
    int rank, size;
    bf_status st = role(&rank, &size);
    if (st)
        return st;
    if (size == 1) {
        bf__log(BF_LOG_WARN, "mpi scheduler with a single rank: running serially");
        return bf__sched_serial(run);
    }
    return rank == 0 ? own(run, size) : work(run, rank, size);
}

bf_status bf__mpi_role(int *rank, int *size) { return role(rank, size); }

#else /* built without MPI */

int bf_mpi_rank(void) { return 0; }
void bf_mpi_finalize(void) {}

bf_status bf__sched_mpi(bf__run *run)
{
    (void)run;
    return bf__error_set(BF_EUNSUPPORTED, "this beamflow was built without MPI (install "
                                          "libopenmpi-dev and rebuild); use threads or processes");
}

bf_status bf__mpi_role(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    return BF_OK;
}

#endif
