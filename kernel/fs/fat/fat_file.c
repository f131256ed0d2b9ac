/* FAT32 files: open and create (optionally as one contiguous run), read, write and extend,
 * truncate, and the extent map (cluster chain as runs of sectors) the dump stack uses. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

#define FAT_FILE_MAX 0xFFFFFFFFull   /* largest file size FAT can record */

static void file_from_node(struct fat_vol *v, const struct fat_node *node, struct fat_file *f)
{
    memset(f, 0, sizeof(*f));
    f->vol = v;
    f->first_cluster = fat_ent_cluster(node->ent);
    f->size = fat_le32(node->ent + DE_FILESIZE);
    f->attr = node->ent[DE_ATTR];
    f->access_date = fat_le16(node->ent + DE_LSTACCDATE);
    memcpy(f->sfn, node->ent + DE_NAME, 11);
    f->ent_lba = node->lba;
    f->ent_off = node->off;
}

/* ERR_BAD_STATE unless the handle's entry still names this file with this chain: checked
 * before any change, so a stale handle never writes into clusters now owned by others. */
static int ent_check(struct fat_file *f)
{
    int rc = fat_dsec_load(f->vol, f->ent_lba);
    if (rc)
        return rc;
    const uint8_t *e = f->vol->dir_buf + f->ent_off;
    if (memcmp(e + DE_NAME, f->sfn, 11) != 0 || fat_ent_cluster(e) != f->first_cluster)
        return ERR_BAD_STATE;
    return 0;
}

/* Update the handle's entry, then flush. `written`: first cluster, size, write time, access
 * date and the archive bit; otherwise the access date alone (a reader never stores a size
 * it may hold stale). */
static int ent_store(struct fat_file *f, bool written)
{
    struct fat_vol *v = f->vol;
    struct fat_time now;
    fat_now(v, &now);
    int rc = fat_dsec_load(v, f->ent_lba);
    if (rc)
        return rc;
    uint8_t *e = v->dir_buf + f->ent_off;
    if (memcmp(e + DE_NAME, f->sfn, 11) != 0)
        return ERR_BAD_STATE;
    fat_put16(e + DE_LSTACCDATE, now.date);
    if (written) {
        fat_ent_set_cluster(e, f->first_cluster);
        fat_put32(e + DE_FILESIZE, f->size);
        fat_put16(e + DE_WRTDATE, now.date);
        fat_put16(e + DE_WRTTIME, now.time);
        e[DE_ATTR] |= FAT_ATTR_ARCHIVE;
        f->attr = e[DE_ATTR];
    }
    f->access_date = now.date;
    v->dir_buf_dirty = true;
    rc = fat_dsec_writeback(v);
    return rc ? rc : blockdev_flush(v->bd);
}

/* Walk to the chain's cluster number idx (or, with `tail`, stop early at the chain's end):
 * *c = that cluster, *reached = its index. Uses and updates the handle's position cache. */
static int walk(struct fat_file *f, uint32_t idx, bool tail, uint32_t *c, uint32_t *reached)
{
    struct fat_vol *v = f->vol;
    uint32_t i = 0, cur = f->first_cluster;
    if (idx >= v->clusters || !cur)
        return ERR_CORRUPT;
    if (f->pos_cluster && f->pos_index <= idx) {
        i = f->pos_index;
        cur = f->pos_cluster;
    }
    while (i < idx) {
        uint32_t next;
        int rc = fat_next(v, cur, &next);
        if (rc)
            return rc;
        if (!next) {
            if (!tail)
                return ERR_CORRUPT;   /* the size claims more than the chain holds */
            break;
        }
        cur = next;
        i++;
    }
    f->pos_index = i;
    f->pos_cluster = cur;
    *c = cur;
    *reached = i;
    return 0;
}

enum xfer_op { XFER_READ, XFER_WRITE, XFER_ZERO };

