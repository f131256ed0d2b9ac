/* werfault's steps, called by werfault.c in order: the minidump and MinidumpsCount
 * (werfault_mini.c), the crash report (werfault_report.c) and the retention policy for
 * MEMORY.DMP (werfault_keep.c). What they share is in werfault_util.h. */
#ifndef BB_WERFAULT_H
#define BB_WERFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "werfault_util.h"

/* Write the minidump of the crash (converted from the dump at `from`) into MinidumpDir as
 * MMDDYY-NNNNN-NN.dmp (a small dump is copied as it is); a minidump of this crash already
 * there (a run cut short) is rewritten under its name. buf (cap bytes, CRASH_SCRATCH_BYTES)
 * is the scratch for reading and copying dumps and holds the source's header and bitmap
 * while it is converted. Fills c->minidump. 0 or ERR_* (ERR_TOO_BIG: a source whose
 * header and bitmap do not fit buf, with a note saying how much they need). */
int wer_write_minidump(struct crash *c, const char *from, uint8_t *buf, size_t cap);
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
