/* FAT32 directories: walking 32-byte slots along a directory's cluster chain, assembling
 * VFAT long names (checksum verified; orphaned or broken sequences, and names FAT forbids or
 * beyond ASCII, are ignored: the entry shows its 8.3 name), finding
 * names, adding entries (alias generation, growing the directory) and removing them, in the
 * write order described in fat_priv.h. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

static void slot_where(const struct fat_vol *v, const struct fat_slot *s, uint64_t *lba,
                       uint32_t *off)
{
    uint64_t byte = (uint64_t)s->index * DIRENT_SIZE;
    *lba = fat_cluster_lba(v, s->cluster) + byte / v->bps;
    *off = (uint32_t)(byte % v->bps);
}

/* Load the sector holding slot s; *e points at the slot inside the cache. */
static int slot_load(struct fat_vol *v, const struct fat_slot *s, uint8_t **e)
{
    uint64_t lba;
    uint32_t off;
    if (!fat_cluster_ok(v, s->cluster))
        return ERR_CORRUPT;
    slot_where(v, s, &lba, &off);
    int rc = fat_dsec_load(v, lba);
    if (rc == 0)
        *e = v->dir_buf + off;
    return rc;
}

/* Step to the next slot: 1 moved, 0 at the end of the chain (s unchanged), or ERR_*. */
static int slot_advance(struct fat_vol *v, struct fat_slot *s, uint32_t *steps)
{
    if (s->index + 1 < v->cluster_size / DIRENT_SIZE) {
        s->index++;
        return 1;
    }
    uint32_t next;
    int rc = fat_next(v, s->cluster, &next);
    if (rc)
        return rc;
    if (!next)
        return 0;
    if (++*steps > v->clusters ||
        (uint64_t)(*steps + 1) * (v->cluster_size / DIRENT_SIZE) > DIR_MAX_ENTRIES)
        return ERR_CORRUPT;
    s->cluster = next;
    s->index = 0;
    return 1;
}

/* Long-name assembly state while scanning. */
struct lfn_state {
    uint16_t units[LFN_MAX_SLOTS * LFN_CHARS];
    uint32_t slots;       /* slots in the sequence, 0 = none in progress */
    uint32_t next_ord;    /* ordinal expected next; 0 when complete */
    uint8_t sum;
    struct fat_slot first;
};

static void lfn_take(struct lfn_state *st, const uint8_t *e, const struct fat_slot *pos)
{
    uint32_t ord = e[LFN_ORD] & 0x1F;
    if (e[LFN_ORD] & LFN_LAST) {
        st->slots = 0;
        if (ord == 0 || ord > LFN_MAX_SLOTS)
            return;
        st->slots = ord;
        st->sum = e[LFN_CHKSUM];
        st->first = *pos;
    } else if (!st->slots || ord != st->next_ord || ord == 0 || e[LFN_CHKSUM] != st->sum) {
        st->slots = 0;
        return;
    }
    st->next_ord = ord - 1;
    uint16_t *u = st->units + (ord - 1) * LFN_CHARS;
    for (uint32_t k = 0; k < 5; k++)
        u[k] = fat_le16(e + LFN_NAME1 + 2 * k);
    for (uint32_t k = 0; k < 6; k++)
        u[5 + k] = fat_le16(e + LFN_NAME2 + 2 * k);
    for (uint32_t k = 0; k < 2; k++)
        u[11 + k] = fat_le16(e + LFN_NAME3 + 2 * k);
}

int fat_dir_next(struct fat_vol *v, uint32_t dir, struct fat_slot *pos, uint32_t *steps,
                 struct fat_node *node)
{
    struct lfn_state st;
    st.slots = 0;
    while (pos->cluster) {
        uint8_t *e;
        int rc = slot_load(v, pos, &e);
        if (rc)
            return rc;
        if (e[DE_NAME] == DE_END) {
            pos->cluster = 0;
            return 0;
        }
        struct fat_slot here = *pos;
        bool found = false;
        if (e[DE_NAME] == DE_FREE) {
            st.slots = 0;
        } else if ((e[DE_ATTR] & 0x3F) == LFN_ATTR_VAL) {
            lfn_take(&st, e, &here);
        } else if (e[DE_ATTR] & FAT_ATTR_VOLUME_ID) {
            st.slots = 0;
        } else {
            memcpy(node->ent, e, DIRENT_SIZE);
            node->dir = dir;
            node->is_root = false;
            slot_where(v, &here, &node->lba, &node->off);
            /* a whole sequence belongs to the entry (removed with it) even when its name
               is refused and the 8.3 name is shown */
            bool seq = st.slots && st.next_ord == 0 && st.sum == fat_lfn_checksum(e + DE_NAME);
            node->has_lfn = seq && fat_lfn_decode(st.units, st.slots * LFN_CHARS, node->name) > 0;
            node->first = seq ? st.first : here;
            node->nslots = seq ? st.slots + 1 : 1;
            if (!node->has_lfn)
                fat_sfn_format(e + DE_NAME, e[DE_NTRES], node->name);
            st.slots = 0;
            found = true;
        }
        rc = slot_advance(v, pos, steps);
        if (rc < 0)
            return rc;
        if (rc == 0)
            pos->cluster = 0;
        if (found)
            return 1;
    }
    return 0;
}

