/* test_crc32.c - unit tests for cb_crc32: zlib's known values, and a bit at a
 * time reference (the polynomial, no table) over every length to 80 at every
 * alignment, split anywhere, and over 4 KiB. Built twice: against the host's
 * core (slicing-by-8) as test_crc32 and against the byte-at-a-time core the
 * boards build (CB_CFG_CRC_SLICES 1) as test_crc32_bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_crc32.h"

/* CRC-32 one bit at a time from the reflected polynomial. */
static uint32_t crc_bits(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint8_t s_data[4096 + 8];

static void fill(void)
{
    uint32_t x = 0x9E3779B9u; /* xorshift: every byte value, no pattern */
    for (size_t i = 0; i < sizeof s_data; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s_data[i] = (uint8_t)x;
    }
}

static void test_known_values(void **state)
{
    (void)state;
    assert_int_equal(cb_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(cb_crc32(0, "", 0), 0u);
    assert_int_equal(cb_crc32(0, "a", 1), 0xE8B7BE43u);
    assert_int_equal(cb_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* continuing from a previous value gives the CRC of the whole */
    assert_int_equal(cb_crc32(cb_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    uint8_t zeros[32] = {0};
    assert_int_equal(cb_crc32(0, zeros, sizeof zeros), 0x190A55ADu);
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    fill();
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 80; n++)
            assert_int_equal(cb_crc32(0, s_data + off, n), crc_bits(0, s_data + off, n));
    assert_int_equal(cb_crc32(0, s_data, 4096), crc_bits(0, s_data, 4096));
    assert_int_equal(cb_crc32(0x12345678u, s_data + 3, 4093),
                     crc_bits(0x12345678u, s_data + 3, 4093));
}

static void test_split_anywhere(void **state)
{
    (void)state;
    fill();
    uint32_t whole = crc_bits(0, s_data, 67);
    for (size_t cut = 0; cut <= 67; cut++)
        assert_int_equal(cb_crc32(cb_crc32(0, s_data, cut), s_data + cut, 67 - cut), whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_split_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
