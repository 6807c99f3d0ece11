/* cb_pool.c - the shared pool of body buffers (cb_pool.h): a stack of free
 * buffer indexes over one static array. */
#include "cb_pool.h"

_Static_assert(CB_CFG_BODY_BUFS >= 1 && CB_CFG_BODY_BUFS <= 255, "body buffers out of range");

static struct {
    uint8_t bufs[CB_CFG_BODY_BUFS][CB_POOL_BUF_SIZE];
    uint8_t free[CB_CFG_BODY_BUFS]; /* indexes of free buffers, nfree of them */
    unsigned nfree, hwm;
} s_pool;

void cb_pool_init(void)
{
    for (unsigned i = 0; i < CB_CFG_BODY_BUFS; i++)
        s_pool.free[i] = (uint8_t)(CB_CFG_BODY_BUFS - 1 - i);
    s_pool.nfree = CB_CFG_BODY_BUFS;
    s_pool.hwm = 0;
}

uint8_t *cb_pool_take(void)
{
    if (s_pool.nfree == 0)
        return NULL;
    uint8_t *b = s_pool.bufs[s_pool.free[--s_pool.nfree]];
    if (cb_pool_in_use() > s_pool.hwm)
        s_pool.hwm = cb_pool_in_use();
    return b;
}

void cb_pool_give(uint8_t *buf)
{
    if (!buf || s_pool.nfree == CB_CFG_BODY_BUFS)
        return;
    size_t i = (size_t)(buf - &s_pool.bufs[0][0]) / CB_POOL_BUF_SIZE;
    s_pool.free[s_pool.nfree++] = (uint8_t)i;
}

unsigned cb_pool_in_use(void)
{
    return CB_CFG_BODY_BUFS - s_pool.nfree;
}

unsigned cb_pool_hwm(void)
{
    return s_pool.hwm;
}
