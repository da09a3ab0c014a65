/* Progress printers: JSON lines parse and end at 100 %, plain lines never carry '\r' and keep to
 * their rate limit, the bar redraws in place and ends at "100% Completed", and every error path
 * of parsing and creation. Updates are synthetic, so the rate limit is tested without sleeping. */
#include "bf_test.h"

#include <jansson.h>

#include "beamflow/engine.h"

/* Captured output of one printer. */
typedef struct capture {
    char *buf;
    size_t len;
    FILE *f;
    bf_progress_printer *pr;
} capture;

static void capture_open(capture *c, bf_progress_style style)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    assert_ok(bf_progress_printer_create(style, c->f, &c->pr));
    assert_non_null(c->pr);
}

/* Destroy the printer (it may end an open bar line) and close the stream so buf is complete. */
static void capture_close(capture *c)
{
    bf_progress_printer_destroy(c->pr);
    fclose(c->f);
}

/* n updates, one every step_s seconds of run time, the last one final with every unit done. */
static void drive(bf_progress_printer *pr, int n, double step_s, uint64_t units, uint64_t items)
{
    for (int i = 0; i < n; i++) {
        bool last = i == n - 1;
        bf_progress p = {
            .name = "demo",
            .units_done = last ? units : units * (uint64_t)i / (uint64_t)n,
            .units_total = units,
            .units_failed = 0,
            .retries = i > 2 ? 1 : 0,
            .items_done = last ? items : items * (uint64_t)i / (uint64_t)n,
            .items_total = items,
            .elapsed_s = step_s * i,
            .final = last,
        };
        assert_int_equal(bf_progress_print(&p, pr), 0);
    }
}

static size_t count_char(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

static void parses_styles(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bf_progress_style style;
    } cases[] = {{"auto", BF_PROGRESS_AUTO},   {"bar", BF_PROGRESS_BAR},
                 {"plain", BF_PROGRESS_PLAIN}, {"json", BF_PROGRESS_JSON},
                 {"none", BF_PROGRESS_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_progress_style s = BF_PROGRESS_NONE;
        assert_ok(bf_progress_style_parse(cases[i].text, &s));
        assert_int_equal(s, cases[i].style);
    }
    bf_progress_style s;
    assert_fails(bf_progress_style_parse("fancy", &s), BF_EINVAL, "'fancy'");
    assert_fails(bf_progress_style_parse("", &s), BF_EINVAL, "unknown progress style");
    assert_fails(bf_progress_style_parse("JSONS", &s), BF_EINVAL, "plain");
    assert_fails(bf_progress_style_parse(NULL, &s), BF_EINVAL, "missing");
}

static void rejects_bad_printers(void **state)
{
    (void)state;
    bf_progress_printer *pr = (bf_progress_printer *)&pr;
    assert_fails(bf_progress_printer_create(BF_PROGRESS_BAR, NULL, &pr), BF_EINVAL, "stream");
    assert_null(pr);
    pr = (bf_progress_printer *)&pr;
    assert_fails(bf_progress_printer_create((bf_progress_style)42, stderr, &pr), BF_EINVAL,
                 "out of range");
    assert_null(pr);
    bf_progress_printer_destroy(NULL);
    bf_progress p = {.name = "x", .final = true};
    assert_int_equal(bf_progress_print(&p, NULL), 0);
}

static void json_lines_count_and_end_at_100(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_JSON);
    const int calls = 9;
    drive(c.pr, calls, 0.7, 40, 8000);
    capture_close(&c);

    int lines = 0;
    double last_done = -1.0;
    char *save = NULL;
    for (char *line = strtok_r(c.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        if (!o)
            fail_msg("line %d is not JSON (%s): %s", lines + 1, err.text, line);
        assert_true(json_is_object(o));
        static const char *const keys[] = {"name",         "units_done", "units_total",
                                           "units_failed", "retries",    "items_done",
                                           "items_total",  "elapsed_s",  "percent",
                                           "rate_units_s", "eta_s",      "final"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!json_object_get(o, keys[k]))
                fail_msg("line %d lacks \"%s\": %s", lines + 1, keys[k], line);
        assert_string_equal(json_string_value(json_object_get(o, "name")), "demo");
        assert_int_equal(json_integer_value(json_object_get(o, "units_total")), 40);
        double done = (double)json_integer_value(json_object_get(o, "units_done"));
        assert_true(done >= last_done);
        last_done = done;
        bool final = json_is_true(json_object_get(o, "final"));
        assert_int_equal(final, lines == calls - 1);
        if (lines == 0) /* nothing done yet: no rate to extrapolate an ETA from */
            assert_true(json_is_null(json_object_get(o, "eta_s")));
        if (final) {
            assert_close(json_number_value(json_object_get(o, "percent")), 100.0, 0, 1e-9);
            assert_close(json_number_value(json_object_get(o, "rate_units_s")), 40 / 5.6, 1e-3,
                         1e-3);
            assert_int_equal(json_integer_value(json_object_get(o, "items_done")), 8000);
        } else {
            assert_true(json_number_value(json_object_get(o, "percent")) < 100.0);
        }
        json_decref(o);
        lines++;
    }
    assert_int_equal(lines, calls);
    free(c.buf);
}

static void json_survives_odd_input(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_JSON);
    /* no name, nothing to do, zero elapsed time: no division by zero, still 100 % at the end */
    bf_progress p = {.name = NULL, .final = true};
    bf_progress_print(&p, c.pr);
    bf_progress q = {.name = "bad \xff utf8", .units_total = 3, .elapsed_s = 0.0};
    bf_progress_print(&q, c.pr);
    capture_close(&c);
    char *nl = strchr(c.buf, '\n');
    assert_non_null(nl);
    *nl = '\0';
    json_t *a = json_loads(c.buf, 0, NULL), *b = json_loads(nl + 1, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_close(json_number_value(json_object_get(a, "percent")), 100.0, 0, 1e-9);
    assert_close(json_number_value(json_object_get(b, "rate_units_s")), 0.0, 0, 1e-12);
    json_decref(a);
    json_decref(b);
    free(c.buf);
}

static void plain_is_rate_limited_without_carriage_returns(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_PLAIN);
    /* 41 updates over 20 s of run time: lines at 0, 5, 10, 15, 20 s; the final one (20 s) always */
    drive(c.pr, 41, 0.5, 100, 0);
    capture_close(&c);
    assert_int_equal(count_char(c.buf, c.len, '\r'), 0);
    assert_int_equal(count_char(c.buf, c.len, '\n'), 5);
    assert_non_null(strstr(c.buf, "100/100 units (100.0%)"));
    assert_non_null(strstr(c.buf, "done"));
    assert_non_null(strstr(c.buf, "units/s"));
    assert_null(strstr(c.buf, "items/s")); /* the plan counts no items */
    free(c.buf);

    /* the final update prints even right after another line */
    capture_open(&c, BF_PROGRESS_PLAIN);
    bf_progress p = {.name = "demo", .units_done = 1, .units_total = 2, .elapsed_s = 1.0};
    bf_progress_print(&p, c.pr);
    p.elapsed_s = 1.5;
    bf_progress_print(&p, c.pr); /* suppressed */
    p.units_done = 2;
    p.elapsed_s = 2.0;
    p.final = true;
    bf_progress_print(&p, c.pr);
    capture_close(&c);
    assert_int_equal(count_char(c.buf, c.len, '\n'), 2);
    free(c.buf);
}

