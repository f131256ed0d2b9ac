/* The event log file on a FAT32 volume: creation (contiguous, preallocated), the extent map,
 * and byte I/O on the file's sectors straight through the volume's block device, with a
 * read-modify-write of one sector when it is larger than a log slot. */
#include <stddef.h>
#include <string.h>
#include "eventlog/evlog_fat.h"
#include "err.h"

/* The device sector holding file sector fsec: ERR_CORRUPT when the map does not reach it. */
static int map_sector(const struct evlog_file *ef, uint64_t fsec, uint64_t *lba, uint64_t *left)
{
    for (size_t i = 0; i < ef->runs; i++) {
        if (fsec < ef->ext[i].sectors) {
            *lba = ef->ext[i].lba + fsec;
            *left = ef->ext[i].sectors - fsec;
            return 0;
        }
        fsec -= ef->ext[i].sectors;
    }
    return ERR_CORRUPT;
}

static int xfer(struct evlog_file *ef, uint64_t off, uint8_t *buf, size_t len, bool write)
{
    uint32_t ss = ef->bd->sector_size;
    if (off > ef->size || len > ef->size - off)
        return ERR_RANGE;
    if (write && !ef->writable)
        return ERR_ACCESS;
    while (len) {
        uint64_t lba, left;
        uint32_t within = (uint32_t)(off % ss);
        int rc = map_sector(ef, off / ss, &lba, &left);
        if (rc)
            return rc;
        size_t chunk;
        if (within == 0 && len >= ss) {
            uint64_t n = len / ss < left ? len / ss : left;
            chunk = (size_t)(n * ss);
            rc = write ? blockdev_write(ef->bd, lba, n, buf) : blockdev_read(ef->bd, lba, n, buf);
        } else {
            chunk = ss - within < len ? ss - within : len;
            rc = blockdev_read(ef->bd, lba, 1, ef->bounce);
            if (rc == 0 && write) {
                memcpy(ef->bounce + within, buf, chunk);
                rc = blockdev_write(ef->bd, lba, 1, ef->bounce);
            } else if (rc == 0) {
                memcpy(buf, ef->bounce + within, chunk);
            }
        }
        if (rc)
            return rc;
        off += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

static int io_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct evlog_file *ef = ctx;
    int rc = evlog_fat_check(ef);
    return rc ? rc : xfer(ef, off, buf, len, false);
}

static int io_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct evlog_file *ef = ctx;
    int rc = evlog_fat_check(ef);
    return rc ? rc : xfer(ef, off, (uint8_t *)buf, len, true);
}

static int io_sync(void *ctx)
{
    struct evlog_file *ef = ctx;
    return blockdev_flush(ef->bd);
}

int evlog_fat_check(struct evlog_file *ef)
{
    struct fat_file f;
    int rc = fat_open(ef->vol, ef->path, &f);
    if (rc)
        return rc == ERR_NOT_FOUND ? ERR_BAD_STATE : rc;
    return f.first_cluster == ef->first_cluster && fat_file_size(&f) == ef->size ? 0
                                                                                  : ERR_BAD_STATE;
}

/* Take the file's chain, size and extent map. */
static int load_map(struct evlog_file *ef, struct fat_file *f)
{
    ef->first_cluster = f->first_cluster;
    ef->size = fat_file_size(f);
    int rc = fat_extents(f, ef->ext, EVLOG_FAT_EXTENTS, &ef->runs);
    if (rc)
        return rc;
    uint64_t sectors = 0;
    for (size_t i = 0; i < ef->runs; i++)
        sectors += ef->ext[i].sectors;
    return sectors * ef->bd->sector_size >= ef->size ? 0 : ERR_CORRUPT;
}

/* Create the parent folder of path when missing (one level). */
static int make_parent(struct fat_vol *vol, const char *path)
{
    char dir[EVLOG_FAT_PATH_MAX];
    size_t cut = 0;
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '\\' || path[i] == '/')
            cut = i;
    if (cut == 0)
        return 0;
    memcpy(dir, path, cut);
    dir[cut] = 0;
    struct fat_dirent de;
    int rc = fat_stat(vol, dir, &de);
    if (rc == ERR_NOT_FOUND)
        rc = fat_mkdir(vol, dir);
    else if (rc == 0 && !(de.attr & FAT_ATTR_DIRECTORY))
        rc = ERR_NOT_DIR;
    return rc;
}

/* Create the file (its folder too) and map it; a file too fragmented to map is removed
 * again rather than left unusable. */
static int create(struct evlog_file *ef, uint32_t bytes)
{
    struct fat_file f;
    int rc = make_parent(ef->vol, ef->path);
    if (rc)
        return rc;
    rc = fat_create_contiguous(ef->vol, ef->path, bytes, &f);
    if (rc == ERR_NO_SPACE) {
        /* no contiguous run left: a chain of zeros, mapped the same way */
        rc = fat_create(ef->vol, ef->path, &f);
        if (rc == 0 && (rc = fat_truncate(&f, bytes)) != 0)
            fat_unlink(ef->vol, ef->path);
    }
    if (rc == 0 && (rc = load_map(ef, &f)) != 0)
        fat_unlink(ef->vol, ef->path);
    ef->formatted = rc == 0;
    return rc;
}

int evlog_fat_open(struct evlog_file *ef, struct fat_vol *vol, struct blockdev *bd,
                   const char *path, uint32_t create_bytes, const struct evlog_time *now)
{
    memset(ef, 0, offsetof(struct evlog_file, bounce));
    size_t plen = strlen(path);
    if (plen >= EVLOG_FAT_PATH_MAX)
        return ERR_TOO_BIG;
    if (bd->sector_size % EVLOG_SLOT || bd->sector_size > EVLOG_FAT_SECTOR_MAX)
        return ERR_NOT_SUPPORTED;
    ef->vol = vol;
    ef->bd = bd;
    ef->writable = create_bytes != 0;
    memcpy(ef->path, path, plen + 1);
    struct fat_file f;
    struct evlog_io io = { ef, io_read, io_write, io_sync };
    int rc = fat_open(vol, path, &f);
    if (rc == 0 && (rc = load_map(ef, &f)) == 0)
        rc = evlog_open(&ef->log, &io, ef->size);
    if (!ef->writable)
        return rc;
    if (rc == ERR_CORRUPT && ef->size != create_bytes) {
        /* not a log, and not of our making (wrong size): replace it */
        rc = fat_unlink(vol, path);
        if (rc == 0)
            rc = ERR_NOT_FOUND;
    }
    if (rc == ERR_NOT_FOUND)
        rc = create(ef, create_bytes);
    if (rc == 0 && evlog_needs_reset(&ef->log)) {
        /* records no writer of this log leaves: nothing in it can be trusted to append to */
        ef->reset = true;
        ef->reset_corrupt = ef->log.corrupt;
        ef->formatted = true;
    }
    if (rc == ERR_CORRUPT || (rc == 0 && ef->formatted)) {
        /* created just now, a header torn while formatting, or corrupt: format (again) */
        ef->formatted = true;
        rc = evlog_format(&ef->log, &io, ef->size, now);
        if (rc == 0)
            rc = evlog_open(&ef->log, &io, ef->size);
    }
    return rc;
}

int evlog_fat_append(struct evlog_file *ef, struct evlog_record *r, bool durable)
{
    return ef->writable ? evlog_append(&ef->log, r, durable) : ERR_ACCESS;
}
