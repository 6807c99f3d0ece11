/* cb_pool.h - the shared pool of body buffers (SPEC 8): CB_CFG_BODY_BUFS
 * buffers of CB_CFG_BODY_MAX bytes (at least CB_CFG_POOL_PAGE_MIN) that requests
 * borrow while their body is read and handled, with the counts /metrics
 * shows. */
#ifndef CB_POOL_H
#define CB_POOL_H

#include "cb_config.h"

#include <stddef.h>
#include <stdint.h>

/* The /metrics page and its head fit one buffer even where bodies are
 * smaller (CB_CFG_POOL_PAGE_MIN). */
#define CB_POOL_BUF_SIZE                                                                           \
    ((size_t)(CB_CFG_BODY_MAX > CB_CFG_POOL_PAGE_MIN ? CB_CFG_BODY_MAX : CB_CFG_POOL_PAGE_MIN))

/* Every buffer free again, counts cleared. */
void cb_pool_init(void);

/* A free buffer of CB_POOL_BUF_SIZE bytes, or NULL when all are lent. */
uint8_t *cb_pool_take(void);

/* Gives back a buffer from cb_pool_take (NULL: nothing). */
void cb_pool_give(uint8_t *buf);

/* Buffers lent now, and the most ever lent at once. */
unsigned cb_pool_in_use(void);
unsigned cb_pool_hwm(void);

#endif
