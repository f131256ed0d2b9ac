/* Helpers shared by the file commands of the shell (shell_fs.c, shell_fs_write.c): path
 * resolution with one-line errors that name the path, throughput figures, path joining.
 * Private to kernel/shell. */
#ifndef BB_SHELL_FS_H
#define BB_SHELL_FS_H

#include <stddef.h>
#include <stdint.h>
#include "block/volume.h"

#define SHELL_FS_CHUNK   (1024u * 1024u)   /* bytes per read/write call for big transfers */
#define SHELL_FS_PATH_MAX 512               /* longest path a command builds */

/* Print "CMD: PATH: reason" for the ERR_* code rc; returns 0 so the shell adds nothing. */
int shell_fs_fail(const char *cmd, const char *path, int rc);
/* Split path into volume and inner path; on failure prints the error and returns it. */
int shell_fs_resolve(const char *cmd, const char *path, struct volume **v, const char **inner);
/* "123 ms (45.6 MB/s)" for bytes moved in ns nanoseconds (MB = 10^6 bytes). */
void shell_fs_rate(char *buf, size_t cap, uint64_t bytes, uint64_t ns);
/* The last component of path (after the last '\' or '/', and after a drive "X:"). */
const char *shell_fs_basename(const char *path);
/* out = dir + separator + name; ERR_TOO_BIG if it does not fit in cap. */
int shell_fs_join(char *out, size_t cap, const char *dir, const char *name);

#endif