int fat_dir_find(struct fat_vol *v, uint32_t dir, const char *name, size_t len,
                 struct fat_node *node)
{
    struct fat_slot pos = { dir, 0 };
    uint32_t steps = 0;
    int rc;
    while ((rc = fat_dir_next(v, dir, &pos, &steps, node)) == 1) {
        char sn[13];
        fat_sfn_format(node->ent + DE_NAME, 0, sn);
        if (fat_name_eq(name, len, sn) || (node->has_lfn && fat_name_eq(name, len, node->name)))
            return 0;
    }
    return rc ? rc : ERR_NOT_FOUND;
}

/* The numeric tail of a stored 8.3 name "BASE~N  EXT": N (1..9999999), or 0 if none. */
static uint32_t alias_tail(const uint8_t sfn[11])
{
    uint32_t end = 8, n = 0;
    while (end && sfn[end - 1] == ' ')
        end--;
    uint32_t i = end;
    while (i && sfn[i - 1] >= '0' && sfn[i - 1] <= '9')
        i--;
    if (i == end || i == 0 || sfn[i - 1] != '~' || sfn[i] == '0')
        return 0;
    for (; i < end; i++)
        n = n * 10 + (sfn[i] - '0');
    return n;
}

/* Choose the short name: the name itself if it fits 8.3, else NAME~N.EXT with the smallest
 * N no entry uses. One scan of the directory marks the tails in use in a bitmap: a directory
 * holds at most DIR_MAX_ENTRIES entries, so some N up to that is free whenever it has room
 * (ERR_NO_SPACE when all are taken), and creating a name costs one scan however many
 * aliases the directory already holds. */
static int pick_sfn(struct fat_vol *v, uint32_t dir, const char *name, size_t len,
                    uint8_t sfn[11], uint8_t *nt, bool *need_lfn)
{
    *need_lfn = !fat_name_fits_83(name, len, sfn, nt);
    if (!*need_lfn)
        return 0;
    *nt = 0;
    uint8_t *used = v->env.alloc(v->env.ctx, DIR_MAX_ENTRIES / 8);
    if (!used)
        return ERR_NO_MEMORY;
    memset(used, 0, DIR_MAX_ENTRIES / 8);
    struct fat_slot pos = { dir, 0 };
    uint32_t steps = 0;
    struct fat_node node;
    int rc;
    while ((rc = fat_dir_next(v, dir, &pos, &steps, &node)) == 1) {
        uint32_t n = alias_tail(node.ent + DE_NAME);
        if (n == 0 || n > DIR_MAX_ENTRIES)
            continue;
        fat_name_alias(name, len, n, sfn);
        if (memcmp(node.ent + DE_NAME, sfn, 11) == 0)
            used[(n - 1) / 8] |= (uint8_t)(1u << ((n - 1) % 8));
    }
    uint32_t n = 1;
    while (rc == 0 && n <= DIR_MAX_ENTRIES && (used[(n - 1) / 8] >> ((n - 1) % 8) & 1))
        n++;
    v->env.free(v->env.ctx, used);
    if (rc)
        return rc;
    if (n > DIR_MAX_ENTRIES)
        return ERR_NO_SPACE;
    fat_name_alias(name, len, n, sfn);
    return 0;
}

/* Append a zeroed cluster to the directory whose last cluster is `last`. */
static int dir_grow(struct fat_vol *v, uint32_t last, uint32_t *added)
{
    int rc = fat_alloc_chain(v, 1, false, added);
    if (rc == 0)
        rc = fat_zero_cluster(v, *added);
    if (rc == 0)
        rc = blockdev_flush(v->bd);
    if (rc == 0)
        rc = fat_set(v, last, *added);
    if (rc == 0)
        rc = fat_table_flush(v);
    return rc;
}

/* Find n consecutive free slots, growing the directory if needed; *start = the first. */
static int find_free_run(struct fat_vol *v, uint32_t dir, uint32_t n, struct fat_slot *start)
{
    struct fat_slot pos = { dir, 0 };
    uint32_t steps = 0, run = 0;
    for (;;) {
        uint8_t *e;
        int rc = slot_load(v, &pos, &e);
        if (rc)
            return rc;
        if (e[DE_NAME] == DE_FREE || e[DE_NAME] == DE_END) {
            if (run++ == 0)
                *start = pos;
            if (run == n)
                return 0;
        } else {
            run = 0;
        }
        rc = slot_advance(v, &pos, &steps);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            uint32_t added;
            if ((uint64_t)(steps + 2) * (v->cluster_size / DIRENT_SIZE) > DIR_MAX_ENTRIES)
                return ERR_NO_SPACE;
            rc = dir_grow(v, pos.cluster, &added);
            if (rc)
                return rc;
            rc = slot_advance(v, &pos, &steps);
            if (rc < 0)
                return rc;
        }
    }
}

