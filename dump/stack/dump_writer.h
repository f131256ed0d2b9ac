/* The dump writer, the bugcheck's dumper: at bugcheck time, check the checksums taken at
 * boot, take the disk with the clone (the polled copy of its driver), and write the dump into
 * the target's sectors: old header invalidated first, data straight from physical memory with
 * per-chunk CRC32C, the valid header last, then a flush. Its code lives in .text.dumpwriter
 * and the helpers it calls beside it (linker.ld), all checksummed with the tables and state
 * it reads (enum dump_checked_part). */
#ifndef BB_DUMP_WRITER_H
#define BB_DUMP_WRITER_H

#include "bugcheck/bugcheck.h"
#include "dump/stack/dump_stack.h"

/* Boot time: reserve the writer's buffers (header, bitmap, CRC table, snapshot of the pages
 * that change while the dump is written). 0 or ERR_NO_MEMORY. */
int dump_writer_prepare(void);
/* CRC32C of each part the crash path trusts, as it is now (enum dump_checked_part): computed when
 * the stack is armed and again at bugcheck. Safe at bugcheck time. */
void dump_parts_crc(const struct dump_stack *st, uint32_t crc[DUMP_PARTS]);
/* Bugcheck time: write the dump of the crash in *bd, reporting progress on the blue screen.
 * Returns 0 when a valid dump was written, else why not. Never returns early without
 * saying so on the screen; never hangs (every wait is bounded, a dead-man abandons a dump
 * that stops progressing). */
int dump_write(const struct bugcheck_data *bd);
/* Bugcheck time, from the dead-man (dumper.h's abandon): the dump being written by a
 * dump_write that was cut off gets its in-progress header again, sealed with
 * DUMP_BB_ABANDONED, through a re-initialised clone. 0; ERR_BAD_STATE when no header of this
 * dump is on the disk yet, or when the valid header was being written (left as it is); or
 * the clone's error. */
int dump_abandon(void);
/* Test only (`crash stall-dump`): the next dump_write spins with interrupts off at 30 %. */
void dump_writer_stall(void);
/* Test only (`crash stall-helper`): at the next dump, the first parked CPU to help spins
 * with interrupts off in the middle of its first chunk, never to finish it. */
void dump_writer_stall_helper(void);

#endif
