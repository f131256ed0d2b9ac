/* Kernel glue for the log ring: formatting, timestamps, a spinlock (dropped once a bugcheck
 * owns the machine), console echo. */
#include <stdarg.h>
#include <stdbool.h>
#include "klog.h"
#include "lib/klog_ring.h"
#include "lib/fmt.h"
#include "arch/spinlock.h"
#include "arch/timer.h"
#include "console/console.h"
#include "mm/layout.h"

#define KLOG_CONSOLE_LEVEL KLOG_INFO   /* records up to this level are echoed */

static struct klog_ring ring;
static bool ring_ready;
static struct spinlock ring_lock = SPINLOCK_INIT;  /* held across a klog_ring_write */
static volatile bool lockless;         /* a bugcheck owns the log: write without the lock */
static uint64_t area_phys;

uint64_t klog_init(uint64_t phys)
{
    void *area = phys_to_virt(phys);
    area_phys = phys;
    uint64_t recovered = 0;
    if (klog_ring_recover(&ring, area, KLOG_AREA_SIZE) == 0) {
        struct klog_ring_stats st;
        klog_ring_stats(&ring, &st);
        recovered = st.records;
    } else {
        klog_ring_format(&ring, area, KLOG_AREA_SIZE);
    }
    ring_ready = true;
    return recovered;
}

void klog(unsigned level, const char *fmt, ...)
{
    char text[KLOG_RING_MAX_TEXT];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    uint64_t ts = timer_ns();
    if (lockless) {
        if (ring_ready)
            klog_ring_write(&ring, level, ts, text, len);
    } else {
        uint64_t flags = spin_lock_irqsave(&ring_lock);
        if (ring_ready)
            klog_ring_write(&ring, level, ts, text, len);
        spin_unlock_irqrestore(&ring_lock, flags);
    }
    if (level <= KLOG_CONSOLE_LEVEL)
        kprintf("[%5lu.%06lu] %.*s\n", (unsigned long)(ts / 1000000000u),
                (unsigned long)(ts / 1000u % 1000000u), (int)len, text);
}

void klog_tail(uint64_t max, void (*fn)(void *ctx, const struct klog_record *r), void *ctx)
{
    if (!ring_ready)
        return;
    struct klog_ring_stats st;
    klog_ring_stats(&ring, &st);
    uint64_t skip = (max && st.records > max) ? st.records - max : 0;
    uint64_t cursor = 0;
    struct klog_record rec;
    while (klog_ring_next(&ring, &cursor, &rec) == 0) {
        if (skip)
            skip--;
        else
            fn(ctx, &rec);
    }
}

static void print_record(void *ctx, const struct klog_record *r)
{
    (void)ctx;
    kprintf("%5lu [%5lu.%06lu] %-7s %.*s%s\n", (unsigned long)r->seq,
            (unsigned long)(r->ts_ns / 1000000000u), (unsigned long)(r->ts_ns / 1000u % 1000000u),
            klog_ring_level_name(r->level), (int)r->len, r->text, r->crc_ok ? "" : " [bad crc]");
}

void klog_print(uint64_t max)
{
    klog_tail(max, print_record, NULL);
}

uint64_t klog_area_phys(void)
{
    return area_phys;
}

void klog_bugcheck_resync(void)
{
    lockless = true;
    if (ring_ready && ring_lock.locked) {
        if (klog_ring_recover(&ring, phys_to_virt(area_phys), KLOG_AREA_SIZE) != 0)
            ring_ready = false;
    }
}
