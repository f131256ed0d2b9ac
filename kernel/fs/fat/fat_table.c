/* FAT32 table access: reading and writing entries through a one-sector cache that is written
 * to every FAT copy, walking chains (bounded by the cluster count, so a loop is ERR_CORRUPT,
 * never a hang), allocating (anywhere or as one contiguous run) and freeing clusters. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

int fat_table_flush(struct fat_vol *v)
{
    if (!v->fat_buf_dirty)
        return 0;
    for (uint32_t i = 0; i < v->nfats; i++) {
        uint64_t lba = v->fat_lba + (uint64_t)(v->active_fat + i) * v->fat_sectors +
                       v->fat_buf_lba;
        int rc = blockdev_write(v->bd, lba, 1, v->fat_buf);
        if (rc)
            return rc;
    }
    v->fat_buf_dirty = false;
    return 0;
}

/* Bring the FAT sector holding cluster c's entry into the cache; return its byte offset. */
static int fat_load(struct fat_vol *v, uint32_t c, uint32_t *off)
{
    if (c >= 2 && !fat_cluster_ok(v, c))
        return ERR_CORRUPT;
    uint64_t byte = (uint64_t)c * 4;
    uint64_t sec = byte / v->bps;
    *off = (uint32_t)(byte % v->bps);
    if (sec == v->fat_buf_lba)
        return 0;
    int rc = fat_table_flush(v);
    if (rc)
        return rc;
    v->fat_buf_lba = ~(uint64_t)0;
    rc = blockdev_read(v->bd, v->fat_lba + (uint64_t)v->active_fat * v->fat_sectors + sec, 1,
                       v->fat_buf);
    if (rc)
        return rc;
    v->fat_buf_lba = sec;
    return 0;
}

int fat_get(struct fat_vol *v, uint32_t c, uint32_t *val)
{
    uint32_t off;
    int rc = fat_load(v, c, &off);
    if (rc == 0)
        *val = fat_le32(v->fat_buf + off) & FAT_MASK;
    return rc;
}

int fat_set(struct fat_vol *v, uint32_t c, uint32_t val)
{
    uint32_t off;
    int rc = fat_load(v, c, &off);
    if (rc)
        return rc;
    uint32_t old = fat_le32(v->fat_buf + off);
    fat_put32(v->fat_buf + off, (old & ~FAT_MASK) | (val & FAT_MASK));
    v->fat_buf_dirty = true;
    return 0;
}

int fat_next(struct fat_vol *v, uint32_t c, uint32_t *next)
{
    uint32_t val;
    if (!fat_cluster_ok(v, c))
        return ERR_CORRUPT;
    int rc = fat_get(v, c, &val);
    if (rc)
        return rc;
    if (val >= FAT_EOC_MIN) {
        *next = 0;
        return 0;
    }
    if (!fat_cluster_ok(v, val))
        return ERR_CORRUPT;   /* free, reserved, bad or past the end inside a chain */
    *next = val;
    return 0;
}

int fat_chain_len(struct fat_vol *v, uint32_t first, uint32_t *len)
{
    uint32_t n = 0;
    for (uint32_t c = first; c; n++) {
        if (n >= v->clusters)
            return ERR_CORRUPT;
        int rc = fat_next(v, c, &c);
        if (rc)
            return rc;
    }
    *len = n;
    return 0;
}

int fat_count_free(struct fat_vol *v)
{
    uint32_t n = 0;
    for (uint32_t c = 2; c - 2 < v->clusters; c++) {
        uint32_t val;
        int rc = fat_get(v, c, &val);
        if (rc)
            return rc;
        n += val == 0;
    }
    if (n != v->free_count)
        v->fsinfo_fixed = true;
    v->free_count = n;
    v->free_counted = true;
    return 0;
}

/* Find a free run of n clusters starting at or after 2; *start = its first cluster. */
static int find_run(struct fat_vol *v, uint32_t n, uint32_t *start)
{
    uint32_t run = 0;
    for (uint32_t c = 2; c - 2 < v->clusters; c++) {
        uint32_t val;
        int rc = fat_get(v, c, &val);
        if (rc)
            return rc;
        run = val == 0 ? run + 1 : 0;
        if (run == n) {
            *start = c - n + 1;
            return 0;
        }
    }
    return ERR_NO_SPACE;
}

