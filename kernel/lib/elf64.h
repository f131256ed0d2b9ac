/* Static ELF64 executables: the portable core of the program loader. Validates an image held
 * in memory and lists its PT_LOAD segments; the kernel (kernel/proc/process.c) maps them, the
 * unit tests feed it malformed files. Pure: no allocation, no global state. */
#ifndef BB_LIB_ELF64_H
#define BB_LIB_ELF64_H

#include <stddef.h>
#include <stdint.h>

#define ELF64_MAX_SEGMENTS 8

#define ELF64_SEG_X 0x1u   /* PF_X: executable */
#define ELF64_SEG_W 0x2u   /* PF_W: writable */
#define ELF64_SEG_R 0x4u   /* PF_R: readable */

/* One PT_LOAD segment: file bytes [offset, offset + filesz) go to vaddr, the rest up to memsz
 * is zero. */
struct elf64_segment {
    uint64_t vaddr, memsz;
    uint64_t offset, filesz;
    uint32_t flags;        /* ELF64_SEG_* */
};

struct elf64_image {
    uint64_t entry;
    unsigned nseg;
    struct elf64_segment seg[ELF64_MAX_SEGMENTS];
};

/* Check `len` bytes at `buf` are a little-endian x86_64 ET_EXEC ELF64 file whose PT_LOAD
 * segments (empty ones are skipped) lie within the file and within [lo, hi) of the address space, do not overlap each
 * other (page granularity), and whose entry point is inside an executable segment. Fills
 * *out. Returns 0, ERR_CORRUPT (not an ELF file, or inconsistent), ERR_NOT_SUPPORTED (another
 * class, machine or type, or an interpreter), ERR_RANGE (a segment outside [lo, hi)),
 * ERR_TOO_BIG (more than ELF64_MAX_SEGMENTS loadable segments). */
int elf64_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi, struct elf64_image *out);

#endif
