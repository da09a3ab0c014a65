/* The run profiler (see profiler.h): records unit slices on the owning thread, samples CPU and
 * resident memory on its own thread at 20 Hz, and writes Chrome trace JSON and an HTML report.
 *
 * Invariants: slices, phases and the out-of-memory flag are touched by the owning thread only;
 * the sample array by the sampler thread only until finish joins it; the watch list and the stop
 * flag are shared and guarded by `lock`. Recording a unit allocates only when its arrays double,
 * and a failed allocation never fails the run: finish reports it instead.
 *
 * CPU of this process comes from CLOCK_PROCESS_CPUTIME_ID (nanoseconds, all threads) rather than
 * /proc/self/stat, whose 10 ms ticks would quantise a 50 ms interval to steps of 20 %. Watched
 * children are read from /proc/<pid>/stat (utime + stime); a child that has gone is skipped. */
#include "engine/profiler.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "engine/profile_html.h"

#define SAMPLE_HZ 20

typedef struct watch {
    pid_t pid;
    bool have_prev;
    double prev_cpu_s; /* its CPU time at the previous sample */
} watch;

struct bf__profiler {
    char *prefix;
    char *run_name;
    int workers;
    double t0; /* bf_time_now() at creation: the trace's time origin */
    double t_end;

    bf__prof_unit *units; /* owning thread */
    size_t nunits, cap_units;
    bf__phase *phases;
    size_t nphases, cap_phases;
    bool lost; /* an allocation failed while recording */

    bf__prof_sample *samples; /* sampler thread until joined */
    size_t nsamples, cap_samples;
    bool samples_lost;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    bool stop;
    watch *watches;
    size_t nwatches, cap_watches;

    pthread_t thread;
    bool running;
    bool lock_ready;
};

/* Grow *arr to hold at least n elements of size sz, doubling; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    void *a = realloc(*arr, c * sz);
    if (!a)
        return false;
    *arr = a;
    *cap = c;
    return true;
}

/* Read a small /proc file into buf without stdio, so the sampler allocates nothing per read. */
static bool read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

static uint64_t rss_bytes_of(const char *statm_path)
{
    char buf[256];
    unsigned long size = 0, resident = 0;
    if (!read_small(statm_path, buf, sizeof buf) || sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* utime + stime of pid in seconds; false when it is gone. The command name may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static bool cpu_seconds_of(pid_t pid, double *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!read_small(path, buf, sizeof buf))
        return false;
    const char *rp = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!rp || sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    *out = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
    return true;
}

static double self_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One sample: CPU used since the previous one by this process and the watched children, over
 * the wall time between them. Called with p->lock held (it walks the watch list). */
static void take_sample(bf__profiler *p, double *prev_t, double *prev_self)
{
    double t = bf_time_now();
    double self = self_cpu_seconds();
    double cpu = self - *prev_self;
    uint64_t rss = rss_bytes_of("/proc/self/statm");
    for (size_t i = 0; i < p->nwatches; i++) {
        watch *w = &p->watches[i];
        double c;
        if (!cpu_seconds_of(w->pid, &c))
            continue; /* exited and reaped: nothing more to count */
        if (w->have_prev && c >= w->prev_cpu_s)
            cpu += c - w->prev_cpu_s;
        w->prev_cpu_s = c;
        w->have_prev = true;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/statm", (int)w->pid);
        rss += rss_bytes_of(path);
    }
    double dt = t - *prev_t;
    *prev_t = t;
    *prev_self = self;
    if (dt <= 1e-4)
        return; /* too short an interval to give a meaningful percentage */
    if (!grow((void **)&p->samples, &p->cap_samples, p->nsamples + 1, sizeof *p->samples)) {
        p->samples_lost = true;
        return;
    }
    p->samples[p->nsamples++] = (bf__prof_sample){t - p->t0, 100.0 * cpu / dt, rss};
}

static void *sampler_main(void *arg)
{
    bf__profiler *p = arg;
    double prev_t = bf_time_now(), prev_self = self_cpu_seconds();
    struct timespec next, now;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        next.tv_nsec += 1000000000L / SAMPLE_HZ;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        /* Fallen behind (a stalled machine): start afresh rather than fire a burst of samples. */
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
            next = now;
        while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &next) != ETIMEDOUT) {
        }
        /* One last sample at stop, so that a run shorter than an interval still has one. */
        take_sample(p, &prev_t, &prev_self);
        if (p->stop)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void stop_sampler(bf__profiler *p)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->running = false;
    p->t_end = bf_time_now();
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Fail before the run rather than after an hour of it: the prefix's directory must be
 * writable. */
static bf_status check_prefix_dir(const char *prefix)
{
    const char *slash = strrchr(prefix, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == prefix)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - prefix), prefix);
    if (access(dir, W_OK | X_OK) != 0)
        return bf__error_errno(BF_EIO, errno, "profile '%s': cannot write in '%s'", prefix, dir);
    return BF_OK;
}

