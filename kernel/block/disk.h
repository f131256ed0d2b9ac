/* The kernel's list of disks: each storage driver registers one struct blockdev per disk
 * (AHCI port, NVMe namespace) with a line describing the controller; GPT, volumes and the
 * shell's `disks` command read the list. Not for use at bugcheck time. */
#ifndef BB_BLOCK_DISK_H
#define BB_BLOCK_DISK_H

#include "lib/blockdev.h"

#define DISK_MAX 8

struct disk {
    struct blockdev *bd;     /* the whole disk [I] */
    char model[41];          /* model string from IDENTIFY, trimmed [I] */
    char controller[48];     /* e.g. "ahci0 port 0 (8086:2922)" [I] */
};

/* Add a disk. Returns its index, or ERR_NO_SPACE when DISK_MAX disks exist. */
int disk_register(struct blockdev *bd, const char *model, const char *controller);
/* The i-th registered disk (registration order), or NULL past the end. */
const struct disk *disk_at(unsigned i);
/* The disk named `name` ("ahci0", "nvme0n1"), or NULL. */
const struct disk *disk_find(const char *name);

#endif