int fat_dir_make_room(struct fat_vol *v, uint32_t dir, size_t len)
{
    struct fat_slot start;
    return find_free_run(v, dir, (uint32_t)((len + LFN_CHARS - 1) / LFN_CHARS) + 1, &start);
}

int fat_dir_add(struct fat_vol *v, uint32_t dir, const char *name, size_t len,
                const uint8_t ent[DIRENT_SIZE], struct fat_node *node)
{
    int rc = fat_dir_find(v, dir, name, len, node);
    if (rc != ERR_NOT_FOUND)
        return rc ? rc : ERR_EXISTS;
    uint8_t sfn[11], nt;
    bool need_lfn;
    rc = pick_sfn(v, dir, name, len, sfn, &nt, &need_lfn);
    if (rc)
        return rc;
    uint32_t nlfn = need_lfn ? (uint32_t)((len + LFN_CHARS - 1) / LFN_CHARS) : 0;
    uint32_t n = nlfn + 1;
    struct fat_slot slots[LFN_MAX_SLOTS + 1];
    rc = find_free_run(v, dir, n, &slots[0]);
    uint32_t steps = 0;
    for (uint32_t i = 1; rc == 0 && i < n; i++) {
        slots[i] = slots[i - 1];
        rc = slot_advance(v, &slots[i], &steps);
        rc = rc == 0 ? ERR_CORRUPT : rc < 0 ? rc : 0;
    }
    if (rc)
        return rc;
    memcpy(node->ent, ent, DIRENT_SIZE);
    memcpy(node->ent + DE_NAME, sfn, 11);
    node->ent[DE_NTRES] = nt;
    uint8_t sum = fat_lfn_checksum(sfn);
    /* Short entry first, then the long-name slots from the last one back. */
    for (uint32_t i = n; i-- > 0;) {
        uint8_t *e;
        rc = slot_load(v, &slots[i], &e);
        if (rc)
            return rc;
        if (i == n - 1)
            memcpy(e, node->ent, DIRENT_SIZE);
        else
            fat_lfn_fill(e, name, len, nlfn - i, i == 0, sum);
        v->dir_buf_dirty = true;
    }
    rc = fat_dsec_writeback(v);
    if (rc)
        return rc;
    node->dir = dir;
    node->is_root = false;
    node->first = slots[0];
    node->nslots = n;
    node->has_lfn = need_lfn;
    slot_where(v, &slots[n - 1], &node->lba, &node->off);
    if (need_lfn) {
        memcpy(node->name, name, len);
        node->name[len] = 0;
    } else {
        fat_sfn_format(sfn, nt, node->name);
    }
    return 0;
}

int fat_dir_remove(struct fat_vol *v, const struct fat_node *node)
{
    struct fat_slot pos = node->first;
    uint32_t steps = 0;
    for (uint32_t i = 0; i < node->nslots; i++) {
        uint8_t *e;
        int rc = slot_load(v, &pos, &e);
        if (rc)
            return rc;
        e[DE_NAME] = DE_FREE;
        v->dir_buf_dirty = true;
        if (i + 1 < node->nslots) {
            rc = slot_advance(v, &pos, &steps);
            if (rc <= 0)
                return rc ? rc : ERR_CORRUPT;
        }
    }
    int rc = fat_dsec_writeback(v);
    return rc ? rc : blockdev_flush(v->bd);
}

int fat_dir_is_empty(struct fat_vol *v, uint32_t dir)
{
    struct fat_slot pos = { dir, 0 };
    uint32_t steps = 0;
    struct fat_node node;
    int rc;
    while ((rc = fat_dir_next(v, dir, &pos, &steps, &node)) == 1)
        if (node.ent[DE_NAME] != '.')
            return 0;
    return rc ? rc : 1;
}

void fat_dirent_fill(const struct fat_node *node, struct fat_dirent *out)
{
    const uint8_t *e = node->ent;
    memset(out, 0, sizeof(*out));
    memcpy(out->name, node->name, sizeof(out->name));
    out->has_long_name = node->has_lfn;
    if (node->is_root) {
        out->short_name[0] = '\\';
        out->attr = FAT_ATTR_DIRECTORY;
        out->first_cluster = fat_ent_cluster(e);
        return;
    }
    fat_sfn_format(e + DE_NAME, 0, out->short_name);
    out->attr = e[DE_ATTR];
    out->size = fat_le32(e + DE_FILESIZE);
    out->first_cluster = fat_ent_cluster(e);
    out->created.date = fat_le16(e + DE_CRTDATE);
    out->created.time = fat_le16(e + DE_CRTTIME);
    out->created.tenths = e[DE_CRTTENTH];
    out->modified.date = fat_le16(e + DE_WRTDATE);
    out->modified.time = fat_le16(e + DE_WRTTIME);
    out->accessed_date = fat_le16(e + DE_LSTACCDATE);
}
