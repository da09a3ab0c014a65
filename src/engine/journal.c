/* The journal: an append-only text file beside a job's output, one line per finished unit.
 *
 *   beamflow-journal 1 <pipeline> plan=<fingerprint> units=<n> crc=<crc32>
 *   done <unit> bytes=<n> sum=<crc32 of the result> crc=<crc32 of the line before " crc=">
 *
 * Every line carries its own CRC-32 (zlib's), so a line torn by a kill or a bad disk is noticed
 * and dropped; its unit simply runs again (units are idempotent). Lines are flushed to the kernel
 * as they are written, which is what survives SIGKILL; results spooled for replay are committed
 * with fsync + rename. */
#include "engine/journal.h"

#include "core/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct bf__journal {
    char path[4096];
    char spool_dir[4096];
    bool spool;
    FILE *f;
    size_t n;
    unsigned char *done;
    uint32_t *sums;
    uint64_t *sizes;
    size_t count;
};

static uint32_t crc_of(const void *data, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

/* Append " crc=XXXXXXXX\n" to a line held in buf. */
static int write_line(FILE *f, const char *body)
{
    return fprintf(f, "%s crc=%08" PRIx32 "\n", body, crc_of(body, strlen(body)));
}

/* The body of a line whose checksum holds, or NULL. Modifies line. */
static char *checked_body(char *line)
{
    char *c = strstr(line, " crc=");
    if (!c)
        return NULL;
    uint32_t want = 0;
    char nl = 0;
    if (sscanf(c, " crc=%8" SCNx32 "%c", &want, &nl) != 2 || nl != '\n')
        return NULL;
    *c = '\0';
    return crc_of(line, strlen(line)) == want ? line : NULL;
}

static void header_body(char *buf, size_t n, const char *pipeline, const bf_plan *plan)
{
    snprintf(buf, n, "beamflow-journal 1 %s plan=%016" PRIx64 " units=%zu", pipeline,
             bf_plan_fingerprint(plan), bf_plan_size(plan));
}

static void spool_name(const bf__journal *j, size_t unit, char *buf, size_t n);

static bf_status read_existing(bf__journal *j, const bf_plan *plan, const char *pipeline)
{
    FILE *f = fopen(j->path, "r");
    if (!f)
        return errno == ENOENT ? BF_OK : bf__error_errno(BF_EIO, errno, "%s: cannot read", j->path);
    char want[256], line[512];
    header_body(want, sizeof want, pipeline, plan);
    bf_status st = BF_OK;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return BF_OK; /* empty: killed before the header reached the disk */
    }
    char *body = checked_body(line);
    if (!body || strcmp(body, want) != 0) {
        st = bf__error_set(BF_EINVAL,
                           "%s:1: this journal belongs to another job (expected '%s'); remove it "
                           "or run without --resume",
                           j->path, want);
        goto done;
    }
    while (fgets(line, sizeof line, f)) {
        body = checked_body(line);
        size_t unit = 0;
        uint64_t bytes = 0;
        uint32_t sum = 0;
        if (!body || sscanf(body, "done %zu bytes=%" SCNu64 " sum=%" SCNx32, &unit, &bytes, &sum) != 3 ||
            unit >= j->n)
            continue; /* torn or foreign line: its unit runs again */
        if (j->spool) { /* a result that cannot be replayed must be computed again */
            char spooled[4200];
            struct stat sb;
            spool_name(j, unit, spooled, sizeof spooled);
            if (stat(spooled, &sb) != 0 || (uint64_t)sb.st_size != bytes)
                continue;
        }
        if (!j->done[unit])
            j->count++;
        j->done[unit] = 1;
        j->sums[unit] = sum;
        j->sizes[unit] = bytes;
    }
done:
    fclose(f);
    return st;
}

