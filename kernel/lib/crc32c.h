/* CRC-32C (Castagnoli), the checksum Blackbox uses for the clone image, the block map,
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

/* crc32c() for bulk data where memory loads are what costs: under emulation (QEMU's TCG)
 * every guest load is a software TLB lookup, and this takes 12 bytes per step with 10 loads
 * where crc32c() needs about 19 (measured 85 against 105 us per 64 KiB under TCG). Its
 * lookup tables, CRC32C_WIDE_ENTRIES uint32_t (128 KiB), are caller memory filled by
 * crc32c_wide_init (pure, about 32 K steps). crc32c_wide() then returns exactly crc32c()'s
 * result, with the same chaining; `data` needs no alignment; little-endian machines only
 * (it loads words). Reentrant over tables nobody writes; safe at bugcheck time. */
#define CRC32C_WIDE_LANES 8u          /* 12-bit lanes per 12-byte step */
#define CRC32C_WIDE_ENTRIES (CRC32C_WIDE_LANES << 12)
void crc32c_wide_init(uint32_t *tables);
uint32_t crc32c_wide(const uint32_t *tables, uint32_t crc, const void *data, size_t len);

/* crc32c() over a run of zero bytes of one fixed length, in four table lookups: extending a
 * CRC over zeros is linear in its register, so the operator for `n` zeros is kept as four
 * 256-entry tables (CRC32C_ZEROS_ENTRIES uint32_t, 4 KiB), filled by crc32c_zeros_init (32
 * times n table steps). crc32c_zeros(tables, crc) == crc32c(crc, <n zero bytes>, n).
 * Pure and reentrant over tables nobody writes; safe at bugcheck time. */
#define CRC32C_ZEROS_ENTRIES (4u * 256u)
void crc32c_zeros_init(uint32_t *tables, size_t n);
uint32_t crc32c_zeros(const uint32_t *tables, uint32_t crc);

/* The CRC of a || b from the CRCs of its parts (each as crc32c(0, part, len) gives it) and
 * b's length: crc32c_combine(crc32c(0, a, la), crc32c(0, b, lb), lb) == crc32c(0, a || b,
 * la + lb). And so the CRC of a stretch from two running CRCs of one stream:
 *     crc32c(0, s + i, j - i) == crc32c_combine(crc32c(0, s, i), crc32c(0, s, j), j - i)
 * (XOR is its own inverse). A few thousand steps whatever the length; pure. */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

#endif
