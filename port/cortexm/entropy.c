/* entropy.c - the boards' randomness, for parts without a TRNG: the pool
 * mixes the timing of external events - each Ethernet frame's arrival (the
 * board's driver times it), key and button presses, and SysTick jitter
 * sampled at start-up - with the MAC address and the seed the last boot left
 * in flash (settings_store.c), through SHA-256. Used for the token device key
 * (cb_port_random) and, through a cheap generator seeded from it, for lwIP's ports, ISNs and DHCP
 * xid. */
#include "board.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_port.h"

#include <string.h>

/* External samples wanted before cb_port_random answers; with fewer, it
 * first mixes in this many tick-edge jitter samples (one per ms). */
#define MIN_EXTERNAL 64u
#define JITTER_MORE  64

static struct {
    uint8_t pool[CB_SHA256_LEN]; /* chained hash of everything mixed in */
    uint32_t batch[16];          /* samples waiting to be hashed in */
    uint32_t nbatch;
    uint32_t external; /* event timings mixed in so far */
    uint32_t counter;  /* output blocks drawn */
    uint32_t cheap;    /* xorshift state for board_rand */
} s_ent;

static void fold(void)
{
    cb_span_t parts[2] = {{(const char *)s_ent.pool, sizeof s_ent.pool},
                          {(const char *)s_ent.batch, s_ent.nbatch * sizeof s_ent.batch[0]}};
    cb_sha256(parts, 2, s_ent.pool);
    s_ent.nbatch = 0;
    memcpy(&s_ent.cheap, s_ent.pool, sizeof s_ent.cheap);
    s_ent.cheap |= 1u;
}

static void mix(uint32_t sample)
{
    s_ent.batch[s_ent.nbatch++] = sample ^ (board_cycles() << 8);
    s_ent.cheap ^= sample;
    if (s_ent.nbatch == sizeof s_ent.batch / sizeof s_ent.batch[0])
        fold();
}

void board_entropy_add(uint32_t sample)
{
    mix(sample);
    s_ent.external++;
}

/* How far a busy loop gets before SysTick's next edge: in QEMU it follows
 * the host's scheduling, on silicon little more than bus arbitration. Weak,
 * and only one input among several. */
static void jitter(int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t t = board_ms32();
        uint32_t spins = 0;
        while (board_ms32() == t && spins < 1000000u)
            spins++;
        mix(spins ^ board_cycles());
    }
}

void board_entropy_seed(const void *seed, size_t len)
{
    fold();
    cb_span_t parts[3] = {
        {"seed", 4}, {(const char *)s_ent.pool, sizeof s_ent.pool}, {(const char *)seed, len}};
    cb_sha256(parts, 3, s_ent.pool);
    memcpy(&s_ent.cheap, s_ent.pool, sizeof s_ent.cheap);
    s_ent.cheap |= 1u;
}

void board_entropy_init(void)
{
    jitter(32);
    fold();
}

uint32_t board_rand(void)
{
    uint32_t x = s_ent.cheap ? s_ent.cheap : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s_ent.cheap = x;
    return x;
}

int cb_port_random(void *buf, size_t len)
{
    if (s_ent.external < MIN_EXTERNAL) {
        board_log("random: %lu frame/key timings so far, adding %d ms of tick jitter "
                  "(no TRNG on this board: see its README)",
                  (unsigned long)s_ent.external, JITTER_MORE);
        jitter(JITTER_MORE);
    }
    fold();
    uint8_t *out = buf;
    while (len) {
        uint8_t block[CB_SHA256_LEN];
        s_ent.counter++;
        cb_span_t parts[3] = {{"out", 3},
                              {(const char *)s_ent.pool, sizeof s_ent.pool},
                              {(const char *)&s_ent.counter, sizeof s_ent.counter}};
        cb_sha256(parts, 3, block);
        size_t n = len < sizeof block ? len : sizeof block;
        memcpy(out, block, n);
        out += n;
        len -= n;
        cb_zeroize(block, sizeof block);
    }
    /* what was handed out cannot be recomputed from the pool kept */
    cb_span_t next[2] = {{"next", 4}, {(const char *)s_ent.pool, sizeof s_ent.pool}};
    cb_sha256(next, 2, s_ent.pool);
    return CB_OK;
}
