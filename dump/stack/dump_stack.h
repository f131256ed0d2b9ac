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
#include "dump/stack/dump_clone.h"
#include "block/volume.h"

#define DUMP_SMALL_BYTES DUMP_SMALL_MAX   /* a minidump never exceeds this */

/* What the registry says (CrashControl and Memory Management); defaults are Windows'. */
struct dump_settings {
    uint32_t crash_dump_enabled;   /* DUMP_CONFIG_* (Windows' CrashDumpEnabled numbering) */
    char paging_file[64];          /* "C:\pagefile.sys" */
    uint64_t paging_file_mb;       /* 0: system-managed size */
    bool overwrite;                /* Overwrite: a new crash may replace an unrecovered dump */
    char dedicated_dump_file[64];  /* DedicatedDumpFile ("D:\DEDICATED.DMP"); "" = unset:
                                      when set, the dump goes there instead of the pagefile */
    uint64_t dump_file_size_mb;    /* DumpFileSize, MB; 0: system-managed for the dump type */
};

enum dump_arm_state {
    DUMP_OFF,        /* CrashDumpEnabled = 0 */
    DUMP_UNARMED,    /* configured but unusable: see `reason` */
    DUMP_ARMED,      /* a crash will be written */
    DUMP_RECOVERING, /* the target holds the dump smss is recovering: nothing is written
                        until dump_stack_rearm() */
};

struct dump_stack {
    enum dump_arm_state state;
    char reason[120];              /* why not armed, or a warning (e.g. fallback to small) */
    struct dump_settings settings;
    uint32_t planned_type;         /* what will be written: configured, or small on fallback */
    struct volume *volume;         /* volume holding the target */
    const struct disk *disk;       /* disk under it */
    char target[64];               /* "C:\pagefile.sys", or the dedicated dump file */
    bool dedicated;                /* target is DedicatedDumpFile (sized by DumpFileSize) */
    uint64_t target_bytes;         /* size of the target file */
    uint64_t needed_bytes;         /* size the configured dump type needs */
    bool holds_dump;               /* the target held an unrecovered dump at boot (kept) */
    uint64_t sequence;             /* sequence number the next dump gets */
    struct dump_clone clone;       /* the clone: dump_ahci or dump_nvme */
    uint32_t crc_clone;           /* CRC32C of the loaded clone image (incl. parameters
                                      and block map) */
    uint32_t crc_writer;           /* CRC32C of the dump writer's code */
    uint32_t crc_blockmap;         /* CRC32C of the extents alone (shown separately) */
    uint32_t crc_params;           /* CRC32C of the controller parameters alone */
    int selftest_rc;               /* boot-time write/read-back of one block: 0 = passed */
    uint64_t selftest_us;          /* how long it took */
};

/* Windows' defaults: automatic dump, system-managed C:\pagefile.sys, Overwrite on. */
void dump_settings_default(struct dump_settings *s);
/* The defaults, overridden by what the registry holds: CrashControl's CrashDumpEnabled,
 * Overwrite, DedicatedDumpFile and DumpFileSize, the first entry of Memory Management's
 * PagingFiles ("C:\pagefile.sys 0 0": path, then the initial size in MB, 0 =
 * system-managed). Unreadable values keep the default and are logged. */
void dump_settings_load(struct dump_settings *s);
/* Set up the target, load the clone, checksum, self-test. Always leaves a description in
 * dump_stack_get() (state + reason); returns 0 when armed, else the reason's error code.
 * From then on, while the stack is armed or the target holds a dump not yet recovered, the
 * target's volume refuses every change to the target file (write, truncate, delete, rename,
 * open for writing), and the renaming of the folders above it, with ERR_DUMP_TARGET, through
 * the FAT guard (fat_set_guard). The target
 * named by the settings is the one used until the next boot: dump_stack_rearm keeps it. */
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
/* The prepared stack (never NULL). */
const struct dump_stack *dump_stack_get(void);
/* Flip one byte of the loaded clone's image (through its writable direct-map alias),
 * so that the next bugcheck finds the checksum broken and writes nothing: `crash
 * corrupt-dump-stack`. Returns 0, or ERR_BAD_STATE when no clone is loaded. */
int dump_stack_damage_clone(void);
/* Bytes a dump of `type` needs on this machine (header included). */
uint64_t dump_bytes_needed(uint32_t type);

#endif
