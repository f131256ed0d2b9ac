/* The dump writer, the bugcheck's dumper: at bugcheck time, check the checksums taken at
 * boot, take the disk with the clone (the polled copy of its driver), and write the dump into
 * the target's sectors: old header invalidated first, data straight from physical memory with
 * per-chunk CRC32C, the valid header last, then a flush. Its code lives in .text.dumpwriter,
 * which is checksummed. */
#ifndef BB_DUMP_WRITER_H
#define BB_DUMP_WRITER_H

#include "bugcheck/bugcheck.h"

/* Boot time: reserve the writer's buffers (header, bitmap, CRC table, snapshot of the pages
 * that change while the dump is written). 0 or ERR_NO_MEMORY. */
int dump_writer_prepare(void);
/* Bugcheck time: write the dump of the crash in *bd, reporting progress on the blue screen.
 * Returns 0 when a valid dump was written, else why not. Never returns early without
 * saying so on the screen; never hangs (every wait is bounded, a dead-man abandons a dump
 * that stops progressing). */
int dump_write(const struct bugcheck_data *bd);

#endif
