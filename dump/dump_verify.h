/* Checking a whole dump file read piece by piece (no mapping, no allocation): the header and
 * prefix with dump_validate, then the external CRC table's own CRC and every data chunk's
 * CRC32C. Portable core: smss and werfault check a dump this way before trusting it, the host
 * tools before copying one out. */
#ifndef BB_DUMP_VERIFY_H
#define BB_DUMP_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "dump/dump_validate.h"

/* Reads len bytes at file offset off into buf: 0, or a negative ERR_* (short read = ERR_IO). */
typedef int (*dump_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

struct dump_verify {
    struct dump_layout layout;  /* from dump_validate (problem set when it failed) */
    int table_ok;               /* external CRC table intact (1 when the table is inline) */
    uint64_t chunks_checked;    /* data chunks whose CRC was compared */
    uint64_t bad_chunks;        /* ... and did not match */
    uint64_t first_bad;         /* index of the first bad chunk */
};

/* Check the dump in a file of file_size bytes. `buf` (cap bytes, at least DUMP_HEADER_SIZE and
 * at least the prefix dump_validate asks for, else ERR_TOO_BIG) is the caller's scratch; on
 * return it holds the file's first layout.prefix bytes (the header first). Returns 0 when
 * the dump is valid and every chunk matches; otherwise the first failure: dump_validate's
 * code (out->layout.problem says which), ERR_CHECKSUM (table damaged or a chunk mismatch:
 * see table_ok / bad_chunks / first_bad), or the read function's error. */
int dump_verify_file(dump_read_fn read, void *ctx, uint64_t file_size, void *buf, size_t cap,
                     struct dump_verify *out);

#endif
