/* The system-call interface between user programs and the kernel, shared by kernel/proc and
 * userland/libc: numbers, argument conventions and the structures the calls fill in.
 *
 * Calling convention (the `syscall` instruction): number in rax, arguments in rdi, rsi, rdx,
 * r10, r8, r9; the result comes back in rax: >= 0 on success, a negative ERR_* code from
 * kernel/err.h on failure. rcx and r11 are clobbered; every other register is preserved.
 * Every pointer is a user address; a pointer or length that is not wholly inside the user
 * half, not mapped, not user-accessible (or not writable, for an output) gives ERR_ACCESS,
 * never a fault. Strings are NUL-terminated and at most SYS_PATH_MAX bytes with the NUL
 * (ERR_TOO_BIG beyond). Paths name a volume as "C:\dir\file" (no drive means C:). */
#ifndef BB_PROC_SYSCALL_TABLE_H
#define BB_PROC_SYSCALL_TABLE_H

#include <stdint.h>

/* number                    arguments                                  returns            */
#define SYS_EXIT          0  /* (int code)                                 never returns      */
#define SYS_GETPID        1  /* ()                                         pid (> 0)          */
#define SYS_TIME          2  /* (struct sys_time *out)                     0                  */
#define SYS_OPEN          3  /* (const char *path, unsigned flags)         fd                 */
#define SYS_CLOSE         4  /* (int fd)                                   0                  */
#define SYS_READ          5  /* (int fd, void *buf, size_t len)            bytes read, 0 = end*/
#define SYS_WRITE         6  /* (int fd, const void *buf, size_t len)      bytes written      */
#define SYS_SEEK          7  /* (int fd, int64_t off, int whence)          new position       */
#define SYS_STAT          8  /* (const char *path, struct sys_stat *out)   0                  */
#define SYS_UNLINK        9  /* (const char *path)                         0                  */
#define SYS_RENAME       10  /* (const char *from, const char *to)         0 (same volume)    */
#define SYS_MKDIR        11  /* (const char *path)                         0                  */
#define SYS_RMDIR        12  /* (const char *path)                         0                  */
#define SYS_OPENDIR      13  /* (const char *path)                         fd (close it)      */
#define SYS_READDIR      14  /* (int fd, struct sys_dirent *out)           1, 0 at the end    */
#define SYS_REG_GET_DWORD 15 /* (const char *key, const char *name, uint32_t *out)  0         */
#define SYS_REG_SET_DWORD 16 /* (const char *key, const char *name, uint32_t value) 0         */
#define SYS_REG_GET_SZ   17  /* (const char *key, const char *name, char *buf, size_t cap) 0  */
#define SYS_REG_SET_SZ   18  /* (const char *key, const char *name, const char *value) 0      */
#define SYS_REG_DELETE   19  /* (const char *key, const char *name)        0                  */
#define SYS_REG_VOLATILE 20  /* (const char *key): create a volatile key   0                  */
#define SYS_EVENT_WRITE  21  /* (const char *source, uint32_t event_id, uint32_t level,
                                 const char *message): append to the system event log    0 */
#define SYS_COM2_WRITE   22  /* (const void *buf, size_t len)              bytes sent         */
#define SYS_COM2_READ    23  /* (void *buf, size_t len, uint32_t timeout_ms) bytes, 0 = none */
/* SYS_COM2_*: the crash-report channel (console/com2.h). A write never hangs (a stalled UART
 * gives fewer bytes, or ERR_TIMED_OUT); a read waits at most timeout_ms (capped at 10 s) for
 * a first byte. ERR_NOT_FOUND: the machine has no COM2. */
#define SYS_VOLINFO      24  /* (const char *path, struct sys_volinfo *out): the volume   0  */
#define SYS_DUMP_QUERY   25  /* (struct sys_dump_info *out): the crash-dump stack        0  */
#define SYS_DUMP_CONTROL 26  /* (unsigned op): SYS_DUMP_PROTECT, _REARM, _PART_KEEP/_FREE 0 */
#define SYS_FTRUNCATE    27  /* (int fd, uint64_t size): file open for writing          0  */
#define SYS_REG_DELETE_KEY 28 /* (const char *key): with its values and subkeys          0  */
#define SYS_CLOCK        29  /* (): nanoseconds since boot (monotonic)                  ns */
#define SYS_CRASH        30  /* (unsigned kind): stop the machine on purpose   see below  */
#define SYS_COUNT        31

