/* FAT32 mount and unmount: boot sector (BPB) and FSInfo validation, the volume's sector
 * caches, and the per-operation FSInfo bracketing described in fat_priv.h. */
#include <stddef.h>
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

#define NO_SECTOR (~(uint64_t)0)

void fat_now(struct fat_vol *v, struct fat_time *t)
{
    memset(t, 0, sizeof(*t));
    v->env.now(v->env.ctx, t);
}

int fat_dsec_writeback(struct fat_vol *v)
{
    if (!v->dir_buf_dirty)
        return 0;
    int rc = blockdev_write(v->bd, v->dir_buf_lba, 1, v->dir_buf);
    if (rc == 0)
        v->dir_buf_dirty = false;
    return rc;
}

int fat_dsec_load(struct fat_vol *v, uint64_t lba)
{
    if (v->dir_buf_lba == lba)
        return 0;
    int rc = fat_dsec_writeback(v);
    if (rc)
        return rc;
    v->dir_buf_lba = NO_SECTOR;
    rc = blockdev_read(v->bd, lba, 1, v->dir_buf);
    if (rc == 0)
        v->dir_buf_lba = lba;
    return rc;
}

/* Data transfers call this so the cache never holds a stale copy of a reused cluster. */
void fat_dsec_forget(struct fat_vol *v, uint64_t lba, uint64_t count)
{
    if (v->dir_buf_lba != NO_SECTOR && v->dir_buf_lba >= lba && v->dir_buf_lba - lba < count) {
        v->dir_buf_lba = NO_SECTOR;
        v->dir_buf_dirty = false;
    }
}

static int fsinfo_write(struct fat_vol *v, uint32_t free_count)
{
    if (!v->fsinfo_lba)
        return 0;
    int rc = fat_dsec_load(v, v->fsinfo_lba);
    if (rc)
        return rc;
    fat_put32(v->dir_buf + FSI_FREECOUNT, free_count);
    fat_put32(v->dir_buf + FSI_NXTFREE, v->next_free);
    v->dir_buf_dirty = true;
    return fat_dsec_writeback(v);
}

int fat_op_begin(struct fat_vol *v)
{
    if (v->fsinfo_unknown || !v->fsinfo_lba)
        return 0;
    int rc = fsinfo_write(v, FSI_UNKNOWN);
    if (rc == 0)
        rc = blockdev_flush(v->bd);
    if (rc == 0)
        v->fsinfo_unknown = true;
    return rc;
}

