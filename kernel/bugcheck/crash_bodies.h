/* The crash bodies the shell's `crash` (boot stack) and notmyfault's SYS_CRASH (a process's
 * kernel stack) share: one function each, so `bbdump analyze` names the same function in both
 * contexts and the backtrace (shell_cmd_crash or sys_crash below it) tells them apart. Both
 * never return. Not for bugcheck time. */
#ifndef BB_BUGCHECK_CRASH_BODIES_H
#define BB_BUGCHECK_CRASH_BODIES_H

#include <stdint.h>

/* Unbounded recursion, a page-sized buffer alive in each frame: the current kernel stack runs
 * into its guard page within a few calls, and the page fault, which cannot be delivered on
 * that stack, becomes a double fault on its IST stack (0x7F, p1 = 8). Call with depth 0. */
uint64_t crash_stack_recurse(uint64_t depth);
/* Spin with interrupts off: only an NMI gets out (0x80 when it comes from the monitor). */
void crash_hang(void);

#endif