/* SYS_CRASH kinds (`notmyfault`): the kernel fails inside the call in the chosen way and
 * bugchecks. Refused with ERR_ACCESS unless CrashControl AllowUserCrash (REG_DWORD) is 1;
 * ERR_INVALID_ARGS for an unknown kind. Only SYS_CRASH_IRQ returns (0): the bugcheck comes
 * from the next timer interrupt, taken while the program runs in ring 3. */
#define SYS_CRASH_NULL   1u  /* kernel NULL read -> 0x50 PAGE_FAULT_IN_NONPAGED_AREA */
#define SYS_CRASH_IRQ    2u  /* 0xE2 MANUALLY_INITIATED_CRASH from the timer interrupt */
#define SYS_CRASH_STACK  3u  /* kernel stack overflow -> double fault -> 0x7F (8) */
#define SYS_CRASH_HANG   4u  /* spin with interrupts off: only an NMI gets out (0x80) */
#define SYS_CRASH_HEAP   5u  /* a heap block's header overwritten, then freed -> 0x19
                                BAD_POOL_HEADER (p2 = the block) */
#define SYS_CRASH_ASSERT 6u  /* failed kernel assertion -> 0x1E KMODE_EXCEPTION_NOT_HANDLED */
#define SYS_CRASH_FAT    7u  /* 0xE2 inside the FAT layer half-way through extending a file
                                on C: (kernel/fs/fat_crash.h); returns the error if it could
                                not get there */

/* SYS_EVENT_WRITE: level 1 critical, 2 error, 3 warning, 4 information (Windows' numbers);
 * source 1..31 characters of [A-Za-z0-9 ._-] (ERR_TOO_BIG beyond); message at most
 * SYS_EVENT_MESSAGE_MAX bytes with the NUL, printable ASCII or tab (ERR_TOO_BIG beyond);
 * anything else is ERR_INVALID_ARGS. The record is durable on C:\EVENTS\SYSTEM.EVT when
 * the call returns 0. */
#define SYS_EVENT_SOURCE_MAX  32
#define SYS_EVENT_MESSAGE_MAX 448
#define SYS_EVENT_CRITICAL    1   /* levels */
#define SYS_EVENT_ERROR       2
#define SYS_EVENT_WARNING     3
#define SYS_EVENT_INFORMATION 4

/* File descriptors 1 and 2 are the console (write only) in every process; files and
 * directories get 3 and up. At most SYS_FD_MAX descriptors per process. */
#define SYS_FD_CONSOLE_OUT 1
#define SYS_FD_CONSOLE_ERR 2
#define SYS_FD_MAX        16
#define SYS_PATH_MAX     260   /* bytes, with the NUL */
#define SYS_IO_MAX  (1u << 20) /* largest read/write per call; longer ones are shortened */

/* A dump partition (kernel/block/volume.h) as a path: "\\.\nvme0n1p2", Windows' device
 * namespace. open (SYS_O_READ only: ERR_ACCESS otherwise), stat, read, seek and close treat
 * it as a read-only file of the partition's size; nothing else takes such a path, and only
 * the dump stack writes a dump partition (SYS_DUMP_CONTROL). */
#define SYS_DUMPPART_PREFIX "\\\\.\\"

/* SYS_OPEN flags. Without SYS_O_CREATE a missing file is ERR_NOT_FOUND. */
#define SYS_O_READ    0x1u     /* reading allowed */
#define SYS_O_WRITE   0x2u     /* writing allowed; the volume is flushed at close */
#define SYS_O_CREATE  0x4u     /* create the file if missing (needs SYS_O_WRITE) */
#define SYS_O_TRUNC   0x8u     /* empty an existing file (needs SYS_O_WRITE) */
#define SYS_O_APPEND  0x10u    /* every write goes to the end of the file */

