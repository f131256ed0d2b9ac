/* Unit test of the SSE4.2 CRC32C (kernel/lib/crc32c_hw.c, run here on the x86_64 host):
 * identical to the portable crc32c() for every length and alignment. */
#include "ut.h"
#include "lib/crc32c.h"
#include "lib/crc32c_hw.h"

static void matches_portable(void)
{
    if (!crc32c_hw_available()) {
        printf("  host CPU has no SSE4.2: nothing to compare\n");
        return;
    }
    static uint8_t buf[4096 + 16];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    UT_EQ_U64(crc32c_hw(0, "123456789", 9), 0xE3069283u);
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len <= 600; len += (len < 40 ? 1 : 37))
            UT_EQ_U64(crc32c_hw(0x12345678u, buf + off, len), crc32c(0x12345678u, buf + off, len));
    UT_EQ_U64(crc32c_hw(crc32c_hw(0, buf, 1000), buf + 1000, 3000), crc32c(0, buf, 4000));
}

static const struct ut_case cases[] = {
    { "matches_portable", matches_portable },
};
UT_MAIN(cases)
