/* What the dump writer's files share: the work area reserved at boot, the state of one dump
 * being written, the walk over a dump's data, and the steps each file provides. Everything
 * declared WRITER runs at bugcheck time from .text.dumpwriter, which is checksummed at boot
 * and re-checked before use. Internal to dump/stack/dump_writer*.c (dump_stack.c's damage
 * names writer_full). */
#ifndef BB_DUMP_WRITER_PRIV_H
#define BB_DUMP_WRITER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/stack/dump_stack.h"
#include "dump/dump_format.h"
#include "lib/crc32c.h"
#include "mm/layout.h"
#include "smp/smp.h"

#define WRITER __attribute__((section(".text.dumpwriter")))
#define SPAN_DEFAULT (1ull << 20)              /* bytes per straight-from-memory write, unless the clone says */
#define SPAN_MAX (16ull << 20)                 /* ... and at most */
#define ZERO_BLOCK (256u << 10)                /* zeros the work area is written from, per call */
#define CRC_STEP (256u << 10)                  /* bytes checksummed between two looks at the clone */
#define SNAP_RANGES 3                          /* kernel data..end, the clone's state pages, the klog area */
#define DEADMAN_NS (10ull * 1000 * 1000 * 1000) /* no progress for this long: give up */
#define STALL_PCT 30                           /* where `crash stall-dump` hangs the writer */
#define PROGRESS_SERIAL_STEP 10                /* COM1 gets a line every 10 % */
#define PROGRESS_VGA_NS (50ull * 1000 * 1000)  /* the screen's percentage: at most 20 redraws a second */
#define FILETIME_UNIX_EPOCH 116444736000000000ull  /* 1970-01-01 in 100 ns since 1601 */
#define ALIGN4K(x) (((x) + 4095ull) & ~4095ull)

/* Boot-time layout of the work area (physically contiguous, below 4 GiB). [I] after prepare. */
struct dump_work {
    uint64_t phys, size;          /* the whole area; written to the dump as zeros */
    uint64_t hdr_off;             /* 0x2000-byte header */
    uint64_t bmp_off, bmp_size;   /* bitmap second header + bitmap, padded to 4 KiB */
    uint64_t crc_off, crc_size;   /* chunk CRC table */
    uint64_t zero_off;            /* ZERO_BLOCK bytes of zeros */
    uint64_t mini_off;            /* a whole small dump's data (directory and streams) */
    uint64_t wide_off;            /* crc32c_wide's tables (rebuilt at bugcheck before use) */
    uint64_t team_off;            /* struct crc_team (rebuilt at bugcheck before use) */
    uint64_t done_off;            /* its done marks: one byte per chunk of the largest dump */
    uint64_t cpu_off;             /* the CPU block (dump/dump_cpu.h) of up to MAX_CPUS records,
                                     zero-padded to 4 KiB (built at bugcheck) */
    uint64_t snap_off, snap_size; /* snapshot of the ranges below */
    uint64_t snap_lo[SNAP_RANGES], snap_hi[SNAP_RANGES]; /* physical; see writer_snap_ranges() */
    uint32_t (*crc_fn)(uint32_t, const void *, size_t); /* the fastest CRC32C on this CPU */
    uint64_t span;                /* bytes per data write: the clone's write_span, bounded */
};
extern struct dump_work dump_work;

#define CRC_PROBE_BYTES (64u * 1024u)   /* bytes each CRC32C implementation is timed on */
#define CRC_PROBE_ROUNDS 3u             /* the best of this many runs counts */

static inline void *dump_work_at(uint64_t off) { return phys_to_virt(dump_work.phys + off); }

/* A walk over a dump's data in file order, one source range at a time: the bitmap block
 * (bitmap layouts), then the pages, of the RAM runs (complete dumps, in either layout) or of
 * the runs of set bits (kernel dumps), then the CPU block. Two walks over the same dump take
 * the same ranges, as source() depends only on the address and the limit. */
struct walk {
    const struct pfn_range *runs;   /* complete dump: the RAM runs ... */
    unsigned nruns, run;            /* ... how many, and the next one */
    const uint8_t *bm;              /* kernel dump: the bitmap (NULL for a complete dump) */
    uint64_t frames, frame;         /* its frames, and the next one to look at */
    uint64_t block;                 /* bytes of the bitmap block not yet walked (0 once done) */
    uint64_t tail;                  /* bytes of the CPU block, the last range (0 once done) */
    uint64_t pa, hi;                /* the page range being walked */
    uint64_t off;                   /* file offset of the next range */
};

/* Every CPU checksums the data of the dump being written: each participant runs
 * its own walk from the data's start and checksums whole chunks it claims with an atomic
 * fetch-add on `next` (so its claims increase and its walk only moves forward), writes the
 * chunk's CRC into the table and marks the chunk done. The crashing CPU claims chunks while
 * the clone is busy, finishes what is left after the data's flush and redoes a chunk whose
 * helper stopped beating. Lives in the work area; rebuilt at bugcheck before use. */
struct crc_cpu {
    uint64_t bytes;               /* data bytes this CPU checksummed (zero pages included) */
    uint64_t zero_pages;          /* of which whole pages of zeros, through the operator */
    uint64_t ns;                  /* time spent checksumming */
    volatile uint64_t chunk;      /* the chunk in progress, CHUNK_NONE when none */
    volatile uint64_t beat_ns;    /* timer_ns() at its last step */
} __attribute__((aligned(64)));
#define CHUNK_NONE UINT64_MAX
#define HELPER_STALL_NS (1000ull * 1000 * 1000)  /* a helper silent this long: its chunk is redone */

