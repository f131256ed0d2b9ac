/* The bugcheck path: claim (first CPU wins) and recursion guard, context capture, mapping of
 * CPU exceptions to STOP codes, and the sequence stop the other CPUs -> screen -> dump
 * (through the registered dumper, bounded by the dead-man) -> reboot. Uses only lock-free,
 * polled output and touches no allocator. Once the context is captured the path moves to
 * this CPU's crash stack (in .bss, which the dump writer snapshots) and never touches the
 * stack the crash happened on again: that stack goes into the dump as the crash left it. */
#include <stdbool.h>
#include <stddef.h>
#include "bugcheck/bugcheck.h"
#include "bugcheck/bsod.h"
#include "bugcheck/dumper.h"
#include "bugcheck/cpu_state.h"
#include "bugcheck/cpu_stop.h"
#include "bugcheck/deadman.h"
#include "console/console.h"
#include "smp/smp.h"
#include "arch/trap.h"
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/timer.h"
#include "arch/acpi.h"
#include "proc/process.h"
#include "klog.h"

#define BUGCHECK_REBOOT_DELAY_S 3   /* pause on the blue screen before an automatic reboot */
#define CRASH_STACK_SIZE 16384      /* bytes per CPU: as an IST stack, which ran the whole path */
#define NMI_BOOT_CPU_GRACE_MS 50u   /* an AP's wait for the boot CPU to claim a machine NMI */

_Static_assert(offsetof(struct bugcheck_context, rsp) == 0x38, "bugcheck_entry.asm CTX_RSP");
_Static_assert(offsetof(struct bugcheck_context, r15) == 0x78, "bugcheck_entry.asm CTX_R15");
_Static_assert(offsetof(struct bugcheck_context, rip) == 0x80, "bugcheck_entry.asm CTX_RIP");
_Static_assert(offsetof(struct bugcheck_context, rflags) == 0x88, "bugcheck_entry.asm CTX_RFLAGS");
_Static_assert(sizeof(struct bugcheck_context) <= 0xD0, "bugcheck_entry.asm CTX_SIZE");

static struct bugcheck_data data;
static volatile int depth;                   /* bugchecks in progress on the owning CPU */
static bool auto_reboot = true;
static volatile bool nested_fault_armed;     /* crash nested: fault inside the crash path */
static volatile unsigned rendezvous_left;    /* crash -c all: bugchecks still to arrive */
static const struct dumper *dumper;          /* set once at boot by the dump stack */
static uint8_t crash_stacks[MAX_CPUS][CRASH_STACK_SIZE] __attribute__((aligned(16)));

void bugcheck_enter(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3, uint64_t p4,
                    struct bugcheck_context *ctx) __attribute__((noreturn));
/* bugcheck_entry.asm: rsp = top, then fn(). */
void bugcheck_on_stack(uint8_t *top, void (*fn)(void)) __attribute__((noreturn));

static void capture_system_regs(struct bugcheck_context *c)
{
    c->cr0 = read_cr0();
    c->cr2 = read_cr2();
    c->cr3 = read_cr3();
    c->cr4 = read_cr4();
    __asm__ volatile("mov %%ds, %0" : "=r"(c->ds));
    __asm__ volatile("mov %%es, %0" : "=r"(c->es));
    __asm__ volatile("mov %%fs, %0" : "=r"(c->fs));
    __asm__ volatile("mov %%gs, %0" : "=r"(c->gs));
}

/* A fault while the bugcheck path runs: say so on COM1 and reset without further work. */
static void __attribute__((noreturn)) nested(uint32_t code, uint64_t rip)
{
    if (depth == 2) {
        bsod_emergency(code, rip, data.code);
        acpi_reboot();
    }
    for (;;)
        cpu_hlt();
}

/* Name the program that was running, and where in it, in the klog (which every dump holds):
 * the interrupted instruction when the trap came from ring 3, else the process's own record
 * (the instruction after its `syscall`, or where an interrupt stopped it). */
static void log_process(void)
{
    char name[PROC_NAME_MAX];
    int pid;
    uint64_t rip;
    if (!process_crash_info(name, sizeof name, &pid, &rip))
        return;
    if (data.ctx.vector != BUGCHECK_NO_VECTOR && (data.ctx.cs & 3) == 3)
        rip = data.ctx.rip;
    klog(KLOG_EMERG, "bugcheck: process %s (pid %d) was running, user rip %p", name, pid,
         (void *)rip);
}

