/* The kernel shell: prompt "bb> " on the console (COM1 and VGA/keyboard), line editing with
 * history, and a table of commands. Each command gets argc/argv and returns 0 or an ERR_*
 * code; the shell prints a one-line error for failures. */
#ifndef BB_SHELL_H
#define BB_SHELL_H

#define SHELL_MAX_ARGS 16

struct shell_cmd {
    const char *name;
    const char *usage;     /* arguments, e.g. "KIND" */
    const char *help;      /* one line */
    int (*fn)(int argc, char **argv);
};

/* Run the shell forever. */
void shell_run(void) __attribute__((noreturn));
/* The command table (NULL-terminated), defined in shell_cmds.c. */
extern const struct shell_cmd shell_commands[];
/* `crash KIND` (shell_crash.c). */
int shell_cmd_crash(int argc, char **argv);
/* `disks` and `blk DISK read|fill ...` (shell_disk.c). */
int shell_cmd_disks(int argc, char **argv);
int shell_cmd_blk(int argc, char **argv);
/* Split line in place into at most max words (double quotes group words). Returns argc, or
 * ERR_TOO_BIG / ERR_INVALID_ARGS (unterminated quote). */
int shell_split(char *line, char **argv, int max);

#endif
