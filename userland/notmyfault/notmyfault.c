/* notmyfault KIND: make the kernel fail inside a system call on purpose, like Sysinternals'
 * NotMyFault, to see that the crash is kept (blue screen, dump, recovery at the next boot).
 * KIND: null, irq, stack, hang, heap, assert, fat (SYS_CRASH kinds, syscall_table.h). The kernel
 * refuses unless CrashControl AllowUserCrash is 1; then this exits with NMF_EXIT_REFUSED. */
#include "bb.h"
#include "lib/reg/crash_control.h"

#define NMF_EXIT_USAGE   2
#define NMF_EXIT_REFUSED 3
#define NMF_EXIT_FAILED  4

static const struct {
    const char *name;
    unsigned kind;
    const char *what;
} kinds[] = {
    { "null", SYS_CRASH_NULL, "kernel NULL read -> 0x50 PAGE_FAULT_IN_NONPAGED_AREA" },
    { "irq", SYS_CRASH_IRQ, "0xE2 from the timer interrupt while this program runs" },
    { "stack", SYS_CRASH_STACK, "kernel stack overflow -> double fault -> 0x7F (8)" },
    { "hang", SYS_CRASH_HANG, "spin with interrupts off; only an NMI (0x80) gets out" },
    { "heap", SYS_CRASH_HEAP, "overwrite a heap block's header -> 0x19 BAD_POOL_HEADER" },
    { "assert", SYS_CRASH_ASSERT, "failed kernel assertion -> 0x1E KMODE_EXCEPTION_NOT_HANDLED" },
    { "fat", SYS_CRASH_FAT, "0xE2 inside the FAT layer half-way through extending a file" },
};
#define KIND_COUNT (sizeof kinds / sizeof kinds[0])

static volatile uint64_t spins;

static int usage(void)
{
    printf("usage: notmyfault KIND\n");
    for (size_t i = 0; i < KIND_COUNT; i++)
        printf("  %-7s %s\n", kinds[i].name, kinds[i].what);
    return NMF_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return usage();
    size_t i = 0;
    while (i < KIND_COUNT && strcmp(argv[1], kinds[i].name))
        i++;
    if (i == KIND_COUNT)
        return usage();
    printf("notmyfault: asking the kernel to crash: %s\n", kinds[i].what);
    int rc = crash_machine(kinds[i].kind);
    if (rc == ERR_ACCESS) {
        const struct cc_setting *s = &cc_settings[CC_ALLOW_USER_CRASH];
        printf("notmyfault: refused: crashing the machine from a program needs %s\\%s = 1 "
               "(REG_DWORD)\n", s->key, s->name);
        return NMF_EXIT_REFUSED;
    }
    if (rc == 0 && kinds[i].kind == SYS_CRASH_IRQ)
        for (;;)                      /* in ring 3 until the timer interrupt bugchecks */
            spins++;
    printf("notmyfault: the kernel did not crash: %s\n", err_str(rc));
    return NMF_EXIT_FAILED;
}
