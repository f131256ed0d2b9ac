/* The block-device interface every storage consumer uses: the AHCI and NVMe drivers and the
 * host's image files implement it; GPT, FAT32 and the dump stack read and write through it.
 * Portable core. A slice is a window onto part of another device (a partition). */
#ifndef BB_LIB_BLOCKDEV_H
#define BB_LIB_BLOCKDEV_H

#include <stdint.h>

struct blockdev {
    const char *name;        /* "ahci0", "nvme0n1", "ahci0p1", an image path... [I] */
    uint32_t sector_size;    /* bytes per logical sector: 512 or 4096 [I] */
    uint64_t sectors;        /* capacity in logical sectors [I] */
    void *ctx;               /* the implementation's state */
    /* Transfer `count` sectors at `lba` (both in logical sectors of this device). Return 0
     * or a negative ERR_* code. Callers go through blockdev_read/write, which check the
     * range first, so implementations may assume lba + count <= sectors, count > 0. */
    int (*read)(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf);
    int (*write)(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf);
    /* Make every completed write durable (cache flush). 0 or ERR_*. */
    int (*flush)(struct blockdev *bd);
};

/* A window of `sectors` sectors starting at `first_lba` of `parent`. */
struct blockdev_slice {
    struct blockdev bd;      /* what users of the slice see */
    struct blockdev *parent;
    uint64_t first_lba;
};

/* Range-checked transfers: ERR_RANGE when [lba, lba+count) leaves the device,
 * ERR_INVALID_ARGS for count 0 or NULL buf. */
int blockdev_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf);
int blockdev_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf);
int blockdev_flush(struct blockdev *bd);

/* Make `s` a slice of parent. Returns 0 or ERR_RANGE if it does not fit inside parent. */
int blockdev_slice_init(struct blockdev_slice *s, struct blockdev *parent, uint64_t first_lba,
                        uint64_t sectors, const char *name);

#endif
