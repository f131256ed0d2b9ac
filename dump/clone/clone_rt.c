/* The clone run-time: the clock (TSC against the loader-supplied frequency) the clone
 * hands its hardware ops, and klog() writing into the clone's own message buffer, so that
 * the shared hardware-ops code links without a single kernel symbol. */
#include <stdarg.h>
#include <stddef.h>
#include "dump/clone/clone_rt.h"
#include "arch/cpu.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

__attribute__((section(".cloneparams"), used))
const volatile struct clone_params clone_params = { .tsc_hz = 1 };

struct log_buf {
    uint32_t len;                            /* bytes used in text */
    char text[CLONE_LOG_SIZE - sizeof(uint32_t)];
};

static struct log_buf *log_buf(void)
{
    return (struct log_buf *)(uintptr_t)clone_params.state_virt;
}

uint64_t clone_now_ns(void)
{
    uint64_t mult = (1000000000ull << 32) / clone_params.tsc_hz;   /* ns per tick, 32.32 */
    return (uint64_t)(((unsigned __int128)rdtsc() * mult) >> 32);
}

void clone_idle(void)
{
    uint64_t end = rdtsc() + CLONE_IDLE_NS * clone_params.tsc_hz / 1000000000u;
    while (rdtsc() < end)
        ;
}

void klog(unsigned level, const char *fmt, ...)
{
    (void)level;
    struct log_buf *l = log_buf();
    const uint32_t cap = sizeof l->text - 2;   /* room for the newline and the NUL */
    if (l->len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(l->text + l->len, cap - l->len + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    l->len += (uint32_t)n < cap - l->len ? (uint32_t)n : cap - l->len;
    l->text[l->len++] = '\n';
    l->text[l->len] = 0;
}

__attribute__((used)) const char *clone_log(void)
{
    return log_buf()->text;
}

int clone_check_write(uint64_t lba, uint64_t sectors)
{
    for (uint32_t i = 0; sectors && i < clone_params.extent_count && i < CLONE_MAX_EXTENTS; i++) {
        uint64_t lo = clone_params.extents[i].lba, n = clone_params.extents[i].sectors;
        if (lba >= lo && sectors <= n && lba - lo <= n - sectors)
            return 0;
    }
    klog(KLOG_ERR, "refused write of %lu sectors at LBA %lu: outside the block map",
         (unsigned long)sectors, (unsigned long)lba);
    return ERR_RANGE;
}
