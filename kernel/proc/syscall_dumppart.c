/* Dump partitions read as files (syscall_dumppart.h): whole sectors read through the live
 * disk driver into a kernel buffer, the asked-for bytes copied out to the user. */
#include <string.h>
#include "proc/syscall_dumppart.h"
#include "proc/uaccess.h"
#include "mm/heap.h"
#include "err.h"

#define CHUNK (128u * 1024u)   /* bytes read from the disk per step */

static const struct dump_part *find(const char *path)
{
    const char *name = path + strlen(SYS_DUMPPART_PREFIX);
    const struct dump_part *p;
    for (unsigned i = 0; (p = volume_dump_part_at(i)); i++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static uint64_t part_bytes(const struct dump_part *p)
{
    return p->sectors * p->disk->bd->sector_size;
}

bool dumppart_is_path(const char *path)
{
    return strncmp(path, SYS_DUMPPART_PREFIX, strlen(SYS_DUMPPART_PREFIX)) == 0;
}

int dumppart_open(struct proc_fd *d, const char *path, uint64_t flags)
{
    const struct dump_part *p = find(path);
    if (!p)
        return ERR_NOT_FOUND;
    if (flags != SYS_O_READ)
        return ERR_ACCESS;
    *d = (struct proc_fd){ .kind = PROC_FD_DUMPPART, .flags = SYS_O_READ };
    d->u.part = p;
    return 0;
}

int dumppart_stat(const char *path, struct sys_stat *st)
{
    const struct dump_part *p = find(path);
    if (!p)
        return ERR_NOT_FOUND;
    *st = (struct sys_stat){ .size = part_bytes(p) };
    return 0;
}

uint64_t dumppart_size(const struct proc_fd *d)
{
    return part_bytes(d->u.part);
}

int64_t dumppart_read(struct proc_fd *d, uint64_t buf, uint64_t len)
{
    const struct dump_part *p = d->u.part;
    struct blockdev *bd = p->disk->bd;
    uint32_t ss = bd->sector_size;
    uint64_t size = part_bytes(p);
    if (len > SYS_IO_MAX)
        len = SYS_IO_MAX;
    if (d->pos >= size)
        return 0;
    if (len > size - d->pos)
        len = size - d->pos;
    int rc = uaccess_check(buf, len, true);
    if (rc)
        return rc;
    uint8_t *k = kmalloc(CHUNK);
    if (!k)
        return ERR_NO_MEMORY;
    uint64_t done = 0;
    while (done < len && !rc) {
        uint64_t pos = d->pos + done, skip = pos % ss;
        uint64_t want = len - done < CHUNK - skip ? len - done : CHUNK - skip;
        uint64_t sectors = (skip + want + ss - 1) / ss;
        rc = blockdev_read(bd, p->first_lba + pos / ss, sectors, k);
        if (!rc)
            rc = uaccess_copy_out(buf + done, k + skip, want);
        if (!rc)
            done += want;
    }
    kfree(k);
    d->pos += done;
    return done ? (int64_t)done : rc;
}