static bf_status start_sampler(bf__profiler *p)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return bf__error_set(BF_ESYSTEM, "profiler: pthread_condattr_init failed");
    /* Deadlines on the monotonic clock, so a wall-clock jump cannot stall the sampler. */
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return bf__error_errno(BF_ESYSTEM, rc, "profiler: cannot set up its condition variable");
    if ((rc = pthread_mutex_init(&p->lock, NULL)) != 0) {
        pthread_cond_destroy(&p->wake);
        return bf__error_errno(BF_ESYSTEM, rc, "profiler: cannot set up its mutex");
    }
    p->lock_ready = true;
    if ((rc = pthread_create(&p->thread, NULL, sampler_main, p)) != 0)
        return bf__error_errno(BF_ESYSTEM, rc, "profiler: cannot start the sampler thread");
    p->running = true;
    return BF_OK;
}

bf_status bf__profiler_create(const char *prefix, const char *run_name, int workers,
                              bf__profiler **out)
{
    bf_status st = BF_OK;
    bf__profiler *p = NULL;
    *out = NULL;
    if (!prefix || !prefix[0]) {
        st = bf__error_set(BF_EINVAL, "profile prefix is missing");
        goto done;
    }
    if (workers < 1) {
        st = bf__error_set(BF_EINVAL, "profiler: workers must be at least 1, got %d", workers);
        goto done;
    }
    if ((st = check_prefix_dir(prefix)) != BF_OK)
        goto done;
    p = calloc(1, sizeof *p);
    if (!p || !(p->prefix = dup_string(prefix)) ||
        !(p->run_name = dup_string(run_name ? run_name : "run"))) {
        st = bf__error_set(BF_ENOMEM, "out of memory for the profiler");
        goto done;
    }
    p->workers = workers;
    p->t0 = bf_time_now();
    if ((st = start_sampler(p)) != BF_OK)
        goto done;
    *out = p;
    p = NULL;
done:
    bf__profiler_destroy(p);
    return st;
}

void bf__profiler_watch(bf__profiler *p, pid_t pid)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    if (grow((void **)&p->watches, &p->cap_watches, p->nwatches + 1, sizeof *p->watches))
        p->watches[p->nwatches++] = (watch){pid, false, 0.0};
    else
        p->samples_lost = true; /* its CPU goes uncounted; reported at finish */
    pthread_mutex_unlock(&p->lock);
}

