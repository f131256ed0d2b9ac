/* FAT32 core internals shared by the fat_*.c files: the volume structure, on-disk layout
 * offsets (fatgen103) and the helpers each file exports to the others. Not a public API.
 *
 * Metadata ordering (so that a reset at any instant leaves a volume fsck.fat accepts, at
 * worst with lost clusters or a chain longer than its file's size):
 *  - FAT copies are written copy 0 first; a reset between copies leaves them different,
 *    and copy 0 (the one fsck.fat and the core read) holds the ordered state.
 *  - FSInfo: before the first FAT change of an operation its free count is written as
 *    "unknown" (0xFFFFFFFF); the true value is written back when the operation ends.
 *  - Allocation: new clusters are chained and terminated in every FAT copy and flushed
 *    before anything points at them; then the old tail (or the directory entry, for an
 *    empty file) is made to point at them, then data is written, then the entry's size.
 *    An empty file gets its first cluster and size in one sector write; extending a
 *    non-empty file cannot be atomic in FAT, and a reset between linking and the size
 *    write leaves a chain longer than the size, which fsck trims back to the old size.
 *  - Shrinking: the entry's size (and first cluster, when it drops to 0) is written and
 *    flushed first; then the chain is cut and the rest freed.
 *  - Deleting: the long-name slots, then the short entry, are marked deleted and flushed
 *    before the clusters are freed. Creating writes the short entry before its long-name
 *    slots, so a torn create leaves a valid short entry, never an orphaned long name.
 *  - A new directory cluster is zeroed before it is linked to its directory.
 *  - Rename of 8.3 names in one directory rewrites the short entry in place (one sector).
 *    Any other rename writes the new entries (and a moved directory's "..") before it
 *    removes the old ones, so a reset in between leaves both names on one chain (fsck.fat
 *    reports the clusters shared) and never neither; renaming the old name to the new one
 *    again finishes it (fat_rename). Only a change of case of a long name in place removes
 *    the old entries first (the new ones would collide with them). */
#ifndef BB_FS_FAT_PRIV_H
#define BB_FS_FAT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "fs/fat/fat.h"

/* Boot sector (BPB) offsets. */
#define BPB_JMP        0
#define BPB_BYTSPERSEC 11
#define BPB_SECPERCLUS 13
#define BPB_RSVDSECCNT 14
#define BPB_NUMFATS    16
#define BPB_ROOTENTCNT 17
#define BPB_TOTSEC16   19
#define BPB_FATSZ16    22
#define BPB_TOTSEC32   32
#define BPB_FATSZ32    36
#define BPB_EXTFLAGS   40
#define BPB_FSVER      42
#define BPB_ROOTCLUS   44
#define BPB_FSINFO     48
#define BS_VOLLAB      71        /* FAT32 extended boot record: volume label, 11 bytes */
#define BS_VOLLAB_LEN  11
#define BPB_SIG        510       /* 0x55 0xAA */

/* FSInfo sector offsets and signatures. */
#define FSI_LEADSIG    0
#define FSI_STRUCSIG   484
#define FSI_FREECOUNT  488
#define FSI_NXTFREE    492
#define FSI_TRAILSIG   508
#define FSI_LEAD       0x41615252u
#define FSI_STRUC      0x61417272u
#define FSI_TRAIL      0xAA550000u
#define FSI_UNKNOWN    0xFFFFFFFFu

/* FAT entry values (28 bits used). */
#define FAT_MASK       0x0FFFFFFFu
#define FAT_BAD        0x0FFFFFF7u
#define FAT_EOC_MIN    0x0FFFFFF8u
#define FAT_EOC        0x0FFFFFFFu

