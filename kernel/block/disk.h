/* The kernel's list of disks: each storage driver registers one struct blockdev per disk
 * (AHCI port, NVMe namespace) with a line describing the controller and its crash-dump parts
 * (FreeBSD's d_dump); GPT, volumes, the shell's `disks` command and the dump stack read the
 * list. Not for use at bugcheck time. */
#ifndef BB_BLOCK_DISK_H
#define BB_BLOCK_DISK_H

#include "lib/blockdev.h"

#define DISK_MAX 8

struct clone_params;   /* dump/clone/clone_abi.h: the parameter block of a clone */

/* What a disk's driver hands the dump stack so that a dump can be written to this disk: its
 * clone (the polled copy of its driver) and the live glue's hooks for it. The dump stack knows no driver by
 * name; it takes these from the disk holding the dump target. All calls: boot or process
 * context, never at bugcheck time. [I] */
struct disk_dump {
    const char *name;                       /* the clone's name: "dump_ahci" */
    const unsigned char *image, *image_end; /* its packed image (dump/clone/clone_abi.h), embedded
                                               from the driver's own folder */
    uint64_t state_bytes;                   /* bytes of state and DMA pages the clone needs */
    /* Fill the controller part of the clone's parameters for bd: register mapping, unit,
     * geometry, largest transfer, write span. 0 or an ERR_* code (the disk cannot take a
     * dump, e.g. ERR_NOT_SUPPORTED). */
    int (*params)(const struct blockdev *bd, struct clone_params *prm);
    /* Optional: give the loaded clone what it needs from the live driver (NVMe creates the
     * clone's own queue pair on its state pages). 0 or an ERR_* code. */
    int (*attach)(const struct blockdev *bd, const struct clone_params *prm);
    /* Optional: hand the hardware back to the live driver after the clone's boot self-test.
     * 0 or an ERR_* code. */
    int (*release)(const struct blockdev *bd);
    /* Start a read of up to `count` sectors at `lba` into `buf` and return while it is still
     * in flight (`crash io`). 0 or ERR_BUSY. */
    int (*start_read)(const struct blockdev *bd, uint64_t lba, uint32_t count, void *buf);
};

struct disk {
    struct blockdev *bd;             /* the whole disk [I] */
    char model[41];                  /* model string from IDENTIFY, trimmed [I] */
    char controller[48];             /* e.g. "ahci0 port 0 (8086:2922)" [I] */
    const struct disk_dump *dump;    /* its dump parts, or NULL: no dump to this disk [I] */
};

/* Add a disk with its dump parts (NULL when its driver has none). Returns its index, or
 * ERR_NO_SPACE when DISK_MAX disks exist. */
int disk_register(struct blockdev *bd, const char *model, const char *controller,
                  const struct disk_dump *dump);
/* The i-th registered disk (registration order), or NULL past the end. */
const struct disk *disk_at(unsigned i);
/* The disk named `name` ("ahci0", "nvme0n1"), or NULL. */
const struct disk *disk_find(const char *name);

#endif
