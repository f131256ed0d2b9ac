/* The dump writer's walk over a dump's data in file order: where each range's bytes come
 * from (memory, the snapshot, or zeros for the writer's own work area), and the bitmaps of
 * a kernel dump and of a complete dump in the bitmap layout. */
#include <string.h>
#include "dump/stack/dump_writer_priv.h"
#include "mm/pfn.h"

/* Where the bytes of physical page range [pa, limit) come from: straight from memory, from
 * the snapshot, or zeros (the writer's own work area). Returns the source address and sets
 * *len to how far that source holds. */
static WRITER uint64_t source(uint64_t pa, uint64_t limit, uint64_t *len)
{
    uint64_t end = limit - pa < dump_work.span ? limit : pa + dump_work.span;
    if (pa >= dump_work.phys && pa < dump_work.phys + dump_work.size) {
        uint64_t stop = dump_work.phys + dump_work.size < end ? dump_work.phys + dump_work.size : end;
        *len = stop - pa < ZERO_BLOCK ? stop - pa : ZERO_BLOCK;
        return dump_work.phys + dump_work.zero_off;
    }
    if (dump_work.phys > pa && dump_work.phys < end)
        end = dump_work.phys;
    uint64_t snap = dump_work.snap_off;
    for (int i = 0; i < SNAP_RANGES; i++) {
        if (pa >= dump_work.snap_lo[i] && pa < dump_work.snap_hi[i]) {
            *len = (dump_work.snap_hi[i] < end ? dump_work.snap_hi[i] : end) - pa;
            return dump_work.phys + snap + (pa - dump_work.snap_lo[i]);
        }
        if (dump_work.snap_lo[i] > pa && dump_work.snap_lo[i] < end)
            end = dump_work.snap_lo[i];
        snap += dump_work.snap_hi[i] - dump_work.snap_lo[i];
    }
    *len = end - pa;
    return pa;
}

/* The CPU block after the pages; false once it is walked. */
static WRITER bool walk_tail(struct walk *k, uint64_t *src, uint64_t *len)
{
    if (!k->tail)
        return false;
    *src = dump_work.phys + dump_work.cpu_off;
    *len = k->tail;
    k->tail = 0;
    k->off += *len;
    return true;
}

/* The next range: *src (physical) and *len; false at the end of the data. */
WRITER bool writer_walk_next(struct walk *k, uint64_t *src, uint64_t *len)
{
    if (k->block) {
        *src = dump_work.phys + dump_work.bmp_off;
        *len = k->block;
        k->block = 0;
        k->off += *len;
        return true;
    }
    while (k->pa >= k->hi) {
        if (k->bm) {
            while (k->frame < k->frames && !dump_bitmap_test(k->bm, k->frame))
                k->frame++;
            if (k->frame >= k->frames)
                return walk_tail(k, src, len);
            uint64_t g = k->frame;
            while (g < k->frames && dump_bitmap_test(k->bm, g))
                g++;
            k->pa = k->frame * PAGE_SIZE;
            k->hi = g * PAGE_SIZE;
            k->frame = g;
        } else {
            if (k->run >= k->nruns)
                return walk_tail(k, src, len);
            k->pa = k->runs[k->run].lo;
            k->hi = k->runs[k->run].hi;
            k->run++;
        }
    }
    *src = source(k->pa, k->hi, len);
    k->pa += *len;
    k->off += *len;
    return true;
}

/* Mark every page of the RAM runs (a complete dump in the bitmap layout). */
WRITER uint64_t writer_ram_bitmap(uint8_t *bm, uint64_t frames, const struct pfn_range *runs,
                                  unsigned nruns)
{
    uint64_t present = 0;
    memset(bm, 0, (frames + 7) / 8);
    for (unsigned i = 0; i < nruns; i++)
        for (uint64_t f = runs[i].lo / PAGE_SIZE; f < runs[i].hi / PAGE_SIZE && f < frames; f++) {
            dump_bitmap_set(bm, f);
            present++;
        }
    return present;
}

/* Mark the pages a kernel dump keeps: kernel, page tables, DMA; not free, user or reserved. */
WRITER uint64_t writer_build_bitmap(uint8_t *bm, uint64_t frames)
{
    uint64_t present = 0;
    memset(bm, 0, (frames + 7) / 8);
    for (uint64_t f = 0; f < frames; f++) {
        enum pfn_state s = pfn_state_of(f * PAGE_SIZE);
        if (s == PFN_KERNEL || s == PFN_PAGETABLE || s == PFN_DMA) {
            dump_bitmap_set(bm, f);
            present++;
        }
    }
    return present;
}