/* Leave NMI context, if the bugcheck came from an NMI (or from a fault inside its
 * handler): an IRETQ to the next instruction, on the same stack with the same RFLAGS
 * (interrupts stay off), ends the blocking of further NMIs, so that the dead-man's ticks
 * reach the dump. Elsewhere it only returns. On the crash stack only: a later NMI reuses
 * the NMI stack the bugcheck may have come from. */
static void leave_nmi(void)
{
    __asm__ volatile("mov %%ss, %%rax\n\t"
                     "push %%rax\n\t"
                     "lea 8(%%rsp), %%rax\n\t"
                     "push %%rax\n\t"
                     "pushfq\n\t"
                     "mov %%cs, %%rax\n\t"
                     "push %%rax\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "push %%rax\n\t"
                     "iretq\n"
                     "1:" ::: "rax", "memory", "cc");
}

/* The rest of the path, on the crash stack: data is complete. */
static void __attribute__((noreturn)) bugcheck_run(void)
{
    leave_nmi();
    const uint32_t code = data.code;
    const uint64_t *p = data.params;
    cpu_stop_others(data.crash_cpu);
    klog_bugcheck_resync();
    console_bugcheck_takeover();
    klog(KLOG_EMERG, "bugcheck 0x%08x (0x%lx, 0x%lx, 0x%lx, 0x%lx) at %p", code,
         (unsigned long)p[0], (unsigned long)p[1], (unsigned long)p[2], (unsigned long)p[3],
         (void *)data.ctx.rip);
    log_process();
    bsod_show(&data);
    cpu_stop_report();
    if (dumper) {
        deadman_arm(dumper->time_limit_ms());
        dumper->write(&data);
        deadman_disarm();
    } else {
        bsod_status("No crash dump: no dump stack was prepared.");
    }
    bugcheck_nested_fault_point();
    bugcheck_finish();
}

void bugcheck_finish(void)
{
    cpu_park_halt();
    if (auto_reboot) {
        bsod_status("Rebooting in %d seconds...", BUGCHECK_REBOOT_DELAY_S);
        timer_delay_ms(BUGCHECK_REBOOT_DELAY_S * 1000u);
        acpi_reboot();
        bsod_status("Reboot failed: halted.");
    } else {
        bsod_status("System halted.");
    }
    for (;;)
        cpu_hlt();
}

/* Called with the claim won: this CPU owns the bugcheck. Records it, then moves to its
 * crash stack. */
static void __attribute__((noreturn)) bugcheck_common(unsigned me, uint32_t code, const uint64_t p[4])
{
    lapic_timer_stop();
    data.code = code;
    for (int i = 0; i < 4; i++)
        data.params[i] = p[i];
    data.ts_ns = timer_ns();
    data.crash_cpu = me;
    bugcheck_cpu_save(me, CPU_STATE_CRASHED, code, false, &data.ctx);
    bugcheck_on_stack(crash_stacks[me] + CRASH_STACK_SIZE, bugcheck_run);
}

/* Claim the bugcheck for CPU me with context c: returns if it won; parks if another CPU
 * owns it; goes to nested() if me already owns it (a fault inside the crash path). */
static void claim_or_park(unsigned me, uint32_t code, const struct bugcheck_context *c)
{
    if (__atomic_load_n(&rendezvous_left, __ATOMIC_ACQUIRE) &&
        __atomic_sub_fetch(&rendezvous_left, 1, __ATOMIC_SEQ_CST) != 0) {
        uint64_t end = timer_ns() + BUGCHECK_RENDEZVOUS_MS * 1000000ull;
        while (__atomic_load_n(&rendezvous_left, __ATOMIC_ACQUIRE) && timer_ns() < end)
            cpu_pause();
    }
    uint32_t own = cpu_stop_claim(me);
    if (own == CPU_NONE) {
        depth = 1;
        return;
    }
    if (own == me) {
        __atomic_add_fetch(&depth, 1, __ATOMIC_SEQ_CST);
        nested(c->vector == BUGCHECK_NO_VECTOR ? code : c->vector, c->rip);
    }
    cpu_park(me, CPU_STATE_PARKED, code, c);
}

void bugcheck_enter(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3, uint64_t p4,
                    struct bugcheck_context *ctx)
{
    unsigned me = smp_this_cpu();
    struct bugcheck_context c = *ctx;
    c.vector = BUGCHECK_NO_VECTOR;
    c.error_code = 0;
    __asm__ volatile("mov %%cs, %0" : "=r"(c.cs));
    __asm__ volatile("mov %%ss, %0" : "=r"(c.ss));
    capture_system_regs(&c);
    cpu_stop_entering(me, code, &c);
    claim_or_park(me, code, &c);
    data.ctx = c;
    const uint64_t p[4] = { p1, p2, p3, p4 };
    bugcheck_common(me, code, p);
}

