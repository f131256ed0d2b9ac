/* FAT32 namespace operations: unlink, mkdir, rmdir, rename (also across directories),
 * stat and directory listing, each ordered as described in fat_priv.h. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

/* The first cluster of node's chain, 0 if none; ERR_CORRUPT if outside the volume. */
static int node_chain(struct fat_vol *v, const struct fat_node *node, uint32_t *c)
{
    *c = fat_ent_cluster(node->ent);
    return *c == 0 || fat_cluster_ok(v, *c) ? 0 : ERR_CORRUPT;
}

int fat_unlink(struct fat_vol *v, const char *path)
{
    struct fat_node node;
    uint32_t first;
    int rc = fat_lookup(v, path, &node);
    if (rc)
        return rc;
    if (node.is_root || (node.ent[DE_ATTR] & FAT_ATTR_DIRECTORY))
        return ERR_IS_DIR;
    rc = node_chain(v, &node, &first);
    if (rc == 0)
        rc = fat_guard_check(v, first);
    if (rc == 0)
        rc = fat_op_begin(v);
    if (rc == 0)
        rc = fat_dir_remove(v, &node);
    if (rc == 0 && first)
        rc = fat_free_chain(v, first);
    return fat_op_end(v, rc);
}

/* Fill a "." or ".." entry pointing at cluster c. */
static void dot_entry(uint8_t *e, const char *name, uint32_t c, const struct fat_time *t)
{
    memset(e, 0, DIRENT_SIZE);
    memset(e + DE_NAME, ' ', 11);
    memcpy(e + DE_NAME, name, strlen(name));
    e[DE_ATTR] = FAT_ATTR_DIRECTORY;
    e[DE_CRTTENTH] = t->tenths;
    fat_put16(e + DE_CRTTIME, t->time);
    fat_put16(e + DE_CRTDATE, t->date);
    fat_put16(e + DE_WRTTIME, t->time);
    fat_put16(e + DE_WRTDATE, t->date);
    fat_put16(e + DE_LSTACCDATE, t->date);
    fat_ent_set_cluster(e, c);
}

int fat_mkdir(struct fat_vol *v, const char *path)
{
    uint32_t parent, c = 0;
    const char *leaf;
    size_t n;
    struct fat_node node;
    struct fat_time now;
    int rc = fat_lookup_parent(v, path, &parent, &leaf, &n);
    if (rc)
        return rc;
    rc = fat_dir_find(v, parent, leaf, n, &node);
    if (rc != ERR_NOT_FOUND)
        return rc ? rc : ERR_EXISTS;
    fat_now(v, &now);
    rc = fat_op_begin(v);
    if (rc == 0)
        rc = fat_alloc_chain(v, 1, false, &c);
    if (rc == 0)
        rc = fat_zero_cluster(v, c);
    if (rc == 0)
        rc = fat_dsec_load(v, fat_cluster_lba(v, c));
    if (rc == 0) {
        dot_entry(v->dir_buf, ".", c, &now);
        dot_entry(v->dir_buf + DIRENT_SIZE, "..", parent == v->root ? 0 : parent, &now);
        v->dir_buf_dirty = true;
        rc = fat_dsec_writeback(v);
    }
    if (rc == 0)
        rc = blockdev_flush(v->bd);
    if (rc == 0) {
        uint8_t ent[DIRENT_SIZE];
        dot_entry(ent, "", c, &now);
        rc = fat_dir_add(v, parent, leaf, n, ent, &node);
    }
    if (rc && c)
        fat_free_chain(v, c);
    return fat_op_end(v, rc);
}

int fat_rmdir(struct fat_vol *v, const char *path)
{
    struct fat_node node;
    uint32_t c;
    int rc = fat_lookup(v, path, &node);
    if (rc)
        return rc;
    if (node.is_root)
        return ERR_ACCESS;
    rc = fat_dir_cluster(v, &node, &c);
    /* A crafted entry whose cluster is the root, an ancestor or the directory holding it
     * would free a directory still in use: refuse before anything changes. */
    if (rc == 0)
        rc = fat_lookup_avoiding(v, path, c);
    if (rc)
        return rc;
    rc = fat_dir_is_empty(v, c);
    if (rc <= 0)
        return rc ? rc : ERR_NOT_EMPTY;
    rc = fat_op_begin(v);
    if (rc == 0)
        rc = fat_dir_remove(v, &node);
    if (rc == 0)
        rc = fat_free_chain(v, c);
    return fat_op_end(v, rc);
}

/* ERR_INVALID_ARGS if directory `dir` is `moved` or lies below it (walking up by ".."). */
static int check_not_below(struct fat_vol *v, uint32_t dir, uint32_t moved)
{
    struct fat_node node;
    for (uint32_t steps = 0; dir != v->root; steps++) {
        if (dir == moved)
            return ERR_INVALID_ARGS;
        if (steps >= v->clusters)
            return ERR_CORRUPT;
        int rc = fat_dir_find(v, dir, "..", 2, &node);
        if (rc)
            return rc == ERR_NOT_FOUND ? ERR_CORRUPT : rc;
        dir = fat_ent_cluster(node.ent);
        if (dir == 0)
            dir = v->root;
        else if (!fat_cluster_ok(v, dir))
            return ERR_CORRUPT;
    }
    return 0;
}

