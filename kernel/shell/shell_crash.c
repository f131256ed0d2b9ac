/* `crash [-c N] KIND`: crash the machine on purpose, each kind through a different real path,
 * so that the bugcheck, the blue screen and the dump can be checked for each, on the shell's
 * CPU, handed to CPU N, or on every CPU at the same moment (-c all). Every kind lives in its own function so the blue screen names it. The kinds that need the dump stack reach
 * it through the bugcheck's dumper and the target disk's dump parts. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "shell/shell.h"
#include "bugcheck/bugcheck.h"
#include "bugcheck/dumper.h"
#include "bugcheck/crash_bodies.h"
#include "block/disk.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "console/console.h"
#include "klog.h"
#include "smp/smp.h"
#include "mm/heap.h"
#include "fs/fat_crash.h"
#include "err.h"

#define CRASH_IO_BYTES (1u << 20)   /* size of the read left in flight by crash io */
#define CRASH_ON_CPU_WAIT_MS 2000u  /* how long `crash -c N` waits for CPU N (hang never ends) */

static void __attribute__((noinline)) crash_manual(void)
{
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

static void __attribute__((noinline)) crash_null(void)
{
    volatile uint64_t *volatile p = NULL;
    kprintf("read from %p\n", (void *)p);
    (void)*p;
}

static void __attribute__((noinline)) crash_div0(void)
{
    volatile uint64_t zero = 0, n = 42;
    kprintf("dividing %lu by %lu\n", (unsigned long)n, (unsigned long)zero);
    n = n / zero;
}

static void __attribute__((noinline)) crash_irq(void)
{
    timer_request_bugcheck();
    for (;;)
        cpu_idle();
}

static void __attribute__((noinline)) crash_assert(void)
{
    volatile int disks_ready = 0;
    KASSERT(disks_ready == 1);
}

static void __attribute__((noinline)) crash_nested(void)
{
    bugcheck_arm_nested_fault();
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

static const char *crash_arg;   /* the word after the kind (corrupt-dump-stack's only), or NULL */

/* Damage the checksummed part named by crash_arg (the clone when none), then 0xE2. An
 * unknown part crashes nothing: the usage lists the parts. */
static void __attribute__((noinline)) crash_corrupt_dump_stack(void)
{
    const struct dumper *d = bugcheck_dumper();
    int rc = d ? d->damage(crash_arg) : ERR_NOT_FOUND;
    if (rc == ERR_INVALID_ARGS) {
        kprintf("crash corrupt-dump-stack: unknown part '%s'; parts:", crash_arg);
        for (unsigned i = 0; d->part_name(i); i++)
            kprintf(" %s", d->part_name(i));
        kprintf("\n");
        return;
    }
    if (rc)
        kprintf("crash: no clone loaded (%s); crashing anyway\n", err_str(rc));
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

/* Test only: the next dump hangs at 30 % with interrupts off. */
static void stall_next_dump(void)
{
    const struct dumper *d = bugcheck_dumper();
    if (d)
        d->stall();
    else
        kprintf("crash: no dump stack to stall; crashing anyway\n");
}

/* Test only: the dump of this 0xE2 hangs, so that the dead-man must abandon it. */
static void __attribute__((noinline)) crash_stall_dump(void)
{
    stall_next_dump();
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

/* Test only: the dump of this 0xE2 loses a helping CPU in the middle of a chunk. */
static void __attribute__((noinline)) crash_stall_helper(void)
{
    const struct dumper *d = bugcheck_dumper();
    if (d)
        d->stall_helper();
    else
        kprintf("crash: no dump stack; crashing anyway\n");
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

/* Test only: `hang` whose dump, written by the NMI's bugcheck, hangs: the dead-man must
 * abandon a dump that began in NMI context. */
static void __attribute__((noinline)) crash_hang_stall_dump(void)
{
    stall_next_dump();
    crash_hang();
}

/* Leave a large read outstanding on the dump disk, then crash at once: the clone must
 * take the port over in the middle of the live driver's I/O. */
static void __attribute__((noinline)) crash_io(void)
{
    const struct dumper *d = bugcheck_dumper();
    const struct disk *disk = d ? d->target_disk() : NULL;
    uint8_t *buf = kmalloc(CRASH_IO_BYTES);
    int rc = ERR_NOT_FOUND;
    if (disk && disk->dump && buf) {
        uint32_t count = (uint32_t)(CRASH_IO_BYTES / disk->bd->sector_size);
        rc = disk->dump->start_read(disk->bd, 0, count, buf);
    } else if (!buf) {
        rc = ERR_NO_MEMORY;
    }
    if (rc)
        kprintf("crash: could not leave I/O in flight on the dump disk (%s); crashing anyway\n", err_str(rc));
    bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
}

/* Bugcheck inside the FAT layer half-way through extending a file (fs/fat_crash.h). */
static void __attribute__((noinline)) crash_fat(void)
{
    int rc = fat_crash_extend();
    kprintf("crash fat: the FAT layer did not crash: %s\n", err_str(rc));
}

struct crash_kind {
    const char *name;
    const char *what;
    void (*fn)(void);
};

static void crash_stack(void)
{
    kprintf("recursing until the kernel stack overflows\n");
    crash_stack_recurse(0);
}

static const struct crash_kind kinds[] = {
    { "manual", "bugcheck 0xE2 MANUALLY_INITIATED_CRASH", crash_manual },
    { "null", "NULL pointer read -> 0x50 PAGE_FAULT_IN_NONPAGED_AREA", crash_null },
    { "div0", "integer divide by zero -> 0x7F UNEXPECTED_KERNEL_MODE_TRAP (0)", crash_div0 },
    { "stack", "unbounded recursion -> double fault -> 0x7F (8)", crash_stack },
    { "irq", "bugcheck 0xE2 from inside the timer interrupt", crash_irq },
    { "assert", "failed kernel assertion -> 0x1E KMODE_EXCEPTION_NOT_HANDLED", crash_assert },
    { "hang", "spin with interrupts off; only an NMI (0x80) gets out", crash_hang },
    { "fat", "0xE2 inside the FAT layer extending " FAT_CRASH_PATH ": its clusters in the FAT, "
      "the entry not yet updated", crash_fat },
    { "io", "0xE2 while a read is still in flight on the dump disk", crash_io },
    { "corrupt-dump-stack", "[PART] flip a byte of a checksummed part (default: the clone), then 0xE2: "
      "no dump is written, the screen names the part", crash_corrupt_dump_stack },
    { "stall-dump", "test: 0xE2 whose dump hangs at 30 % with interrupts off: the dead-man abandons it",
      crash_stall_dump },
    { "stall-helper", "test: 0xE2 whose dump loses a helping CPU mid-chunk: its chunk is redone",
      crash_stall_helper },
    { "hang-stall-dump", "test: `hang` whose NMI's dump (0x80) hangs at 30 %: the dead-man abandons it",
      crash_hang_stall_dump },
    { "nested", "0xE2 whose blue screen itself faults: the recursion guard resets", crash_nested },
};

static int run_kind(void *arg)
{
    ((const struct crash_kind *)arg)->fn();
    return ERR_GENERIC;
}

/* `crash -c all KIND`: hand KIND to every idle CPU and run it here; the bugchecks wait for
 * each other (bugcheck_arm_rendezvous) so that they claim the bugcheck at the same moment. */
static int crash_all(const struct crash_kind *k)
{
    if (k->fn == crash_fat) {
        kprintf("crash: fat runs on one CPU (the FAT layer serves one caller at a time)\n");
        return ERR_INVALID_ARGS;
    }
    unsigned me = smp_this_cpu(), n = smp_cpu_count(), idle = 0;
    for (unsigned i = 0; i < n; i++)
        idle += i != me && smp_cpu(i)->state == CPU_IDLE;
    klog(KLOG_WARN, "shell: crash %s requested on all %u CPUs", k->name, idle + 1);
    bugcheck_arm_rendezvous(idle + 1);
    for (unsigned i = 0; i < n; i++) {
        int result;
        if (i != me && smp_cpu(i)->state == CPU_IDLE)
            smp_run_on(i, k->name, run_kind, (void *)k, 0, &result);
    }
    return run_kind((void *)k);
}

int shell_cmd_crash(int argc, char **argv)
{
    uint64_t cpu = UINT64_MAX;
    bool all = false;
    if (argc >= 4 && strcmp(argv[1], "-c") == 0) {
        all = strcmp(argv[2], "all") == 0;
        if (!all && (num_parse(argv[2], UINT32_MAX, &cpu) || cpu >= smp_cpu_count())) {
            kprintf("crash: no CPU %s (there are %u)\n", argv[2], smp_cpu_count());
            return ERR_INVALID_ARGS;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc == 2 || argc == 3) {
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            if (strcmp(argv[1], kinds[i].name) != 0 || (argc == 3 && kinds[i].fn != crash_corrupt_dump_stack))
                continue;
            crash_arg = argc == 3 ? argv[2] : NULL;
            if (all)
                return crash_all(&kinds[i]);
            if (cpu == UINT64_MAX) {
                klog(KLOG_WARN, "shell: crash %s%s%s requested", kinds[i].name, crash_arg ? " " : "",
                     crash_arg ? crash_arg : "");
                kinds[i].fn();
                return ERR_GENERIC;
            }
            klog(KLOG_WARN, "shell: crash %s requested on CPU %u", kinds[i].name, (unsigned)cpu);
            int result, rc = smp_run_on((unsigned)cpu, kinds[i].name, run_kind, (void *)&kinds[i],
                                        CRASH_ON_CPU_WAIT_MS, &result);
            if (rc == ERR_TIMED_OUT)
                kprintf("crash: CPU %u is still running crash %s\n", (unsigned)cpu, kinds[i].name);
            return rc == ERR_TIMED_OUT ? 0 : rc ? rc : result;
        }
        kprintf("crash: unknown kind '%s'%s\n", argv[1], argc == 3 ? " (or it takes no argument)" : "");
    }
    kprintf("crash kinds (crash -c N KIND runs one on CPU N, -c all on every CPU at once):\n");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        kprintf("  %-7s %s\n", kinds[i].name, kinds[i].what);
    return ERR_INVALID_ARGS;
}
