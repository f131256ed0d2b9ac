/* Block transfers through a bounce buffer, for data buffers a controller cannot address
 * directly (AHCI needs word-aligned, NVMe dword-aligned data; a user program may pass any
 * address). Process context; not for bugcheck time. */
#ifndef BB_BLOCK_BOUNCE_H
#define BB_BLOCK_BOUNCE_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/blockdev.h"

/* A driver's transfer of count blocks at lba to or from an aligned buffer. */
typedef int (*bounce_rw_fn)(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf,
                            bool write);

/* Transfer count blocks between buf (any alignment) and the disk, one block at a time through
 * a heap block, with fn. 0, ERR_NO_MEMORY, or fn's error. */
int bounce_rw(struct blockdev *bd, bounce_rw_fn fn, uint64_t lba, uint64_t count, void *buf,
              bool write);

#endif
