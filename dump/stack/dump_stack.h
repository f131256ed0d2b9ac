/* The crash-dump stack as prepared at boot, after the volumes and the registry: which file
 * receives the dump, its sector runs on which disk, the clone (the polled copy of its disk's
 * driver) that will write it, the checksums that must still hold at bugcheck time, and the
 * boot-time self-test. The writer (dump_writer.h) uses what this prepared; `dumpcfg` shows it.
 * dump_boot.c runs it as a boot step and hands the bugcheck its dumper. */
#ifndef BB_DUMP_STACK_H
#define BB_DUMP_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include "dump/dump_format.h"
#include "lib/reg/crash_control.h"
#include "dump/stack/dump_clone.h"
#include "block/volume.h"

#define DUMP_SMALL_BYTES DUMP_SMALL_MAX   /* a minidump never exceeds this */
#define DUMP_FILE_MAX ((uint64_t)CC_FILE_MB_MAX << 20)   /* the largest file target, bytes */
#define DUMP_HEADROOM_BYTES (32ull << 20) /* a kernel dump target's headroom: this plus a
                                             quarter of the kernel memory it holds now */
#define DEADMAN_BASE_S 60u                /* the dead-man's limit: this long, plus ... */
#define DEADMAN_MIB_PER_S 16u             /* ... 1 s per this many MiB of the planned dump */

/* What the registry says (CrashControl and Memory Management); defaults are Windows'. */
struct dump_settings {
    uint32_t crash_dump_enabled;   /* DUMP_CONFIG_* (Windows' CrashDumpEnabled numbering) */
    char paging_file[64];          /* "C:\pagefile.sys" */
    uint64_t paging_file_mb;       /* 0: system-managed size */
    bool overwrite;                /* Overwrite: a new crash may replace an unrecovered dump */
    char dedicated_dump_file[64];  /* DedicatedDumpFile ("D:\DEDICATED.DMP"); "" = unset:
                                      when set, the dump goes there instead of the pagefile */
    uint64_t dump_file_size_mb;    /* DumpFileSize, MB; 0: system-managed for the dump type */
    bool last_crash_time;          /* CrashControl\LastCrashTime is present: an automatic
                                      dump fell back for want of space at a crash */
    char warning[120];             /* a value out of range and what was used instead, or "" */
    char dump_partition[24];       /* DumpPartition ("nvme0n1p2"); "" = unset: the first dump
                                      partition that fits, when the file target does not */
    uint32_t dump_timeout_s;       /* DumpTimeout, s; 0: the dead-man's rule (time_limit_ms) */
};

enum dump_arm_state {
    DUMP_OFF,        /* CrashDumpEnabled = 0 */
    DUMP_UNARMED,    /* configured but unusable: see `reason` */
    DUMP_ARMED,      /* a crash will be written */
    DUMP_RECOVERING, /* the target holds the dump smss is recovering: nothing is written
                        until dump_stack_rearm() */
};

/* The parts the crash path trusts, each CRC32C-checked at boot and again at bugcheck before
 * anything is written, in this order; a mismatch writes no dump and names the part. */
enum dump_checked_part {
    DUMP_PART_PARAMS,    /* the clone's controller parameters (inside its image) */
    DUMP_PART_BLOCKMAP,  /* the target's sector runs (inside the clone's parameters) */
    DUMP_PART_CLONE,     /* the whole loaded clone image: code, parameters, block map */
    DUMP_PART_WRITER,    /* the dump writer's code (.text.dumpwriter) */
    DUMP_PART_HELPERS,   /* the code it calls: crc32c, memcpy, the blue screen, pfn_*,
                            paging_virt_to_phys, rtc_read ... (linker.ld's crash helpers) */
    DUMP_PART_TABLES,    /* the kernel's read-only data (CRC tables, strings), the IDT (and
                            where IDTR points) and the GDT's code and data descriptors */
    DUMP_PART_STATE,     /* struct dump_stack (below, up to crc: no field may change while
                            armed but through dump_stack_init) and the writer's work-area
                            layout (its offsets and CRC function) */
    DUMP_PARTS
};

struct dump_stack {
    enum dump_arm_state state;
    char reason[120];              /* why not armed, or why the fallback chain went past
                                      the configured type */
    char kept[120];                /* a target kept at its old size, and why, or "" */
    struct dump_settings settings;
    uint32_t planned_type;         /* what will be written: the configured type, or the
                                      kernel or small dump the chain fell back to */
    uint32_t fallback;             /* DUMP_FALLBACK_* the header records for planned_type */
    const char *target_kind;       /* the chain's target kind that armed ("file", "partition") */
    bool grown;                    /* sized for all of RAM after a fallback (LastCrashTime) */
    struct volume *volume;         /* volume holding the target file; NULL for a partition */
    const struct dump_part *partition; /* the target is this dump partition; NULL: a file */
    const struct disk *disk;       /* disk under it */
    char target[64];               /* "C:\pagefile.sys", the dedicated dump file, or the dump
                                      partition's name ("nvme0n1p2") */
    bool dedicated;                /* target is DedicatedDumpFile (sized by DumpFileSize) */
    uint64_t target_bytes;         /* size of the target file or partition */
    uint64_t needed_bytes;         /* size the planned dump type needs */
    uint64_t kernel_bytes;         /* dump_kernel_memory() when the stack was armed */
    bool holds_dump;               /* the target held an unrecovered dump at boot (kept) */
    bool kept_dump;                /* the target, a dump partition, holds a dump the recovery
                                      left there (valid, marked recovered): Overwrite decides */
    uint64_t sequence;             /* sequence number the next dump gets */
    struct dump_clone clone;       /* the clone: dump_ahci or dump_nvme */
    uint64_t time_limit_ms;        /* the dead-man's limit on a whole dump: DumpTimeout, or
                                      DEADMAN_BASE_S + 1 s per DEADMAN_MIB_PER_S MiB the
                                      planned dump may write (the target, or a minidump) */
    int selftest_rc;               /* boot-time write/read-back of one block: 0 = passed */
    uint64_t selftest_us;          /* how long it took */
    uint32_t crc[DUMP_PARTS];      /* CRC32C of each part, taken when armed (last: the
                                      state part covers every field above) */
};