/* Windows' mapping of a kernel-mode CPU exception to a STOP code and parameters. */
static uint32_t trap_to_bugcode(const struct trap_frame *f, uint64_t cr2, uint64_t p[4])
{
    p[0] = p[1] = p[2] = p[3] = 0;
    switch (f->vector) {
    case VEC_NMI:
        return BUGCODE_NMI_HARDWARE_FAILURE;
    case VEC_PAGE_FAULT:
        p[0] = cr2;
        p[1] = (f->error_code & (1u << 4)) ? 10 : (f->error_code & (1u << 1)) ? 2 : 0;
        p[2] = f->rip;
        p[3] = f->error_code;
        return BUGCODE_PAGE_FAULT_IN_NONPAGED_AREA;
    case VEC_BREAKPOINT:
        p[0] = STATUS_BREAKPOINT;
        p[1] = f->rip;
        return BUGCODE_KMODE_EXCEPTION_NOT_HANDLED;
    case VEC_INVALID_OPCODE:
        p[0] = STATUS_ILLEGAL_INSTRUCTION;
        p[1] = f->rip;
        return BUGCODE_KMODE_EXCEPTION_NOT_HANDLED;
    case VEC_MACHINE_CHECK:
        return BUGCODE_MACHINE_CHECK_EXCEPTION;
    default:
        p[0] = f->vector;
        p[1] = f->error_code;
        return BUGCODE_UNEXPECTED_KERNEL_MODE_TRAP;
    }
}

static void context_from_frame(const struct trap_frame *f, uint64_t cr2, struct bugcheck_context *c)
{
    *c = (struct bugcheck_context){
        .rax = f->rax, .rbx = f->rbx, .rcx = f->rcx, .rdx = f->rdx,
        .rsi = f->rsi, .rdi = f->rdi, .rbp = f->rbp, .rsp = f->rsp,
        .r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11,
        .r12 = f->r12, .r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
        .rip = f->rip, .rflags = f->rflags, .error_code = f->error_code,
        .vector = (uint32_t)f->vector, .cs = (uint16_t)f->cs, .ss = (uint16_t)f->ss,
    };
    capture_system_regs(c);
    c->cr2 = cr2;
}

/* An NMI on an AP with no bugcheck running: give the boot CPU the first claim. */
static uint32_t wait_for_owner(void)
{
    uint64_t end = timer_ns() + NMI_BOOT_CPU_GRACE_MS * 1000000ull;
    uint32_t own;
    while ((own = cpu_stop_owner()) == CPU_NONE && timer_ns() < end)
        cpu_pause();
    return own;
}

void bugcheck_from_trap(struct trap_frame *f)
{
    uint64_t cr2 = read_cr2();
    cpu_cli();
    unsigned me = smp_this_cpu();
    struct bugcheck_context c;
    if (f->vector == VEC_NMI) {
        uint32_t own = cpu_stop_owner();
        if (own == me) {                /* the dead-man's tick, or a stray NMI while dumping */
            deadman_nmi(f);
            return;
        }
        if (own == CPU_NONE && me != 0)
            own = wait_for_owner();
        if (own != CPU_NONE && cpu_stop_parked(me))
            cpu_park(me, CPU_STATE_NMI_STOPPED, 0, NULL);   /* an NMI while parked: park again */
        if (own != CPU_NONE) {
            context_from_frame(f, cr2, &c);
            cpu_park_on_nmi(me, &c);
        }
    }
    context_from_frame(f, cr2, &c);
    uint64_t p[4];
    uint32_t code = trap_to_bugcode(f, cr2, p);
    cpu_stop_entering(me, code, &c);
    claim_or_park(me, code, &c);
    data.ctx = c;
    bugcheck_common(me, code, p);
}

void bugcheck_assert_log(const char *expr, const char *file, int line)
{
    klog(KLOG_CRIT, "assertion failed: %s (%s:%d)", expr, file, line);
}

void bugcheck_arm_nested_fault(void)
{
    nested_fault_armed = true;
}

void bugcheck_nested_fault_point(void)
{
    if (nested_fault_armed)
        (void)*(volatile uint64_t *)(uintptr_t)data.ctx.cr2;
}

void bugcheck_arm_rendezvous(unsigned n)
{
    __atomic_store_n(&rendezvous_left, n, __ATOMIC_RELEASE);
}

void bugcheck_set_dumper(const struct dumper *d)
{
    dumper = d;
}

const struct dumper *bugcheck_dumper(void)
{
    return dumper;
}

void bugcheck_set_auto_reboot(bool on)
{
    auto_reboot = on;
}
