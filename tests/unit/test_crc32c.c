/* Unit tests for kernel/lib/crc32c.c: the check value and RFC 3720 vectors, every entry of
 * the slicing tables, chaining at every split point, unaligned buffers, and agreement with
 * a slow bit-at-a-time reference over a large pseudo-random buffer. */
#include <stdint.h>

#include "lib/crc32c.h"
#include "tests/unit/ut.h"

/* Bit-at-a-time CRC-32C straight from the definition, with the same chaining convention. */
static uint32_t ref_crc32c(uint32_t crc, const uint8_t *p, size_t len)
{
    uint32_t c = ~crc;

    while (len--) {
        c ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
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
    UT_EQ_U64(crc32c(0, "123456789", 9), 0xE3069283u);
    UT_EQ_U64(ref_crc32c(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
}

static void test_empty(void)
{
    UT_EQ_U64(crc32c(0, NULL, 0), 0);
    UT_EQ_U64(crc32c(0x12345678u, NULL, 0), 0x12345678u);
    UT_EQ_U64(crc32c(0xE3069283u, "x", 0), 0xE3069283u);
}

/* RFC 3720 appendix B.4, plus single bytes and a longer text. */
static void test_known_vectors(void)
{
    uint8_t buf[48];

    memset(buf, 0, 32);
    UT_EQ_U64(crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    UT_EQ_U64(crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    UT_EQ_U64(crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    UT_EQ_U64(crc32c(0, buf, 32), 0x113FDB5Cu);
    /* The iSCSI SCSI Read(10) command PDU from the same appendix. */
    static const uint8_t read10[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    UT_EQ_U64(crc32c(0, read10, sizeof(read10)), 0xD9963A56u);
    UT_EQ_U64(crc32c(0, "a", 1), 0xC1D04330u);
    UT_EQ_U64(crc32c(0, "The quick brown fox jumps over the lazy dog", 43), 0x22620404u);
}

/* One 8-byte block holding a single byte value at a single position, with the register
 * cleared (crc ~0): together these index every entry of all eight slicing tables. */
static void test_every_table_entry(void)
{
    uint8_t block[8];

    for (int pos = 0; pos < 8; pos++)
        for (int v = 0; v < 256; v++) {
            memset(block, 0, sizeof(block));
            block[pos] = (uint8_t)v;
            UT_EQ_U64(crc32c(0xFFFFFFFFu, block, 8), ref_crc32c(0xFFFFFFFFu, block, 8));
            UT_EQ_U64(crc32c(0, block, pos + 1), ref_crc32c(0, block, (size_t)pos + 1));
        }
}

/* Splitting a buffer anywhere, into two or three pieces, gives the same CRC. */
static void test_chaining(void)
{
    uint8_t buf[300];
    fill_random(buf, sizeof(buf), 1);
    uint32_t whole = crc32c(0, buf, sizeof(buf));

    UT_EQ_U64(whole, ref_crc32c(0, buf, sizeof(buf)));
    for (size_t i = 0; i <= sizeof(buf); i++)
        UT_EQ_U64(crc32c(crc32c(0, buf, i), buf + i, sizeof(buf) - i), whole);
    for (size_t i = 0; i <= 64; i++)
        for (size_t j = i; j <= 64; j++) {
            uint32_t c = crc32c(0, buf, i);
            c = crc32c(c, buf + i, j - i);
            UT_EQ_U64(crc32c(c, buf + j, 64 - j), crc32c(0, buf, 64));
        }
    uint32_t c = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        c = crc32c(c, buf + i, 1);
    UT_EQ_U64(c, whole);
}

/* Every start offset within a word and every length up to a few blocks. */
static void test_unaligned(void)
{
    uint8_t src[160], buf[160 + 16];
    fill_random(src, sizeof(src), 2);

    for (size_t off = 0; off < 16; off++) {
        memcpy(buf + off, src, sizeof(src));
        for (size_t len = 0; len <= sizeof(src); len++)
            UT_EQ_U64(crc32c(0, buf + off, len), ref_crc32c(0, src, len));
    }
}

/* A 4 MiB buffer, as a memory dump would be checksummed, against the bitwise reference. */
static void test_large_buffer(void)
{
    const size_t len = 4u << 20;
    uint8_t *buf = malloc(len);

    UT_ASSERT(buf != NULL);
    fill_random(buf, len, 3);
    uint32_t want = ref_crc32c(0, buf, len);
    uint32_t got = crc32c(0, buf, len);
    uint32_t chunked = 0;
    for (size_t i = 0; i < len; i += 4096)
        chunked = crc32c(chunked, buf + i, 4096);
    free(buf);
    UT_EQ_U64(got, want);
    UT_EQ_U64(chunked, want);
}

static uint32_t wide_tables[CRC32C_WIDE_ENTRIES];

/* crc32c_wide agrees with crc32c (and so with the reference) for every lane value at every
 * lane position of a step, every alignment and length across several steps, chaining at
 * every split, and a large buffer. */
static void test_wide(void)
{
    crc32c_wide_init(wide_tables);
    uint8_t block[12];
    for (unsigned bit = 0; bit < 96; bit++) {
        memset(block, 0, sizeof block);
        block[bit / 8] = (uint8_t)(1u << (bit % 8));
        UT_EQ_U64(crc32c_wide(wide_tables, 0x5A5A5A5Au, block, 12), ref_crc32c(0x5A5A5A5Au, block, 12));
    }
    for (unsigned lane = 0; lane < 8; lane++)
        for (uint32_t v = 0; v < 4096; v += 7) {
            memset(block, 0, sizeof block);
            for (unsigned b = 0; b < 12; b++)
                if (v >> b & 1)
                    block[(lane * 12 + b) / 8] |= (uint8_t)(1u << ((lane * 12 + b) % 8));
            UT_EQ_U64(crc32c_wide(wide_tables, 0xFFFFFFFFu, block, 12), crc32c(0xFFFFFFFFu, block, 12));
        }
    uint8_t src[200], buf[200 + 16];
    fill_random(src, sizeof src, 3);
    for (size_t off = 0; off < 16; off++) {
        memcpy(buf + off, src, sizeof src);
        for (size_t len = 0; len <= sizeof src; len++)
            UT_EQ_U64(crc32c_wide(wide_tables, 0, buf + off, len), crc32c(0, src, len));
    }
    uint32_t whole = crc32c(0, src, sizeof src);
    for (size_t i = 0; i <= sizeof src; i++)
        UT_EQ_U64(crc32c_wide(wide_tables, crc32c_wide(wide_tables, 0, src, i), src + i, sizeof src - i), whole);
    static uint8_t big[1 << 20];
    fill_random(big, sizeof big, 4);
    UT_EQ_U64(crc32c_wide(wide_tables, 0, big, sizeof big), crc32c(0, big, sizeof big));
}

/* crc32c_zeros equals crc32c over as many zero bytes, for several lengths and registers. */
static void test_zeros(void)
{
    static uint8_t zeros[8192];
    static uint32_t t[CRC32C_ZEROS_ENTRIES];
    const size_t lens[] = { 1, 3, 8, 100, 4096, 8192 };
    const uint32_t crcs[] = { 0, 1, 0x80000000u, 0xFFFFFFFFu, 0xE3069283u, 0x12345678u };
    for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        crc32c_zeros_init(t, lens[i]);
        for (unsigned j = 0; j < sizeof crcs / sizeof crcs[0]; j++)
            UT_EQ_U64(crc32c_zeros(t, crcs[j]), crc32c(crcs[j], zeros, lens[i]));
        uint8_t buf[64];
        fill_random(buf, sizeof buf, 5 + i);
        uint32_t c = crc32c(0, buf, sizeof buf);
        UT_EQ_U64(crc32c(crc32c_zeros(t, c), buf, sizeof buf),
                  crc32c(crc32c(c, zeros, lens[i]), buf, sizeof buf));
    }
}

/* crc32c_combine joins two parts' CRCs exactly, and gives any stretch of a stream from two
 * running CRCs of it: every split of a random buffer, including empty parts. */
static void test_combine(void)
{
    static uint8_t buf[3000];
    static uint32_t running[sizeof buf + 1];
    fill_random(buf, sizeof buf, 9);
    for (size_t i = 0; i <= sizeof buf; i++)
        running[i] = crc32c(0, buf, i);
    for (size_t i = 0; i <= sizeof buf; i += 37) {
        UT_EQ_U64(crc32c_combine(crc32c(0, buf, i), crc32c(0, buf + i, sizeof buf - i),
                                 sizeof buf - i), running[sizeof buf]);
        for (size_t j = i; j <= sizeof buf; j += 101)
            UT_EQ_U64(crc32c_combine(running[i], running[j], j - i), crc32c(0, buf + i, j - i));
    }
    UT_EQ_U64(crc32c_combine(0xE3069283u, 0, 0), 0xE3069283u);
}

static const struct ut_case cases[] = {
    { "check_value", test_check_value },
    { "empty", test_empty },
    { "known_vectors", test_known_vectors },
    { "every_table_entry", test_every_table_entry },
    { "chaining", test_chaining },
    { "unaligned", test_unaligned },
    { "large_buffer", test_large_buffer },
    { "wide", test_wide },
    { "zeros", test_zeros },
    { "combine", test_combine },
};

UT_MAIN(cases)
