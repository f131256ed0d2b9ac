/* Block transfers through a bounce buffer (bounce.h). */
#include <string.h>
#include "block/bounce.h"
#include "mm/heap.h"
#include "err.h"

int bounce_rw(struct blockdev *bd, bounce_rw_fn fn, uint64_t lba, uint64_t count, void *buf,
              bool write)
{
    uint32_t bs = bd->sector_size;
    uint8_t *b = kmalloc(bs), *p = buf;
    if (!b)
        return ERR_NO_MEMORY;
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        if (write)
            memcpy(b, p + i * bs, bs);
        rc = fn(bd, lba + i, 1, b, write);
        if (rc == 0 && !write)
            memcpy(p + i * bs, b, bs);
    }
    kfree(b);
    return rc;
}
