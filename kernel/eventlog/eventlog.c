/* The system event log service: opens C:'s log once (creating it on first use, formatting a
 * corrupt one anew and logging that first), appends records stamped by the RTC, walks the
 * newest records for the shell, logs the boot event. */
#include <string.h>
#include "eventlog/eventlog.h"
#include "eventlog/evlog_fat.h"
#include "lib/fmt.h"
#include "block/volume.h"
#include "arch/rtc.h"
#include "klog.h"
#include "err.h"

#define RESET_SOURCE   "EventLog"
#define RESET_EVENT_ID 1u          /* the log was corrupt and was formatted anew */

static struct evlog_file file;   /* valid while is_open */
static bool is_open;

static void now(struct evlog_time *t)
{
    struct rtc_time r;
    if (rtc_read(&r) || r.year < 1980) {
        *t = (struct evlog_time){ 1980, 1, 1, 0, 0, 0, 0 };
        return;
    }
    *t = (struct evlog_time){ r.year, r.month, r.day, r.hour, r.minute, r.second, 0 };
}

/* The log was formatted anew because it was corrupt: say so in klog and as its first record. */
static void log_reset(const struct evlog_time *t)
{
    klog(KLOG_WARN, "eventlog: C:\\%s: corrupt (%u records out of range or inconsistent with "
         "their neighbours): reset to %u empty records", EVLOG_FAT_PATH, file.reset_corrupt,
         file.log.slots);
    struct evlog_record r;
    memset(&r, 0, sizeof r);
    fmt_snprintf(r.message, sizeof r.message, "The event log C:\\%s was corrupt (%u records "
                 "with a sequence number out of range or inconsistent with their neighbours) "
                 "and was reset to %u empty records.", EVLOG_FAT_PATH, file.reset_corrupt,
                 file.log.slots);
    memcpy(r.source, RESET_SOURCE, sizeof RESET_SOURCE);
    r.event_id = RESET_EVENT_ID;
    r.level = EVLOG_WARNING;
    r.time = *t;
    int rc = evlog_fat_append(&file, &r, true);
    if (rc)
        klog(KLOG_ERR, "eventlog: the reset event not logged: %s", err_str(rc));
}

/* Open C:'s log unless it is open already; `again` forgets the open one first (it went
 * stale: the file was deleted or replaced). */
static int open_log(bool again)
{
    if (is_open && !again)
        return 0;
    is_open = false;
    struct volume *v = volume_by_letter('C');
    if (!v)
        return ERR_NOT_FOUND;
    if (!v->fat)
        return v->mount_err;
    struct evlog_time t;
    now(&t);
    int rc = evlog_fat_open(&file, v->fat, &v->slice.bd, EVLOG_FAT_PATH, EVLOG_FAT_BYTES, &t);
    if (rc) {
        klog(KLOG_ERR, "eventlog: C:\\%s: cannot open: %s", EVLOG_FAT_PATH, err_str(rc));
        return rc;
    }
    if (file.reset) {
        log_reset(&t);
    } else if (file.formatted) {
        klog(KLOG_NOTICE, "eventlog: C:\\%s: new log of %u records", EVLOG_FAT_PATH,
             file.log.slots);
    } else {
        klog(KLOG_INFO, "eventlog: C:\\%s: %u records, last #%lu", EVLOG_FAT_PATH,
             file.log.valid, (unsigned long)file.log.last_seq);
    }
    is_open = true;
    return 0;
}

/* evlog_write, durable or not. */
static int write_event(const char *source, uint32_t event_id, uint32_t level,
                       const char *message, bool durable)
{
    struct evlog_record r;
    memset(&r, 0, sizeof(r));
    if (!source || !message)
        return ERR_INVALID_ARGS;
    size_t ns = strlen(source), nm = strlen(message);
    if (ns >= sizeof(r.source))
        return ERR_INVALID_ARGS;
    if (nm >= sizeof(r.message))
        return ERR_TOO_BIG;
    memcpy(r.source, source, ns);
    memcpy(r.message, message, nm);
    r.event_id = event_id;
    r.level = level;
    now(&r.time);
    int rc = evlog_check(&r);
    if (rc)
        return rc;
    rc = open_log(false);
    if (rc == 0) {
        rc = evlog_fat_append(&file, &r, durable);
        if (rc == ERR_BAD_STATE && (rc = open_log(true)) == 0)
            rc = evlog_fat_append(&file, &r, durable);
    }
    if (rc)
        klog(rc == ERR_NOT_FOUND ? KLOG_WARN : KLOG_ERR, "eventlog: %s event %u not logged: %s%s",
             source, event_id, err_str(rc), rc == ERR_NOT_FOUND ? " (no C: volume)" : "");
    return rc;
}

int evlog_write(const char *source, uint32_t event_id, uint32_t level, const char *message)
{
    return write_event(source, event_id, level, message, true);
}

int evlog_iter_last(struct evlog_iter *it, uint32_t n)
{
    int rc = open_log(false);
    if (rc == 0 && (rc = evlog_fat_check(&file)) == ERR_BAD_STATE)
        rc = open_log(true);
    if (rc)
        return rc;
    int64_t first = evlog_first_of_last(&file.log, n);
    if (first < 0)
        return (int)first;
    it->next = (uint64_t)first;
    it->end = file.log.last_seq + 1;
    it->skipped = file.log.skipped;
    return 0;
}

int evlog_iter_next(struct evlog_iter *it, struct evlog_record *out)
{
    while (is_open && it->next < it->end) {
        int rc = evlog_read(&file.log, it->next++, out);
        if (rc == 0)
            return 1;
        if (rc != ERR_NOT_FOUND)
            return rc;
    }
    return 0;
}

void evlog_log_boot(void)
{
    struct evlog_time t;
    char msg[96];
    now(&t);
    fmt_snprintf(msg, sizeof msg, "The operating system started at system time "
                 "%04u-%02u-%02uT%02u:%02u:%02u.", t.year, t.month, t.day, t.hour, t.minute,
                 t.second);
    /* no cache flush on the boot path: the record is durable at the next one (any later
     * event, a file closed after writing, reboot, poweroff) */
    write_event("Kernel-General", 12, EVLOG_INFORMATION, msg, false);
}
