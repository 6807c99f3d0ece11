/* fake_store.c - RAM storage slots with fault injection and power loss for
 * unit tests and fuzzers; see fake_store.h. */
#include "fake_store.h"
#include "cb_err.h"

#include <string.h>

fake_store_t fake_store;

static struct {
    uint8_t data[CB_SLOT_COUNT][FAKE_STORE_SLOT_MAX];
    uint32_t len[CB_SLOT_COUNT];
    uint32_t synced[CB_SLOT_COUNT];
    uint8_t aside[CB_SLOT_COUNT][FAKE_STORE_SLOT_MAX];
    uint32_t aside_len[CB_SLOT_COUNT];
} s_fake_store;

void fake_store_reset(void)
{
    memset(&fake_store, 0, sizeof fake_store);
    for (int i = 0; i < CB_SLOT_COUNT; i++)
        s_fake_store.len[i] = s_fake_store.synced[i] = s_fake_store.aside_len[i] = 0;
}

void fake_store_crash_after_bytes(uint64_t n)
{
    fake_store.crash_bytes_armed = true;
    fake_store.crash_after_bytes = n;
}

void fake_store_crash_after_ops(uint64_t n)
{
    fake_store.crash_ops_armed = true;
    fake_store.crash_after_ops = n;
}

void fake_store_crash(uint32_t keep_unsynced)
{
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        uint32_t unsynced = s_fake_store.len[i] - s_fake_store.synced[i];
        if (unsynced > keep_unsynced)
            s_fake_store.len[i] = s_fake_store.synced[i] + keep_unsynced;
        s_fake_store.synced[i] = s_fake_store.len[i];
    }
    fake_store.dead = false;
    fake_store.crash_bytes_armed = fake_store.crash_ops_armed = false;
    fake_store.crash_tear = 0;
}

uint8_t *fake_store_data(cb_slot_t slot)
{
    return s_fake_store.data[slot];
}

uint32_t fake_store_len(cb_slot_t slot)
{
    return s_fake_store.len[slot];
}

uint32_t fake_store_synced(cb_slot_t slot)
{
    return s_fake_store.synced[slot];
}

const uint8_t *fake_store_aside(cb_slot_t slot, uint32_t *len)
{
    *len = s_fake_store.aside_len[slot];
    return s_fake_store.aside[slot];
}

void fake_store_load(cb_slot_t slot, const void *data, size_t len)
{
    if (len > FAKE_STORE_SLOT_MAX)
        len = FAKE_STORE_SLOT_MAX;
    if (len)
        memcpy(s_fake_store.data[slot], data, len);
    s_fake_store.len[slot] = s_fake_store.synced[slot] = (uint32_t)len;
}

static bool bad_slot(cb_slot_t slot)
{
    return (unsigned)slot >= CB_SLOT_COUNT;
}

/* Counts a fault down; true when this call fails. */
static bool take(unsigned *fails)
{
    if (*fails == 0)
        return false;
    if (*fails != FAKE_STORE_ALWAYS)
        (*fails)--;
    return true;
}

/* A mutating call: false when the power is (now) off. */
static bool powered_op(void)
{
    if (fake_store.dead)
        return false;
    if (fake_store.crash_ops_armed) {
        if (fake_store.crash_after_ops == 0) {
            fake_store.dead = true;
            return false;
        }
        fake_store.crash_after_ops--;
    }
    return true;
}

int cb_port_store_open(cb_slot_t slot, uint32_t *size_out)
{
    fake_store.opens++;
    if (bad_slot(slot) || fake_store.dead || take(&fake_store.open_fails))
        return CB_ERR_STORAGE;
    *size_out = s_fake_store.len[slot];
    return CB_OK;
}

int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len)
{
    fake_store.reads++;
    if (bad_slot(slot) || fake_store.dead || take(&fake_store.read_fails))
        return CB_ERR_STORAGE;
    uint32_t have = s_fake_store.len[slot];
    if (off >= have)
        return 0;
    if (len > have - off)
        len = have - off;
    if (len > 0x7fffffff)
        len = 0x7fffffff;
    memcpy(buf, s_fake_store.data[slot] + off, len);
    return (int)len;
}

static void land(cb_slot_t slot, const void *buf, size_t len)
{
    memcpy(s_fake_store.data[slot] + s_fake_store.len[slot], buf, len);
    s_fake_store.len[slot] += (uint32_t)len;
    fake_store.bytes_appended += len;
}

int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len)
{
    fake_store.appends++;
    if (bad_slot(slot))
        return CB_ERR_STORAGE;
    uint32_t have = s_fake_store.len[slot];
    uint32_t cap = cb_port_store_capacity(slot);
    bool was_dead = fake_store.dead;
    if (!powered_op()) {
        if (!was_dead && have <= cap) { /* the write the power cut tears */
            size_t n = len < fake_store.crash_tear ? len : fake_store.crash_tear;
            land(slot, buf, n < cap - have ? n : cap - have);
        }
        return CB_ERR_STORAGE;
    }
    if (have > cap || len > cap - have)
        return CB_ERR_NOSPC;
    if (take(&fake_store.append_fails)) {
        land(slot, buf, len < fake_store.append_partial ? len : fake_store.append_partial);
        return fake_store.append_err == CB_ERR_NOSPC ? CB_ERR_NOSPC : CB_ERR_STORAGE;
    }
    if (fake_store.crash_bytes_armed) {
        if (fake_store.crash_after_bytes < len) {
            land(slot, buf, (size_t)fake_store.crash_after_bytes);
            fake_store.crash_after_bytes = 0;
            fake_store.dead = true;
            return CB_ERR_STORAGE;
        }
        fake_store.crash_after_bytes -= len;
    }
    land(slot, buf, len);
    return CB_OK;
}

int cb_port_store_sync(cb_slot_t slot)
{
    fake_store.syncs++;
    if (bad_slot(slot) || !powered_op() || take(&fake_store.sync_fails))
        return CB_ERR_STORAGE;
    s_fake_store.synced[slot] = s_fake_store.len[slot];
    return CB_OK;
}

int cb_port_store_erase(cb_slot_t slot)
{
    fake_store.erases++;
    if (bad_slot(slot) || !powered_op() || take(&fake_store.erase_fails))
        return CB_ERR_STORAGE;
    s_fake_store.len[slot] = s_fake_store.synced[slot] = 0;
    return CB_OK;
}

uint32_t cb_port_store_capacity(cb_slot_t slot)
{
    if (bad_slot(slot))
        return 0;
    uint32_t cap = fake_store.capacity[slot];
    return cap == 0 || cap > FAKE_STORE_SLOT_MAX ? FAKE_STORE_SLOT_MAX : cap;
}

int cb_port_store_set_aside(cb_slot_t slot)
{
    fake_store.set_asides++;
    if (bad_slot(slot) || !powered_op())
        return CB_ERR_STORAGE;
    if (fake_store.set_aside_unsupported)
        return CB_ERR_NOSPC;
    memcpy(s_fake_store.aside[slot], s_fake_store.data[slot], s_fake_store.len[slot]);
    s_fake_store.aside_len[slot] = s_fake_store.len[slot];
    s_fake_store.len[slot] = s_fake_store.synced[slot] = 0;
    return CB_OK;
}
