/* klog: the kernel log. Records (level, nanosecond timestamp, text) go to a ring in a fixed
 * physical area right after the kernel image (captured by every dump, kept across a warm
 * reset) and, at or above the console level, to the console. Layout: kernel/lib/klog_ring.h. */
#ifndef BB_KLOG_H
#define BB_KLOG_H

#include <stddef.h>
#include <stdint.h>

enum klog_level {
    KLOG_EMERG = 0,
    KLOG_ALERT = 1,
    KLOG_CRIT = 2,
    KLOG_ERR = 3,
    KLOG_WARN = 4,
    KLOG_NOTICE = 5,
    KLOG_INFO = 6,
    KLOG_DEBUG = 7,
};

#define KLOG_AREA_SIZE (64u + 128u * 1024u)   /* header + 128 KiB of records */
/* Where the area lives. Not right after the kernel image: GRUB's heap and relocator reuse
 * that memory on every boot, so a ring there never survives a reset. 16 MiB is clear of
 * everything GRUB touches when loading our image (checked by the crash scenarios, which
 * read the previous boot's records back after each reset). */
#define KLOG_AREA_PHYS 0x1000000ull

/* Attach to the area at physical `phys` (KLOG_AREA_SIZE bytes, reachable through the boot
 * direct map): recover the previous boot's
 * ring if it is valid, else format a new one. Returns the number of recovered records. */
uint64_t klog_init(uint64_t phys);
/* Log a formatted record. Safe at any time, including in interrupts and at bugcheck time
 * (before klog_init it only prints). */
void klog(unsigned level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct klog_record;
/* Call fn for the last `max` records (0 = all), oldest first. Safe at bugcheck time. */
void klog_tail(uint64_t max, void (*fn)(void *ctx, const struct klog_record *r), void *ctx);
/* Print records to the console: the last `max` (0 = all), oldest first. */
void klog_print(uint64_t max);
/* Physical address and size of the area, for the dump stack; 0 before klog_init. */
uint64_t klog_area_phys(void);
/* Bugcheck path, once the other CPUs are stopped: from now on klog writes without its lock;
 * forget any write the crash interrupted (the lock still held) and resynchronise with the
 * area. */
void klog_bugcheck_resync(void);

#endif
