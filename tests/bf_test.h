/* The tiny test helper every beamflow test includes: cmocka, tolerance asserts that print both
 * values, and a replayable seed (BF_TEST_SEED=N reruns a randomised test exactly). */
#ifndef BF_TEST_H
#define BF_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "beamflow/core.h"

/* |a - b| <= atol + rtol * |b|, with b the reference. */
#define assert_close(a, b, rtol, atol)                                                           \
    do {                                                                                         \
        double bf_a_ = (double)(a), bf_b_ = (double)(b);                                         \
        if (!(fabs(bf_a_ - bf_b_) <= (atol) + (rtol)*fabs(bf_b_)))                               \
            fail_msg("%s = %.17g, expected %s = %.17g (rtol %g, atol %g)", #a, bf_a_, #b, bf_b_, \
                     (double)(rtol), (double)(atol));                                            \
    } while (0)

/* The call must return BF_OK; on failure show the thread's error message. */
#define assert_ok(call)                                                                          \
    do {                                                                                         \
        bf_status bf_st_ = (call);                                                               \
        if (bf_st_ != BF_OK)                                                                     \
            fail_msg("%s failed: %s: %s", #call, bf_status_name(bf_st_), bf_last_error());       \
    } while (0)

/* The call must fail with code, and its message must contain needle. */
#define assert_fails(call, code, needle)                                                         \
    do {                                                                                         \
        bf_status bf_st_ = (call);                                                               \
        if (bf_st_ != (code))                                                                    \
            fail_msg("%s returned %s, expected %s (message: %s)", #call, bf_status_name(bf_st_),  \
                     bf_status_name(code), bf_last_error());                                     \
        if (!strstr(bf_last_error(), (needle)))                                                  \
            fail_msg("%s: message \"%s\" lacks \"%s\"", #call, bf_last_error(), (needle));       \
    } while (0)

/* The seed for this run: BF_TEST_SEED if set, else the clock. Printed so any run replays. */
static inline uint64_t bf_test_seed(void)
{
    static uint64_t seed;
    static int done;
    if (!done) {
        const char *env = getenv("BF_TEST_SEED");
        seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
        printf("seed = %llu (replay with BF_TEST_SEED=%llu)\n", (unsigned long long)seed,
               (unsigned long long)seed);
        done = 1;
    }
    return seed;
}

/* splitmix64: a small, good generator for test data. */
static inline uint64_t bf_test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double bf_test_uniform(uint64_t *state)
{
    return (double)(bf_test_rand(state) >> 11) * 0x1.0p-53;
}

/* A scratch directory for this test process, created once. */
static inline const char *bf_test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/bf_test_XXXXXX");
        if (!mkdtemp(dir))
            fail_msg("mkdtemp failed");
    }
    return dir;
}

#endif
