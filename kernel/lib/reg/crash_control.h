/* CrashControl and Memory Management's PagingFiles as Windows names them, with Windows'
 * defaults, %SystemRoot% expansion and the PagingFiles parse: the one reader behind the
 * kernel's dump stack (its registry), smss and werfault (registry system calls), bbdump
 * extract (a hive read offline) and the defaults every hive is given (lib/reg). Each reader
 * hands in only how it fetches a value. Portable: no allocation, no global state. */
#ifndef BB_REG_CRASH_CONTROL_H
#define BB_REG_CRASH_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/reg/reg.h"

/* The keys. CrashControl itself is REG_CRASHCONTROL (lib/reg/reg.h); MachineCrash is the
 * volatile key smss creates for the dump it is recovering. */
#define CC_KEY_MACHINECRASH      REG_CRASHCONTROL "\\MachineCrash"
/* MachineCrash's values: smss writes the first two, werfault the last. */
#define CC_MC_DUMP_FILE          "DumpFile"          /* REG_SZ: where the dump is now */
#define CC_MC_TEMP_DESTINATION   "TempDestination"   /* REG_DWORD: 1 = a DUMPxxxx.TMP to move */
#define CC_MC_FINAL_LOCATION     "FinalDumpFileLocation" /* REG_SZ: where werfault put it */
#define CC_KEY_MEMORY_MANAGEMENT REG_HKLM "\\SYSTEM\\CurrentControlSet\\Control\\Session Manager" \
                                 "\\Memory Management"

#define CC_SYSTEMROOT "C:"     /* what %SystemRoot% expands to: the root of C: */

/* CrashDumpEnabled's values, Windows' numbering (a dump records the one it was written
 * under: dump_format.h's bb.config_type). */
#define DUMP_CONFIG_NONE      0u   /* no dump */
#define DUMP_CONFIG_COMPLETE  1u   /* complete memory dump */
#define DUMP_CONFIG_KERNEL    2u   /* kernel memory dump */
#define DUMP_CONFIG_SMALL     3u   /* small memory dump (minidump) */
#define DUMP_CONFIG_AUTOMATIC 7u   /* automatic: kernel content, the default */

/* The values, in the order a new hive gets them. */
enum cc_value {
    CC_CRASH_DUMP_ENABLED,       /* REG_DWORD 7 (automatic; DUMP_CONFIG_* numbering) */
    CC_AUTO_REBOOT,              /* REG_DWORD 1 */
    CC_LOG_EVENT,                /* REG_DWORD 1 */
    CC_OVERWRITE,                /* REG_DWORD 1: a new dump may replace MEMORY.DMP */
    CC_MINIDUMPS_COUNT,          /* REG_DWORD 50: minidumps kept */
    CC_DUMP_FILE,                /* REG_EXPAND_SZ %SystemRoot%\MEMORY.DMP */
    CC_MINIDUMP_DIR,             /* REG_EXPAND_SZ %SystemRoot%\Minidump */
    CC_ALWAYS_KEEP_MEMORY_DUMP,  /* REG_DWORD 0 */
    CC_PAGING_FILES,             /* Memory Management, REG_MULTI_SZ "C:\pagefile.sys 0 0" */
    CC_DEDICATED_DUMP_FILE,      /* REG_SZ, not in a new hive: "" = none */
    CC_DUMP_FILE_SIZE,           /* REG_DWORD MB, not in a new hive: 0 = system-managed */
    CC_LAST_CRASH_TIME,          /* REG_QWORD, not in a new hive: Windows 8's name. The time
                                    (FILETIME, 0 if the clock was unknown) of the last crash
                                    whose automatic dump fell back for want of space; the
                                    kernel sets it at the next boot, and while it is present a
                                    system-managed automatic target is sized for all of RAM
                                    (up to CC_FILE_MB_MAX). Delete it to return to the
                                    smaller size. */
    CC_DUMP_PARTITION,           /* REG_SZ, not in a new hive: a dump partition as the kernel
                                    names it ("nvme0n1p2"); "" = the first that fits, only
                                    when the dump does not fit the file target */
    CC_DUMP_TIMEOUT,             /* REG_DWORD s, Blackbox's, not in a new hive: the dead-man's
                                    limit on a whole dump; 0 = its rule (README) */
    CC_ALLOW_USER_CRASH,         /* REG_DWORD, not in a new hive: 1 lets a program crash the
                                    machine on purpose (SYS_CRASH, `notmyfault`); 0 = refused */
    CC_VALUES
};

