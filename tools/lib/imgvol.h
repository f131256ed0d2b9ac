/* A Blackbox system disk image's C: volume on the host (hosted C): the image file, its GPT
 * (512- then 4096-byte sectors), the first Microsoft basic-data partition, and that
 * partition's FAT32 mounted with the host's allocator and clock. */
#ifndef BB_TOOLS_IMGVOL_H
#define BB_TOOLS_IMGVOL_H

#include <stdbool.h>
#include "tools/lib/imgdev.h"
#include "fs/fat/fat.h"

struct imgvol {
    struct imgdev dev;              /* the whole image */
    struct blockdev_slice part;     /* the partition; part.bd is what vol was mounted on */
    struct fat_vol *vol;
};

/* Open and mount. Returns 0, or an ERR_* code with *step naming what failed ("open",
 * "partition table" (no basic-data partition: ERR_NOT_FOUND), "FAT32 mount"). Opened
 * read-only unless writable (then every FAT change is written through to the image). */
int imgvol_open(struct imgvol *iv, const char *path, bool writable, const char **step);
/* Unmount (writing back what a writable mount changed) and close: 0 or the first error. */
int imgvol_close(struct imgvol *iv);

#endif