/* Directory entry layout. */
#define DIRENT_SIZE    32
#define DE_NAME        0
#define DE_ATTR        11
#define DE_NTRES       12
#define DE_CRTTENTH    13
#define DE_CRTTIME     14
#define DE_CRTDATE     16
#define DE_LSTACCDATE  18
#define DE_FSTCLUSHI   20
#define DE_WRTTIME     22
#define DE_WRTDATE     24
#define DE_FSTCLUSLO   26
#define DE_FILESIZE    28
#define DE_FREE        0xE5      /* first name byte of a deleted entry */
#define DE_END         0x00      /* first name byte: this and all later entries are free */
#define DE_KANJI_E5    0x05      /* stored for a real leading 0xE5 name byte */
#define NT_LOWER_BASE  0x08
#define NT_LOWER_EXT   0x10

/* Long-name (VFAT) slot layout. */
#define LFN_ORD        0
#define LFN_NAME1      1         /* 5 UTF-16 units */
#define LFN_ATTR       11
#define LFN_CHKSUM     13
#define LFN_NAME2      14        /* 6 units */
#define LFN_NAME3      28        /* 2 units */
#define LFN_ATTR_VAL   0x0F
#define LFN_LAST       0x40
#define LFN_CHARS      13
#define LFN_MAX_SLOTS  20        /* 255 characters */

#define DIR_MAX_ENTRIES 65536    /* a directory may not grow past 2 MiB */

/* A mounted volume. All fields [I] after fat_mount except where marked [M] (changed by the
 * core as it works). */
struct fat_vol {
    struct blockdev *bd;
    struct fat_env env;
    uint32_t bps;              /* bytes per sector == bd->sector_size */
    uint32_t spc;              /* sectors per cluster, a power of two */
    uint32_t cluster_size;     /* bps * spc, at most 64 KiB */
    uint64_t fat_lba;          /* first sector of FAT copy 0 */
    uint32_t fat_sectors;      /* sectors per FAT copy, holds clusters + 2 entries */
    uint32_t nfats;            /* copies written on every change (1 if mirroring is off) */
    uint32_t active_fat;       /* copy read from (0 unless mirroring is off) */
    uint64_t data_lba;         /* sector of cluster 2 */
    uint32_t clusters;         /* data clusters: valid numbers are 2..clusters+1 */
    uint32_t root;             /* root directory's first cluster, in range */
    uint32_t fsinfo_lba;       /* FSInfo sector, 0 if the volume has no valid one */
    uint32_t free_count;       /* [M] free clusters: exact once free_counted, else FSInfo's */
    bool free_counted;         /* [M] free_count comes from a scan of the FAT */
    bool fsinfo_fixed;         /* [M] FSInfo's free count proved wrong (rewritten) */
    uint32_t next_free;        /* [M] where the next allocation search starts, in range */
    bool fsinfo_unknown;       /* [M] FSInfo on disk currently says "free count unknown" */
    uint8_t *fat_buf;          /* [M] one cached FAT sector (of the active copy) */
    uint64_t fat_buf_lba;      /* [M] its sector number relative to fat_lba; ~0 if none */
    bool fat_buf_dirty;        /* [M] changed since last written to every copy */
    uint8_t *dir_buf;          /* [M] one cached directory (or FSInfo) sector */
    uint64_t dir_buf_lba;      /* [M] its volume sector number; ~0 if none */
    bool dir_buf_dirty;        /* [M] changed since last written */
    uint8_t *bounce;           /* [M] scratch sector for partial data transfers */
    char label[BS_VOLLAB_LEN + 1]; /* boot-sector volume label, trailing blanks removed */
    fat_guard_fn guard;        /* [M] fat_set_guard's: asked before an entry changes */
    void *guard_ctx;           /* [M] passed back to it */
    bool crash_armed;          /* [M] kernel: set by fat_arm_crash, FAT_CRASH_POINT bugchecks */
};

/* The crash tools' point in the middle of an update (fat_arm_crash): in the kernel, when
 * armed, a bugcheck 0xE2 right here, which the blue screen and `bbdump analyze` name (the
 * function and line of the FAT code). Nothing in the hosted and userland builds. */
