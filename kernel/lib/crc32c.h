/* CRC-32C (Castagnoli), the checksum Blackbox uses for the dump driver image, the block map,
 * dump headers and memory dumps. Same parameters as iSCSI (RFC 3720), ext4 and SSE4.2's
 * crc32 instruction: reflected polynomial 0x82F63B78, initial value ~0, final xor ~0. */
#ifndef BB_LIB_CRC32C_H
#define BB_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends `crc` (the result of an earlier call, or 0 to start) over `len` bytes at `data`
 * and returns the new CRC. Chaining is exact:
 *     crc32c(crc32c(0, a, la), b, lb) == crc32c(0, a || b, la + lb)
 * Check value: crc32c(0, "123456789", 9) == 0xE3069283.
 * `data` needs no alignment and may be NULL when `len` is 0 (then `crc` is returned).
 * Table-driven (slicing-by-8, tables are const data): pure, reentrant, no initialisation,
 * safe at bugcheck time. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
