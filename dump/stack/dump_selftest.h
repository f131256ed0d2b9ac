/* The boot self-test of the dump path: before the stack is armed, prove the clone can write
 * and read the target (the last sector of its block map) without losing what it held. */
#ifndef BB_DUMP_SELFTEST_H
#define BB_DUMP_SELFTEST_H

#include <stdint.h>
#include "dump/stack/dump_clone.h"
#include "block/disk.h"

/* Write a pattern to the target's last sector through `clone`, read it back, restore the
 * original, then give the port back to the live driver (kind->release on `bd`). Only what
 * was read is put back: if the clone could not start or read the sector, nothing is written.
 * *us gets the time the clone took. 0, ERR_CORRUPT (read back differs), or the clone's or the
 * allocator's error. Boot and process context only. tests/scenarios/test_dump.py makes the
 * read fail with QEMU's blkdebug driver and checks the sector afterwards. */
int dump_selftest(const struct dump_clone *clone, const struct disk_dump *kind,
                  const struct blockdev *bd, uint64_t *us);

#endif