#ifdef BB_KERNEL
#include "bugcheck/bugcheck.h"
#define FAT_CRASH_POINT(v) do { \
    if ((v)->crash_armed) \
        bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0); \
    } while (0)
#else
#define FAT_CRASH_POINT(v) ((void)(v))
#endif

/* Position of one 32-byte directory slot. */
struct fat_slot {
    uint32_t cluster;          /* cluster of the directory chain holding it */
    uint32_t index;            /* slot index within that cluster */
};

/* A directory entry found by a scan, with where it lives. */
struct fat_node {
    uint8_t ent[DIRENT_SIZE];  /* copy of the short entry */
    char name[FAT_NAME_MAX + 1]; /* long name, or the displayed 8.3 name */
    bool has_lfn;
    uint32_t dir;              /* first cluster of the directory holding it */
    struct fat_slot first;     /* first slot (a long-name slot, or the short entry) */
    uint32_t nslots;           /* slots from first to the short entry, inclusive */
    uint64_t lba;              /* sector of the short entry */
    uint32_t off;              /* its byte offset in that sector */
    bool is_root;              /* the root directory itself (no entry) */
};

/* little-endian access */
static inline uint16_t fat_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fat_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void fat_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void fat_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t fat_ent_cluster(const uint8_t *e)
{
    return (uint32_t)fat_le16(e + DE_FSTCLUSHI) << 16 | fat_le16(e + DE_FSTCLUSLO);
}
static inline void fat_ent_set_cluster(uint8_t *e, uint32_t c)
{
    fat_put16(e + DE_FSTCLUSHI, (uint16_t)(c >> 16));
    fat_put16(e + DE_FSTCLUSLO, (uint16_t)c);
}
static inline bool fat_cluster_ok(const struct fat_vol *v, uint32_t c)
{
    return c >= 2 && c - 2 < v->clusters;
}
static inline uint64_t fat_cluster_lba(const struct fat_vol *v, uint32_t c)
{
    return v->data_lba + (uint64_t)(c - 2) * v->spc;
}

/* fat_mount.c: the directory-sector cache and operation bracketing. */
int fat_dsec_load(struct fat_vol *v, uint64_t lba);    /* into dir_buf, writing back first */
int fat_dsec_writeback(struct fat_vol *v);             /* write dir_buf if dirty */
void fat_dsec_forget(struct fat_vol *v, uint64_t lba, uint64_t count);
int fat_op_begin(struct fat_vol *v);     /* before the first FAT change of an operation */
int fat_op_end(struct fat_vol *v, int rc); /* write FSInfo, flush; returns rc or the error */
void fat_now(struct fat_vol *v, struct fat_time *t);
/* The guard's word on changing the file or directory whose chain starts at c (0: allowed). */
int fat_guard_check(const struct fat_vol *v, uint32_t c);

/* fat_table.c: FAT entries and cluster chains. */
int fat_get(struct fat_vol *v, uint32_t c, uint32_t *val);
int fat_set(struct fat_vol *v, uint32_t c, uint32_t val);
int fat_table_flush(struct fat_vol *v);  /* write the cached FAT sector to every copy */
/* Next cluster of a chain: *next = 0 at end of chain; ERR_CORRUPT for free, bad or
 * out-of-range entries. */
int fat_next(struct fat_vol *v, uint32_t c, uint32_t *next);
/* Count a chain's clusters, ERR_CORRUPT on a loop (more than v->clusters links). */
int fat_chain_len(struct fat_vol *v, uint32_t first, uint32_t *len);
/* Allocate n clusters as a new terminated chain (one run if contiguous), flushed. */
int fat_alloc_chain(struct fat_vol *v, uint32_t n, bool contiguous, uint32_t *first);
int fat_free_chain(struct fat_vol *v, uint32_t first);   /* frees and flushes */
/* Set free_count by scanning the FAT (free_counted); fsinfo_fixed if it differed. */
int fat_count_free(struct fat_vol *v);
int fat_zero_cluster(struct fat_vol *v, uint32_t c);

