/* What werfault's steps share (werfault_util.c): the crash being handled, console notes,
 * events of source BugCheck, copying a dump, and telling whether a file holds this crash's
 * dump. The steps (werfault_keep.c, werfault_mini.c, werfault_report.c) and werfault.c call
 * these; this file calls none of them. Every dump read goes through the caller's buffer. */
#ifndef BB_WERFAULT_UTIL_H
#define BB_WERFAULT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bb.h"

struct crash {
    char src[SYS_PATH_MAX];       /* MachineCrash DumpFile: where the dump is now */
    uint32_t temp;                /* TempDestination */
    bool in_partition;            /* src is a dump partition ("\\.\nvme0n1p2"): copied to
                                     final when a file there can hold it, else left in it */
    char final[SYS_PATH_MAX];     /* CrashControl DumpFile, expanded */
    bool overwrite;
    uint64_t seq, total;          /* the dump's sequence number and size */
    uint32_t code;                /* bugcheck code and parameters, from the header */
    uint64_t param[4];
    char saved[SYS_PATH_MAX];     /* FinalDumpFileLocation, "" when not saved */
    char why_not[SYS_PATH_MAX + 160]; /* why not saved (or why deleted) */
    bool retry;                   /* not saved, but kept where it is (src) for the next boot */
    char minidump[SYS_PATH_MAX];  /* the minidump written, "" if none */
    struct sys_time now;          /* RTC at start */
};

/* "werfault: " and the message, one line on the console. */
void wer_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An event of source BugCheck in the system event log (a failure is only noted). */
void wer_event(uint32_t id, uint32_t level, const char *msg);

/* Copy the dump's first `total` bytes from src to dst (created or emptied): the data first,
 * the header last, then the copy is checked completely (crash_verify). buf (cap bytes, at
 * least SYS_IO_MAX; CRASH_SCRATCH_BYTES for the check) is the scratch. 0 or ERR_*. */
int wer_copy_dump(const char *src, const char *dst, uint64_t total, uint8_t *buf, size_t cap);
/* Whether `path` holds a valid dump (header and prefix, no data CRCs) with sequence number
 * seq, read through buf (cap bytes). */
bool wer_holds_dump(const char *path, uint64_t seq, uint8_t *buf, size_t cap);

#endif
