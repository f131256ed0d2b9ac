/* The dump partition as a target: which one, its header read and (for the recovery's marks)
 * written through the live driver, its one-extent block map. The writer, the clone's bounds check, the checksums and the self-test
 * are the file targets' own. */
#include <string.h>
#include "dump/stack/dump_partition.h"
#include "err.h"

uint64_t dump_partition_bytes(const struct dump_part *p)
{
    return p->sectors * p->disk->bd->sector_size;
}

const struct dump_part *dump_partition_find(const char *name, uint64_t need)
{
    const struct dump_part *p;
    for (unsigned i = 0; (p = volume_dump_part_at(i)); i++) {
        if (name[0] ? strcmp(p->name, name) == 0
                    : p->disk->dump && dump_partition_bytes(p) >= need)
            return p;
    }
    return NULL;
}

int dump_partition_read(const struct dump_part *p, void *buf, size_t len)
{
    uint32_t ss = p->disk->bd->sector_size;
    if (!len || len % ss || len / ss > p->sectors)
        return ERR_INVALID_ARGS;
    return blockdev_read(p->disk->bd, p->first_lba, len / ss, buf);
}

int dump_partition_write(const struct dump_part *p, uint64_t off, const void *buf, size_t len)
{
    uint32_t ss = p->disk->bd->sector_size;
    if (!len || len % ss || off % ss || (off + len) / ss > p->sectors)
        return ERR_INVALID_ARGS;
    int rc = blockdev_write(p->disk->bd, p->first_lba + off / ss, len / ss, buf);
    return rc ? rc : blockdev_flush(p->disk->bd);
}

void dump_partition_block_map(const struct dump_part *p, struct clone_params *prm)
{
    prm->extents[0].lba = p->first_lba;
    prm->extents[0].sectors = p->sectors;
    prm->extent_count = 1;
}
