/* test_ratelimit.c - unit tests for cb_ratelimit: blocking after too many
 * auth failures a minute, release, isolation of sources, table eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_config.h"
#include "cb_metrics.h"
#include "cb_ratelimit.h"

#include <stdio.h>
#include <string.h>

#define T0 5000000ull /* an arbitrary monotonic start, ms */

static const cb_span_t A = {"192.0.2.7", 9};
static const cb_span_t B = {"2001:db8::1", 11};

static int setup(void **state)
{
    (void)state;
    memset(&cb_metrics, 0, sizeof cb_metrics);
    cb_ratelimit_init(10, 60);
    return 0;
}

static void fail_n(cb_span_t src, int n, uint64_t start_ms, uint64_t step_ms)
{
    for (int i = 0; i < n; i++)
        cb_ratelimit_fail(src, start_ms + (uint64_t)i * step_ms);
}

static void test_ratelimit_ten_failures_a_minute_are_allowed(void **state)
{
    (void)state;
    fail_n(A, 10, T0, 100);
    assert_false(cb_ratelimit_blocked(A, T0 + 1000, NULL));
}

static void test_ratelimit_engages_on_the_eleventh_failure_in_a_minute(void **state)
{
    (void)state;
    uint32_t retry = 0;
    fail_n(A, 10, T0, 5000); /* spread over 45 s */
    cb_ratelimit_fail(A, T0 + 59000);
    assert_true(cb_ratelimit_blocked(A, T0 + 59000, &retry));
    assert_int_equal(retry, 60);
    assert_true(cb_ratelimit_blocked(A, T0 + 59500, &retry));
    assert_int_equal(retry, 60); /* 59.5 s left, rounded up */
}

static void test_ratelimit_failures_older_than_a_minute_do_not_count(void **state)
{
    (void)state;
    fail_n(A, 10, T0, 0);
    /* 60 s later the ten have left the window (1 s resolution)... */
    cb_ratelimit_fail(A, T0 + 60000);
    assert_false(cb_ratelimit_blocked(A, T0 + 60000, NULL));
    /* ...while 59.999 s later they still count */
    cb_ratelimit_init(10, 60);
    fail_n(A, 10, T0, 0);
    cb_ratelimit_fail(A, T0 + 59999);
    assert_true(cb_ratelimit_blocked(A, T0 + 59999, NULL));
    cb_ratelimit_init(10, 60);
    /* a long silence forgets everything */
    fail_n(A, 10, T0 + 500000, 10);
    assert_false(cb_ratelimit_blocked(A, T0 + 500100, NULL));
    cb_ratelimit_fail(A, T0 + 500200);
    assert_true(cb_ratelimit_blocked(A, T0 + 500200, NULL));
}

static void test_ratelimit_releases_after_the_block_time(void **state)
{
    (void)state;
    uint32_t retry = 0;
    fail_n(A, 11, T0, 10);
    uint64_t at = T0 + 100; /* the 11th failure */
    assert_true(cb_ratelimit_blocked(A, at + 59999, &retry));
    assert_int_equal(retry, 1);
    assert_false(cb_ratelimit_blocked(A, at + 60000, NULL));
    /* released with a clean count: one more failure does not re-block */
    cb_ratelimit_fail(A, at + 60000);
    assert_false(cb_ratelimit_blocked(A, at + 60001, NULL));
}

static void test_ratelimit_failures_while_blocked_do_not_extend(void **state)
{
    (void)state;
    fail_n(A, 11, T0, 0);
    fail_n(A, 50, T0 + 1000, 1000);
    assert_false(cb_ratelimit_blocked(A, T0 + 60000, NULL));
}

static void test_ratelimit_other_sources_are_unaffected(void **state)
{
    (void)state;
    fail_n(A, 11, T0, 10);
    assert_true(cb_ratelimit_blocked(A, T0 + 200, NULL));
    assert_false(cb_ratelimit_blocked(B, T0 + 200, NULL));
    fail_n(B, 10, T0 + 200, 10);
    assert_false(cb_ratelimit_blocked(B, T0 + 400, NULL));
    assert_false(cb_ratelimit_blocked(cb_span_str("192.0.2.70"), T0 + 400, NULL));
    assert_false(cb_ratelimit_blocked(cb_span_str("192.0.2."), T0 + 400, NULL));
}

