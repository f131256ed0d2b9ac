/* Validating and reading a dump file: dump_validate checks a header (and the bitmap or the
 * minidump directory after it) against the file's size and names the first problem found;
 * dump_phys_to_offset maps a physical address to its file offset for every dump type.
 * Portable core: robust against any input (never reads outside the bytes it is given,
 * allocates nothing), used by the kernel (the dump stack checks what its target holds at
 * boot), userland (smss, werfault) and the host tools. */
#ifndef BB_DUMP_VALIDATE_H
#define BB_DUMP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"

/* What dump_validate found first. */
enum dump_problem {
    DUMP_OK = 0,
    DUMP_P_TRUNCATED,     /* the file is shorter than a dump header */
    DUMP_P_NEED_MORE,     /* pass the first `prefix` bytes of the file, not fewer */
    DUMP_P_SIGNATURE,     /* does not start with "PAGEDU64" */
    DUMP_P_DUMP32,        /* a 32-bit "PAGEDUMP" header: not supported */
    DUMP_P_NOT_BLACKBOX,  /* no Blackbox fields in the reserved area (a foreign dump) */
    DUMP_P_VERSION,       /* Blackbox fields of an unknown version or size */
    DUMP_P_HEADER_CRC,    /* header CRC32C mismatch */
    DUMP_P_INCOMPLETE,    /* no VALID flag: a dump being written, or one cut short */
    DUMP_P_FLAGS,         /* unknown flag bits */
    DUMP_P_MACHINE,       /* MachineImageType is not AMD64 */
    DUMP_P_DUMP_TYPE,     /* DumpType unknown, unsupported, or not the written type */
    DUMP_P_RUN_COUNT,     /* NumberOfRuns is "PAGE", 0, or above DUMP_MAX_RUNS in a full
                             dump */
    DUMP_P_RUNS,          /* listed runs empty, unordered, overlapping, too high, or their
                             sum is not NumberOfPages (less, by at least a page per run not
                             listed, when NumberOfRuns > DUMP_MAX_RUNS) (detail: the run
                             index) */
    DUMP_P_MXCSR,         /* CONTEXT.MxCsr differs from FltSave.MxCsr */
    DUMP_P_BUILD_ID,      /* build-id length above DUMP_BUILD_ID_MAX */
    DUMP_P_BITMAP_HEADER, /* bitmap second header: no "SDMP"/"FDMP" + "DUMP" */
    DUMP_P_BITMAP,        /* Pages, FirstPage or TotalPresentPages inconsistent, bits set
                             outside the RAM runs, or an "FDMP" bitmap missing RAM pages
                             (detail: the offending value) */
    DUMP_P_MINI_DIR,      /* minidump directory: signature, version, capacity, count */
    DUMP_P_MINI_STREAM,   /* a stream outside the data, overlapping, or misaligned
                             (detail: the stream index) */
    DUMP_P_DATA_SIZE,     /* bb.data_size is not what the dump type implies */
    DUMP_P_CHUNKS,        /* chunk size, count or CRC table placement inconsistent */
    DUMP_P_SIZE,          /* RequiredDumpSpace is not the dump's size, or the file is
                             shorter than it (detail: bytes needed) */
    DUMP_P_CPUS,          /* NumberProcessors is 0 or above DUMP_CPU_MAX, or a small dump has
                             not exactly one CPU stream of the block's size */
    DUMP_P_COUNT
};

/* What a valid dump looks like, filled by dump_validate. */
struct dump_layout {
    enum dump_problem problem;  /* DUMP_OK, or the first problem found */
    uint64_t detail;            /* a value naming the problem (index, offset, size), or 0 */
    uint64_t prefix;            /* bytes of the file's start the checks and the readers use
                                   (header, bitmap or directory); valid once >= 0x2000 */
    uint64_t file_size;         /* as given */
    uint32_t dump_type;         /* DumpType */
    uint32_t flags;             /* bb.flags */
    bool complete;              /* VALID and COMPLETE both set */
    uint64_t total;             /* RequiredDumpSpace: header + data + external CRC table */
    uint64_t data_end;          /* file offset where the data ends */
    uint32_t run_count;         /* NumberOfRuns (Run[] lists the first DUMP_MAX_RUNS) */
    uint64_t ram_pages;         /* NumberOfPages */
    uint64_t pages_offset;      /* FULL: 0x2000, BITMAP: FirstPage, SMALL: 0 */
    uint64_t present_pages;     /* pages held: FULL all RAM, BITMAP TotalPresentPages, SMALL 0 */
    uint64_t bitmap_pages;      /* BITMAP: Pages */
    uint32_t stream_count;      /* SMALL: streams in the directory */
    uint64_t chunk_count;       /* CRC chunks */
    uint32_t chunk_size;        /* bytes per chunk */
    uint64_t crc_table_offset;  /* external CRC table, 0 when inline */
    uint32_t cpu_count;         /* NumberProcessors: records in the CPU block */
    uint64_t cpu_offset;        /* file offset of the CPU block (dump/dump_cpu.h), inside the
                                   data; its bytes: dump_cpu_block_bytes(cpu_count) */
};

/* Checks the dump whose first `len` bytes are at `buf` (any alignment) and whose file is
 * `file_size` bytes long (a pagefile may be longer than the dump). Everything but the data
 * CRCs is checked: signature, Blackbox fields, header CRC, VALID flag, machine, DumpType,
 * runs, MxCsr, sizes and offsets against the file, the bitmap (every bit counted, none
 * outside RAM) or the minidump directory, the chunk table's placement, where the CPU block
 * lies (its content is dump_cpu_block_check's: the validator may not hold its bytes).
 * Returns 0 with *out filled (out->complete says whether COMPLETE is set too), or a
 * negative code with out->problem and out->detail naming the first problem:
 *   ERR_RANGE      DUMP_P_NEED_MORE: call again with out->prefix bytes (<= file_size)
 *   ERR_NOT_FOUND  DUMP_P_SIGNATURE / DUMP_P_NOT_BLACKBOX
 *   ERR_NOT_SUPPORTED  DUMP_P_DUMP32 / DUMP_P_VERSION / DUMP_P_DUMP_TYPE (unknown type)
 *   ERR_CHECKSUM   DUMP_P_HEADER_CRC
 *   ERR_BAD_STATE  DUMP_P_INCOMPLETE
 *   ERR_CORRUPT    every other problem (DUMP_P_TRUNCATED, _RUNS, _SIZE, ...)
 *   ERR_INVALID_ARGS  buf or out NULL
 * Time linear in `len`; no allocation; safe at bugcheck time. */
int dump_validate(const void *buf, size_t len, uint64_t file_size, struct dump_layout *out);

/* Short English text for a problem ("header CRC mismatch"). */
const char *dump_problem_str(enum dump_problem p);

/* Name of a DumpType ("full", "bitmap", "small"), "unknown" otherwise. */
const char *dump_type_name(uint32_t dump_type);
/* What a bb.fallback_reason (DUMP_FALLBACK_*) means ("target too small"), "unknown"
 * otherwise. */
const char *dump_fallback_name(uint32_t reason);

/* File offset of physical address `phys` in a dump validated by dump_validate (`buf`/`len`
 * as passed to it, len >= l->prefix). *avail gets the bytes readable from there before the
 * next discontinuity (end of run, page or stream). Returns 0, ERR_NOT_FOUND (not in the
 * dump), or ERR_INVALID_ARGS. Linear in the bitmap size at worst; safe at bugcheck time. */
int dump_phys_to_offset(const void *buf, size_t len, const struct dump_layout *l,
                        uint64_t phys, uint64_t *off, uint64_t *avail);

#endif
