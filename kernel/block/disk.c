/* Disk registry: a fixed table filled by the drivers at boot, each disk with its dump parts. */
#include <string.h>
#include "block/disk.h"
#include "klog.h"
#include "err.h"

static struct disk disks[DISK_MAX];
static unsigned ndisks;

static void copy_trimmed(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    while (n > 0 && src[n - 1] == ' ')
        n--;
    memcpy(dst, src, n);
    dst[n] = 0;
}

int disk_register(struct blockdev *bd, const char *model, const char *controller,
                  const struct disk_dump *dump)
{
    if (ndisks == DISK_MAX)
        return ERR_NO_SPACE;
    struct disk *d = &disks[ndisks];
    d->bd = bd;
    d->dump = dump;
    copy_trimmed(d->model, sizeof d->model, model);
    copy_trimmed(d->controller, sizeof d->controller, controller);
    klog(KLOG_INFO, "disk: %s: %s, %lu sectors of %u bytes (%lu MiB) on %s", bd->name, d->model,
         (unsigned long)bd->sectors, bd->sector_size,
         (unsigned long)(bd->sectors * bd->sector_size >> 20), d->controller);
    return (int)ndisks++;
}

const struct disk *disk_at(unsigned i)
{
    return i < ndisks ? &disks[i] : NULL;
}

const struct disk *disk_find(const char *name)
{
    for (unsigned i = 0; i < ndisks; i++)
        if (strcmp(disks[i].bd->name, name) == 0)
            return &disks[i];
    return NULL;
}