/* fat_name.c: names. */
int fat_name_check(const char *name, size_t len);   /* 0 or ERR_INVALID_ARGS */
/* Decodes a stored long name, units[0..n) up to the first 0, into out (FAT_NAME_MAX + 1
 * bytes). Returns its length; ERR_CORRUPT for a name FAT cannot hold (empty, longer than
 * FAT_NAME_MAX, a character below 0x20 or one of " * / : < > ? \ |, a trailing '.' or
 * space: damaged or hostile), ERR_NOT_SUPPORTED for one beyond ASCII. out is "" then. */
int fat_lfn_decode(const uint16_t *units, size_t n, char *out);
/* Fill sfn with the 8.3 form if name fits it exactly; *nt gets the NT case flags. */
bool fat_name_fits_83(const char *name, size_t len, uint8_t sfn[11], uint8_t *nt);
/* Basis for an alias with numeric tail n (1..999999): "BASE~N  EXT". */
void fat_name_alias(const char *name, size_t len, uint32_t n, uint8_t sfn[11]);
uint8_t fat_lfn_checksum(const uint8_t sfn[11]);
/* "NAME.EXT" from a stored 11-byte name; apply the NT lowercase flags if nt. */
void fat_sfn_format(const uint8_t sfn[11], uint8_t nt, char out[13]);
bool fat_name_eq(const char *a, size_t alen, const char *b);   /* case-insensitive ASCII */
/* Fill long-name slot `ord` (1-based) for name; last marks the final (first stored) one. */
void fat_lfn_fill(uint8_t *slot, const char *name, size_t len, uint32_t ord, bool last,
                  uint8_t sum);

/* fat_dir.c: directory scanning and editing. */
/* Iterate live entries; *pos starts at {dir, 0}. Returns 1 with *node filled, 0 at end. */
int fat_dir_next(struct fat_vol *v, uint32_t dir, struct fat_slot *pos, uint32_t *steps,
                 struct fat_node *node);
int fat_dir_find(struct fat_vol *v, uint32_t dir, const char *name, size_t len,
                 struct fat_node *node);          /* ERR_NOT_FOUND */
/* Add entry `ent` (its name field is filled in here) named name to dir; *node describes
 * the result. */
int fat_dir_add(struct fat_vol *v, uint32_t dir, const char *name, size_t len,
                const uint8_t ent[DIRENT_SIZE], struct fat_node *node);
/* Grow dir if needed so that a name of len characters can be added without growing it. */
int fat_dir_make_room(struct fat_vol *v, uint32_t dir, size_t len);
int fat_dir_remove(struct fat_vol *v, const struct fat_node *node);
int fat_dir_is_empty(struct fat_vol *v, uint32_t dir);   /* 1, 0 or ERR_* */
void fat_dirent_fill(const struct fat_node *node, struct fat_dirent *out);

/* fat_path.c: lookup. fat_dir_cluster gives the first cluster of the directory a node
 * names (ERR_NOT_DIR, or ERR_CORRUPT if it lies outside the volume). */
int fat_lookup(struct fat_vol *v, const char *path, struct fat_node *node);
/* Look path up again: ERR_CORRUPT if a directory searched on the way (the root, each
 * ancestor, the directory holding the last entry) starts at cluster dir. */
int fat_lookup_avoiding(struct fat_vol *v, const char *path, uint32_t dir);
/* Resolve all but the last component: *dir = that directory's cluster, *leaf its name. */
int fat_dir_cluster(struct fat_vol *v, const struct fat_node *node, uint32_t *c);
int fat_lookup_parent(struct fat_vol *v, const char *path, uint32_t *dir, const char **leaf,
                      size_t *leaf_len);

#endif
