/* The CPUs: MAX_CPUS, the per-CPU data (struct cpu, reached through the LAPIC ID), starting
 * the application processors at boot, and handing a function to one CPU. Application
 * processors run nothing of their own: they idle in `hlt` until handed work. */
#ifndef BB_SMP_H
#define BB_SMP_H

#include <stdint.h>

#define MAX_CPUS 8                 /* CPUs Blackbox starts; more in the MADT stay offline */
#define VEC_SMP_WAKE 0xF0          /* IPI that wakes an idle CPU to look at its work */

enum cpu_state {
    CPU_OFFLINE = 0,   /* not started (or beyond cpu count) */
    CPU_STARTING,      /* INIT-SIPI-SIPI sent, not reported in yet */
    CPU_RUNNING,       /* the boot CPU: shell, interrupts, drivers */
    CPU_IDLE,          /* an application processor halted, waiting for work */
    CPU_BUSY,          /* an application processor running handed work */
    CPU_PARKED,        /* stopped for a bugcheck: interrupts off, halted for good */
    CPU_FAILED,        /* did not start */
};

typedef int (*smp_work_fn)(void *arg);

struct cpu {
    uint32_t index;               /* 0 = the boot CPU */
    uint32_t apic_id;
    volatile uint32_t state;      /* enum cpu_state */
    const char *volatile doing;   /* what it runs now ("idle", a work name) */
    smp_work_fn work_fn;          /* handed work, valid while work_seq != done_seq */
    void *work_arg;
    volatile int work_result;
    volatile uint32_t work_seq, done_seq;
    uint64_t stack_lo, stack_hi;  /* its kernel stack */
};

/* Start every CPU the MADT lists (INIT-SIPI-SIPI through a real-mode trampoline at
 * SMP_TRAMPOLINE_PHYS), each with its own GDT, TSS, IST stacks and LAPIC. Needs paging,
 * the LAPIC and the timer. A CPU that does not report in within 200 ms is left CPU_FAILED.
 * Returns the number of CPUs online (at least 1). */
unsigned smp_init(void);
/* CPUs known (online or failed); indexes run 0 .. count-1. */
unsigned smp_cpu_count(void);
/* The CPU with that index, or NULL. */
struct cpu *smp_cpu(unsigned index);
/* Index of the calling CPU (0 before smp_init). Reads the LAPIC ID: safe at bugcheck time
 * and in an NMI. */
unsigned smp_this_cpu(void);
/* Run fn(arg) on CPU `index` and wait at most timeout_ms for it to return; `what` names the
 * work in `cpus`. fn runs with interrupts enabled and may use klog, the console, the heap and
 * the page allocator (all locked); the file systems, the registry, the block layer and the
 * processes belong to the boot CPU, which also takes every device interrupt. On the calling CPU itself it just calls fn. Returns 0 with *result = fn's
 * return value, ERR_INVALID_ARGS, ERR_BUSY (that CPU is not idle), ERR_TIMED_OUT (still
 * running: the CPU stays busy until fn returns) or an IPI error. */
int smp_run_on(unsigned index, const char *what, smp_work_fn fn, void *arg,
               uint32_t timeout_ms, int *result);
/* "idle", "busy", ... */
const char *smp_state_name(enum cpu_state s);

#endif