/* Point the ".." entry of directory c at parent. */
static int set_dotdot(struct fat_vol *v, uint32_t c, uint32_t parent)
{
    int rc = fat_dsec_load(v, fat_cluster_lba(v, c));
    if (rc)
        return rc;
    uint8_t *e = v->dir_buf + DIRENT_SIZE;
    if (memcmp(e + DE_NAME, "..         ", 11) != 0)
        return ERR_CORRUPT;
    fat_ent_set_cluster(e, parent == v->root ? 0 : parent);
    v->dir_buf_dirty = true;
    rc = fat_dsec_writeback(v);
    return rc ? rc : blockdev_flush(v->bd);
}

/* Same directory, 8.3 name to 8.3 name: rewrite the short entry's name where it is, one
 * sector write, so a reset leaves either the old name or the new one, never neither. */
static int rename_in_place(struct fat_vol *v, const struct fat_node *node, const uint8_t sfn[11],
                           uint8_t nt)
{
    int rc = fat_dsec_load(v, node->lba);
    if (rc)
        return rc;
    uint8_t *e = v->dir_buf + node->off;
    memcpy(e + DE_NAME, sfn, 11);
    if (e[DE_NAME] == DE_FREE)
        e[DE_NAME] = DE_KANJI_E5;
    e[DE_NTRES] = nt;
    v->dir_buf_dirty = true;
    rc = fat_dsec_writeback(v);
    return rc ? rc : blockdev_flush(v->bd);
}

int fat_rename(struct fat_vol *v, const char *from, const char *to)
{
    struct fat_node node, other;
    uint32_t dir, c = 0;
    const char *leaf;
    size_t n;
    int rc = fat_lookup(v, from, &node);
    if (rc)
        return rc;
    if (node.is_root)
        return ERR_ACCESS;
    bool is_dir = node.ent[DE_ATTR] & FAT_ATTR_DIRECTORY;
    rc = is_dir ? fat_dir_cluster(v, &node, &c) : node_chain(v, &node, &c);
    if (rc == 0)
        rc = fat_guard_check(v, c);
    if (rc == 0)
        rc = fat_lookup_parent(v, to, &dir, &leaf, &n);
    if (rc)
        return rc;
    rc = fat_dir_find(v, dir, leaf, n, &other);
    if (rc == 0 && (other.lba != node.lba || other.off != node.off)) {
        /* the same chain under both names: a rename cut short between its two steps */
        if (c == 0 || fat_ent_cluster(other.ent) != c ||
            (other.ent[DE_ATTR] & FAT_ATTR_DIRECTORY) != (node.ent[DE_ATTR] & FAT_ATTR_DIRECTORY))
            return ERR_EXISTS;
        rc = fat_op_begin(v);
        if (rc == 0)
            rc = fat_dir_remove(v, &node);
        return fat_op_end(v, rc);
    }
    if (rc && rc != ERR_NOT_FOUND)
        return rc;
    bool same = rc == 0;     /* `to` names the entry itself: a change of case */
    uint8_t sfn[11], nt;
    if (dir == node.dir && node.nslots == 1 && fat_name_fits_83(leaf, n, sfn, &nt))
        return rename_in_place(v, &node, sfn, nt);
    rc = is_dir ? check_not_below(v, dir, c) : 0;
    if (rc == 0)
        rc = fat_op_begin(v);
    if (rc == 0)
        rc = fat_dir_make_room(v, dir, n);
    if (rc == 0 && is_dir && dir != node.dir)
        rc = set_dotdot(v, c, dir);
    if (rc == 0 && same) {
        /* only the case of a long name changes: the new entry would collide with the old */
        rc = fat_dir_remove(v, &node);
        if (rc == 0)
            rc = fat_dir_add(v, dir, leaf, n, node.ent, &other);
        return fat_op_end(v, rc);
    }
    /* the new name first, flushed, then the old one goes (adding moves no entry, so node
     * still says where it is): never a moment with neither */
    if (rc == 0)
        rc = fat_dir_add(v, dir, leaf, n, node.ent, &other);
    if (rc == 0)
        rc = blockdev_flush(v->bd);
    if (rc == 0)
        rc = fat_dir_remove(v, &node);
    return fat_op_end(v, rc);
}

int fat_stat(struct fat_vol *v, const char *path, struct fat_dirent *out)
{
    struct fat_node node;
    if (!out)
        return ERR_INVALID_ARGS;
    int rc = fat_lookup(v, path, &node);
    if (rc == 0)
        fat_dirent_fill(&node, out);
    return rc;
}

int fat_opendir(struct fat_vol *v, const char *path, struct fat_dir *d)
{
    struct fat_node node;
    uint32_t c;
    if (!d)
        return ERR_INVALID_ARGS;
    int rc = fat_lookup(v, path, &node);
    if (rc == 0)
        rc = fat_dir_cluster(v, &node, &c);
    if (rc)
        return rc;
    *d = (struct fat_dir){ .vol = v, .first_cluster = c, .cluster = c };
    return 0;
}

int fat_readdir(struct fat_dir *d, struct fat_dirent *out)
{
    struct fat_node node;
    if (!d || !d->vol || !out)
        return ERR_INVALID_ARGS;
    for (;;) {
        struct fat_slot pos = { d->cluster, d->index };
        if (!pos.cluster)
            return 0;
        int rc = fat_dir_next(d->vol, d->first_cluster, &pos, &d->steps, &node);
        d->cluster = pos.cluster;
        d->index = pos.index;
        if (rc <= 0)
            return rc;
        if (node.ent[DE_NAME] != '.') {
            fat_dirent_fill(&node, out);
            return 1;
        }
    }
}
