/* CRC32C on the SSE4.2 instruction: byte steps to 8-byte alignment, then 8 bytes a step. */
#include <string.h>
#include <cpuid.h>
#include "lib/crc32c_hw.h"

bool crc32c_hw_available(void)
{
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    return c & bit_SSE4_2;
}

uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t c = (uint32_t)~crc;
    while (len && ((uintptr_t)p & 7)) {
        __asm__("crc32b %1, %k0" : "+r"(c) : "rm"(*p));
        p++;
        len--;
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        __asm__("crc32q %1, %0" : "+r"(c) : "rm"(v));
    }
    while (len--) {
        __asm__("crc32b %1, %k0" : "+r"(c) : "rm"(*p));
        p++;
    }
    return ~(uint32_t)c;
}
