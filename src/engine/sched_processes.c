/* The processes scheduler: N forked workers, each building its own state; the parent owns the
 * run. A worker that dies (signal, non-zero exit, broken pipe) is noticed by EOF on its result
 * pipe, reaped, replaced by a new fork, and its unit is run again up to max_retries times.
 *
 * Worker -> parent: one wire message per unit (wire.h); parent -> worker: the unit index as a
 * uint64_t; EOF means "stop". A message with unit == BF__WIRE_READY answers worker_start.
 * Workers ignore SIGINT, so Ctrl-C on the terminal reaches only the parent, which then lets the
 * units in flight finish. Every child is reaped before returning: no zombies. */
#include "engine/run.h"
#include "engine/wire.h"

#include "core/error.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct slot {
    pid_t pid;      /* 0: no process */
    int cmd_fd;     /* parent writes unit indices */
    int res_fd;     /* parent reads results */
    bool ready;     /* worker_start succeeded */
    bool busy;
    size_t unit;
    double t_sent;
    int spawns;
} slot;

static bf_status write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return BF_EIO;
        p += w;
        n -= (size_t)w;
    }
    return BF_OK;
}

/* 1: read n bytes (n may be 0); 0: EOF before any byte; -1: error or EOF part-way. Callers that
 * are already inside a message treat 0 as -1. */
static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static bf_status send_result(int fd, const bf_result *res, uint64_t unit)
{
    unsigned char prefix[BF__WIRE_PREFIX_MAX];
    size_t n = bf__wire_pack(res, unit, prefix);
    if (write_all(fd, prefix, n) || (res->status == BF_OK && write_all(fd, res->data, res->size)))
        return BF_EIO;
    return BF_OK;
}

/* The child leaves with _exit (no atexit handlers, no flushing of the parent's stdio copies);
 * its result goes back to the run's pool first so that nothing it allocated is lost. */
static void child_exit(bf__run *run, bf_result *res, int code)
{
    bf__run_result_put(run, res);
    _exit(code);
}

/* The child's whole life; never returns. */
static void child_main(bf__run *run, int index, int cmd_fd, int res_fd)
{
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    bf_worker_info info = {.worker = index, .workers = run->opt.workers,
                           .threads = run->opt.threads_per_worker, .process = true};
    void *state = NULL;
    bf_result *res = bf__run_result_get(run);
    if (!res)
        _exit(4);
    bf_error_clear();
    res->status = run->pipe->worker_start(run->job, &info, &state);
    snprintf(res->message, sizeof res->message, "%s", bf_last_error());
    res->size = 0;
    if (send_result(res_fd, res, BF__WIRE_READY) != BF_OK || res->status != BF_OK)
        child_exit(run, res, 3);
    uint64_t unit;
    while (read_all(cmd_fd, &unit, sizeof unit) == 1) {
        bf__run_unit(run, state, index, (size_t)unit, res);
        if (send_result(res_fd, res, unit) != BF_OK)
            child_exit(run, res, 5);
    }
    if (run->pipe->worker_stop)
        run->pipe->worker_stop(state);
    child_exit(run, res, 0);
}

static bf_status spawn(bf__run *run, slot *slots, int nw, int index)
{
    int cmd[2], res[2];
    if (pipe(cmd) != 0)
        return bf__error_errno(BF_ESYSTEM, errno, "cannot create a pipe for worker %d", index);
    if (pipe(res) != 0) {
        int e = errno;
        close(cmd[0]);
        close(cmd[1]);
        return bf__error_errno(BF_ESYSTEM, e, "cannot create a pipe for worker %d", index);
    }
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(cmd[0]), close(cmd[1]), close(res[0]), close(res[1]);
        return bf__error_errno(BF_ESYSTEM, e, "cannot fork worker %d", index);
    }
    if (pid == 0) {
        /* Close every other worker's pipe ends: a sibling holding them open would hide that
         * worker's death from the parent (no EOF). */
        for (int i = 0; i < nw; i++)
            if (slots[i].pid > 0) {
                close(slots[i].cmd_fd);
                close(slots[i].res_fd);
            }
        close(cmd[1]);
        close(res[0]);
        child_main(run, index, cmd[0], res[1]);
    }
    close(cmd[0]);
    close(res[1]);
    slots[index] = (slot){.pid = pid, .cmd_fd = cmd[1], .res_fd = res[0],
                          .spawns = slots[index].spawns + 1};
    if (run->prof)
        bf__profiler_watch(run->prof, pid);
    return BF_OK;
}

static void describe_exit(int status, char *buf, size_t n)
{
    if (WIFSIGNALED(status))
        snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, n, "stopped");
}

/* Close a worker's pipes and reap it; returns how it ended. */
static void reap(bf__run *run, slot *s, char *why, size_t n)
{
    close(s->cmd_fd);
    close(s->res_fd);
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (run->prof)
        bf__profiler_unwatch(run->prof, s->pid);
    describe_exit(status, why, n);
    s->pid = 0;
    s->busy = s->ready = false;
}

