/* The kernel's system event log service: records appended to C:\EVENTS\SYSTEM.EVT through
 * the portable core (lib/evlog), for the kernel itself, the shell's `eventlog` command and
 * the SYS_EVENT_WRITE system call. The file is created (preallocated, EVLOG_FAT_BYTES) on
 * the first use. Call only after volume_mount_all(); not safe at bugcheck time; callers are
 * serialized (one CPU, processes run to completion). Failures are returned and klogged,
 * never fatal. */
#ifndef BB_EVENTLOG_EVENTLOG_H
#define BB_EVENTLOG_EVENTLOG_H

#include <stdint.h>
#include "lib/evlog/evlog.h"

/* Append one record stamped with the RTC's time, durable (the disk's cache flushed) when
 * this returns 0. level: EVLOG_CRITICAL..EVLOG_INFORMATION;
 * source: 1..31 characters of [A-Za-z0-9 ._-]; message: at most EVLOG_MESSAGE_MAX - 1
 * printable characters. 0, ERR_INVALID_ARGS / ERR_TOO_BIG for bad arguments, or why C:'s
 * log could not be opened or written (ERR_NOT_FOUND when C: is not mounted, ERR_IO...). */
int evlog_write(const char *source, uint32_t event_id, uint32_t level, const char *message);

/* Walking the last records, oldest first. */
struct evlog_iter {
    uint64_t next;     /* sequence number to read next */
    uint64_t end;      /* one past the last */
    uint32_t skipped;  /* records the log holds but leaves out (evlog's `skipped`) */
};
/* Start at the n-th newest valid record. 0 or the open's error. */
int evlog_iter_last(struct evlog_iter *it, uint32_t n);
/* 1 with *out filled, 0 at the end, or an I/O error. Records missing from the ring (torn
 * or overwritten meanwhile) are skipped. */
int evlog_iter_next(struct evlog_iter *it, struct evlog_record *out);

/* Log event 12 (Kernel-General, Information: "The operating system started at system time
 * ..."), as Windows does at every boot. Written without a cache flush (the boot path does
 * not wait for one): durable at the disk's next flush. */
void evlog_log_boot(void);

#endif
