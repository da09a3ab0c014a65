/* Plans: an ordered list of units with stable ids, and the shape of the data they cover.
 *
 * Invariants: unit i has id i; units are appended only while the plan is being built and the
 * plan is read-only once bf_run sees it; the fingerprint covers everything that decides which
 * unit computes what, so a journal is never resumed by a different job. */
#include "core/error.h"
#include "beamflow/engine.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIMS 8

struct bf_plan {
    char name[64];
    bf_unit *units;
    size_t n, cap;
    size_t ndim;
    uint64_t shape[MAX_DIMS];
    char axis[MAX_DIMS][24];
    char dtype[16];
    size_t itemsize;
};

bf_status bf_plan_create(const char *name, bf_plan **out)
{
    *out = NULL;
    bf_plan *p = calloc(1, sizeof *p);
    if (!p)
        return bf__error_set(BF_ENOMEM, "out of memory creating a plan");
    snprintf(p->name, sizeof p->name, "%s", name ? name : "job");
    *out = p;
    return BF_OK;
}

void bf_plan_destroy(bf_plan *plan)
{
    if (!plan)
        return;
    free(plan->units);
    free(plan);
}

bf_status bf_plan_set_shape(bf_plan *plan, size_t ndim, const uint64_t *shape,
                            const char *const *axis_names, const char *dtype, size_t itemsize)
{
    if (ndim == 0 || ndim > MAX_DIMS)
        return bf__error_set(BF_EINVAL, "plan shape needs 1 to %d axes, got %zu", MAX_DIMS, ndim);
    plan->ndim = ndim;
    for (size_t i = 0; i < ndim; i++) {
        plan->shape[i] = shape[i];
        snprintf(plan->axis[i], sizeof plan->axis[i], "%s", axis_names ? axis_names[i] : "");
    }
    snprintf(plan->dtype, sizeof plan->dtype, "%s", dtype ? dtype : "bytes");
    plan->itemsize = itemsize;
    return BF_OK;
}

bf_status bf_plan_add(bf_plan *plan, uint64_t first, uint64_t count, uint64_t bytes, uint64_t key,
                      const char *label)
{
    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? 2 * plan->cap : 64;
        bf_unit *u = realloc(plan->units, cap * sizeof *u);
        if (!u)
            return bf__error_set(BF_ENOMEM, "out of memory adding unit %zu to the plan", plan->n);
        plan->units = u;
        plan->cap = cap;
    }
    bf_unit *u = &plan->units[plan->n];
    memset(u, 0, sizeof *u);
    u->id = plan->n;
    u->first = first;
    u->count = count;
    u->bytes = bytes;
    u->key = key;
    snprintf(u->label, sizeof u->label, "%s", label ? label : "");
    plan->n++;
    return BF_OK;
}

bf_status bf_plan_add_range(bf_plan *plan, uint64_t first, uint64_t n, uint64_t bytes_per_item,
                            uint64_t budget, uint64_t max_items, uint64_t key, const char *what)
{
    uint64_t per_unit = max_items;
    if (per_unit == 0)
        per_unit = bytes_per_item ? budget / bytes_per_item : n;
    if (per_unit == 0)
        per_unit = 1; /* one item larger than the budget still has to run */
    for (uint64_t start = first; start < first + n; start += per_unit) {
        uint64_t count = first + n - start < per_unit ? first + n - start : per_unit;
        char label[BF_UNIT_LABEL_MAX];
        snprintf(label, sizeof label, "%s %" PRIu64 "-%" PRIu64, what ? what : "items", start,
                 start + count - 1);
        bf_status st = bf_plan_add(plan, start, count, count * bytes_per_item, key, label);
        if (st)
            return st;
    }
    return BF_OK;
}

size_t bf_plan_size(const bf_plan *plan) { return plan->n; }

const bf_unit *bf_plan_unit(const bf_plan *plan, size_t i)
{
    return i < plan->n ? &plan->units[i] : NULL;
}

const char *bf_plan_name(const bf_plan *plan) { return plan->name; }

/* FNV-1a, 64 bit: a fingerprint, not a defence against adversaries. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t bf_plan_fingerprint(const bf_plan *plan)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, plan->name, strlen(plan->name));
    h = fnv(h, plan->shape, plan->ndim * sizeof plan->shape[0]);
    for (size_t i = 0; i < plan->n; i++) {
        const bf_unit *u = &plan->units[i];
        uint64_t f[4] = {u->first, u->count, u->bytes, u->key};
        h = fnv(h, f, sizeof f);
        h = fnv(h, u->label, strlen(u->label));
    }
    return h;
}

static uint64_t max_unit_items(const bf_plan *plan)
{
    uint64_t m = 0;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->units[i].count > m)
            m = plan->units[i].count;
    return m;
}

static void write_tuple(FILE *f, const bf_plan *plan, uint64_t first_axis)
{
    fputc('(', f);
    for (size_t i = 0; i < plan->ndim; i++)
        fprintf(f, "%s%" PRIu64, i ? ", " : "", i == 0 ? first_axis : plan->shape[i]);
    fputs(plan->ndim == 1 ? ",)" : ")", f);
}

bf_status bf_plan_write_summary(const bf_plan *plan, FILE *f)
{
    uint64_t total = 0, largest = 0;
    for (size_t i = 0; i < plan->n; i++) {
        total += plan->units[i].bytes;
        if (plan->units[i].bytes > largest)
            largest = plan->units[i].bytes;
    }
    char tb[32], ub[32];
    bf_size_format(total, tb, sizeof tb);
    bf_size_format(largest, ub, sizeof ub);
    fprintf(f, "plan %s\n", plan->name);
    if (plan->ndim) {
        fprintf(f, "  shape        ");
        write_tuple(f, plan, plan->shape[0]);
        fputs("  [", f);
        for (size_t i = 0; i < plan->ndim; i++)
            fprintf(f, "%s%s", i ? ", " : "", plan->axis[i]);
        fprintf(f, "]  %s\n  chunk shape  ", plan->dtype);
        write_tuple(f, plan, max_unit_items(plan));
        fputc('\n', f);
    }
    fprintf(f, "  units        %zu\n", plan->n);
    fprintf(f, "  bytes        %s in total, %s per unit (largest)\n", tb, ub);
    size_t shown = plan->n <= 6 ? plan->n : 3;
    for (size_t i = 0; i < plan->n; i++) {
        if (i == shown && plan->n > 6) {
            fprintf(f, "  ...\n");
            i = plan->n - 3;
        }
        char b[32];
        bf_size_format(plan->units[i].bytes, b, sizeof b);
        fprintf(f, "  unit %-6zu %-40s %s\n", i, plan->units[i].label, b);
    }
    return ferror(f) ? bf__error_set(BF_EIO, "writing the plan summary failed") : BF_OK;
}

bf_status bf_plan_write_dot(const bf_plan *plan, FILE *f)
{
    fprintf(f, "digraph \"%s\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans\"];\n",
            plan->name);
    fprintf(f, "  sink [label=\"%s: accept in unit order\", shape=ellipse];\n", plan->name);
    for (size_t i = 0; i < plan->n; i++) {
        char b[32];
        bf_size_format(plan->units[i].bytes, b, sizeof b);
        fprintf(f, "  u%zu [label=\"unit %zu\\n%s\\n%s\"];\n  u%zu -> sink;\n", i, i,
                plan->units[i].label, b, i);
    }
    fputs("}\n", f);
    return ferror(f) ? bf__error_set(BF_EIO, "writing the plan graph failed") : BF_OK;
}