/* Move len bytes at off between buf and the file's clusters (which must exist). */
static int xfer(struct fat_file *f, uint64_t off, uint8_t *buf, size_t len, enum xfer_op op)
{
    struct fat_vol *v = f->vol;
    while (len) {
        uint32_t c, got, within = (uint32_t)(off % v->cluster_size);
        int rc = walk(f, (uint32_t)(off / v->cluster_size), false, &c, &got);
        if (rc)
            return rc;
        uint64_t lba = fat_cluster_lba(v, c) + within / v->bps;
        uint32_t soff = within % v->bps;
        size_t chunk;
        if (soff == 0 && len >= v->bps && op != XFER_ZERO) {
            uint64_t nsec = len / v->bps, room = v->spc - within / v->bps;
            /* one transfer over the clusters that follow c on the disk as well (a file
             * written in one go is mostly contiguous): one command, not one per cluster */
            uint32_t last = c, idx = got;
            while (nsec > room) {
                uint32_t next;
                if ((rc = fat_next(v, last, &next)) != 0)
                    return rc;
                if (next != last + 1)
                    break;
                last = next;
                idx++;
                room += v->spc;
            }
            if (nsec > room)
                nsec = room;
            f->pos_index = idx;
            f->pos_cluster = last;
            chunk = (size_t)nsec * v->bps;
            if (op == XFER_READ) {
                rc = blockdev_read(v->bd, lba, nsec, buf);
            } else {
                fat_dsec_forget(v, lba, nsec);
                rc = blockdev_write(v->bd, lba, nsec, buf);
            }
        } else {
            chunk = v->bps - soff < len ? v->bps - soff : len;
            if (op == XFER_ZERO && chunk == v->bps)
                memset(v->bounce, 0, v->bps);
            else
                rc = blockdev_read(v->bd, lba, 1, v->bounce);
            if (rc == 0 && op == XFER_READ) {
                memcpy(buf, v->bounce + soff, chunk);
            } else if (rc == 0) {
                if (op == XFER_WRITE)
                    memcpy(v->bounce + soff, buf, chunk);
                else
                    memset(v->bounce + soff, 0, chunk);
                fat_dsec_forget(v, lba, 1);
                rc = blockdev_write(v->bd, lba, 1, v->bounce);
            }
        }
        if (rc)
            return rc;
        off += chunk;
        len -= chunk;
        if (buf)
            buf += chunk;
    }
    return 0;
}

/* Make the chain at least `need` clusters long. New clusters are chained and flushed before
 * the old tail points at them; for an empty file only the handle learns the new first
 * cluster (the caller's entry update publishes it). */
static int ensure_clusters(struct fat_file *f, uint32_t need)
{
    struct fat_vol *v = f->vol;
    if (need == 0)
        return 0;
    if (need > v->clusters)
        return ERR_NO_SPACE;
    if (!f->first_cluster) {
        f->pos_cluster = 0;
        return fat_alloc_chain(v, need, false, &f->first_cluster);
    }
    uint32_t last, have;
    int rc = walk(f, need - 1, true, &last, &have);
    if (rc == 0 && have + 1 == need &&
        (uint64_t)have * v->cluster_size >= f->size) {
        /* The chain is longer than the size says (a torn extension, or a loop): walk it
         * whole, which is bounded, before trusting the clusters past the end. */
        uint32_t len;
        rc = fat_chain_len(v, f->first_cluster, &len);
    }
    if (rc || have + 1 == need)
        return rc;
    uint32_t head;
    rc = fat_alloc_chain(v, need - have - 1, false, &head);
    if (rc == 0)
        rc = fat_set(v, last, head);
    if (rc == 0)
        rc = fat_table_flush(v);
    return rc ? rc : blockdev_flush(v->bd);
}

/* Grow to end = off + len: clusters, zeros over any gap past the old size, then the data
 * (or zeros when buf is NULL), then the entry. Not inlined: the crash tools' point in it
 * (fat_arm_crash) is named grow_write by the analysis. */
static int __attribute__((noinline)) grow_write(struct fat_file *f, uint64_t off, const uint8_t *buf, size_t len)
{
    struct fat_vol *v = f->vol;
    if (off > FAT_FILE_MAX || len > FAT_FILE_MAX - off)
        return ERR_TOO_BIG;
    uint64_t end = off + len;
    uint32_t old_first = f->first_cluster;
    uint32_t need = (uint32_t)((end + v->cluster_size - 1) / v->cluster_size);
    int rc = ent_check(f);
    if (rc)
        return rc;
    rc = fat_op_begin(v);
    if (rc == 0)
        rc = ensure_clusters(f, need);
    if (rc == 0 && off > f->size)
        rc = xfer(f, f->size, NULL, (size_t)(off - f->size), XFER_ZERO);
    if (rc == 0)
        rc = xfer(f, off, (uint8_t *)buf, len, buf ? XFER_WRITE : XFER_ZERO);
    if (rc == 0) {
        FAT_CRASH_POINT(v);
        if (end > f->size)
            f->size = (uint32_t)end;
        rc = ent_store(f, true);
    } else if (!old_first && f->first_cluster) {
        fat_free_chain(v, f->first_cluster);
        f->first_cluster = 0;
        f->pos_cluster = 0;
    }
    return fat_op_end(v, rc);
}