/* Windows' defaults: automatic dump, system-managed C:\pagefile.sys, Overwrite on. */
void dump_settings_default(struct dump_settings *s);
/* The defaults, overridden by what the registry holds: CrashControl's CrashDumpEnabled,
 * Overwrite, DedicatedDumpFile, DumpFileSize and DumpPartition, the first entry of Memory Management's
 * PagingFiles ("C:\pagefile.sys 0 0": path, then the initial size in MB, 0 =
 * system-managed). Unreadable values keep the default and are logged. */
void dump_settings_load(struct dump_settings *s);
/* Set up the target, load the clone, checksum, self-test. The target is DumpPartition when
 * set; else the dedicated file or the pagefile, unless a complete or kernel dump does not fit
 * it and a dump partition holds it (dump_partition.h). Always leaves a description in
 * dump_stack_get() (state + reason); returns 0 when armed, else the reason's error code. From then on,
 * while the stack is armed or the target holds a dump not yet recovered, the target's volume
 * refuses every change to the target file (write, truncate, delete, rename, open for
 * writing), and the renaming of the folders above it, with ERR_DUMP_TARGET, through the FAT
 * guard (fat_set_guard). The target named by the settings is the one used until the next
 * boot: dump_stack_rearm keeps it. */
int dump_stack_init(const struct dump_settings *s);
/* smss has started recovering the dump the target holds (the file is about to be renamed
 * and truncated, so its block map must no longer be written): the stack stops writing
 * until dump_stack_rearm() and hands the file over (its guard lets it be changed). 0, or
 * ERR_BAD_STATE when the target held no dump at boot. Process context. */
int dump_stack_protect(void);
/* Prepare the target again with the settings of the last dump_stack_init (a fresh pagefile
 * after smss renamed the old one away), give the loaded clone the new block map, checksum and
 * self-test again. The sequence number carries on. Same returns as dump_stack_init. */
int dump_stack_rearm(void);
/* The recovery is done with the dump in the dump partition that is the target (held at boot,
 * state RECOVERING or re-armed on it): `kept` = it stays there as the recovered dump (its
 * header marked CLEARED in place, one sector); else it was copied to a file (or proven
 * invalid) and the header is replaced by a stub that is no dump. Then re-armed as
 * dump_stack_rearm. 0, ERR_BAD_STATE
 * (the target is no dump partition holding a dump), the disk's error, or the re-arm's.
 * Process context. */
int dump_stack_release_partition(bool kept);
/* The prepared stack (never NULL). */
const struct dump_stack *dump_stack_get(void);
/* `crash corrupt-dump-stack [PART]`: damage one part on purpose (PART is a name from
 * dump_part_name(); NULL = "clone"), so that the next bugcheck finds its checksum broken,
 * writes nothing and names it. Code and parameters are changed through their writable
 * direct-map alias. Returns 0, ERR_INVALID_ARGS (unknown part) or ERR_BAD_STATE (no
 * clone loaded). */
int dump_stack_damage(const char *part);
/* The short name of a part ("params", "blockmap", "clone", "writer", "helper", "tables",
 * "state"), or NULL past the last one. */
const char *dump_part_name(unsigned part);
/* Bytes a dump of `type` (DUMP_CONFIG_*) needs on this machine now, header included:
 * complete = RAM + 1 MiB; kernel and automatic = the memory a kernel dump holds now
 * (dump_kernel_memory), its bitmap and CRC table, plus dump_kernel_headroom(); small =
 * DUMP_SMALL_BYTES. Saturates at UINT64_MAX instead of wrapping. */
uint64_t dump_bytes_needed(uint32_t type);
/* Bytes of the pages a kernel dump would hold now: kernel image, klog area, PFN database,
 * heap, kernel stacks (PFN_KERNEL), page tables, DMA buffers. Scans the PFN database. */
uint64_t dump_kernel_memory(void);
/* The headroom a kernel dump target gets for the kernel's growth after boot, for a kernel
 * of `kernel_bytes` (dump_kernel_memory). */
uint64_t dump_kernel_headroom(uint64_t kernel_bytes);

#endif
