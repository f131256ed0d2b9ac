/* The ABI between the kernel and a clone ("dump_ahci", "dump_nvme"): the crash-dump copy of a
 * storage driver.
 * A clone is built from the same hardware-ops source as the live driver, but linked
 * on its own as a position-independent image that imports no kernel symbol (tools/mkclone
 * checks this and packs it). At boot the kernel copies it into reserved pages, applies its
 * relocations, fills in its parameter block, maps it read-only + executable and checksums it.
 * All mutable state lives in the separate state pages named by the parameters. */
#ifndef BB_CLONE_ABI_H
#define BB_CLONE_ABI_H

#include <stdint.h>

#define CLONE_MAGIC "BBDUMPDR"   /* 8 bytes at the start of a packed clone image */
#define CLONE_ABI_VERSION 3
#define CLONE_MAX_EXTENTS 64     /* block-map runs a clone can police */

/* The packed form produced by tools/mkclone: this header, then `image_size` bytes of the
 * image (linked at address 0), then `reloc_count` u32 offsets of 64-bit words that need the
 * load address added (R_X86_64_RELATIVE with the addend already stored in place). */
struct clone_image {
    char magic[8];          /* CLONE_MAGIC */
    uint32_t version;       /* CLONE_ABI_VERSION */
    char name[20];          /* "dump_ahci", NUL-terminated */
    uint32_t image_size;    /* bytes of image that follow this header */
    uint32_t mem_size;      /* bytes the image occupies when loaded (>= image_size) */
    uint32_t reloc_count;   /* relocation offsets after the image */
    uint32_t params_off;    /* offset of struct clone_params in the image */
    uint32_t entry_init;    /* offset of int init(void) */
    uint32_t entry_write;   /* offset of int write(uint64_t lba, uint64_t phys, uint64_t sectors) */
    uint32_t entry_read;    /* offset of int read(uint64_t lba, uint64_t phys, uint64_t sectors) */
    uint32_t entry_flush;   /* offset of int flush(void) */
    uint32_t entry_log;     /* offset of const char *log(void): the clone's message buffer */
    uint32_t entry_poll;    /* offset of int poll(void) */
    uint32_t entry_flush_start; /* offset of int flush_start(void) */
};
_Static_assert(sizeof(struct clone_image) == 76, "clone image header");

/* One run of the target file: `sectors` sectors from `lba` on the whole disk. */
struct clone_extent {
    uint64_t lba;
    uint64_t sectors;
};

/* Written by the kernel's loader before the image becomes read-only. [I] for the clone. */
struct clone_params {
    uint64_t tsc_hz;               /* TSC ticks per second: the clone's only clock */
    uint64_t regs_virt;            /* controller registers (AHCI ABAR / NVMe BAR0), mapped uncached */
    uint64_t state_virt;           /* the clone's read-write pages (state and DMA memory) */
    uint64_t state_phys;           /* their physical (DMA) address; physically contiguous */
    uint64_t state_size;           /* bytes */
    uint32_t unit;                 /* AHCI port number / NVMe namespace ID */
    uint32_t sector_size;          /* logical sector size of the disk, bytes */
    uint64_t disk_sectors;         /* capacity of the disk, sectors */
    uint32_t queue_id;             /* NVMe: the dump's own I/O queue pair, created at boot */
    uint32_t queue_depth;          /* NVMe: its depth */
    uint32_t doorbell_stride;      /* NVMe: CAP.DSTRD, bytes between doorbells = 4 << dstrd */
    uint32_t max_transfer;         /* bytes per command the controller accepts */
    uint32_t extent_count;         /* runs in extents[] */
    uint32_t write_span;           /* bytes per write call that keep this controller busiest (a
                                      multiple of 4 KiB; the writer's range size), 0 = default */
    struct clone_extent extents[CLONE_MAX_EXTENTS]; /* the only sectors the clone may write */
};

/* Entry points (offsets in the image header); all return 0 or a negative ERR_* code, never
 * block without a time limit, never take a lock, never enable interrupts.
 * init: take the controller from whatever state it is in to a clean, polled state using
 *       only the state pages. write/read: `sectors` sectors at `lba` from/to physical memory at
 *       `phys` (contiguous); writes outside the extents fail with ERR_RANGE before any I/O.
 *       A write may still be in flight when it returns (both clones leave it running while
 *       the caller checksums the next range): the next call (write, read or flush) waits for
 *       it first and returns its error, so the caller must leave the source memory alone
 *       until then. Waiting is a spin on the TSC (clone_idle), never PAUSE or HLT.
 * flush: finish any write in flight, then make the written sectors durable.
 * flush_start: the same, but return once the flush has started (the writes in flight have
 *       finished first): poll says 1 until it is done, and a later flush waits for it. The
 *       writer checksums what is left beside it.
 * poll: never waits. Returns 1 while the next write would have to wait for work in flight
 *       (a write, or the flush of flush_start), 0 when it would not, or the error of a
 *       command that failed. The writer checksums while poll says 1, so that the disk never
 *       waits for a checksum. */
typedef int (*clone_init_fn)(void);
typedef int (*clone_io_fn)(uint64_t lba, uint64_t phys, uint64_t sectors);
typedef int (*clone_flush_fn)(void);
typedef int (*clone_poll_fn)(void);
typedef int (*clone_flush_start_fn)(void);
typedef const char *(*clone_log_fn)(void);

#endif