/* A value: where it lives and its default. */
struct cc_setting {
    const char *key;
    const char *name;
    uint32_t type;         /* REG_DWORD, REG_SZ, REG_EXPAND_SZ or REG_MULTI_SZ */
    uint32_t dword;        /* the default of a REG_DWORD */
    const char *text;      /* the default of a string; a REG_MULTI_SZ's one string */
    bool in_hive;          /* a new hive is given it (reg_defaults_apply) */
};
extern const struct cc_setting cc_settings[CC_VALUES];

/* How a reader fetches a value: its type (REG_*) into *type and its data, in lib/reg's forms
 * (a string with its NUL), into buf (cap bytes), *len = the data's bytes. `want` is what the
 * core expects: REG_DWORD, REG_SZ (either string type) or REG_MULTI_SZ. Returns 0,
 * ERR_NOT_FOUND (no such key or value), ERR_TOO_BIG (more than cap bytes) or another ERR_*. */
struct cc_source {
    int (*get)(void *ctx, const char *key, const char *name, uint32_t want, uint32_t *type,
               void *buf, size_t cap, size_t *len);
    void *ctx;
};

/* The getter for a lib/reg tree (ctx: the struct reg_tree *): the value as it is stored,
 * whatever `want`. reg_key_open's errors for the key; ERR_NOT_FOUND, ERR_TOO_BIG. */
int cc_tree_get(void *ctx, const char *key, const char *name, uint32_t want, uint32_t *type,
                void *buf, size_t cap, size_t *len);

/* `in` into out (cap bytes, NUL-terminated): a REG_EXPAND_SZ with every %SystemRoot% (any
 * case) replaced by CC_SYSTEMROOT, any other type copied as it is; other %VARS% stay. out may
 * be in itself. 0, or ERR_TOO_BIG when cap is short (out is then "" if cap > 0). */
int cc_expand(uint32_t type, const char *in, char *out, size_t cap);

/* The REG_DWORD `v` into *out: 0. Otherwise *out is the default and the return says why:
 * ERR_NOT_FOUND (absent), ERR_BAD_STATE (another type) or the getter's error. */
int cc_get_dword(const struct cc_source *src, enum cc_value v, uint32_t *out);
/* The string `v` into out (cap bytes, NUL-terminated), through cc_expand: 0. Otherwise out
 * holds the default, expanded likewise, and the return says why: ERR_NOT_FOUND,
 * ERR_BAD_STATE (another type, or data without its NUL), ERR_TOO_BIG (longer than cap) or
 * the getter's error; out is "" when even the default does not fit. */
int cc_get_string(const struct cc_source *src, enum cc_value v, char *out, size_t cap);

/* The largest PagingFiles initial size or DumpFileSize, in MB: a FAT32 file holds at most
 * 4 GiB - 1 bytes, so 4095 MB (0 = system-managed). */
#define CC_FILE_MB_MAX 4095u
/* `mb` as a PagingFiles initial size or DumpFileSize: 0 when 0..CC_FILE_MB_MAX, else
 * ERR_RANGE. */
int cc_file_mb_check(uint64_t mb);

/* The REG_QWORD `v` into *out: 0. Otherwise *out is 0 and the return says why, as
 * cc_get_dword. */
int cc_get_qword(const struct cc_source *src, enum cc_value v, uint64_t *out);

#define CC_PAGING_FILES_BYTES 512u   /* the most of PagingFiles cc_get_paging_file reads */

/* One PagingFiles string "C:\pagefile.sys 0 0": the path up to the first blank into path
 * (cap bytes), then optionally the initial and the maximum size in MB (0 = system-managed;
 * at most UINT32_MAX), separated by blanks. initial_mb / max_mb may be NULL; a missing size
 * is 0. 0, ERR_INVALID_ARGS (no path, a size that is not a number, anything more),
 * ERR_RANGE (a size too large), ERR_TOO_BIG (the path does not fit). Outputs are written only
 * on success. */
int cc_paging_parse(const char *entry, char *path, size_t cap, uint64_t *initial_mb,
                    uint64_t *max_mb);
/* Entry `index` (from 0) of PagingFiles, parsed (no expansion: it is a REG_MULTI_SZ): 0.
 * Otherwise path and *initial_mb hold the default ("C:\pagefile.sys", 0) and the return says
 * why: ERR_NOT_FOUND (absent, or no entry `index`), ERR_BAD_STATE (another type),
 * ERR_TOO_BIG (over CC_PAGING_FILES_BYTES), cc_paging_parse's error or the getter's. */
int cc_get_paging_file(const struct cc_source *src, unsigned index, char *path, size_t cap,
                       uint64_t *initial_mb);

#endif
