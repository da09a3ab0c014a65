/* Size parsing and formatting: every accepted spelling, every error path. */
#include "bf_test.h"

#include <string.h>

static void parses_units(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } cases[] = {
        {"128 MiB", 134217728ull},  {"512MB", 512000000ull},   {"2 GB", 2000000000ull},
        {"1.5GiB", 1610612736ull},  {"4096", 4096ull},         {"  7 b ", 7ull},
        {"1 kib", 1024ull},         {"3 KB", 3000ull},         {"1TiB", 1099511627776ull},
        {"0.5 k", 500ull},          {"2T", 2000000000000ull},  {"0", 0ull},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t b = 1;
        assert_ok(bf_size_parse(cases[i].text, &b));
        assert_int_equal(b, cases[i].bytes);
    }
}

static void rejects_bad_sizes(void **state)
{
    (void)state;
    uint64_t b;
    assert_fails(bf_size_parse("", &b), BF_EINVAL, "expected a number");
    assert_fails(bf_size_parse("MiB", &b), BF_EINVAL, "'MiB'");
    assert_fails(bf_size_parse("-5 MiB", &b), BF_EINVAL, "expected a number");
    assert_fails(bf_size_parse("12 parsecs", &b), BF_EINVAL, "unknown unit 'parsecs'");
    assert_fails(bf_size_parse("12 MiB extra", &b), BF_EINVAL, "unexpected 'extra'");
    assert_fails(bf_size_parse("1.5", &b), BF_EINVAL, "whole");
    assert_fails(bf_size_parse("1e30 TiB", &b), BF_EINVAL, "out of range");
    assert_fails(bf_size_parse(NULL, &b), BF_EINVAL, "missing");
}

static void formats_sizes(void **state)
{
    (void)state;
    char buf[32];
    bf_size_format(134217728ull, buf, sizeof buf);
    assert_string_equal(buf, "128 MiB");
    bf_size_format(1610612736ull, buf, sizeof buf);
    assert_string_equal(buf, "1.50 GiB");
    bf_size_format(512, buf, sizeof buf);
    assert_string_equal(buf, "512 B");
}

static void error_messages_are_per_thread(void **state)
{
    (void)state;
    bf_error_clear();
    assert_string_equal(bf_last_error(), "");
    assert_string_equal(bf_status_name(BF_EFORMAT), "EFORMAT");
    bf_log_level lv;
    assert_ok(bf_log_level_parse("debug", &lv));
    assert_int_equal(lv, BF_LOG_DEBUG);
    assert_fails(bf_log_level_parse("loud", &lv), BF_EINVAL, "unknown log level 'loud'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_units),
        cmocka_unit_test(rejects_bad_sizes),
        cmocka_unit_test(formats_sizes),
        cmocka_unit_test(error_messages_are_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