struct crc_team {
    uint32_t op[CRC32C_ZEROS_ENTRIES];   /* CRC32C over one page of zeros */
    volatile uint32_t open;              /* 1 while chunks of `start` may be claimed */
    struct walk start;                   /* the data's walk, from its first range */
    uint32_t *table;                     /* one CRC per chunk */
    volatile uint8_t *done;              /* one mark per chunk: its CRC is in the table */
    uint64_t data_size, chunks;
    uint32_t chunk_size;
    volatile uint64_t next;              /* the next chunk to claim */
    uint64_t settled;                    /* the crashing CPU's end: chunks below are done */
    uint64_t redone;                     /* chunks it did that a silent helper had claimed */
    struct crc_cpu cpu[MAX_CPUS];
};

/* A participant's position: its walk, the range at hand and the chunk it is checksumming. */
struct chunk_cursor {
    struct walk k;
    uint64_t src, len, at;    /* the range at hand: `len` bytes from `src` at file offset `at` */
    bool more;                /* false once the walk is at its end */
    uint64_t chunk;           /* the chunk in progress, CHUNK_NONE when none */
    uint64_t pos, end;        /* its file offsets still to checksum */
    uint32_t crc;             /* its running CRC */
};

/* State of one dump being written (on the stack). */
struct wr {
    const struct dump_stack *st;
    const struct clone_params *prm;
    struct dump_crc_acc acc;
    uint64_t done, total;         /* data bytes written / to write */
    unsigned pct_vga, pct_serial;
    uint64_t last_progress_ns, last_vga_ns;
    uint64_t disk_ns, flush_ns;           /* waiting for the disk; the data's flush
                                             (beside the checksums still to do) */
    uint64_t flush_t0;                    /* when that flush started */
    uint32_t cpus;                        /* records in the CPU block: NumberProcessors */
    unsigned cpu;                         /* the CPU writing it (the crashing one) */
    volatile unsigned phase;              /* WR_*: what of this dump is on the disk, for the
                                             dead-man's abandon */
};
#define WR_NOTHING 0u      /* nothing written yet */
#define WR_HEADER_OUT 1u   /* the in-progress header (flags 0) is on the disk */
#define WR_SEALING 2u      /* the valid header is being written: left alone */

/* dump_writer_crc.c: CRC32C of dump data (zero pages through the zero operator, the rest
 * through the fastest implementation, counted in *zero_pages), the wide-table CRC, and the
 * boot-time choice. */
uint32_t writer_crc_data(uint32_t crc, const void *data, size_t len, uint64_t *zero_pages);
uint32_t writer_crc_wide(uint32_t crc, const void *data, size_t len);
void writer_pick_crc(const void *probe);
/* dump_writer_snap.c: the ranges that change while a dump is written (boot), their snapshot
 * and the CRC tables rebuilt at bugcheck. */
void writer_snap_ranges(const struct dump_stack *st);
void writer_snapshot(void);
/* dump_writer_walk.c: the next source range of a walk (false at the end),
 * the kernel dump's page bitmap and the bitmap of all RAM (each returns the
 * pages it marks). */
bool writer_walk_next(struct walk *k, uint64_t *src, uint64_t *len);
uint64_t writer_build_bitmap(uint8_t *bm, uint64_t frames);
uint64_t writer_ram_bitmap(uint8_t *bm, uint64_t frames, const struct pfn_range *runs,
                           unsigned nruns);
/* dump_writer_team.c: open the team on the data of `start` (data_size bytes, CRCs into
 * `table`) and hand the parked CPUs their share; one step of up to `max` bytes of CPU cpu's
 * cursor (false when it has no chunk left to claim); the crashing CPU's end: every chunk
 * done: one step of waiting for a live helper or of redoing, with `redo` (a cursor of its
 * own, from the start), the lowest chunk not done (false once all are); closing the team;
 * the parked CPUs' entry (bugcheck_park_work). */
void writer_team_open(const struct walk *start, uint32_t *table, uint64_t data_size,
                      uint32_t chunk_size);
void writer_cursor_init(struct chunk_cursor *c);
bool writer_team_step(struct chunk_cursor *c, unsigned cpu, uint64_t max);
bool writer_team_settle(struct chunk_cursor *redo, unsigned cpu);
void writer_team_close(void);
void writer_help(unsigned cpu);
/* dump_writer.c: a write of `bytes` from physical `phys` at file offset `off` through the
 * block map; progress accounting; the header inputs every dump type shares; the CPU block
 * built in the work area from every CPU's slot (returns the records: NumberProcessors). */
int writer_file(struct wr *w, uint64_t off, uint64_t phys, uint64_t bytes);
void writer_progress(struct wr *w, uint64_t bytes);
int writer_common_params(struct wr *w, const struct bugcheck_data *bd, uint32_t type,
                         struct dump_run *runs, struct dump_params *p);
uint32_t writer_cpu_block(const struct bugcheck_data *bd);
/* dump_writer_mem.c: a complete (DUMP_TYPE_FULL) or kernel (DUMP_TYPE_BITMAP) dump, with
 * the fallback reason it records. ERR_NO_SPACE before writing anything when it does not fit
 * the target. */
int writer_full(struct wr *w, const struct bugcheck_data *bd, uint32_t type, uint32_t fallback);
/* dump_writer_small.c: a small dump, with the fallback reason it records. */
int writer_small(struct wr *w, const struct bugcheck_data *bd, uint32_t fallback);

#endif
