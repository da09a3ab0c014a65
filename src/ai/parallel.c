/* A minimal parallel-for over row ranges for the integrator build (pthreads). The range
 * [0, n) is cut into at most nthreads contiguous pieces whose starts are multiples of align
 * (so callers can give each thread whole detector tiles); piece t goes to thread t. The caller's
 * function must write only what its rows own. If a thread cannot be started its piece runs on
 * the calling thread: the result never depends on the number of threads. */
#include <pthread.h>
#include <unistd.h>

#include "ai/ai_internal.h"

#define MAX_THREADS 16

typedef struct piece {
    bf__rows_fn fn;
    void *ctx;
    size_t r0, r1;
    int tid;
} piece;

static void *run_piece(void *arg)
{
    piece *p = arg;
    p->fn(p->ctx, p->r0, p->r1, p->tid);
    return NULL;
}

int bf__build_threads(int requested)
{
    if (requested > 0)
        return requested > MAX_THREADS ? MAX_THREADS : requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

void bf__parallel_rows(size_t n, size_t align, int nthreads, bf__rows_fn fn, void *ctx)
{
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    if (align < 1)
        align = 1;
    size_t blocks = (n + align - 1) / align;
    if (nthreads < 1)
        nthreads = 1;
    if ((size_t)nthreads > blocks)
        nthreads = blocks ? (int)blocks : 1;
    piece pieces[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < nthreads; t++) {
        size_t b0 = blocks * (size_t)t / (size_t)nthreads;
        size_t b1 = blocks * (size_t)(t + 1) / (size_t)nthreads;
        size_t r0 = b0 * align, r1 = b1 * align < n ? b1 * align : n;
        pieces[t] = (piece){fn, ctx, r0, r1, t};
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, run_piece, &pieces[t]) == 0;
    }
    if (nthreads > 0)
        run_piece(&pieces[0]);
    for (int t = 1; t < nthreads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_piece(&pieces[t]);
    }
}
