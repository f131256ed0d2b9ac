/* Dump partitions as read-only files for the recovery (smss, werfault): the path
 * SYS_DUMPPART_PREFIX + the partition's name ("\\.\nvme0n1p2"). syscall_file.c hands such a
 * path or descriptor here. Process context. */
#ifndef BB_PROC_SYSCALL_DUMPPART_H
#define BB_PROC_SYSCALL_DUMPPART_H

#include <stdbool.h>
#include <stdint.h>
#include "proc/process.h"

/* True when `path` is in the dump partitions' namespace (whether or not one has that name). */
bool dumppart_is_path(const char *path);
/* Open it into *d: 0, ERR_NOT_FOUND (no dump partition of that name), ERR_ACCESS (flags other
 * than SYS_O_READ). */
int dumppart_open(struct proc_fd *d, const char *path, uint64_t flags);
/* Its size and attributes: 0 or ERR_NOT_FOUND. */
int dumppart_stat(const char *path, struct sys_stat *st);
/* Bytes of the partition open in d. */
uint64_t dumppart_size(const struct proc_fd *d);
/* Read up to len bytes (at most SYS_IO_MAX) at d->pos into the user buffer buf; d->pos moves
 * on. The bytes read (0 at the end), or ERR_* (the user buffer, the disk). */
int64_t dumppart_read(struct proc_fd *d, uint64_t buf, uint64_t len);

#endif