static void test_ratelimit_limits_are_settings(void **state)
{
    (void)state;
    uint32_t retry = 0;
    cb_ratelimit_init(3, 5);
    fail_n(A, 3, T0, 10);
    assert_false(cb_ratelimit_blocked(A, T0 + 30, NULL));
    cb_ratelimit_fail(A, T0 + 40);
    assert_true(cb_ratelimit_blocked(A, T0 + 40, &retry));
    assert_int_equal(retry, 5);
    assert_false(cb_ratelimit_blocked(A, T0 + 5040, NULL));

    cb_ratelimit_init(0, 60); /* off */
    fail_n(A, 1000, T0, 1);
    assert_false(cb_ratelimit_blocked(A, T0 + 1000, NULL));
}

static void source_name(char *buf, size_t cap, unsigned i)
{
    snprintf(buf, cap, "10.0.%u.%u", i / 256, i % 256);
}

static void test_ratelimit_full_table_evicts_least_recently_seen(void **state)
{
    (void)state;
    char name[32];
    /* source 0 is the oldest with 5 failures; the others one each */
    source_name(name, sizeof name, 0);
    fail_n(cb_span_str(name), 5, T0, 1);
    for (unsigned i = 1; i < CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        cb_ratelimit_fail(cb_span_str(name), T0 + 100 + i);
    }
    assert_int_equal(cb_metrics.ratelimit_sources, CB_CFG_RATE_SOURCES);
    assert_int_equal(cb_metrics.ratelimit_evictions, 0);
    /* one more source pushes out source 0 */
    cb_ratelimit_fail(cb_span_str("203.0.113.1"), T0 + 1000);
    assert_int_equal(cb_metrics.ratelimit_sources, CB_CFG_RATE_SOURCES);
    assert_int_equal(cb_metrics.ratelimit_sources_max, CB_CFG_RATE_SOURCES);
    assert_int_equal(cb_metrics.ratelimit_evictions, 1);
    /* source 0 starts afresh: 5 + 10 would have blocked it, 10 alone does not */
    source_name(name, sizeof name, 0);
    fail_n(cb_span_str(name), 10, T0 + 2000, 1);
    assert_false(cb_ratelimit_blocked(cb_span_str(name), T0 + 2100, NULL));
    /* ... and source 1 (now the oldest) was pushed out to make room for it */
    source_name(name, sizeof name, 1);
    fail_n(cb_span_str(name), 10, T0 + 3000, 1);
    assert_false(cb_ratelimit_blocked(cb_span_str(name), T0 + 3100, NULL));
}

/* A source is found in whichever slot it holds, the last of a full table
 * too (the search stops at the first free slot, and a full table has none). */
static void test_ratelimit_finds_a_source_in_any_slot(void **state)
{
    (void)state;
    char name[32];
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        fail_n(cb_span_str(name), i == 0 || i == 1 || i + 1 == CB_CFG_RATE_SOURCES ? 11 : 1, T0, 1);
        assert_true(cb_ratelimit_blocked(cb_span_str(name), T0 + 100, NULL) ==
                    (i == 0 || i == 1 || i + 1 == CB_CFG_RATE_SOURCES));
    }
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        assert_true(cb_ratelimit_blocked(cb_span_str(name), T0 + 200, NULL) ==
                    (i == 0 || i == 1 || i + 1 == CB_CFG_RATE_SOURCES));
    }
    assert_false(cb_ratelimit_blocked(A, T0 + 200, NULL));
    assert_int_equal(cb_metrics.ratelimit_sources, CB_CFG_RATE_SOURCES);
}

