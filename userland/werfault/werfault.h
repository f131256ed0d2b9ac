/* werfault's pieces: the crash being handled, and the steps in werfault_mini.c (minidump and
 * MinidumpsCount) and werfault_keep.c (the retention policy for MEMORY.DMP). */
#ifndef BB_WERFAULT_H
#define BB_WERFAULT_H

#include <stdbool.h>
#include <stdint.h>
#include "bb.h"

struct crash {
    char src[SYS_PATH_MAX];       /* MachineCrash DumpFile: where the dump is now */
    uint32_t temp;                /* TempDestination */
    char final[SYS_PATH_MAX];     /* CrashControl DumpFile, expanded */
    bool overwrite;
    uint64_t seq, total;          /* the dump's sequence number and size */
    uint32_t code;                /* bugcheck code and parameters, from the header */
    uint64_t param[4];
    char saved[SYS_PATH_MAX];     /* FinalDumpFileLocation, "" when not saved */
    char why_not[120];            /* why not saved (or why deleted) */
    char minidump[SYS_PATH_MAX];  /* the minidump written, "" if none */
    struct sys_time now;          /* RTC at start */
};

void wer_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An event of source BugCheck in the system event log (a failure is only noted). */
void wer_event(uint32_t id, uint32_t level, const char *msg);

/* Copy the dump's first `total` bytes from src to dst (created or emptied): the data first,
 * the header last, then the copy is checked completely. 0 or ERR_*. */
int wer_copy_dump(const char *src, const char *dst, uint64_t total);
/* Write the minidump of the crash (converted from the dump at `from`) into MinidumpDir as
 * MMDDYY-NNNNN-NN.dmp (a small dump is copied as it is); a minidump of this crash already there (a run cut short) is
 * rewritten under its name. Fills c->minidump. 0 or ERR_*. */
int wer_write_minidump(struct crash *c, const char *from);
/* Delete the oldest minidumps beyond MinidumpsCount (default 50). Returns how many. */
int wer_prune_minidumps(const struct crash *c);

/* Step 1 of the retention algorithm, "report the fault": a report of the crash (its minidump)
 * queued in C:\REPORTS\QUEUE\ for wersend. 0 or ERR_*. */
int wer_queue_report(struct crash *c);
/* The retention decision for the saved dump c->saved, after the fault report step (`reported`:
 * it ran; `report_ok`: it queued the report). Deletes the dump when the policy says so.
 * Returns 0 (kept), 1 (deleted; c->why_not says why), or ERR_*; *rule = the deciding rule. */
int wer_keep_or_delete(struct crash *c, bool reported, bool report_ok, unsigned *rule);

#endif
