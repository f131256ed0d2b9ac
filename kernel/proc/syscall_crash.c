/* SYS_CRASH (`notmyfault`): a program asks the kernel to fail inside the system call in a
 * chosen way (syscall_table.h lists the kinds and their STOP codes). Refused unless
 * CrashControl AllowUserCrash is 1: a program cannot crash the machine by default. Each kind
 * lives in its own function so the blue screen and `bbdump analyze` name it. */
#include <stdint.h>
#include "proc/syscall.h"
#include "bugcheck/bugcheck.h"
#include "bugcheck/crash_bodies.h"
#include "config/registry.h"
#include "lib/reg/crash_control.h"
#include "arch/timer.h"
#include "mm/heap.h"
#include "fs/fat_crash.h"
#include "klog.h"
#include "err.h"

#define NMF_HEAP_BLOCK 64   /* bytes of the heap block whose header is overwritten */

static void __attribute__((noinline)) notmyfault_null(void)
{
    volatile uint64_t *volatile p = NULL;
    (void)*p;
}

/* A buffer underrun: the 16 bytes before a live block (its heap header) are overwritten,
 * then the block is freed and the allocator finds the header broken. */
static void __attribute__((noinline)) notmyfault_heap(void)
{
    uint8_t *volatile block = kmalloc(NMF_HEAP_BLOCK);
    if (!block)
        bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, SYS_CRASH_HEAP, ERR_NO_MEMORY, 0, 0);
    for (int i = 1; i <= 16; i++)
        block[-i] = 0x41;
    kfree(block);
}

static void __attribute__((noinline)) notmyfault_assert(void)
{
    volatile int heap_consistent = 0;
    KASSERT(heap_consistent == 1);
}

int64_t sys_crash(uint64_t kind)
{
    uint32_t allow;
    cc_get_dword(&registry_cc, CC_ALLOW_USER_CRASH, &allow);
    if (allow != 1) {
        klog(KLOG_WARN, "proc: SYS_CRASH %lu refused: CrashControl %s is not 1",
             (unsigned long)kind, cc_settings[CC_ALLOW_USER_CRASH].name);
        return ERR_ACCESS;
    }
    if (kind < SYS_CRASH_NULL || kind > SYS_CRASH_FAT)
        return ERR_INVALID_ARGS;
    klog(KLOG_WARN, "proc: SYS_CRASH %lu: crashing the machine on request",
         (unsigned long)kind);
    switch (kind) {
    case SYS_CRASH_NULL: notmyfault_null(); break;
    case SYS_CRASH_IRQ: timer_request_bugcheck(); return 0;
    case SYS_CRASH_STACK: crash_stack_recurse(0); break;
    case SYS_CRASH_HANG: crash_hang(); break;
    case SYS_CRASH_HEAP: notmyfault_heap(); break;
    case SYS_CRASH_ASSERT: notmyfault_assert(); break;
    default: return fat_crash_extend();
    }
    return ERR_GENERIC;
}
