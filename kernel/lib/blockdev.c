/* Range checks for block transfers and the slice (partition window) implementation. */
#include <stddef.h>
#include "lib/blockdev.h"
#include "err.h"

static int check(const struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    if (!bd || !buf || count == 0)
        return ERR_INVALID_ARGS;
    if (lba >= bd->sectors || count > bd->sectors - lba)
        return ERR_RANGE;
    return 0;
}

int blockdev_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    int rc = check(bd, lba, count, buf);
    return rc ? rc : bd->read(bd, lba, count, buf);
}

int blockdev_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    int rc = check(bd, lba, count, buf);
    return rc ? rc : bd->write(bd, lba, count, buf);
}

int blockdev_flush(struct blockdev *bd)
{
    return bd && bd->flush ? bd->flush(bd) : ERR_INVALID_ARGS;
}

static int slice_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    struct blockdev_slice *s = (struct blockdev_slice *)bd;
    return blockdev_read(s->parent, s->first_lba + lba, count, buf);
}

static int slice_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    struct blockdev_slice *s = (struct blockdev_slice *)bd;
    return blockdev_write(s->parent, s->first_lba + lba, count, buf);
}

static int slice_flush(struct blockdev *bd)
{
    return blockdev_flush(((struct blockdev_slice *)bd)->parent);
}

int blockdev_slice_init(struct blockdev_slice *s, struct blockdev *parent, uint64_t first_lba,
                        uint64_t sectors, const char *name)
{
    if (!s || !parent || sectors == 0)
        return ERR_INVALID_ARGS;
    if (first_lba >= parent->sectors || sectors > parent->sectors - first_lba)
        return ERR_RANGE;
    s->parent = parent;
    s->first_lba = first_lba;
    s->bd = (struct blockdev){
        .name = name, .sector_size = parent->sector_size, .sectors = sectors, .ctx = s,
        .read = slice_read, .write = slice_write, .flush = slice_flush,
    };
    return 0;
}