int fat_open(struct fat_vol *v, const char *path, struct fat_file *f)
{
    struct fat_node node;
    if (!f)
        return ERR_INVALID_ARGS;
    int rc = fat_lookup(v, path, &node);
    if (rc)
        return rc;
    if (node.is_root || (node.ent[DE_ATTR] & FAT_ATTR_DIRECTORY))
        return ERR_IS_DIR;
    file_from_node(v, &node, f);
    if (f->first_cluster ? !fat_cluster_ok(v, f->first_cluster) : f->size != 0)
        return ERR_CORRUPT;
    return 0;
}

/* Add a file entry at path with the given chain and size. */
static int create_entry(struct fat_vol *v, uint32_t dir, const char *leaf, size_t n,
                        uint32_t first, uint32_t size, struct fat_file *f)
{
    uint8_t ent[DIRENT_SIZE];
    struct fat_time now;
    struct fat_node node;
    fat_now(v, &now);
    memset(ent, 0, sizeof(ent));
    ent[DE_ATTR] = FAT_ATTR_ARCHIVE;
    ent[DE_CRTTENTH] = now.tenths;
    fat_put16(ent + DE_CRTTIME, now.time);
    fat_put16(ent + DE_CRTDATE, now.date);
    fat_put16(ent + DE_WRTTIME, now.time);
    fat_put16(ent + DE_WRTDATE, now.date);
    fat_put16(ent + DE_LSTACCDATE, now.date);
    fat_ent_set_cluster(ent, first);
    fat_put32(ent + DE_FILESIZE, size);
    int rc = fat_dir_add(v, dir, leaf, n, ent, &node);
    if (rc == 0)
        file_from_node(v, &node, f);
    return rc;
}

int fat_create_contiguous(struct fat_vol *v, const char *path, uint32_t bytes,
                          struct fat_file *f)
{
    uint32_t dir, first = 0;
    const char *leaf;
    size_t n;
    struct fat_node node;
    if (!f)
        return ERR_INVALID_ARGS;
    int rc = fat_lookup_parent(v, path, &dir, &leaf, &n);
    if (rc)
        return rc;
    rc = fat_dir_find(v, dir, leaf, n, &node);
    if (rc != ERR_NOT_FOUND)
        return rc ? rc : ERR_EXISTS;
    rc = fat_op_begin(v);
    if (rc == 0 && bytes)
        rc = fat_alloc_chain(v, (uint32_t)(((uint64_t)bytes + v->cluster_size - 1) /
                                           v->cluster_size), true, &first);
    if (rc == 0) {
        rc = create_entry(v, dir, leaf, n, first, bytes, f);
        if (rc && first)
            fat_free_chain(v, first);
    }
    return fat_op_end(v, rc);
}

int fat_create(struct fat_vol *v, const char *path, struct fat_file *f)
{
    return fat_create_contiguous(v, path, 0, f);
}

int fat_read(struct fat_file *f, uint64_t off, void *buf, size_t len, size_t *done)
{
    if (!f || !f->vol || (!buf && len) || !done)
        return ERR_INVALID_ARGS;
    *done = 0;
    if (off >= f->size || len == 0)
        return 0;
    if (len > f->size - off)
        len = (size_t)(f->size - off);
    int rc = xfer(f, off, buf, len, XFER_READ);
    if (rc)
        return rc;
    *done = len;
    struct fat_time now;
    fat_now(f->vol, &now);
    return now.date != f->access_date ? ent_store(f, false) : 0;
}

int fat_write(struct fat_file *f, uint64_t off, const void *buf, size_t len, size_t *done)
{
    if (!f || !f->vol || !buf || !done)
        return ERR_INVALID_ARGS;
    *done = 0;
    if (len == 0)
        return 0;
    int rc = fat_guard_check(f->vol, f->first_cluster);
    if (rc)
        return rc;
    rc = grow_write(f, off, buf, len);
    if (rc == 0)
        *done = len;
    return rc;
}