/* Rewrite the journal with only its valid lines, so appends never follow a torn line. */
static bf_status rewrite(bf__journal *j, const bf_plan *plan, const char *pipeline)
{
    char tmp[4200];
    bf_file_temp_name(j->path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    char body[256];
    header_body(body, sizeof body, pipeline, plan);
    write_line(f, body);
    for (size_t i = 0; i < j->n; i++) {
        if (!j->done[i])
            continue;
        snprintf(body, sizeof body, "done %zu bytes=%" PRIu64 " sum=%08" PRIx32, i, j->sizes[i],
                 j->sums[i]);
        write_line(f, body);
    }
    if (fclose(f) != 0)
        return bf__error_errno(BF_EIO, errno, "%s: cannot write", tmp);
    return bf_file_commit(tmp, j->path);
}

bf_status bf__journal_open(const char *path, const bf_plan *plan, const char *pipeline, bool resume,
                           bool spool, bf__journal **out)
{
    bf_status st = BF_OK;
    *out = NULL;
    bf__journal *j = calloc(1, sizeof *j);
    if (!j)
        return bf__error_set(BF_ENOMEM, "out of memory opening the journal");
    snprintf(j->path, sizeof j->path, "%s", path);
    snprintf(j->spool_dir, sizeof j->spool_dir, "%s.d", path);
    j->spool = spool;
    j->n = bf_plan_size(plan);
    j->done = calloc(j->n + 1, 1);
    j->sums = calloc(j->n + 1, sizeof *j->sums);
    j->sizes = calloc(j->n + 1, sizeof *j->sizes);
    if (!j->done || !j->sums || !j->sizes) {
        st = bf__error_set(BF_ENOMEM, "out of memory opening the journal");
        goto done;
    }
    if (resume && (st = read_existing(j, plan, pipeline)) != BF_OK)
        goto done;
    if (spool && mkdir(j->spool_dir, 0777) != 0 && errno != EEXIST) {
        st = bf__error_errno(BF_EIO, errno, "%s: cannot create the result spool", j->spool_dir);
        goto done;
    }
    if ((st = rewrite(j, plan, pipeline)) != BF_OK)
        goto done;
    j->f = fopen(j->path, "a");
    if (!j->f) {
        st = bf__error_errno(BF_EIO, errno, "%s: cannot open for appending", j->path);
        goto done;
    }
    *out = j;
    j = NULL;
done:
    bf__journal_close(j);
    return st;
}

void bf__journal_close(bf__journal *j)
{
    if (!j)
        return;
    if (j->f)
        fclose(j->f);
    free(j->done);
    free(j->sums);
    free(j->sizes);
    free(j);
}

bool bf__journal_done(const bf__journal *j, size_t unit) { return unit < j->n && j->done[unit]; }

size_t bf__journal_count(const bf__journal *j) { return j->count; }

static void spool_name(const bf__journal *j, size_t unit, char *buf, size_t n)
{
    snprintf(buf, n, "%s/unit-%zu.bin", j->spool_dir, unit);
}

static bf_status spool_write(const bf__journal *j, size_t unit, const void *data, size_t bytes)
{
    char path[4200], tmp[4300];
    spool_name(j, unit, path, sizeof path);
    bf_file_temp_name(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot create", tmp);
    size_t put = bytes ? fwrite(data, 1, bytes, f) : 0;
    if (fclose(f) != 0 || put != bytes)
        return bf__error_set(BF_EIO, "%s: cannot write unit %zu's result", tmp, unit);
    return bf_file_commit(tmp, path);
}

bf_status bf__journal_record(bf__journal *j, size_t unit, const void *data, size_t bytes)
{
    bf_status st;
    if (j->spool && (st = spool_write(j, unit, data, bytes)) != BF_OK)
        return st;
    uint32_t sum = crc_of(data, bytes);
    char body[128];
    snprintf(body, sizeof body, "done %zu bytes=%zu sum=%08" PRIx32, unit, bytes, sum);
    if (write_line(j->f, body) < 0 || fflush(j->f) != 0)
        return bf__error_errno(BF_EIO, errno, "%s: cannot append", j->path);
    if (!j->done[unit])
        j->count++;
    j->done[unit] = 1;
    j->sums[unit] = sum;
    j->sizes[unit] = bytes;
    return BF_OK;
}

bf_status bf__journal_load(const bf__journal *j, size_t unit, void **data, size_t *bytes)
{
    *data = NULL;
    *bytes = 0;
    char path[4200];
    spool_name(j, unit, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf__error_errno(BF_EIO, errno, "%s: cannot read unit %zu's saved result", path, unit);
    size_t n = (size_t)j->sizes[unit];
    void *buf = malloc(n ? n : 1);
    size_t got = buf ? fread(buf, 1, n, f) : 0;
    int extra = fgetc(f);
    fclose(f);
    if (!buf)
        return bf__error_set(BF_ENOMEM, "out of memory reading %s", path);
    if (got != n || extra != EOF || crc_of(buf, n) != j->sums[unit]) {
        free(buf);
        return bf__error_set(BF_EFORMAT, "%s: saved result of unit %zu is damaged", path, unit);
    }
    *data = buf;
    *bytes = n;
    return BF_OK;
}

void bf__journal_drop_spool(bf__journal *j)
{
    if (!j->spool)
        return;
    for (size_t i = 0; i < j->n; i++) {
        char path[4200];
        spool_name(j, i, path, sizeof path);
        unlink(path);
    }
    rmdir(j->spool_dir);
}
