/* Crash-dump helpers shared by smss and werfault: CrashControl's registry names, path
 * expansion (%SystemRoot% = C:), and dump files read through descriptors: a full check
 * (dump/dump_verify.h), the header alone, and marking a recovered dump CLEARED. */
#ifndef BB_USER_CRASHDUMP_H
#define BB_USER_CRASHDUMP_H

#include <stdbool.h>
#include <stdint.h>
#include "bb.h"
#include "dump/dump_format.h"
#include "dump/dump_verify.h"

#define CRASHCONTROL "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"
#define MACHINECRASH CRASHCONTROL "\\MachineCrash"
#define SYSTEM_ROOT  "C:"                /* %SystemRoot%: the root of C: */

/* Expand %SystemRoot% in `in` into out (cap bytes): 0 or ERR_TOO_BIG. */
int crash_expand(const char *in, char *out, size_t cap);
/* A REG_SZ/REG_EXPAND_SZ value of CrashControl, expanded, or `def` when missing. */
int crash_reg_path(const char *name, const char *def, char *out, size_t cap);
/* A REG_DWORD of CrashControl, or `def` when missing. */
uint32_t crash_reg_dword(const char *name, uint32_t def);
/* The drive letter of a path ("D:\X" -> 'D', no drive -> 'C'), upper case. */
char crash_drive(const char *path);

/* Scratch big enough for dump_verify_file on machines up to 16 GiB (bitmap prefix) plus a
 * 1 MiB streaming window. */
#define CRASH_SCRATCH_BYTES (2u << 20)
extern uint8_t crash_scratch[CRASH_SCRATCH_BYTES];

/* Check the dump in file `path` completely (header, CRC table, every chunk): 0 when valid;
 * else the error with *v saying what (see dump_verify.h). The header is left in
 * crash_scratch. ERR_NOT_FOUND when the file is missing. */
int crash_verify(const char *path, struct dump_verify *v);
/* Read the header of `path` into crash_scratch and validate it alone (no data CRCs): 0 when
 * it describes a valid dump (whatever the file's size), with *l filled. */
int crash_header(const char *path, struct dump_layout *l);
/* Set DUMP_BB_CLEARED in the dump at path (one sector rewritten in place: a reset leaves
 * the old or the new flags). 0 or ERR_*. */
int crash_mark_cleared(const char *path);
/* Text for a dump_verify outcome ("data CRC mismatch in chunk 12", "incomplete dump ..."). */
void crash_verify_text(int rc, const struct dump_verify *v, char *out, size_t cap);

#endif