void bf__profiler_unwatch(bf__profiler *p, pid_t pid)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nwatches; i++) {
        if (p->watches[i].pid == pid) {
            p->watches[i] = p->watches[--p->nwatches];
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void bf__profiler_unit(bf__profiler *p, int worker, const bf_unit *unit, double t_begin,
                       double t_end, const bf__phase *phases, int nphases, bool ok)
{
    if (!p || !unit)
        return;
    if (nphases < 0 || !phases)
        nphases = 0;
    if (nphases > BF_PHASES_MAX)
        nphases = BF_PHASES_MAX;
    if (!grow((void **)&p->units, &p->cap_units, p->nunits + 1, sizeof *p->units) ||
        !grow((void **)&p->phases, &p->cap_phases, p->nphases + (size_t)nphases,
              sizeof *p->phases)) {
        p->lost = true;
        return;
    }
    double b = t_begin - p->t0, e = t_end - p->t0;
    if (e < b)
        e = b;
    bf__prof_unit *u = &p->units[p->nunits++];
    u->id = unit->id;
    u->items = unit->count;
    u->t_begin = b;
    u->t_end = e;
    u->worker = worker;
    u->ok = ok;
    u->phase_first = (uint32_t)p->nphases;
    u->nphases = (uint32_t)nphases;
    memcpy(u->label, unit->label, sizeof u->label);
    u->label[sizeof u->label - 1] = '\0';
    /* Clamped into the unit, so a viewer nests every phase inside its slice. */
    for (int i = 0; i < nphases; i++) {
        double pb = phases[i].t_begin - p->t0, pe = phases[i].t_end - p->t0;
        pb = pb < b ? b : (pb > e ? e : pb);
        pe = pe < pb ? pb : (pe > e ? e : pe);
        p->phases[p->nphases++] = (bf__phase){phases[i].name ? phases[i].name : "phase", pb, pe};
    }
}

/* ---- Chrome trace JSON ------------------------------------------------------------------- */

/* Write s as the inside of a JSON string: quotes, backslashes and control characters escaped,
 * bytes that are not UTF-8 replaced by '?', so any label yields valid JSON. */
static void json_escape(FILE *f, const char *s)
{
    const unsigned char *c = (const unsigned char *)s;
    while (*c) {
        if (*c == '"' || *c == '\\') {
            fputc('\\', f);
            fputc(*c++, f);
        } else if (*c < 0x20) {
            fprintf(f, "\\u%04x", *c++);
        } else if (*c < 0x80) {
            fputc(*c++, f);
        } else {
            /* Copy a well-formed multi-byte sequence; anything else becomes '?'. */
            int n = (*c & 0xE0) == 0xC0 ? 2 : (*c & 0xF0) == 0xE0 ? 3 : (*c & 0xF8) == 0xF0 ? 4 : 0;
            int ok = n > 0 && *c != 0xC0 && *c != 0xC1 && *c < 0xF5;
            for (int i = 1; ok && i < n; i++)
                ok = (c[i] & 0xC0) == 0x80;
            if (ok) {
                fwrite(c, 1, (size_t)n, f);
                c += n;
            } else {
                fputc('?', f);
                c++;
            }
        }
    }
}

static double us(double s) { return s * 1e6; }

static void write_trace(const bf__profiler *p, FILE *f)
{
    int pid = (int)getpid();
    fprintf(f, "{\"traceEvents\":[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,"
               "\"tid\":0,\"args\":{\"name\":\"beamflow ", pid);
    json_escape(f, p->run_name);
    fputs("\"}}", f);
    for (int w = 0; w < p->workers; w++) {
        fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                   "\"args\":{\"name\":\"worker %d\"}}", pid, w, w);
        fprintf(f, ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                   "\"args\":{\"sort_index\":%d}}", pid, w, w);
    }
    for (size_t i = 0; i < p->nunits; i++) {
        const bf__prof_unit *u = &p->units[i];
        fputs(",\n{\"name\":\"", f);
        json_escape(f, u->label[0] ? u->label : "unit");
        fprintf(f, "\",\"cat\":\"unit\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,"
                   "\"tid\":%d,\"args\":{\"unit\":%llu,\"items\":%llu,\"ok\":%s}}",
                us(u->t_begin), us(u->t_end - u->t_begin), pid, u->worker,
                (unsigned long long)u->id, (unsigned long long)u->items,
                u->ok ? "true" : "false");
        for (uint32_t k = 0; k < u->nphases; k++) {
            const bf__phase *ph = &p->phases[u->phase_first + k];
            fputs(",\n{\"name\":\"", f);
            json_escape(f, ph->name);
            fprintf(f, "\",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,"
                       "\"tid\":%d,\"args\":{\"unit\":%llu}}",
                    us(ph->t_begin), us(ph->t_end - ph->t_begin), pid, u->worker,
                    (unsigned long long)u->id);
        }
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        const bf__prof_sample *s = &p->samples[i];
        fprintf(f, ",\n{\"name\":\"cpu\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,"
                   "\"args\":{\"cpu_percent\":%.1f}}", us(s->t), pid, s->cpu_percent);
        fprintf(f, ",\n{\"name\":\"memory\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,"
                   "\"args\":{\"rss_mib\":%.3f}}", us(s->t), pid,
                (double)s->rss_bytes / (1024.0 * 1024.0));
    }
    fputs("\n],\"displayTimeUnit\":\"ms\"}\n", f);
}

/* ---- writing files whole ----------------------------------------------------------------- */

typedef enum { OUT_TRACE, OUT_HTML } out_kind;

static bf_status write_output(const bf__profiler *p, const char *suffix, out_kind kind)
{
    char path[4096], tmp[4200];
    if ((size_t)snprintf(path, sizeof path, "%s%s", p->prefix, suffix) >= sizeof path)
        return bf__error_set(BF_EINVAL, "profile prefix '%s' is too long", p->prefix);
    bf_file_temp_name(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "cannot create '%s'", tmp);
    bf_status st = BF_OK;
    if (kind == OUT_TRACE) {
        write_trace(p, f);
    } else {
        bf__prof_data d = {p->run_name, p->workers, p->t_end - p->t0, p->units, p->nunits,
                           p->phases,   p->samples, p->nsamples};
        st = bf__profile_html_write(&d, f);
    }
    int werr = ferror(f) ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !werr)
        werr = errno ? errno : EIO;
    if (werr || st != BF_OK) {
        remove(tmp);
        return bf__error_errno(BF_EIO, werr ? werr : EIO, "cannot write '%s'", path);
    }
    if ((st = bf_file_commit(tmp, path)) != BF_OK)
        remove(tmp);
    return st;
}

bf_status bf__profiler_finish(bf__profiler *p)
{
    if (!p)
        return bf__error_set(BF_EINVAL, "profiler is missing");
    stop_sampler(p);
    bf_status st = write_output(p, ".trace.json", OUT_TRACE);
    if (st == BF_OK)
        st = write_output(p, ".html", OUT_HTML);
    if (st == BF_OK && (p->lost || p->samples_lost))
        st = bf__error_set(BF_ENOMEM, "profile '%s' is incomplete: out of memory while "
                                      "recording", p->prefix);
    return st;
}

void bf__profiler_destroy(bf__profiler *p)
{
    if (!p)
        return;
    stop_sampler(p);
    if (p->lock_ready) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
    }
    free(p->watches);
    free(p->samples);
    free(p->phases);
    free(p->units);
    free(p->run_name);
    free(p->prefix);
    free(p);
}
