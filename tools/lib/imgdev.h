/* A raw disk-image file as a struct blockdev, for host tools and unit tests (hosted C). */
#ifndef BB_TOOLS_IMGDEV_H
#define BB_TOOLS_IMGDEV_H

#include <stdbool.h>
#include "lib/blockdev.h"

struct imgdev {
    struct blockdev bd;
    int fd;
};

/* Open path with the given logical sector size (512 or 4096); capacity = file size /
 * sector size. Returns 0 or ERR_NOT_FOUND / ERR_IO / ERR_INVALID_ARGS. */
int imgdev_open(struct imgdev *d, const char *path, uint32_t sector_size, bool writable);
void imgdev_close(struct imgdev *d);

#endif
