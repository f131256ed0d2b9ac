/* CRC-32 (IEEE 802.3), the checksum of GPT headers and partition entry arrays. Same parameters
 * as zlib's crc32(), gzip, PNG and the UEFI specification: reflected polynomial 0xEDB88320,
 * initial value ~0, final xor ~0. Not to be confused with CRC-32C (lib/crc32c.h). */
#ifndef BB_LIB_CRC32_H
#define BB_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Extends `crc` (the result of an earlier call, or 0 to start) over `len` bytes at `data`
 * and returns the new CRC, exactly like zlib's crc32(). Chaining is exact:
 *     crc32(crc32(0, a, la), b, lb) == crc32(0, a || b, la + lb)
 * Check value: crc32(0, "123456789", 9) == 0xCBF43926.
 * `data` needs no alignment and may be NULL when `len` is 0 (then `crc` is returned).
 * Byte-at-a-time over a const table: pure, reentrant, no initialisation, safe at bugcheck
 * time. */
uint32_t crc32(uint32_t crc, const void *data, size_t len);

#endif
