/* imgdev: pread/pwrite/fsync on an image file behind the blockdev interface. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tools/lib/imgdev.h"
#include "err.h"

static int img_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    struct imgdev *d = bd->ctx;
    size_t len = (size_t)(count * bd->sector_size);
    ssize_t n = pread(d->fd, buf, len, (off_t)(lba * bd->sector_size));
    return n == (ssize_t)len ? 0 : ERR_IO;
}

static int img_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    struct imgdev *d = bd->ctx;
    size_t len = (size_t)(count * bd->sector_size);
    ssize_t n = pwrite(d->fd, buf, len, (off_t)(lba * bd->sector_size));
    return n == (ssize_t)len ? 0 : ERR_IO;
}

static int img_flush(struct blockdev *bd)
{
    struct imgdev *d = bd->ctx;
    return fsync(d->fd) == 0 ? 0 : ERR_IO;
}

int imgdev_open(struct imgdev *d, const char *path, uint32_t sector_size, bool writable)
{
    if (sector_size != 512 && sector_size != 4096)
        return ERR_INVALID_ARGS;
    d->fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (d->fd < 0)
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    struct stat st;
    if (fstat(d->fd, &st) != 0) {
        close(d->fd);
        return ERR_IO;
    }
    d->bd = (struct blockdev){
        .name = path, .sector_size = sector_size, .sectors = (uint64_t)st.st_size / sector_size,
        .ctx = d, .read = img_read, .write = img_write, .flush = img_flush,
    };
    return 0;
}

void imgdev_close(struct imgdev *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}