/* Find the next free cluster, searching from v->next_free and wrapping once. */
static int find_free(struct fat_vol *v, uint32_t *out)
{
    uint32_t c = v->next_free;
    for (uint32_t i = 0; i < v->clusters; i++, c++) {
        if (!fat_cluster_ok(v, c))
            c = 2;
        uint32_t val;
        int rc = fat_get(v, c, &val);
        if (rc)
            return rc;
        if (val == 0) {
            *out = c;
            return 0;
        }
    }
    return ERR_NO_SPACE;
}

/* Chain n clusters found one by one from the next-free hint; on failure free them again. */
static int alloc_scattered(struct fat_vol *v, uint32_t n, uint32_t *head, uint32_t *last)
{
    uint32_t prev = 0;
    *head = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c;
        int rc = find_free(v, &c);
        if (rc == 0)
            rc = fat_set(v, c, FAT_EOC);
        if (rc == 0 && prev)
            rc = fat_set(v, prev, c);
        if (rc) {
            if (*head)
                fat_free_chain(v, *head);
            return rc;
        }
        if (!*head)
            *head = c;
        v->free_count--;
        v->next_free = c;
        prev = c;
    }
    *last = prev;
    return 0;
}

/* Chain the first free run of n clusters. */
static int alloc_contiguous(struct fat_vol *v, uint32_t n, uint32_t *head, uint32_t *last)
{
    int rc = find_run(v, n, head);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = fat_set(v, *head + i, i + 1 < n ? *head + i + 1 : FAT_EOC);
    if (rc)
        return rc;
    v->free_count -= n;
    *last = *head + n - 1;
    return 0;
}

static int alloc_once(struct fat_vol *v, uint32_t n, bool contiguous, uint32_t *head,
                      uint32_t *last)
{
    if (n > v->free_count)
        return ERR_NO_SPACE;
    return contiguous ? alloc_contiguous(v, n, head, last) : alloc_scattered(v, n, head, last);
}

int fat_alloc_chain(struct fat_vol *v, uint32_t n, bool contiguous, uint32_t *first)
{
    if (n == 0)
        return ERR_NO_SPACE;
    uint32_t head, last;
    int rc = alloc_once(v, n, contiguous, &head, &last);
    if (rc == ERR_NO_SPACE && !v->free_counted) {
        /* The count came from FSInfo, which a crafted or stale volume may get wrong either
         * way: count the FAT once and try again with the truth. */
        rc = fat_count_free(v);
        if (rc == 0)
            rc = alloc_once(v, n, contiguous, &head, &last);
    }
    if (rc)
        return rc;
    v->next_free = fat_cluster_ok(v, last + 1) ? last + 1 : 2;
    rc = fat_table_flush(v);
    if (rc == 0)
        rc = blockdev_flush(v->bd);
    if (rc == 0)
        *first = head;
    return rc;
}

int fat_free_chain(struct fat_vol *v, uint32_t first)
{
    uint32_t c = first, n = 0;
    int rc = 0;
    while (c && rc == 0) {
        uint32_t next = 0;
        if (n++ >= v->clusters)
            return ERR_CORRUPT;
        rc = fat_next(v, c, &next);
        if (rc == 0)
            rc = fat_set(v, c, 0);
        if (rc == 0 && v->free_count < v->clusters)
            v->free_count++;
        c = next;
    }
    if (rc == 0)
        rc = fat_table_flush(v);
    return rc;
}

int fat_zero_cluster(struct fat_vol *v, uint32_t c)
{
    uint64_t lba = fat_cluster_lba(v, c);
    memset(v->bounce, 0, v->bps);
    fat_dsec_forget(v, lba, v->spc);
    for (uint32_t i = 0; i < v->spc; i++) {
        int rc = blockdev_write(v->bd, lba + i, 1, v->bounce);
        if (rc)
            return rc;
    }
    return 0;
}
