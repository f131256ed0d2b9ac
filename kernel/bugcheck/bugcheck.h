/* Bugcheck: the one way the kernel stops. bugcheck(code, p1..p4) takes Windows' STOP codes
 * (kernel/lib/bugcodes.h); CPU exceptions in kernel mode arrive via bugcheck_from_trap.
 * Interrupts off, recursion guard, full CPU context captured, the other CPUs stopped by NMI
 * with their contexts saved (bugcheck/cpu_state.h), blue screen on VGA and COM1 with
 * symbolized RIP and backtrace and the klog tail, then reboot (AutoReboot) or halt. The
 * first CPU to bugcheck wins; one that bugchecks while another's bugcheck runs parks. */
#ifndef BB_BUGCHECK_H
#define BB_BUGCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/bugcodes.h"

struct trap_frame;

/* CPU state at the moment of the crash. Offsets are used by bugcheck_entry.asm. */
struct bugcheck_context {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;   /* 0x00 .. 0x38 */
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;     /* 0x40 .. 0x78 */
    uint64_t rip, rflags;                              /* 0x80, 0x88 */
    uint64_t cr0, cr2, cr3, cr4;                       /* 0x90 .. 0xA8 */
    uint64_t error_code;                               /* 0xB0: CPU error code or 0 */
    uint32_t vector;                                   /* 0xB8: exception vector, or
                                                          BUGCHECK_NO_VECTOR for a call */
    uint16_t cs, ss, ds, es, fs, gs;                   /* 0xBC .. 0xC6 */
};
#define BUGCHECK_NO_VECTOR 0xFFFFFFFFu

/* What a bugcheck recorded, for the dump stack and the tools. */
struct bugcheck_data {
    uint32_t code;
    uint64_t params[4];
    struct bugcheck_context ctx;
    uint64_t ts_ns;          /* timer_ns() at the crash */
    uint32_t crash_cpu;      /* index of the CPU whose bugcheck this is (0 = boot CPU); every
                                CPU's state is in its slot (bugcheck/cpu_state.h) */
};

/* Stop the system. Never returns: the macro places a trap after the call so that the
 * return address captured as RIP always lies inside the calling function. */
void bugcheck_ex(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3, uint64_t p4);
#define bugcheck(code, p1, p2, p3, p4) \
    do { bugcheck_ex((code), (p1), (p2), (p3), (p4)); __builtin_trap(); } while (0)

/* Kernel assertion: on failure logs the expression and bugchecks with
 * KMODE_EXCEPTION_NOT_HANDLED (p1 STATUS_ASSERTION_FAILURE, p2 the address of the failed
 * check, p3 a pointer to the expression text, p4 the source line). */
#define KASSERT(cond) do { \
    if (!(cond)) { \
        __label__ kassert_here; kassert_here: \
        bugcheck_assert_log(#cond, __FILE__, __LINE__); \
        bugcheck(BUGCODE_KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, \
                 (uint64_t)&&kassert_here, (uint64_t)#cond, __LINE__); \
    } } while (0)
void bugcheck_assert_log(const char *expr, const char *file, int line);

/* Called by trap_dispatch for CPU exceptions (vectors 0..31) in kernel mode. An NMI while
 * another CPU's bugcheck runs parks this CPU (its context saved in its slot); an NMI on the
 * bugchecking CPU itself returns. An NMI reaching an application processor while no
 * bugcheck runs waits up to 50 ms for the boot CPU to claim it (a machine-wide NMI reaches
 * every CPU; the boot CPU reports it), then bugchecks itself. */
void bugcheck_from_trap(struct trap_frame *f);

/* Make the next bugcheck fault inside its own crash path, to exercise the recursion guard
 * (`crash nested`): half-way through writing the dump when one is being written, else right
 * after the blue screen. The fault is a read of the unmapped address in CR2 (NULL for a
 * called bugcheck). */
void bugcheck_arm_nested_fault(void);
/* Where the crash path may fault on purpose: does so only when armed. */
void bugcheck_nested_fault_point(void);

/* Make the next n bugchecks (one per CPU: `crash -c all`) wait for each other, at most
 * BUGCHECK_RENDEZVOUS_MS, after capturing their context and before claiming the bugcheck,
 * so that n CPUs really bugcheck at the same moment: one wins, the others park as
 * crashed too. */
#define BUGCHECK_RENDEZVOUS_MS 2000u
void bugcheck_arm_rendezvous(unsigned n);

/* AutoReboot: reboot after the blue screen (default) or halt. */
void bugcheck_set_auto_reboot(bool on);
/* The bugcheck's last step, after the dump (or the dead-man's abandon): the reboot notice and
 * the reboot when AutoReboot is set, else "System halted.". Never returns. */
void bugcheck_finish(void) __attribute__((noreturn));


#endif
