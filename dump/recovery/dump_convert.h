/* Converting a complete (DumpType 1) or bitmap (DumpType 5) crash dump into a Blackbox small
 * dump (DumpType 4) holding the streams the kernel's bugcheck-time minidump holds. Portable
 * core for the WerFault stage (userland) and bbdump (host): the source is read and the result
 * written only through caller callbacks; it allocates nothing. Not used at bugcheck time. */
#ifndef BB_DUMP_CONVERT_H
#define BB_DUMP_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_validate.h"

/*
 * What the small dump holds (the streams of dump/stack/dump_writer.c, in the same order):
 *   MODULES  one entry: "blackbox" at kernel_vma + kernel_phys_base with the dump's build-id.
 *            Its size is 0 (unknown): a big dump does not record where the image ends, nor
 *            where the clone was loaded, so no dump_ahci/dump_nvme entry.
 *   CPUS     the source's CPU block (dump/dump_cpu.h), copied as it is after every record
 *            and the CRC were checked (ERR_CORRUPT / ERR_CHECKSUM otherwise).
 *   STACK    DUMP_CONVERT_STACK_BYTES from RSP rounded down to 16, cut at the first byte that
 *            cannot be translated or is not in the source dump.
 *   MEMORY   the page each of RAX..R15, RIP and CR2 points at (one stream per page, flags =
 *            the DUMP_REG_* of every register in it), for values at or above direct_map_base
 *            whose page is in the source dump; at most DUMP_CONVERT_CAPACITY - 4 pages.
 *   KLOG     the whole klog area (bb.klog_phys, bb.klog_size), if every byte of it is in the
 *            source dump and it still fits under DUMP_SMALL_MAX (it is dropped otherwise,
 *            as the kernel does).
 * Virtual to physical uses only the linear maps the header records: the kernel image
 * mapping (virtual = bb.kernel_vma + physical, physical below 2 GiB) and the direct map
 * (virtual = bb.direct_map_base + physical). A base outside the upper canonical half
 * (below 0xffff800000000000) or not page-aligned is not believed and maps nothing.
 *
 * The header is the source's: bugcheck code and parameters, CONTEXT and exception record
 * (copied byte for byte), CR3, PfnDataBase, processors, RAM runs, system time, up time,
 * build-id, sequence, configured type, fallback reason, klog location, linear-map bases,
 * CR0/CR2/CR4, error code, vector. DumpType and bb.written_type are 4. bb.flags gets
 * DUMP_BB_CONVERTED (and VALID; COMPLETE only when the source was complete), and the Comment
 * ends in " (converted from full dump)" / "(... bitmap dump)" when it fits.
 *
 * Write order (torn-safe like the kernel's writer): the header with flags 0 at offset 0, the
 * directory and streams from 0x2000 in file order, then the sealed header at offset 0. A
 * result cut short is never valid. Every read is at an offset the validated source layout
 * names and is checked against the file size first.
 */

#define DUMP_CONVERT_STACK_BYTES (16u * 1024u)  /* as MINI_STACK_BYTES in the kernel writer */
#define DUMP_CONVERT_CAPACITY    32u            /* directory entries, as the kernel writer */
#define DUMP_CONVERT_LOW_2G      0x80000000ull  /* the kernel image mapping covers [0, 2 GiB) */
#define DUMP_CONVERT_KERNEL_HALF 0xffff800000000000ull  /* lowest believable linear-map base */

/* Reads `len` bytes at file offset `off` of the source into `buf`. Returns 0, or a negative
 * ERR_* code (a short read is an error). */
typedef int (*dump_convert_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);
/* Writes `len` bytes at file offset `off` of the result. Returns 0 or a negative ERR_*. */
typedef int (*dump_convert_write_fn)(void *ctx, uint64_t off, const void *buf, size_t len);

struct dump_convert_io {
    dump_convert_read_fn read;    /* the source dump */
    void *read_ctx;
    uint64_t file_size;           /* bytes of the source file (a pagefile may be longer) */
    dump_convert_write_fn write;  /* the small dump */
    void *write_ctx;
    void *work;                   /* caller's buffer for the source's prefix: the header and,
                                     for a bitmap dump, the bitmap (DUMP_BMP_BITMAP_OFFSET +
                                     Pages/8 bytes); at least DUMP_HEADER_SIZE, any alignment */
    size_t work_len;              /* its bytes */
};

/* What a conversion did (filled as far as it got, also on error). */
struct dump_convert_result {
    struct dump_layout src;       /* dump_validate's view of the source: src.problem says why
                                     a source was refused */
    uint64_t prefix_needed;       /* bytes `work` must hold for this source (with
                                     ERR_TOO_BIG: header, bitmap header and bitmap) */
    uint64_t size;                /* bytes of the small dump (0 until it is laid out) */
    uint32_t streams;             /* streams in it */
    uint64_t stack_bytes;         /* bytes of the STACK stream (0: none) */
    uint32_t memory_pages;        /* MEMORY streams */
    bool klog;                    /* the KLOG stream is there */
};

/* Converts the source into a small dump. Stack use about 14 KiB; time linear in the source's
 * bitmap per page looked up; no allocation. Returns 0 with *res filled, or:
 *   ERR_INVALID_ARGS  a NULL callback, buffer or res; work_len below DUMP_HEADER_SIZE
 *   ERR_TOO_BIG       `work` cannot hold the source's prefix (res->prefix_needed says how much)
 *   ERR_NOT_SUPPORTED the source is a small dump already (res->src.dump_type is 4), or
 *                     dump_validate's ERR_NOT_SUPPORTED
 *   ERR_NOT_FOUND / ERR_CHECKSUM / ERR_BAD_STATE / ERR_CORRUPT  dump_validate refused the
 *                     source (res->src.problem, res->src.detail name the problem), a
 *                     layout offset pointed outside the file, or (CORRUPT, CHECKSUM) the
 *                     source's CPU block is damaged
 *   any error the read or write callback returned (ERR_IO when it returned a positive value)
 */
int dump_convert_to_mini(const struct dump_convert_io *io, struct dump_convert_result *res);

#endif
