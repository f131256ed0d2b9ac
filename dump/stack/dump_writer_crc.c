/* The dump writer's CRC32C: whole pages of zeros through a precomputed operator, the rest
 * through the fastest implementation on this CPU, chosen at boot by timing each. */
#include "dump/stack/dump_writer_priv.h"
#include "lib/crc32c.h"
#include "lib/crc32c_hw.h"
#include "arch/timer.h"
#include "klog.h"

static WRITER bool page_is_zero(const uint64_t *q)
{
    for (unsigned i = 0; i < PAGE_SIZE / 8; i += 4)
        if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
            return false;
    return true;
}

/* CRC32C of dump data: whole pages of zeros through the zero operator (counted in
 * *zero_pages), the rest through the fastest implementation. */
WRITER uint32_t writer_crc_data(uint32_t crc, const void *data, size_t len, uint64_t *zero_pages)
{
    const struct crc_team *t = dump_work_at(dump_work.team_off);
    const uint8_t *p = data;
    while (len) {
        size_t n = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1));
        if (n > len)
            n = len;
        if (n == PAGE_SIZE && page_is_zero((const uint64_t *)p)) {
            crc = crc32c_zeros(t->op, crc);
            (*zero_pages)++;
        } else {
            crc = dump_work.crc_fn(crc, p, n);
        }
        p += n;
        len -= n;
    }
    return crc;
}

WRITER uint32_t writer_crc_wide(uint32_t crc, const void *data, size_t len)
{
    return crc32c_wide(dump_work_at(dump_work.wide_off), crc, data, len);
}

/* Time each CRC32C implementation on the same bytes and keep the fastest that agrees with
 * the table-driven one: on real CPUs the SSE4.2 instruction wins by far; under emulation it
 * is the slowest, and the wide tables beat the byte tables. */
void writer_pick_crc(const void *probe)
{
    static const struct { const char *name; uint32_t (*fn)(uint32_t, const void *, size_t); } impl[] = {
        { "table-driven", crc32c }, { "wide tables", writer_crc_wide }, { "SSE4.2", crc32c_hw },
    };
    unsigned n = crc32c_hw_available() ? 3 : 2, best = 0;
    uint64_t us[3];
    uint32_t want = crc32c(0, probe, CRC_PROBE_BYTES);
    crc32c_wide_init(dump_work_at(dump_work.wide_off));
    for (unsigned i = 0; i < n; i++) {
        us[i] = UINT64_MAX;
        for (unsigned r = 0; r < CRC_PROBE_ROUNDS; r++) {
            uint64_t t0 = timer_ns();
            uint32_t got = impl[i].fn(0, probe, CRC_PROBE_BYTES);
            uint64_t t = (timer_ns() - t0) / 1000u;
            if (got == want && t < us[i])
                us[i] = t;
        }
        if (us[i] < us[best])
            best = i;
    }
    dump_work.crc_fn = impl[best].fn;
    klog(KLOG_INFO, "dump: CRC32C %s (us per 64 KiB: table %lu, wide %lu, SSE4.2 %ld)", impl[best].name,
         (unsigned long)us[0], (unsigned long)us[1], n > 2 ? (long)us[2] : -1L);
}