static void test_ratelimit_blocked_sources_survive_a_flood_of_new_ones(void **state)
{
    (void)state;
    char name[32];
    fail_n(A, 11, T0, 1); /* blocked, and the oldest entry */
    for (unsigned i = 0; i < 3 * CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        cb_ratelimit_fail(cb_span_str(name), T0 + 100 + i);
    }
    assert_true(cb_ratelimit_blocked(A, T0 + 1000, NULL));
}

/* Hole 7: with every slot held by a blocked source, a new address used to
 * evict (and so unblock) the least recently seen of them. */
static void test_ratelimit_table_full_of_blocked_sources_unblocks_none(void **state)
{
    (void)state;
    char name[32];
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        fail_n(cb_span_str(name), 11, T0 + i, 0);
    }
    assert_int_equal(cb_metrics.ratelimit_blocks, CB_CFG_RATE_SOURCES);
    /* new addresses fail: none of the blocked is forgotten */
    for (unsigned i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "198.51.100.%u", i);
        cb_ratelimit_fail(cb_span_str(name), T0 + 1000 + i);
    }
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES; i++) {
        source_name(name, sizeof name, i);
        if (!cb_ratelimit_blocked(cb_span_str(name), T0 + 2000, NULL))
            fail_msg("blocked source %s was unblocked by a new address", name);
    }
    assert_int_equal(cb_metrics.ratelimit_evictions, 0);
    assert_int_equal(cb_metrics.ratelimit_overflow_failures, 5);
    /* the new addresses share the overflow bucket: five failures, not blocked */
    assert_false(cb_ratelimit_blocked(cb_span_str("198.51.100.0"), T0 + 2000, NULL));
    /* eleven in a minute block the bucket, so every untracked source */
    for (unsigned i = 5; i < 11; i++) {
        snprintf(name, sizeof name, "198.51.100.%u", i);
        cb_ratelimit_fail(cb_span_str(name), T0 + 3000 + i);
    }
    uint32_t retry = 0;
    assert_true(cb_ratelimit_blocked(cb_span_str("198.51.100.200"), T0 + 3100, &retry));
    assert_int_equal(retry, 60);
    assert_int_equal(cb_metrics.ratelimit_blocks, CB_CFG_RATE_SOURCES + 1);
    /* once the table's blocks end, a new source gets a slot of its own again */
    cb_ratelimit_fail(cb_span_str("203.0.113.9"), T0 + 61000);
    assert_int_equal(cb_metrics.ratelimit_evictions, 1);
}

static void test_ratelimit_checking_does_not_add_sources(void **state)
{
    (void)state;
    assert_false(cb_ratelimit_blocked(A, T0, NULL));
    assert_int_equal(cb_metrics.ratelimit_sources, 0);
    fail_n(A, 11, T0, 1);
    assert_int_equal(cb_metrics.ratelimit_sources, 1);
    assert_int_equal(cb_metrics.ratelimit_blocks, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ratelimit_ten_failures_a_minute_are_allowed, setup),
        cmocka_unit_test_setup(test_ratelimit_engages_on_the_eleventh_failure_in_a_minute, setup),
        cmocka_unit_test_setup(test_ratelimit_failures_older_than_a_minute_do_not_count, setup),
        cmocka_unit_test_setup(test_ratelimit_releases_after_the_block_time, setup),
        cmocka_unit_test_setup(test_ratelimit_failures_while_blocked_do_not_extend, setup),
        cmocka_unit_test_setup(test_ratelimit_other_sources_are_unaffected, setup),
        cmocka_unit_test_setup(test_ratelimit_limits_are_settings, setup),
        cmocka_unit_test_setup(test_ratelimit_full_table_evicts_least_recently_seen, setup),
        cmocka_unit_test_setup(test_ratelimit_finds_a_source_in_any_slot, setup),
        cmocka_unit_test_setup(test_ratelimit_blocked_sources_survive_a_flood_of_new_ones, setup),
        cmocka_unit_test_setup(test_ratelimit_table_full_of_blocked_sources_unblocks_none, setup),
        cmocka_unit_test_setup(test_ratelimit_checking_does_not_add_sources, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
