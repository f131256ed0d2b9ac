/* The dump stack's boot self-test: one sector of the target written and read back through the
 * loaded clone, the original put back (dump_selftest.h). */
#include <string.h>
#include "dump/stack/dump_selftest.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "arch/timer.h"
#include "klog.h"
#include "err.h"

int dump_selftest(const struct dump_clone *clone, const struct disk_dump *kind,
                  const struct blockdev *bd, uint64_t *us)
{
    const struct clone_params *prm = clone->params;
    const struct clone_extent *last = &prm->extents[prm->extent_count - 1];
    uint64_t lba = last->lba + last->sectors - 1, ss = prm->sector_size, phys;
    int rc = pfn_alloc_contig(3, 1, 1ull << 32, PFN_DMA, &phys);
    if (rc)
        return rc;
    uint8_t *orig = phys_to_virt(phys), *pattern = orig + PAGE_SIZE, *back = pattern + PAGE_SIZE;
    for (uint64_t i = 0; i < ss; i++)
        pattern[i] = (uint8_t)(0xA5 ^ i ^ (i >> 8));
    uint64_t t0 = timer_ns();
    rc = clone->init();
    if (!rc)
        rc = clone->read(lba, phys, 1);
    if (!rc) {
        rc = clone->write(lba, phys + PAGE_SIZE, 1);
        if (!rc)
            rc = clone->read(lba, phys + 2 * PAGE_SIZE, 1);
        if (!rc && memcmp(pattern, back, ss) != 0)
            rc = ERR_CORRUPT;
        int restore = clone->write(lba, phys, 1);
        if (!restore)
            restore = clone->flush();
        if (!rc)
            rc = restore;
    }
    *us = (timer_ns() - t0) / 1000u;
    int release = kind->release ? kind->release(bd) : 0;
    if (release)
        klog(KLOG_ERR, "dump: %s: live driver did not get its port back: %s", bd->name,
             err_str(release));
    pfn_free(phys, 3);
    return rc;
}

