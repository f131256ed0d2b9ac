/* FAT32 file system: the portable core. Compiled freestanding into the kernel and hosted into
 * the unit tests and tools; all I/O goes through a struct blockdev (the partition slice), all
 * memory and the clock through a struct fat_env given at mount. Not thread-safe: the caller
 * serializes every call on one volume. Nothing here is safe at bugcheck time; only the
 * extent map produced by fat_extents() is meant to be used then (it is plain data). */
#ifndef BB_FS_FAT_H
#define BB_FS_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/blockdev.h"

#define FAT_NAME_MAX 255        /* longest name component, in characters */

/* Directory entry attribute bits (fatgen103). */
#define FAT_ATTR_READ_ONLY 0x01
#define FAT_ATTR_HIDDEN    0x02
#define FAT_ATTR_SYSTEM    0x04
#define FAT_ATTR_VOLUME_ID 0x08
#define FAT_ATTR_DIRECTORY 0x10
#define FAT_ATTR_ARCHIVE   0x20

/* A FAT timestamp. date = (year-1980)<<9 | month<<5 | day; time = hour<<11 | min<<5 | sec/2;
 * tenths = 10 ms units past the 2-second time, 0..199 (only kept for the creation time). */
struct fat_time {
    uint16_t date;
    uint16_t time;
    uint8_t tenths;
};

/* What the host environment provides. All three functions are required. */
struct fat_env {
    void *ctx;                                      /* passed back to every call */
    void *(*alloc)(void *ctx, size_t bytes);        /* NULL when out of memory */
    void (*free)(void *ctx, void *p);
    void (*now)(void *ctx, struct fat_time *out);   /* current local time */
};

struct fat_vol;   /* a mounted volume; opaque, allocated through the env */

/* An open file. Plain data owned by the caller; valid until the file is renamed, deleted or
 * the volume unmounted (the core checks the directory entry still names the file on every
 * metadata update and fails with ERR_BAD_STATE if not). Any number of handles may read a
 * file, but only one may change it (writes store the handle's size and chain in the entry).
 * Fields are private to the core. */
struct fat_file {
    struct fat_vol *vol;
    uint32_t first_cluster;   /* 0 while the file has no cluster */
    uint32_t size;            /* bytes; never more than the chain holds */
    uint8_t attr;
    uint16_t access_date;     /* last access date written to the entry */
    uint8_t sfn[11];          /* short name in the entry, to detect a stale handle */
    uint64_t ent_lba;         /* sector (of the volume) holding the short entry */
    uint32_t ent_off;         /* byte offset of the short entry in that sector */
    uint32_t pos_index;       /* cached: cluster number pos_index of the chain ... */
    uint32_t pos_cluster;     /* ... is pos_cluster (0 = nothing cached) */
};

/* One directory entry as listed. */
struct fat_dirent {
    char name[FAT_NAME_MAX + 1]; /* long name if any (one FAT allows, in ASCII: any other
                                    is ignored), else the 8.3 name with its NT case flags
                                    applied, '?' for a byte beyond ASCII */
    char short_name[13];         /* the 8.3 name as stored, "NAME.EXT" */
    bool has_long_name;
    uint8_t attr;                /* FAT_ATTR_* */
    uint32_t size;               /* bytes; 0 for directories */
    uint32_t first_cluster;      /* 0 for an empty file */
    struct fat_time created;
    struct fat_time modified;    /* tenths always 0 */
    uint16_t accessed_date;
};

/* A directory being listed; plain data owned by the caller, private fields. */
struct fat_dir {
    struct fat_vol *vol;
    uint32_t first_cluster;   /* the directory's chain */
    uint32_t cluster;         /* cluster holding the next entry to read; 0 at the end */
    uint32_t index;           /* entry index inside that cluster */
    uint32_t steps;           /* clusters walked, bounded by the volume's cluster count */
};

/* One run of a file's clusters: `sectors` logical sectors starting at `lba`, a sector
 * number of the volume's blockdev (the partition, not the whole disk). */
struct fat_extent {
    uint64_t lba;
    uint64_t sectors;
};

/* Volume figures. */
struct fat_info {
    uint32_t sector_size;     /* bytes per logical sector */
    uint32_t cluster_size;    /* bytes per cluster */
    uint32_t clusters;        /* data clusters, numbered 2..clusters+1 */
    uint32_t free_clusters;
    bool fsinfo_fixed;        /* FSInfo's free count was wrong: counted from the FAT instead
                                 (at mount, or when an allocation it promised failed) */
    char label[12];           /* boot-sector volume label, blanks trimmed ("" if none) */
};

/* Mount the FAT32 volume on bd. Validates the boot sector (ERR_CORRUPT), refuses FAT12/16
 * and unknown versions (ERR_NOT_SUPPORTED), reads FSInfo (its free count and next-free hint
 * are used only when plausible; otherwise the FAT is scanned, and FSInfo rewritten at the next
 * write; fat_info says so). ERR_NO_MEMORY, ERR_IO. */
int fat_mount(struct blockdev *bd, const struct fat_env *env, struct fat_vol **out);
/* Write back FSInfo, flush the device, free the volume. Returns the first error met; the
 * volume is freed in any case. */