int fat_op_end(struct fat_vol *v, int rc)
{
    int r = fat_table_flush(v);
    if (r == 0)
        r = fat_dsec_writeback(v);
    if (r == 0)
        r = blockdev_flush(v->bd);
    if (r == 0 && v->fsinfo_unknown) {
        r = fsinfo_write(v, v->free_count);
        if (r == 0)
            r = blockdev_flush(v->bd);
        if (r == 0)
            v->fsinfo_unknown = false;
    }
    return rc ? rc : r;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

/* Check the boot sector in buf against the device and fill the geometry of v. */
static int parse_bpb(struct fat_vol *v, const uint8_t *b)
{
    if (!((b[BPB_JMP] == 0xEB && b[BPB_JMP + 2] == 0x90) || b[BPB_JMP] == 0xE9))
        return ERR_CORRUPT;
    if (b[BPB_SIG] != 0x55 || b[BPB_SIG + 1] != 0xAA)
        return ERR_CORRUPT;
    uint32_t bps = fat_le16(b + BPB_BYTSPERSEC);
    if (bps != v->bd->sector_size)
        return ERR_CORRUPT;
    uint32_t spc = b[BPB_SECPERCLUS];
    if (!is_pow2(spc) || (uint64_t)spc * bps > 65536)
        return ERR_CORRUPT;
    uint32_t rsvd = fat_le16(b + BPB_RSVDSECCNT);
    uint32_t nfats = b[BPB_NUMFATS];
    if (rsvd == 0 || nfats == 0)
        return ERR_CORRUPT;
    /* FAT12/16 have a fixed root directory and a 16-bit FAT size. */
    if (fat_le16(b + BPB_ROOTENTCNT) != 0 || fat_le16(b + BPB_FATSZ16) != 0)
        return ERR_NOT_SUPPORTED;
    if (fat_le16(b + BPB_FSVER) != 0)
        return ERR_NOT_SUPPORTED;
    uint64_t total = fat_le16(b + BPB_TOTSEC16);
    if (total == 0)
        total = fat_le32(b + BPB_TOTSEC32);
    if (total == 0 || total > v->bd->sectors)
        return ERR_CORRUPT;
    uint32_t fatsz = fat_le32(b + BPB_FATSZ32);
    uint64_t data = (uint64_t)rsvd + (uint64_t)nfats * fatsz;
    if (fatsz == 0 || data >= total)
        return ERR_CORRUPT;
    uint64_t clusters = (total - data) / spc;
    if (clusters == 0 || clusters > FAT_BAD - 2)
        return ERR_CORRUPT;
    if ((uint64_t)fatsz * bps / 4 < clusters + 2)
        return ERR_CORRUPT;
    uint16_t ext = fat_le16(b + BPB_EXTFLAGS);
    v->bps = bps;
    v->spc = spc;
    v->cluster_size = bps * spc;
    v->fat_lba = rsvd;
    v->fat_sectors = fatsz;
    v->nfats = nfats;
    v->active_fat = 0;
    if (ext & 0x80) {          /* mirroring off: only the active FAT is used */
        v->active_fat = ext & 0x0F;
        if (v->active_fat >= nfats)
            return ERR_CORRUPT;
        v->nfats = 1;
    }
    v->data_lba = data;
    v->clusters = (uint32_t)clusters;
    v->root = fat_le32(b + BPB_ROOTCLUS);
    size_t label_len = BS_VOLLAB_LEN;
    memcpy(v->label, b + BS_VOLLAB, label_len);
    while (label_len > 0 && (v->label[label_len - 1] == ' ' || v->label[label_len - 1] == 0))
        label_len--;
    v->label[label_len] = 0;
    if (label_len == 7 && memcmp(v->label, "NO NAME", 7) == 0)
        v->label[0] = 0;
    if (!fat_cluster_ok(v, v->root))
        return ERR_CORRUPT;
    uint32_t fsi = fat_le16(b + BPB_FSINFO);
    v->fsinfo_lba = fsi >= 1 && fsi < rsvd ? fsi : 0;
    return 0;
}

/* Read FSInfo: drop it if its signatures are wrong; take its hints only if plausible. A free
 * count of 0 or past the cluster count ("unknown" among them) is counted from the FAT and
 * rewritten; a plausible one that proves wrong is recounted at the first allocation it fails
 * (fat_alloc_chain). */
static int read_fsinfo(struct fat_vol *v)
{
    uint32_t fc = FSI_UNKNOWN;
    v->next_free = 2;
    if (v->fsinfo_lba) {
        int rc = fat_dsec_load(v, v->fsinfo_lba);
        if (rc)
            return rc;
        const uint8_t *s = v->dir_buf;
        if (fat_le32(s + FSI_LEADSIG) != FSI_LEAD || fat_le32(s + FSI_STRUCSIG) != FSI_STRUC ||
            fat_le32(s + FSI_TRAILSIG) != FSI_TRAIL) {
            v->fsinfo_lba = 0;
        } else {
            uint32_t nf = fat_le32(s + FSI_NXTFREE);
            fc = fat_le32(s + FSI_FREECOUNT);
            if (fat_cluster_ok(v, nf))
                v->next_free = nf;
        }
    }
    if (v->fsinfo_lba && fc != 0 && fc <= v->clusters) {
        v->free_count = fc;
        return 0;
    }
    v->free_count = fc;
    int rc = fat_count_free(v);
    if (v->free_count != fc)
        v->fsinfo_unknown = true;   /* rewritten with the counted value */
    v->fsinfo_fixed = fc != FSI_UNKNOWN && v->free_count != fc;
    return rc;
}

static void vol_free(struct fat_vol *v)
{
    struct fat_env env = v->env;
    if (v->fat_buf)
        env.free(env.ctx, v->fat_buf);
    if (v->dir_buf)
        env.free(env.ctx, v->dir_buf);
    if (v->bounce)
        env.free(env.ctx, v->bounce);
    env.free(env.ctx, v);
}

int fat_mount(struct blockdev *bd, const struct fat_env *env, struct fat_vol **out)
{
    if (!bd || !env || !env->alloc || !env->free || !env->now || !out)
        return ERR_INVALID_ARGS;
    if (bd->sector_size < 512 || bd->sector_size > 4096 || !is_pow2(bd->sector_size))
        return ERR_NOT_SUPPORTED;
    struct fat_vol *v = env->alloc(env->ctx, sizeof(*v));
    if (!v)
        return ERR_NO_MEMORY;
    memset(v, 0, sizeof(*v));
    v->bd = bd;
    v->env = *env;
    v->fat_buf_lba = NO_SECTOR;
    v->dir_buf_lba = NO_SECTOR;
    v->fat_buf = env->alloc(env->ctx, bd->sector_size);
    v->dir_buf = env->alloc(env->ctx, bd->sector_size);
    v->bounce = env->alloc(env->ctx, bd->sector_size);
    int rc = ERR_NO_MEMORY;
    if (v->fat_buf && v->dir_buf && v->bounce)
        rc = blockdev_read(bd, 0, 1, v->dir_buf);
    if (rc == 0)
        rc = parse_bpb(v, v->dir_buf);
    if (rc == 0)
        rc = read_fsinfo(v);
    if (rc) {
        vol_free(v);
        return rc == ERR_RANGE ? ERR_CORRUPT : rc;
    }
    *out = v;
    return 0;
}

void fat_set_guard(struct fat_vol *v, fat_guard_fn fn, void *ctx)
{
    v->guard = fn;
    v->guard_ctx = ctx;
}

#ifdef BB_KERNEL
void fat_arm_crash(struct fat_vol *v, bool armed)
{
    v->crash_armed = armed;
}
#endif

int fat_guard_check(const struct fat_vol *v, uint32_t c)
{
    return v->guard ? v->guard(v->guard_ctx, v, c) : 0;
}

int fat_sync(struct fat_vol *v)
{
    return fat_op_end(v, 0);
}

int fat_unmount(struct fat_vol *v)
{
    if (!v)
        return ERR_INVALID_ARGS;
    int rc = fat_op_end(v, 0);
    vol_free(v);
    return rc;
}

void fat_info(const struct fat_vol *v, struct fat_info *out)
{
    out->sector_size = v->bps;
    out->cluster_size = v->cluster_size;
    out->clusters = v->clusters;
    out->free_clusters = v->free_count;
    out->fsinfo_fixed = v->fsinfo_fixed;
    memcpy(out->label, v->label, sizeof out->label);
}
