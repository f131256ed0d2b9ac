/* The dump writer's snapshot: the memory that changes while a dump is written is copied
 * into the work area at bugcheck and written from there, so each chunk's CRC matches what
 * reaches the disk. */
#include <string.h>
#include "dump/stack/dump_writer_priv.h"
#include "klog.h"

extern char __data_start[], __kernel_end[];

/* The memory that changes while a dump is written, in page-aligned ranges that do not
 * overlap: the kernel's data, bss and stacks; the clone's state pages; the klog area, where
 * the blue screen's lines go. Checksums are computed apart from the writes, so these are
 * written from the snapshot taken at bugcheck. */
void writer_snap_ranges(const struct dump_stack *st)
{
    dump_work.snap_lo[0] = (uint64_t)__data_start - KERNEL_VMA;
    dump_work.snap_hi[0] = (uint64_t)__kernel_end - KERNEL_VMA;
    dump_work.snap_lo[1] = st->clone.state_phys;
    dump_work.snap_hi[1] = st->clone.state_phys + st->clone.state_size;
    uint64_t lo = klog_area_phys() & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t hi = ALIGN4K(klog_area_phys() + KLOG_AREA_SIZE);
    dump_work.snap_lo[2] = dump_work.snap_hi[2] = 0;
    for (int i = 0; i < 2 && klog_area_phys(); i++)
        if (lo < dump_work.snap_hi[i] && hi > dump_work.snap_lo[i])
            return;
    if (klog_area_phys()) {
        dump_work.snap_lo[2] = lo;
        dump_work.snap_hi[2] = hi;
    }
}

/* Freeze what changes while the dump is written (see the top of this file); rebuild the
 * CRC tables (wide lanes, the zero-page operator) from constants, as nothing checksums
 * their pages. */
WRITER void writer_snapshot(void)
{
    uint8_t *dst = dump_work_at(dump_work.snap_off);
    for (int i = 0; i < SNAP_RANGES; i++) {
        uint64_t n = dump_work.snap_hi[i] - dump_work.snap_lo[i];
        memcpy(dst, phys_to_virt(dump_work.snap_lo[i]), n);
        dst += n;
    }
    memset(dump_work_at(dump_work.zero_off), 0, ZERO_BLOCK);
    if (dump_work.crc_fn == writer_crc_wide)
        crc32c_wide_init(dump_work_at(dump_work.wide_off));
    crc32c_zeros_init(((struct crc_team *)dump_work_at(dump_work.team_off))->op, PAGE_SIZE);
}

