/* cb_siphash.c - SipHash-2-4, 64- and 128-bit (cb_siphash.h), written from
 * the paper (section 2) and its 128-bit addendum; the duplicate key's hash. */
#include "cb_siphash.h"
#include "cb_crypto.h"

static uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* Byte by byte, so the core needs no endianness check (compilers make it
 * one load on little-endian targets). */
static uint64_t load64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void rounds(cb_siphash_t *s, int n)
{
    uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
    while (n--) { /* SipRound */
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    s->v0 = v0;
    s->v1 = v1;
    s->v2 = v2;
    s->v3 = v3;
}

/* One message word: c = 2 compression rounds. */
static void compress(cb_siphash_t *s, uint64_t m)
{
    s->v3 ^= m;
    rounds(s, 2);
    s->v0 ^= m;
}

void cb_siphash_init(cb_siphash_t *s, const uint8_t key[CB_SIPHASH_KEY_LEN], size_t out_len)
{
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    s->v0 = k0 ^ 0x736f6d6570736575u; /* "somepseudorandomlygeneratedbytes" */
    s->v1 = k1 ^ 0x646f72616e646f6du;
    s->v2 = k0 ^ 0x6c7967656e657261u;
    s->v3 = k1 ^ 0x7465646279746573u;
    s->out_len = out_len == 16 ? 16 : 8;
    if (s->out_len == 16)
        s->v1 ^= 0xee;
    s->tail = 0;
    s->len = 0;
}

/* The first n (< 8) bytes at p as a little-endian word. */
static uint64_t load_part(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

void cb_siphash_update(cb_siphash_t *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t fill = s->len & 7;
    s->len += n;
    if (fill) { /* finish the word begun by an earlier call */
        size_t k = 8 - fill < n ? 8 - fill : n;
        s->tail |= load_part(p, k) << (8 * fill);
        if (fill + k < 8)
            return;
        compress(s, s->tail);
        p += k;
        n -= k;
    }
    for (; n >= 8; n -= 8, p += 8)
        compress(s, load64(p));
    s->tail = load_part(p, n);
}

void cb_siphash_final(cb_siphash_t *s, uint8_t *out)
{
    /* the last word: the tail, and the length mod 256 in its top byte */
    compress(s, s->tail | (uint64_t)(s->len & 0xff) << 56);
    s->v2 ^= s->out_len == 16 ? 0xee : 0xff;
    rounds(s, 4); /* d = 4 finalization rounds */
    store64(out, s->v0 ^ s->v1 ^ s->v2 ^ s->v3);
    if (s->out_len == 16) {
        s->v1 ^= 0xdd;
        rounds(s, 4);
        store64(out + 8, s->v0 ^ s->v1 ^ s->v2 ^ s->v3);
    }
    cb_zeroize(s, sizeof *s);
}
