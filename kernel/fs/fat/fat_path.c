/* FAT32 path lookup: splits a path on '/' or '\' and walks directories from the root,
 * matching each component case-insensitively against long and 8.3 names. "." and ".."
 * are understood; ".." of the root is the root. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

static bool is_sep(char c) { return c == '/' || c == '\\'; }

static void root_node(struct fat_vol *v, struct fat_node *node)
{
    memset(node, 0, sizeof(*node));
    node->is_root = true;
    node->ent[DE_ATTR] = FAT_ATTR_DIRECTORY;
    fat_ent_set_cluster(node->ent, v->root);
    node->name[0] = '\\';
}

int fat_dir_cluster(struct fat_vol *v, const struct fat_node *node, uint32_t *c)
{
    if (!(node->ent[DE_ATTR] & FAT_ATTR_DIRECTORY))
        return ERR_NOT_DIR;
    *c = fat_ent_cluster(node->ent);
    return fat_cluster_ok(v, *c) ? 0 : ERR_CORRUPT;
}

/* Walk path[0..len) from the root. ERR_CORRUPT if a directory searched on the way has the
 * first cluster `avoid` (0: none). */
static int lookup_n(struct fat_vol *v, const char *path, size_t len, uint32_t avoid,
                    struct fat_node *node)
{
    root_node(v, node);
    size_t i = 0;
    while (i < len) {
        if (is_sep(path[i])) {
            i++;
            continue;
        }
        size_t n = 0;
        while (i + n < len && !is_sep(path[i + n]))
            n++;
        const char *comp = path + i;
        i += n;
        uint32_t dir;
        int rc = fat_dir_cluster(v, node, &dir);
        if (rc)
            return rc;
        if (n == 1 && comp[0] == '.')
            continue;
        if (dir == avoid)
            return ERR_CORRUPT;
        if (n == 2 && comp[0] == '.' && comp[1] == '.') {
            if (node->is_root)
                continue;
            rc = fat_dir_find(v, dir, comp, n, node);
            if (rc)
                return rc == ERR_NOT_FOUND ? ERR_CORRUPT : rc;
            if (fat_ent_cluster(node->ent) == 0)
                root_node(v, node);
            continue;
        }
        rc = fat_name_check(comp, n);
        if (rc == 0)
            rc = fat_dir_find(v, dir, comp, n, node);
        if (rc)
            return rc;
    }
    return 0;
}

int fat_lookup(struct fat_vol *v, const char *path, struct fat_node *node)
{
    if (!v || !path)
        return ERR_INVALID_ARGS;
    return lookup_n(v, path, strlen(path), 0, node);
}

int fat_lookup_avoiding(struct fat_vol *v, const char *path, uint32_t dir)
{
    struct fat_node node;
    return lookup_n(v, path, strlen(path), dir, &node);
}

int fat_lookup_parent(struct fat_vol *v, const char *path, uint32_t *dir, const char **leaf,
                      size_t *leaf_len)
{
    if (!v || !path)
        return ERR_INVALID_ARGS;
    size_t end = strlen(path);
    while (end && is_sep(path[end - 1]))
        end--;
    size_t start = end;
    while (start && !is_sep(path[start - 1]))
        start--;
    *leaf = path + start;
    *leaf_len = end - start;
    int rc = fat_name_check(*leaf, *leaf_len);
    if (rc)
        return rc;
    struct fat_node parent;
    rc = lookup_n(v, path, start, 0, &parent);
    return rc ? rc : fat_dir_cluster(v, &parent, dir);
}
