/* reg.exe's command syntax over a registry tree, shared by the kernel shell and tools/bbreg:
 *   reg query  KEY [/v NAME | /ve] [/s]
 *   reg add    KEY [/v NAME | /ve] [/t TYPE] [/s SEP] [/d DATA] [/f]
 *   reg delete KEY [/v NAME | /ve | /va] [/f]
 * KEY starts with HKLM or HKEY_LOCAL_MACHINE. Output and one-line errors as reg.exe prints
 * them ("ERROR: The system was unable to find the specified registry key or value."). There
 * is no prompt: /f is accepted and the change is made either way. Portable core. */
#ifndef BB_LIB_REG_CMD_H
#define BB_LIB_REG_CMD_H

#include <stdbool.h>
#include "lib/fmt.h"
#include "lib/reg/reg.h"

/* Run one command; argv[0] is the operation ("query", "add", "delete"; any case), argv[1..]
 * its arguments (already split; quotes removed). Everything the user reads, success or
 * error, goes to sink. *changed is set when the tree was modified (the caller saves it).
 * Returns 0, or the ERR_* code of the failure after printing its one-line message. */
int reg_cmd_run(struct reg_tree *t, int argc, char **argv, fmt_sink_t sink, void *ctx,
                bool *changed);

/* Print one value as reg.exe does: "    NAME    TYPE    DATA" ("(Default)" for the default
 * value; DWORD/QWORD as 0x hex, MULTI_SZ joined with \0, BINARY as upper-case hex). */
void reg_cmd_print_value(const struct reg_value *v, fmt_sink_t sink, void *ctx);

#endif
