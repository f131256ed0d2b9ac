/* The dump partition as a dump target (FreeBSD's dump device): a GPT partition of Blackbox's
 * own type (lib/gpt.h), listed by the volume scan and never mounted, taken when a complete or
 * kernel dump does not fit the file target, or named by CrashControl\DumpPartition. Its block
 * map is one extent: the partition. Boot and process context only, never at bugcheck time. */
#ifndef BB_DUMP_PARTITION_H
#define BB_DUMP_PARTITION_H

#include <stddef.h>
#include <stdint.h>
#include "block/volume.h"
#include "dump/clone/clone_abi.h"

/* The dump partition named `name` ("nvme0n1p2", as the kernel lists it) when name is not
 * empty, whatever its size; else the first (disk order) whose disk has a clone and that holds
 * `need` bytes. NULL when there is none. */
const struct dump_part *dump_partition_find(const char *name, uint64_t need);
/* Bytes the partition holds. */
uint64_t dump_partition_bytes(const struct dump_part *p);
/* Read its first `len` bytes (a whole number of the disk's sectors) into buf through the
 * live driver. 0, ERR_INVALID_ARGS (len not whole sectors, or past the partition), or the
 * disk's error. */
int dump_partition_read(const struct dump_part *p, void *buf, size_t len);
/* Write buf (len bytes, a whole number of the disk's sectors) at byte `off` (sector-aligned)
 * of the partition through the live driver, then flush. Only the dump stack's own headers
 * (the recovery's marks) go this way. 0, ERR_INVALID_ARGS, or the disk's error. */
int dump_partition_write(const struct dump_part *p, uint64_t off, const void *buf, size_t len);
/* Its block map: one extent over the whole partition, in the disk's sectors. */
void dump_partition_block_map(const struct dump_part *p, struct clone_params *prm);

#endif
