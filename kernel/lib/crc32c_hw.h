/* CRC32C with the SSE4.2 `crc32` instruction (a general-register instruction, usable in a
 * kernel built with -mgeneral-regs-only), for the dump writer's hot loop. Same contract and
 * results as kernel/lib/crc32c.h's crc32c(). */
#ifndef BB_LIB_CRC32C_HW_H
#define BB_LIB_CRC32C_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if this CPU has the instruction (CPUID.1:ECX.SSE4_2). Safe at bugcheck time. */
bool crc32c_hw_available(void);
/* crc32c() on the instruction; only call when crc32c_hw_available(). Safe at bugcheck time. */
uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len);

#endif
