/* The one check of a dump file read piece by piece (no mapping, no allocation, caller
 * buffers): the header and prefix with dump_validate, then every data chunk's CRC32C and the
 * external CRC table's own CRC over the bytes streamed in file order. Portable core: smss and
 * werfault check a dump this way before trusting it, every bbdump command before using one. */
#ifndef BB_DUMP_VERIFY_H
#define BB_DUMP_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"
#include "dump/dump_validate.h"

/* Reads len bytes at file offset off into buf: 0, or a negative ERR_* (short read = ERR_IO;
 * a positive return counts as ERR_IO). */
typedef int (*dump_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Reads the file's header into buf (cap bytes), validates it with dump_validate and, while
 * dump_validate asks for more (a bitmap, a minidump directory), reads the first l->prefix
 * bytes from offset 0 again and validates again. Every read starts at offset 0. *got (may be
 * NULL) is set to the bytes of the file's start now in buf. Returns dump_validate's result
 * (0, or its code with l->problem naming the problem); the read function's error (with
 * l->problem DUMP_OK);
 * ERR_TOO_BIG when the prefix it asks for is more than cap (l->problem is DUMP_P_NEED_MORE,
 * l->prefix says how much: a caller may grow buf and call again); ERR_INVALID_ARGS for a
 * NULL argument or cap below DUMP_HEADER_SIZE. Safe anywhere the read function is. */
int dump_verify_prefix(dump_read_fn read, void *ctx, uint64_t file_size, void *buf,
                       size_t cap, size_t *got, struct dump_layout *l);

/* A check in progress and its outcome. The results are valid after dump_verify_end (or
 * dump_verify_file); the stream fields belong to dump_verify_begin/_feed/_end. */
struct dump_verify {
    struct dump_layout layout;  /* from dump_validate (problem set when it failed) */
    int table_ok;               /* external CRC table intact (1 when the table is inline) */
    uint64_t chunks_checked;    /* data chunks whose CRC was compared */
    uint64_t bad_chunks;        /* ... and did not match */
    uint64_t first_bad;         /* index of the first bad chunk */
    uint64_t scratch_needed;    /* dump_verify_file's ERR_TOO_BIG: the bytes `buf` must hold
                                   for this dump (at least; 0 otherwise) */
    /* the stream */
    const uint8_t *hdr;         /* the caller's validated header, read until _end */
    struct dump_crc_acc acc;    /* chunk CRCs of the data fed so far; acc.crc_fn may be set
                                   to a faster CRC32C after dump_verify_begin */
    uint64_t pos;               /* file offset of the next byte fed */
    uint32_t table_crc;         /* running CRC32C of the external table bytes fed */
    uint8_t entry[4];           /* a table entry split across two pieces */
};

/* Starts checking the dump whose validated header is at hdr (kept readable until
 * dump_verify_end; l is dump_validate's result for it, which must have been 0). `crcs` is
 * the caller's room for one CRC per chunk (`n` entries, at least l->chunk_count). Returns 0,
 * ERR_TOO_BIG when n is too small, ERR_CORRUPT when the header's chunks do not match l,
 * ERR_INVALID_ARGS for a NULL argument. */
int dump_verify_begin(struct dump_verify *v, const void *hdr, const struct dump_layout *l,
                      uint32_t *crcs, uint64_t n);
/* Feeds the file's next len bytes, in file order from offset 0, in pieces of any size.
 * Bytes past RequiredDumpSpace are ignored. No error: the result comes from _end. */
void dump_verify_feed(struct dump_verify *v, const void *p, size_t len);
/* Ends the check. Returns 0 when every chunk matched; ERR_CHECKSUM when the external table's
 * own CRC is wrong (table_ok 0) or a chunk does not match (bad_chunks, first_bad);
 * ERR_CORRUPT when fewer than RequiredDumpSpace bytes were fed (chunks_checked says how
 * many chunks were compared). */
int dump_verify_end(struct dump_verify *v);

/* Checks the dump in a file of file_size bytes: dump_verify_prefix, then the bytes after it
 * up to RequiredDumpSpace read once (from the prefix's last 4 KiB boundary, in pieces that
 * are multiples of 4 KiB), in file order, and fed to the stream check. `buf` (cap bytes)
 * is the caller's scratch: the prefix, then one CRC per chunk, then at least 4 KiB (from a
 * page boundary) for reading the data; ERR_TOO_BIG when they do not fit (a limit, not a
 * problem of the dump: out->scratch_needed says how much it takes). On return buf holds
 * the file's first layout.prefix bytes (the header first). Returns 0 when the dump is valid
 * and every chunk matches; otherwise the first failure: dump_verify_prefix's code
 * (out->layout.problem says which), dump_verify_end's, or the read function's error. */
int dump_verify_file(dump_read_fn read, void *ctx, uint64_t file_size, void *buf, size_t cap,
                     struct dump_verify *out);

/* Bytes of buf dump_verify_file needs for any dump (complete, kernel or small, with
 * DUMP_CHUNK_DEFAULT chunks) of a machine whose physical address space ends below
 * `max_phys`, with a data window of `window` bytes (a multiple of 4 KiB): the header, the
 * bitmap header and bitmap, one CRC per chunk of a complete dump, two alignments. */
#define DUMP_VERIFY_BITMAP_BYTES(max_phys) ((max_phys) / DUMP_PAGE_SIZE / 8)
#define DUMP_VERIFY_SCRATCH(max_phys, window)                                              \
    (DUMP_BMP_BITMAP_OFFSET + DUMP_VERIFY_BITMAP_BYTES(max_phys) +                         \
     ((max_phys) / DUMP_CHUNK_DEFAULT + DUMP_VERIFY_BITMAP_BYTES(max_phys) / DUMP_CHUNK_DEFAULT \
      + 3) * 4 + 2 * 4096 + (window))

/* Whether a failed check (rc from dump_verify_file or dump_verify_prefix, with the layout
 * it filled) proves the file holds no valid dump: a CRC mismatch (ERR_CHECKSUM), or a header,
 * prefix or layout that is wrong (ERR_CORRUPT, or dump_validate's problem). A read error, a
 * limit of the caller's (ERR_TOO_BIG: the buffer is too small) or a bad argument proves
 * nothing: recovery leaves such a dump where it is and tries again later. 0 for rc == 0. */
int dump_verify_proves_invalid(int rc, const struct dump_layout *l);

#endif
