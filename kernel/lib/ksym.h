/* The kernel symbol table: a blob built at link time by tools/mkksyms from `nm` output and
 * embedded in the kernel image, so the bugcheck screen and klog can print "function+0xoff".
 * Portable core: the kernel reads the blob, host tools build and read it. The layout below is
 * a file format. */
#ifndef BB_LIB_KSYM_H
#define BB_LIB_KSYM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Layout, version 1. Every integer is little-endian and fixed-width; no alignment is
 * required of the blob.
 *
 *   0                              struct ksym_hdr (16 bytes)
 *   16                             struct ksym_entry[count] (16 bytes each)
 *   16 + 16 * count                string table: strtab_size bytes of NUL-terminated names
 *   16 + 16 * count + strtab_size  end of the table; any bytes after it are ignored (so the
 *                                  blob may sit in a larger zero-filled reserved section)
 */

#define KSYM_MAGIC      "BBKSYMS1"   /* 8 bytes, no NUL in the blob */
#define KSYM_MAGIC_LEN  8u

struct ksym_hdr {
    char magic[KSYM_MAGIC_LEN];  /* KSYM_MAGIC */
    uint32_t count;              /* entries that follow */
    uint32_t strtab_size;        /* >= 1; the string table's last byte is NUL */
};
_Static_assert(sizeof(struct ksym_hdr) == 16, "ksym_hdr size");

struct ksym_entry {
    uint64_t addr;               /* start address; strictly increasing along the table */
    uint32_t size;               /* bytes of code, or 0 when unknown (then the symbol spans
                                    up to the next one) */
    uint32_t name_off;           /* offset of a non-empty name in the string table */
};
_Static_assert(sizeof(struct ksym_entry) == 16, "ksym_entry size");

/* Bytes of a table with `count` entries and `strtab_size` bytes of strings. */
#define KSYM_BLOB_SIZE(count, strtab_size) \
    (sizeof(struct ksym_hdr) + (size_t)(count) * sizeof(struct ksym_entry) + (size_t)(strtab_size))

/* Checks the whole blob (len bytes at `blob`): magic, sizes within len, addresses strictly
 * increasing, every name offset inside the string table, names non-empty, string table
 * NUL-terminated. Returns the number of symbols (>= 0) or ERR_CORRUPT (ERR_INVALID_ARGS for
 * a NULL blob). Linear time; safe at bugcheck time. */
int ksym_validate(const void *blob, size_t len);

/* Finds the symbol containing `addr`: the one with the greatest start <= addr, provided addr
 * is before its end when its size is known. Sets *name (points into the blob, NUL-terminated)
 * and *offset (addr - start). Returns 0, ERR_NOT_FOUND (below the first symbol, past the end
 * of a sized symbol, or an empty table), ERR_CORRUPT, or ERR_INVALID_ARGS. Does not need
 * ksym_validate first: it checks every bound it relies on, so a damaged blob gives a wrong
 * name or ERR_CORRUPT but never a read outside blob[0, len). O(log count), no allocation:
 * safe at bugcheck time. */
int ksym_lookup(const void *blob, size_t len, uint64_t addr, const char **name,
                uint64_t *offset);

/* Writes "name+0xoff" (offset in lower-case hex, "+0x0" at the start) or, when lookup
 * fails, "0x" and 16 hex digits of addr, NUL-terminated, into buf[0, size). Returns the
 * length written without the NUL, ERR_NO_SPACE if it had to be cut (buf still holds a
 * terminated prefix), or ERR_INVALID_ARGS (buf NULL or size 0). Safe at bugcheck time. */
int ksym_format(const void *blob, size_t len, uint64_t addr, char *buf, size_t size);

#endif
