/* Volumes: at boot every registered disk's GPT is read and each Microsoft basic-data
 * partition gets the next drive letter, C: first (disks in registration order: AHCI, the
 * system disk, before NVMe), and its FAT32 is mounted. A partition that fails to mount keeps
 * its letter (so D: stays D: when C: is damaged) and reports why on use. Paths name a volume with
 * "C:\dir\file"; without a drive the system volume C: is meant. Blackbox dump partitions
 * (lib/gpt.h's GPT_TYPE_BB_DUMP_TEXT) are listed apart and never mounted, formatted or
 * written here: only the dump stack writes them. Not for bugcheck time. */
#ifndef BB_BLOCK_VOLUME_H
#define BB_BLOCK_VOLUME_H

#include "lib/blockdev.h"
#include "block/disk.h"
#include "fs/fat/fat.h"

#define VOLUME_MAX 8
#define VOLUME_PARTS_PER_DISK 16

struct volume {
    char letter;                  /* 'C', 'D', ... [I] */
    const struct disk *disk;      /* the disk holding it [I] */
    unsigned partition;           /* 1-based GPT entry number [I] */
    char name[24];                /* "ahci0p1" [I] */
    struct blockdev_slice slice;  /* the partition as a block device [I] */
    struct fat_vol *fat;          /* the mounted file system, NULL if mounting failed [I] */
    int mount_err;                /* why mounting failed (0 when mounted) [I] */
};

#define DUMP_PART_MAX 4

/* A Blackbox dump partition found by the scan: a raw run of the disk's sectors. */
struct dump_part {
    const struct disk *disk;      /* the disk holding it [I] */
    unsigned partition;           /* 1-based GPT entry number [I] */
    char name[24];                /* "nvme0n1p2" [I] */
    uint64_t first_lba;           /* first sector, in the disk's sectors [I] */
    uint64_t sectors;             /* its length, in the disk's sectors [I] */
};

/* Scan all disks, mount what can be mounted; a disk or partition that cannot be read is
 * logged with the reason and skipped. Returns the number of volumes. */
int volume_mount_all(void);
/* The i-th volume (letter order), or NULL; check ->fat before use. */
struct volume *volume_at(unsigned i);
/* The volume with drive letter `letter` (either case), or NULL; check ->fat before use. */
struct volume *volume_by_letter(char letter);
/* Split `path` into its volume and the path inside it (pointing into `path`). Returns 0,
 * ERR_NOT_FOUND (no such drive), ERR_INVALID_ARGS (empty path), or the volume's mount error
 * when its file system could not be mounted. */
int volume_resolve(const char *path, struct volume **v, const char **inner);
/* The i-th dump partition (disk order, then GPT entry order), or NULL past the end. */
const struct dump_part *volume_dump_part_at(unsigned i);
/* Write back everything cached on every volume. */
int volume_sync_all(void);

#endif
