/* `reg query|add|delete ...`: the registry from the shell, in reg.exe's syntax and output
 * (the command itself lives in lib/reg/reg_cmd.c; config/registry.c saves the hive). */
#include "shell/shell.h"
#include "console/console.h"
#include "config/registry.h"

static void to_console(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    console_write(s, n);
}

int shell_cmd_reg(int argc, char **argv)
{
    registry_command(argc - 1, argv + 1, to_console, NULL);
    return 0;
}
