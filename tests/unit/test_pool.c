/* test_pool.c - the shared pool of body buffers: exhaustion, give back,
 * high-water mark, distinct buffers of the full size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_pool.h"

#include <string.h>

static int setup(void **state)
{
    (void)state;
    cb_pool_init();
    return 0;
}

static void test_pool_lends_every_buffer_once_then_none(void **state)
{
    (void)state;
    uint8_t *b[CB_CFG_BODY_BUFS];
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++) {
        b[i] = cb_pool_take();
        assert_non_null(b[i]);
        memset(b[i], i + 1, CB_POOL_BUF_SIZE); /* the whole buffer is the caller's */
        assert_int_equal(cb_pool_in_use(), i + 1);
    }
    assert_null(cb_pool_take());               /* exhausted: the caller waits */
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++) /* none overlaps another */
        for (size_t k = 0; k < CB_POOL_BUF_SIZE; k += 997)
            assert_int_equal(b[i][k], i + 1);
    cb_pool_give(b[2 % CB_CFG_BODY_BUFS]);
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS - 1);
    assert_ptr_equal(cb_pool_take(), b[2 % CB_CFG_BODY_BUFS]); /* back and lent again */
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++)
        cb_pool_give(b[i]);
    assert_int_equal(cb_pool_in_use(), 0);
    assert_int_equal(cb_pool_hwm(), CB_CFG_BODY_BUFS);
}

static void test_pool_high_water_mark_stays_and_init_clears(void **state)
{
    (void)state;
    uint8_t *a = cb_pool_take(), *b = cb_pool_take();
    cb_pool_give(a);
    cb_pool_give(b);
    a = cb_pool_take();
    assert_int_equal(cb_pool_in_use(), 1);
    assert_int_equal(cb_pool_hwm(), 2);
    cb_pool_give(NULL); /* nothing */
    assert_int_equal(cb_pool_in_use(), 1);
    cb_pool_give(a);
    cb_pool_give(a); /* more gives than takes do not make room that is not there */
    assert_int_equal(cb_pool_in_use(), 0);
    cb_pool_init();
    assert_int_equal(cb_pool_hwm(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pool_lends_every_buffer_once_then_none, setup),
        cmocka_unit_test_setup(test_pool_high_water_mark_stays_and_init_clears, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