int fat_unmount(struct fat_vol *vol);
/* Flush the device (every metadata write is already through). */
int fat_sync(struct fat_vol *vol);
/* A guard the volume's owner may set (the kernel's dump stack protects its armed target
 * this way): asked with the first cluster of an existing file or directory before its data,
 * size or name change (fat_write, fat_truncate, fat_zero_fill, fat_unlink, fat_rename: the
 * one renamed) and by fat_may_change. Returns 0 to allow, or the ERR_* code the change then
 * fails with, before anything is written. NULL (the default) allows everything. */
typedef int (*fat_guard_fn)(void *ctx, const struct fat_vol *vol, uint32_t first_cluster);
void fat_set_guard(struct fat_vol *vol, fat_guard_fn fn, void *ctx);
#ifdef BB_KERNEL
/* Kernel only, for the crash tools (`crash fat`, `notmyfault fat`): while armed, the next
 * fat_write (or fat_truncate that grows) on vol bugchecks (0xE2) in grow_write once any new
 * clusters are chained in the on-disk FAT and the data written, before the directory entry
 * records size and chain. */
void fat_arm_crash(struct fat_vol *vol, bool armed);
#endif
void fat_info(const struct fat_vol *vol, struct fat_info *out);

/* Paths: components separated by '/' or '\', matched case-insensitively against long and
 * 8.3 names; leading separators optional. Names are ASCII; any other byte, a control
 * character or one of "*:<>?| is ERR_INVALID_ARGS, as is a name ending in '.' or ' '. */

/* Open an existing file (ERR_NOT_FOUND, ERR_IS_DIR, ERR_NOT_DIR for a file used as a
 * directory in the path, ERR_CORRUPT). */
int fat_open(struct fat_vol *vol, const char *path, struct fat_file *f);
/* Create an empty file and open it (ERR_EXISTS if the name is taken, ERR_NO_SPACE). */
int fat_create(struct fat_vol *vol, const char *path, struct fat_file *f);
/* Create a file of `bytes` bytes whose clusters form one contiguous run (for the pagefile),
 * and open it. ERR_NO_SPACE if no free run is long enough (no fallback), ERR_TOO_BIG above
 * 4 GiB - 1. The contents are whatever the clusters held: the caller overwrites them. */
int fat_create_contiguous(struct fat_vol *vol, const char *path, uint32_t bytes,
                          struct fat_file *f);

/* Read up to len bytes at offset off; *done = bytes read (short at end of file). Updates the
 * access date when it changed. 0 or ERR_*. */
int fat_read(struct fat_file *f, uint64_t off, void *buf, size_t len, size_t *done);
/* Write len bytes at off, extending the file (a gap past the old end reads as zeros).
 * *done = bytes written. ERR_NO_SPACE (nothing past the old size becomes visible),
 * ERR_TOO_BIG if the file would pass 4 GiB - 1. */
int fat_write(struct fat_file *f, uint64_t off, const void *buf, size_t len, size_t *done);
/* Set the file size: shrinking frees clusters, growing adds zeros. */
int fat_truncate(struct fat_file *f, uint32_t size);
uint32_t fat_file_size(const struct fat_file *f);
/* What the volume's guard says about changing f (0: allowed): for opening it for writing. */
int fat_may_change(const struct fat_file *f);

/* Write zeros over every cluster of f (whole clusters, past its size too), in transfers of
 * at most FAT_ZERO_CHUNK bytes over runs of adjacent clusters; no metadata changes. For a
 * file made with fat_create_contiguous that must be backed by the disk below before it is
 * used (the dump target). 0, ERR_NO_MEMORY, ERR_CORRUPT (a broken chain: nothing written),
 * or the device's error. */
#define FAT_ZERO_CHUNK (1u << 20)
int fat_zero_fill(struct fat_file *f);
/* The file's clusters as runs of sectors, in file order. Fills at most max runs, sets *count
 * to the number of runs the file has; ERR_TOO_BIG if that is more than max. Covers whole
 * clusters: the last run may extend past the file size. */
int fat_extents(struct fat_file *f, struct fat_extent *out, size_t max, size_t *count);

/* Remove a file (ERR_IS_DIR for a directory). */
int fat_unlink(struct fat_vol *vol, const char *path);
/* Make a directory (ERR_EXISTS). */
int fat_mkdir(struct fat_vol *vol, const char *path);
/* Remove an empty directory (ERR_NOT_EMPTY, ERR_NOT_DIR, ERR_ACCESS for the root). */
int fat_rmdir(struct fat_vol *vol, const char *path);
/* Rename or move a file or directory within the volume. ERR_EXISTS if `to` exists (but a
 * `to` holding the same first cluster as `from` is the same file named twice by a rename cut
 * short: the rename is finished by removing `from`'s entry), ERR_INVALID_ARGS when moving a
 * directory into itself. The new entry is written before the old one is removed, so a reset
 * at any instant leaves the file under its old name, its new one, or both. Open handles on
 * it become stale. */
int fat_rename(struct fat_vol *vol, const char *from, const char *to);
/* Describe the entry at path; the root is a directory named "\". */
int fat_stat(struct fat_vol *vol, const char *path, struct fat_dirent *out);

/* List a directory: fat_readdir returns 1 with *out filled, 0 at the end, or ERR_*. The
 * "." and ".." entries and the volume label are skipped. */
int fat_opendir(struct fat_vol *vol, const char *path, struct fat_dir *d);
int fat_readdir(struct fat_dir *d, struct fat_dirent *out);

#endif