/* Shrink to size: the entry first, then cut the chain and free the rest. */
static int shrink(struct fat_file *f, uint32_t size)
{
    struct fat_vol *v = f->vol;
    uint32_t keep = (uint32_t)(((uint64_t)size + v->cluster_size - 1) / v->cluster_size);
    uint32_t old_first = f->first_cluster, last, got, rest = old_first;
    int rc = ent_check(f);
    if (rc == 0 && keep && old_first) {
        rc = walk(f, keep - 1, false, &last, &got);
        if (rc == 0)
            rc = fat_next(v, last, &rest);
    }
    if (rc)
        return rc;
    f->size = size;
    if (!keep) {
        f->first_cluster = 0;
        f->pos_cluster = 0;
    }
    rc = fat_op_begin(v);
    if (rc == 0)
        rc = ent_store(f, true);
    if (rc == 0 && rest && keep)
        rc = fat_set(v, last, FAT_EOC);
    if (rc == 0 && rest)
        rc = fat_free_chain(v, rest);
    return fat_op_end(v, rc);
}

int fat_truncate(struct fat_file *f, uint32_t size)
{
    if (!f || !f->vol)
        return ERR_INVALID_ARGS;
    int rc = fat_guard_check(f->vol, f->first_cluster);
    if (rc)
        return rc;
    if (size > f->size)
        return grow_write(f, f->size, NULL, size - f->size);
    return shrink(f, size);
}

int fat_may_change(const struct fat_file *f)
{
    return f && f->vol ? fat_guard_check(f->vol, f->first_cluster) : ERR_INVALID_ARGS;
}

uint32_t fat_file_size(const struct fat_file *f)
{
    return f->size;
}

int fat_extents(struct fat_file *f, struct fat_extent *out, size_t max, size_t *count)
{
    if (!f || !f->vol || !count || (max && !out))
        return ERR_INVALID_ARGS;
    struct fat_vol *v = f->vol;
    size_t n = 0;
    uint32_t c = f->first_cluster, prev = 0;
    for (uint32_t steps = 0; c; steps++) {
        if (steps >= v->clusters)
            return ERR_CORRUPT;
        if (prev && c == prev + 1) {
            if (n <= max)
                out[n - 1].sectors += v->spc;
        } else {
            if (n < max)
                out[n] = (struct fat_extent){ fat_cluster_lba(v, c), v->spc };
            n++;
        }
        prev = c;
        int rc = fat_next(v, c, &c);
        if (rc)
            return rc;
    }
    *count = n;
    return n > max ? ERR_TOO_BIG : 0;
}

/* Zeros to sectors [lba, lba + count) of the volume, FAT_ZERO_CHUNK at a time. */
static int zero_run(struct fat_vol *v, const uint8_t *zeros, uint64_t lba, uint64_t count)
{
    uint64_t per = FAT_ZERO_CHUNK / v->bps;
    while (count) {
        uint64_t n = count < per ? count : per;
        fat_dsec_forget(v, lba, n);
        int rc = blockdev_write(v->bd, lba, n, zeros);
        if (rc)
            return rc;
        lba += n;
        count -= n;
    }
    return 0;
}

int fat_zero_fill(struct fat_file *f)
{
    if (!f || !f->vol)
        return ERR_INVALID_ARGS;
    struct fat_vol *v = f->vol;
    size_t runs;
    int rc = fat_guard_check(v, f->first_cluster);
    if (rc)
        return rc;
    rc = fat_extents(f, NULL, 0, &runs);         /* a broken chain: refuse before writing */
    if (rc && rc != ERR_TOO_BIG)
        return rc;
    uint8_t *zeros = v->env.alloc(v->env.ctx, FAT_ZERO_CHUNK);
    if (!zeros)
        return ERR_NO_MEMORY;
    memset(zeros, 0, FAT_ZERO_CHUNK);
    rc = 0;
    uint64_t lba = 0, count = 0;
    uint32_t c = f->first_cluster, prev = 0;
    for (uint32_t steps = 0; c && !rc; steps++) {
        if (steps >= v->clusters) {
            rc = ERR_CORRUPT;
            break;
        }
        if (prev && c == prev + 1) {
            count += v->spc;
        } else {
            rc = zero_run(v, zeros, lba, count);
            lba = fat_cluster_lba(v, c);
            count = v->spc;
        }
        prev = c;
        if (!rc)
            rc = fat_next(v, c, &c);
    }
    if (!rc)
        rc = zero_run(v, zeros, lba, count);
    v->env.free(v->env.ctx, zeros);
    return rc;
}
