/* The threads scheduler: N worker threads in this process, each with its own state (built once
 * by worker_start), taking units in plan order; the calling thread is the owner and accepts
 * results, so accept() never runs concurrently and never in a worker.
 *
 * One mutex guards hand-out and the completion queue; workers sleep on `work`, the owner on
 * `done`, with a 100 ms timeout so progress and Ctrl-C are seen while units run. */
#include "engine/run.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct pool {
    bf__run *run;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    bf_result **queue; /* completions, FIFO */
    size_t qhead, qtail, qcap;
    size_t in_flight;
    int idle_workers;   /* waiting on `work`: wake them only if there are any */
    bool owner_waiting; /* waiting on `done`: signal only then (one wake-up per batch) */
    bool quit;
    bf_status start_status;
    char start_message[BF_RESULT_MESSAGE_MAX];
} pool;

typedef struct worker_arg {
    pool *p;
    int index;
} worker_arg;

static void push(pool *p, bf_result *res)
{
    p->queue[p->qtail++ % p->qcap] = res;
    if (p->owner_waiting)
        pthread_cond_signal(&p->done);
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    pool *p = wa->p;
    bf__run *run = p->run;
    bf_worker_info info = {.worker = wa->index, .workers = run->opt.workers,
                           .threads = run->opt.threads_per_worker};
    void *state = NULL;
    bf_status st = run->pipe->worker_start(run->job, &info, &state);
    pthread_mutex_lock(&p->mu);
    if (st != BF_OK) {
        if (p->start_status == BF_OK) {
            p->start_status = st;
            snprintf(p->start_message, sizeof p->start_message, "worker %d could not start: %s",
                     wa->index, bf_last_error());
        }
        atomic_store(&run->stop, true);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    for (;;) {
        size_t unit;
        while (!p->quit && !bf__run_next(run, &unit)) {
            p->idle_workers++;
            pthread_cond_wait(&p->work, &p->mu);
            p->idle_workers--;
        }
        if (p->quit)
            break;
        p->in_flight++;
        pthread_mutex_unlock(&p->mu);
        bf_result *res = bf__run_result_get(run);
        if (res)
            bf__run_unit(run, state, wa->index, unit, res);
        pthread_mutex_lock(&p->mu);
        if (!res) {
            /* no memory even for the result record: stop the run rather than lose the unit */
            p->in_flight--;
            if (p->start_status == BF_OK) {
                p->start_status = BF_ENOMEM;
                snprintf(p->start_message, sizeof p->start_message, "out of memory");
            }
            atomic_store(&run->stop, true);
            pthread_cond_signal(&p->done);
            continue;
        }
        push(p, res);
    }
    pthread_mutex_unlock(&p->mu);
    if (run->pipe->worker_stop)
        run->pipe->worker_stop(state);
    return NULL;
}

static void wait_done(pool *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->done, &p->mu, &ts);
}

/* Owner loop: take completions, accept them outside the lock, wake workers for new hand-outs. */
static void own(pool *p)
{
    bf__run *run = p->run;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->qhead == p->qtail) {
            if (p->in_flight == 0 && (bf__run_finished(run) || p->start_status != BF_OK))
                goto out;
            p->owner_waiting = true;
            wait_done(p);
            p->owner_waiting = false;
            pthread_mutex_unlock(&p->mu);
            bf__run_tick(run);
            pthread_mutex_lock(&p->mu);
            /* a cancel from tick must wake sleeping workers so that they can quit */
            pthread_cond_broadcast(&p->work);
        }
        while (p->qhead != p->qtail) {
            bf_result *res = p->queue[p->qhead++ % p->qcap];
            p->in_flight--;
            pthread_mutex_unlock(&p->mu);
            bf__run_complete(run, res);
            pthread_mutex_lock(&p->mu);
        }
        pthread_mutex_unlock(&p->mu);
        bf__run_tick(run);
        pthread_mutex_lock(&p->mu);
        if (p->idle_workers > 0)
            pthread_cond_broadcast(&p->work);
    }
out:
    p->quit = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

bf_status bf__sched_threads(bf__run *run)
{
    int nw = run->opt.workers;
    pool p = {.run = run, .qcap = run->window + (size_t)nw + 1};
    bf_status st = BF_OK;
    pthread_t *threads = calloc((size_t)nw, sizeof *threads);
    worker_arg *args = calloc((size_t)nw, sizeof *args);
    p.queue = calloc(p.qcap, sizeof *p.queue);
    if (!threads || !args || !p.queue) {
        free(threads);
        free(args);
        free(p.queue);
        return bf__error_set(BF_ENOMEM, "out of memory starting %d worker threads", nw);
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work, NULL);
    pthread_cond_init(&p.done, NULL);
    int started = 0;
    for (; started < nw; started++) {
        args[started] = (worker_arg){&p, started};
        int rc = pthread_create(&threads[started], NULL, worker_main, &args[started]);
        if (rc != 0) {
            st = bf__error_errno(BF_ESYSTEM, rc, "cannot start worker thread %d", started);
            atomic_store(&run->stop, true);
            break;
        }
    }
    own(&p);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (st == BF_OK && p.start_status != BF_OK)
        st = bf__error_set(p.start_status, "%s", p.start_message);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    pthread_mutex_destroy(&p.mu);
    free(threads);
    free(args);
    free(p.queue);
    return st;
}