/* Read one message from a worker. 1: handled; 0: the worker is gone. */
static int receive(bf__run *run, slot *s, int index)
{
    unsigned char prefix[BF__WIRE_PREFIX_MAX];
    bf__wire_header h;
    if (read_all(s->res_fd, prefix, sizeof h) != 1)
        return 0;
    memcpy(&h, prefix, sizeof h);
    size_t len = bf__wire_prefix_len(&h);
    bf_result *res = bf__run_result_get(run);
    void *data = NULL;
    if (!res || len == 0 || read_all(s->res_fd, prefix + sizeof h, len - sizeof h) != 1 ||
        !bf__wire_unpack(run, prefix, len, index, res, &h) ||
        bf_result_alloc(res, (size_t)h.bytes, &data) != BF_OK ||
        read_all(s->res_fd, data, (size_t)h.bytes) != 1) {
        bf__run_result_put(run, res);
        return 0;
    }
    if (h.unit == BF__WIRE_READY) {
        if (h.status != BF_OK) {
            char msg[BF_RESULT_MESSAGE_MAX + 64];
            snprintf(msg, sizeof msg, "worker %d could not start: %s", index, res->message);
            bf__run_fail(run, (bf_status)h.status, msg);
        }
        s->ready = h.status == BF_OK;
        bf__run_result_put(run, res);
        return 1;
    }
    s->busy = false;
    bf__run_complete(run, res);
    return 1;
}

static void hand_out(bf__run *run, slot *slots, int nw)
{
    for (int i = 0; i < nw; i++) {
        slot *s = &slots[i];
        size_t unit;
        if (s->pid == 0 || !s->ready || s->busy || !bf__run_next(run, &unit))
            continue;
        uint64_t u = unit;
        s->busy = true;
        s->unit = unit;
        s->t_sent = bf_time_now();
        /* a failed write means the worker died: the poll loop sees EOF and re-runs the unit */
        (void)write_all(s->cmd_fd, &u, sizeof u);
    }
}

static bool any_busy(const slot *slots, int nw)
{
    for (int i = 0; i < nw; i++)
        if (slots[i].pid > 0 && slots[i].busy)
            return true;
    return false;
}

static void lost(bf__run *run, slot *slots, int nw, int i, bf_status *st)
{
    char why[160];
    bool was_busy = slots[i].busy, was_ready = slots[i].ready;
    size_t unit = slots[i].unit;
    double t = slots[i].t_sent;
    reap(run, &slots[i], why, sizeof why);
    if (was_busy)
        bf__run_lost(run, unit, i, t, why);
    else if (!was_ready && !atomic_load(&run->stop) && slots[i].spawns > run->opt.max_retries) {
        char msg[256];
        snprintf(msg, sizeof msg, "worker %d %s before it was ready, %d times", i, why,
                 slots[i].spawns);
        bf__run_fail(run, BF_EWORKER, msg);
    }
    if (!bf__run_finished(run) && *st == BF_OK)
        *st = spawn(run, slots, nw, i);
}

bf_status bf__sched_processes(bf__run *run)
{
    int nw = run->opt.workers;
    slot *slots = calloc((size_t)nw, sizeof *slots);
    struct pollfd *fds = calloc((size_t)nw, sizeof *fds);
    bf_status st = BF_OK;
    if (!slots || !fds) {
        free(slots);
        free(fds);
        return bf__error_set(BF_ENOMEM, "out of memory starting %d worker processes", nw);
    }
    for (int i = 0; i < nw && st == BF_OK; i++)
        st = spawn(run, slots, nw, i);
    while (st == BF_OK) {
        hand_out(run, slots, nw);
        if (bf__run_finished(run) && !any_busy(slots, nw))
            break;
        int nfds = 0;
        for (int i = 0; i < nw; i++)
            if (slots[i].pid > 0)
                fds[nfds++] = (struct pollfd){.fd = slots[i].res_fd, .events = POLLIN};
        if (nfds == 0)
            break;
        int rc = poll(fds, (nfds_t)nfds, 100);
        if (rc < 0 && errno != EINTR) {
            st = bf__error_errno(BF_ESYSTEM, errno, "poll on worker pipes failed");
            break;
        }
        for (int k = 0, i = 0; rc > 0 && k < nfds; k++) {
            while (slots[i].pid == 0 || slots[i].res_fd != fds[k].fd)
                i++;
            if (fds[k].revents && !receive(run, &slots[i], i))
                lost(run, slots, nw, i, &st);
        }
        bf__run_tick(run);
    }
    for (int i = 0; i < nw; i++)
        if (slots[i].pid > 0) {
            char why[160];
            reap(run, &slots[i], why, sizeof why);
        }
    free(slots);
    free(fds);
    return st;
}
