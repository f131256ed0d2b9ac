/* Unit tests for kernel/lib/crc32.c (IEEE CRC-32, zlib's crc32): the check value and known
 * vectors, every table entry, chaining at every split point, unaligned buffers, and agreement
 * with a bit-at-a-time reference over a large pseudo-random buffer. */
#include <stdint.h>

#include "lib/crc32.h"
#include "lib/crc32c.h"
#include "tests/unit/ut.h"

/* Bit-at-a-time CRC-32 straight from the definition, with the same chaining convention. */
static uint32_t ref_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
    uint32_t c = ~crc;

    while (len--) {
        c ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

/* Deterministic pseudo-random bytes (xorshift64). */
static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
    uint64_t x = seed;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 32);
    }
}

static void test_check_value(void)
{
    UT_EQ_U64(crc32(0, "123456789", 9), 0xCBF43926u);
    UT_EQ_U64(ref_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
}

static void test_empty(void)
{
    UT_EQ_U64(crc32(0, NULL, 0), 0);
    UT_EQ_U64(crc32(0x12345678u, NULL, 0), 0x12345678u);
    UT_EQ_U64(crc32(0xCBF43926u, "x", 0), 0xCBF43926u);
}

/* Values zlib's crc32() gives for the same input. */
static void test_known_vectors(void)
{
    uint8_t buf[32];

    UT_EQ_U64(crc32(0, "a", 1), 0xE8B7BE43u);
    UT_EQ_U64(crc32(0, "abc", 3), 0x352441C2u);
    UT_EQ_U64(crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    memset(buf, 0, sizeof(buf));
    UT_EQ_U64(crc32(0, buf, sizeof(buf)), 0x190A55ADu);
    memset(buf, 0xff, sizeof(buf));
    UT_EQ_U64(crc32(0, buf, sizeof(buf)), 0xFF6CAB0Bu);
}

/* Not the Castagnoli CRC: the two must differ on the check string. */
static void test_not_crc32c(void)
{
    UT_ASSERT(crc32(0, "123456789", 9) != crc32c(0, "123456789", 9));
}

/* A single byte with the register cleared (crc ~0) indexes exactly one table entry. */
static void test_every_table_entry(void)
{
    for (int v = 0; v < 256; v++) {
        uint8_t b = (uint8_t)v;
        UT_EQ_U64(crc32(0xFFFFFFFFu, &b, 1), ref_crc32(0xFFFFFFFFu, &b, 1));
        UT_EQ_U64(crc32(0, &b, 1), ref_crc32(0, &b, 1));
    }
}

/* Splitting a buffer anywhere, into two or three pieces, gives the same CRC. */
static void test_chaining(void)
{
    uint8_t buf[300];
    fill_random(buf, sizeof(buf), 1);
    uint32_t whole = crc32(0, buf, sizeof(buf));

    UT_EQ_U64(whole, ref_crc32(0, buf, sizeof(buf)));
    for (size_t i = 0; i <= sizeof(buf); i++)
        UT_EQ_U64(crc32(crc32(0, buf, i), buf + i, sizeof(buf) - i), whole);
    for (size_t i = 0; i <= 64; i++)
        for (size_t j = i; j <= 64; j++) {
            uint32_t c = crc32(0, buf, i);
            c = crc32(c, buf + i, j - i);
            UT_EQ_U64(crc32(c, buf + j, 64 - j), crc32(0, buf, 64));
        }
}

/* Every start offset within a word and every length up to a few words. */
static void test_unaligned(void)
{
    uint8_t src[80], buf[80 + 16];
    fill_random(src, sizeof(src), 2);

    for (size_t off = 0; off < 16; off++) {
        memcpy(buf + off, src, sizeof(src));
        for (size_t len = 0; len <= sizeof(src); len++)
            UT_EQ_U64(crc32(0, buf + off, len), ref_crc32(0, src, len));
    }
}

/* A 1 MiB buffer, whole and in 4 KiB pieces, against the bitwise reference. */
static void test_large_buffer(void)
{
    const size_t len = 1u << 20;
    uint8_t *buf = malloc(len);

    UT_ASSERT(buf != NULL);
    fill_random(buf, len, 3);
    uint32_t want = ref_crc32(0, buf, len);
    uint32_t got = crc32(0, buf, len);
    uint32_t chunked = 0;
    for (size_t i = 0; i < len; i += 4096)
        chunked = crc32(chunked, buf + i, 4096);
    free(buf);
    UT_EQ_U64(got, want);
    UT_EQ_U64(chunked, want);
}

static const struct ut_case cases[] = {
    { "check_value", test_check_value },
    { "empty", test_empty },
    { "known_vectors", test_known_vectors },
    { "not_crc32c", test_not_crc32c },
    { "every_table_entry", test_every_table_entry },
    { "chaining", test_chaining },
    { "unaligned", test_unaligned },
    { "large_buffer", test_large_buffer },
};

UT_MAIN(cases)
