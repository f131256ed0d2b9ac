/* The crash bodies shared by the shell's `crash stack`/`crash hang` and notmyfault's
 * SYS_CRASH_STACK/SYS_CRASH_HANG (crash_bodies.h). */
#include "bugcheck/crash_bodies.h"
#include "arch/cpu.h"

uint64_t __attribute__((noipa)) crash_stack_recurse(uint64_t depth)
{
    volatile uint8_t pad[4096];
    if (depth == UINT64_MAX)
        return 0;
    pad[0] = (uint8_t)depth;
    pad[sizeof pad - 1] = (uint8_t)depth;
    return crash_stack_recurse(depth + 1) + pad[0] + pad[sizeof pad - 1];
}

void __attribute__((noinline)) crash_hang(void)
{
    cpu_cli();
    for (;;)
        cpu_pause();
}