/* SYS_SEEK whence. */
#define SYS_SEEK_SET 0
#define SYS_SEEK_CUR 1
#define SYS_SEEK_END 2

/* Wall-clock time from the RTC. */
struct sys_time {
    uint16_t year;      /* e.g. 2026 */
    uint8_t month;      /* 1..12 */
    uint8_t day;        /* 1..31 */
    uint8_t hour, minute, second;
    uint8_t reserved;
};

#define SYS_ATTR_DIR 0x10u     /* sys_stat/sys_dirent attr: a directory (FAT attribute bits) */

struct sys_stat {
    uint64_t size;      /* bytes; 0 for a directory */
    uint32_t attr;      /* FAT attribute bits (SYS_ATTR_DIR ...) */
    uint16_t mdate;     /* FAT date of the last change: (year-1980)<<9 | month<<5 | day */
    uint16_t mtime;     /* FAT time: hour<<11 | min<<5 | sec/2 */
};

struct sys_dirent {
    char name[256];     /* long name, NUL-terminated */
    uint64_t size;
    uint32_t attr;
    uint32_t reserved;
};

/* Size and free space of the volume holding a path ("D:\" or any path on it). */
struct sys_volinfo {
    uint64_t total_bytes;   /* data clusters x cluster size */
    uint64_t free_bytes;    /* free clusters x cluster size */
    uint32_t sector_size;   /* bytes */
    uint32_t cluster_size;  /* bytes */
    char letter;            /* 'C' */
    char label[15];         /* volume label, NUL-terminated ("" if none) */
};

/* SYS_DUMP_QUERY: the dump stack as prepared at boot (what `dumpcfg` shows). */
#define SYS_DUMP_STATE_OFF        0   /* CrashDumpEnabled = 0 */
#define SYS_DUMP_STATE_UNARMED    1   /* configured but unusable: see reason */
#define SYS_DUMP_STATE_ARMED      2   /* a crash will be written to target */
#define SYS_DUMP_STATE_RECOVERING 3   /* target's dump is being recovered: nothing written */
#define SYS_DUMP_HOLDS_DUMP  0x1u     /* flags: target held a valid, unrecovered dump at boot */
#define SYS_DUMP_DEDICATED   0x2u     /* flags: target is the DedicatedDumpFile */
#define SYS_DUMP_OVERWRITE   0x4u     /* flags: CrashControl Overwrite = 1 */
#define SYS_DUMP_PARTITION   0x8u     /* flags: target is a dump partition, named in target */
struct sys_dump_info {
    uint32_t state;           /* SYS_DUMP_STATE_* */
    uint32_t flags;           /* SYS_DUMP_* */
    uint32_t configured_type; /* CrashDumpEnabled */
    uint32_t planned_type;    /* what a crash would write (small on fallback) */
    uint64_t sequence;        /* sequence number the next dump gets */
    uint64_t target_bytes;    /* size of the target file or partition */
    char target[64];          /* "C:\pagefile.sys", the dedicated dump file, or the dump
                                 partition ("nvme0n1p2") */
    char reason[120];         /* why not armed, or a note */
};

/* SYS_DUMP_CONTROL operations. */
#define SYS_DUMP_PROTECT 1u   /* smss starts recovering the target's dump: stop writing into
                                 it (ERR_BAD_STATE if it held no dump at boot) */
#define SYS_DUMP_REARM   2u   /* prepare a fresh target and arm the stack on it; returns the
                                 stack's error when it cannot be armed */
#define SYS_DUMP_PART_KEEP   3u /* the dump in the target dump partition stays there as the
                                   recovered dump: marked CLEARED there, the stack re-armed
                                   (ERR_BAD_STATE if the target is no partition with a dump) */
#define SYS_DUMP_PART_FREE   4u /* it was copied to a file and checked, or proven invalid: the
                                   partition's header is made a stub (no dump), re-armed */

#endif
