/* Crash-dump helpers shared by smss and werfault: CrashControl read through the registry
 * system calls by lib/reg/crash_control.h (its names, defaults and %SystemRoot% expansion), and
 * dump files read through descriptors: a full check (dump/dump_verify.h), the header alone,
 * and marking a recovered dump CLEARED. A path may also name a dump partition
 * (SYS_DUMPPART_PREFIX "nvme0n1p2"): read-only, so it is checked and read here but marked
 * through SYS_DUMP_CONTROL. */
#ifndef BB_USER_CRASHDUMP_H
#define BB_USER_CRASHDUMP_H

#include <stdbool.h>
#include <stdint.h>
#include "bb.h"
#include "lib/reg/crash_control.h"
#include "dump/dump_format.h"
#include "dump/dump_verify.h"

/* A CrashControl string (lib/reg/crash_control.h: DumpFile, MinidumpDir...) into out, expanded
 * when it is a REG_EXPAND_SZ, else its default: 0 when the value was read, else why the
 * default is in out (out is "" only when even the default does not fit). */
int crash_reg_path(enum cc_value v, char *out, size_t cap);
/* A CrashControl REG_DWORD, or its default when it is missing or unreadable. */
uint32_t crash_reg_dword(enum cc_value v);
/* The drive letter of a path ("D:\X" -> 'D', no drive -> 'C'), upper case. */
char crash_drive(const char *path);

/* The largest physical address space whose dumps smss and werfault recover: a bitmap dump's
 * bitmap covers it (4 MiB of bitmap for 128 GiB; a 64 GiB guest's RAM ends near 66 GiB). */
#define CRASH_MAX_PHYS (128ull << 30)
/* Scratch for crash_verify and dump_convert_to_mini of any dump of such a machine written
 * with the default chunks, with a 1 MiB streaming window (about 5.6 MiB). A dump that needs
 * more gives ERR_TOO_BIG, never a corruption code. Each program owns its buffer. */
#define CRASH_SCRATCH_BYTES DUMP_VERIFY_SCRATCH(CRASH_MAX_PHYS, 1u << 20)

/* A dump_read_fn over the descriptor *(int *)ctx: seeks to off and reads len bytes (0, the
 * kernel's error, or ERR_IO when the file ends first). */
int crash_fd_read(void *ctx, uint64_t off, void *buf, size_t len);
/* Check the dump in file `path` completely (header, CRC table, every chunk) with
 * dump_verify_file through the caller's buf (cap bytes, CRASH_SCRATCH_BYTES suits): 0 when
 * valid; else the error with *v saying what (see dump_verify.h). The header is left at the
 * start of buf. ERR_NOT_FOUND when the file is missing. */
int crash_verify(const char *path, void *buf, size_t cap, struct dump_verify *v);
/* Read the header of `path` (and the bitmap or minidump directory after it) into buf (cap
 * bytes) and validate them with dump_verify_prefix (no data CRCs): 0 when they describe a
 * valid dump that fits the file, with *l filled and the header at the start of buf. */
int crash_header(const char *path, void *buf, size_t cap, struct dump_layout *l);
/* Set DUMP_BB_CLEARED in the dump at path (one sector rewritten in place: a reset leaves
 * the old or the new flags); buf (cap >= DUMP_HEADER_SIZE bytes) holds the header meanwhile.
 * 0 or ERR_*. */
int crash_mark_cleared(const char *path, void *buf, size_t cap);
/* Whether two paths name the same file: drive letters (none = C:), then the rest compared
 * without case, '/' and '\' alike, repeated separators as one. */
bool crash_same_path(const char *a, const char *b);
/* The final name of a recovered dump: CrashControl's DumpFile, expanded, into out (cap
 * bytes). A DumpFile naming the dump target itself (`target`) would make the recovery
 * replace the dump it is moving: the default (%SystemRoot%\MEMORY.DMP) is used instead and
 * 1 returned; else 0. */
int crash_final_path(const char *target, char *out, size_t cap);
/* Make every folder above the file `path` that is missing ("D:\DUMPS\X\MEMORY.DMP":
 * D:\DUMPS, then D:\DUMPS\X). 0 or the first error (an existing folder is no error). */
int crash_make_parents(const char *path);
/* Text for a dump_verify outcome ("data CRC mismatch in chunk 12", "incomplete dump ...",
 * for ERR_TOO_BIG the scratch the dump needs against CRASH_SCRATCH_BYTES). */
void crash_verify_text(int rc, const struct dump_verify *v, char *out, size_t cap);

#endif