static void auto_on_a_non_terminal_is_plain(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_AUTO);
    drive(c.pr, 5, 1.0, 10, 0);
    capture_close(&c);
    assert_int_equal(count_char(c.buf, c.len, '\r'), 0);
    assert_true(count_char(c.buf, c.len, '\n') >= 1);
    free(c.buf);
}

static void bar_redraws_in_place(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_BAR);
    drive(c.pr, 6, 3.94, 50, 10000);
    capture_close(&c);
    assert_int_equal(count_char(c.buf, c.len, '\r'), 6);
    assert_int_equal(count_char(c.buf, c.len, '\n'), 1); /* only the final update ends the line */
    assert_int_equal(c.buf[c.len - 1], '\n');
    assert_non_null(strstr(c.buf, "[########################################] | 100% Completed | "
                                  "19.70 s"));
    assert_non_null(strstr(c.buf, "ETA"));
    assert_non_null(strstr(c.buf, "items/s"));
    assert_non_null(strstr(c.buf, "retries"));
    free(c.buf);

    /* a run that ends without a final update still leaves the terminal on a fresh line */
    capture_open(&c, BF_PROGRESS_BAR);
    bf_progress p = {.name = "demo", .units_done = 1, .units_total = 4, .units_failed = 1,
                     .elapsed_s = 2.0};
    bf_progress_print(&p, c.pr);
    capture_close(&c);
    assert_non_null(strstr(c.buf, " 25% Completed"));
    assert_non_null(strstr(c.buf, "1 failed"));
    assert_int_equal(c.buf[c.len - 1], '\n');
    free(c.buf);
}

static void none_prints_nothing(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, BF_PROGRESS_NONE);
    drive(c.pr, 5, 1.0, 10, 10);
    capture_close(&c);
    assert_int_equal(c.len, 0);
    free(c.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_styles),
        cmocka_unit_test(rejects_bad_printers),
        cmocka_unit_test(json_lines_count_and_end_at_100),
        cmocka_unit_test(json_survives_odd_input),
        cmocka_unit_test(plain_is_rate_limited_without_carriage_returns),
        cmocka_unit_test(auto_on_a_non_terminal_is_plain),
        cmocka_unit_test(bar_redraws_in_place),
        cmocka_unit_test(none_prints_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
