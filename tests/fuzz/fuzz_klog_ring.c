/* libFuzzer target for the kernel log ring (lib/klog_ring.c): the input is a ring's area as a
 * dump holds it. It is opened read-only (any alignment) and listed; then a copy, 8-byte
 * aligned, is recovered for writing, records are written (evicting, wrapping) and the ring
 * listed again. Seeds: tests/fuzz/seeds/klog_ring/. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lib/klog_ring.h"

static void list(const struct klog_ring *r)
{
    struct klog_record rec;
    struct klog_ring_stats st;
    uint64_t cursor = 0;
    while (klog_ring_next(r, &cursor, &rec) == 0)
        klog_ring_level_name(rec.level);
    klog_ring_stats(r, &st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char text[600] = "a record written by the fuzz target";
    struct klog_ring r;
    if (klog_ring_open_readonly(&r, data, size) == 0) {
        list(&r);
        if (klog_ring_write(&r, 3, 0, text, 10) != ERR_BAD_STATE)
            abort();
    }
    if (size > 1)
        klog_ring_open_readonly(&r, data + 1, size - 1);
    uint64_t *area = malloc(size ? size : 1);
    if (!area)
        return 0;
    memcpy(area, data, size);
    if (klog_ring_recover(&r, area, size) == 0) {
        list(&r);
        for (unsigned i = 0; i < 40; i++)
            klog_ring_write(&r, i % 8, i, text, i * 37 % sizeof text);
        list(&r);
        if (klog_ring_recover(&r, area, size) != 0)
            abort();
    }
    free(area);
    return 0;
}
