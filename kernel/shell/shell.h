/* The kernel shell: prompt "bb> " on the console (COM1 and VGA/keyboard), line editing with
 * history, and a table of commands. Each command gets argc/argv and returns 0 or an ERR_*
 * code; the shell prints a one-line error for failures. */
#ifndef BB_SHELL_H
#define BB_SHELL_H

#include <stddef.h>
#include <stdint.h>
#include "lib/num.h"     /* num_parse: every command's numeric arguments */

#define SHELL_MAX_ARGS 16

struct shell_cmd {
    const char *name;
    const char *usage;     /* arguments, e.g. "KIND" */
    const char *help;      /* one line */
    int (*fn)(int argc, char **argv);
};

/* Run the shell forever. */
void shell_run(void) __attribute__((noreturn));
/* The kernel's own command table (NULL-terminated), defined in shell_cmds.c. */
extern const struct shell_cmd shell_commands[];
/* Add a command from a part outside the kernel's shell (the dump stack's `dumpcfg`), listed
 * by `help` after the kernel's own. *cmd must live as long as the kernel. Boot time.
 * 0, ERR_NO_SPACE (SHELL_MAX_REGISTERED reached) or ERR_EXISTS (the name is taken). */
#define SHELL_MAX_REGISTERED 8
int shell_register(const struct shell_cmd *cmd);
/* The command named `name`, from either table, or NULL. */
const struct shell_cmd *shell_find(const char *name);
/* The i-th registered command (registration order), or NULL past the end. */
const struct shell_cmd *shell_registered_at(unsigned i);
/* `mark TEXT` (shell_mark.c). */
int shell_cmd_mark(int argc, char **argv);
/* `cpus [run N]` (shell_cpus.c). */
int shell_cmd_cpus(int argc, char **argv);
/* `crash [-c N|all] KIND` (shell_crash.c). */
int shell_cmd_crash(int argc, char **argv);
/* `disks` and `blk DISK read|fill ...` (shell_disk.c). */
int shell_cmd_disks(int argc, char **argv);
int shell_cmd_blk(int argc, char **argv);
/* "256 MiB" below 1 GiB, else "1.5 GiB". */
void shell_format_size(char *buf, size_t cap, uint64_t bytes);
/* File commands (shell_fs.c: reading and listing; shell_fs_write.c: changing files). */
int shell_cmd_dir(int argc, char **argv);
int shell_cmd_type(int argc, char **argv);
int shell_cmd_hexdump(int argc, char **argv);
int shell_cmd_vol(int argc, char **argv);
int shell_cmd_crc(int argc, char **argv);
int shell_cmd_write(int argc, char **argv);
int shell_cmd_copy(int argc, char **argv);
int shell_cmd_ren(int argc, char **argv);
int shell_cmd_del(int argc, char **argv);
int shell_cmd_mkdir(int argc, char **argv);
int shell_cmd_rmdir(int argc, char **argv);
int shell_cmd_mkfile(int argc, char **argv);
/* `run PROGRAM [ARGS]` (shell_run.c). */
int shell_cmd_run(int argc, char **argv);
/* `eventlog [N]` (shell_eventlog.c). */
int shell_cmd_eventlog(int argc, char **argv);
/* `reg query|add|delete ...` (shell_reg.c). */
int shell_cmd_reg(int argc, char **argv);
/* Split line in place into at most max words (double quotes group words). Returns argc, or
 * ERR_TOO_BIG / ERR_INVALID_ARGS (unterminated quote). */
int shell_split(char *line, char **argv, int max);

#endif
