/* The dump stack's shell commands (dump_shell.c), registered with the shell at the dump
 * stack's boot step. Shell context: argc/argv, 0 or an ERR_* code. */
#ifndef BB_DUMP_SHELL_H
#define BB_DUMP_SHELL_H

/* `dumpcfg`: the prepared dump stack, armed or why not. */
int dump_shell_dumpcfg(int argc, char **argv);
/* `lsmod`: the kernel image and the loaded clone. */
int dump_shell_lsmod(int argc, char **argv);

#endif
