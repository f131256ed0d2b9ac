/* Stopping the other CPUs at a bugcheck: the first CPU to claim the bugcheck owns it; it
 * sends every other online CPU an NMI (which gets through a CPU spinning with interrupts
 * off); each saves its context into its slot and parks. A CPU that bugchecks while another
 * owns the bugcheck parks the same way, recorded as having crashed too. No locks anywhere. */
#include <stddef.h>
#include "bugcheck/cpu_stop.h"
#include "bugcheck/cpu_state.h"
#include "bugcheck/dumper.h"
#include "bugcheck/bsod.h"
#include "smp/smp.h"
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/timer.h"

static volatile uint32_t owner = CPU_NONE;
static void (*volatile park_work)(unsigned cpu);   /* the dumper's work for parked CPUs */
static volatile bool park_halt;                      /* the bugcheck is over: halt */
static const struct bugcheck_context *volatile pending_ctx[MAX_CPUS];  /* entering a bugcheck */
static volatile uint32_t pending_code[MAX_CPUS];

uint32_t cpu_stop_claim(unsigned me)
{
    uint32_t expected = CPU_NONE;
    if (__atomic_compare_exchange_n(&owner, &expected, me, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return CPU_NONE;
    return expected;
}

uint32_t cpu_stop_owner(void)
{
    return __atomic_load_n(&owner, __ATOMIC_ACQUIRE);
}

bool cpu_stop_parked(unsigned me)
{
    const struct cpu_crash_state *s = bugcheck_cpu_slot(me);
    return s && __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != CPU_STATE_NONE;
}

/* Fill CPU me's slot (bugcheck/cpu_state.h) as `state` unless it is filled already; the
 * state goes in last. NMI_STOPPED and PARKED need ctx. */
static void record(unsigned me, uint32_t state, uint32_t bugcode, const struct bugcheck_context *ctx)
{
    const struct cpu *c = smp_cpu(me);
    if ((state == CPU_STATE_NMI_STOPPED || state == CPU_STATE_PARKED) && ctx)
        bugcheck_cpu_save(me, state, bugcode, c && c->state == CPU_IDLE, ctx);
    else if (state == CPU_STATE_OFFLINE || state == CPU_STATE_NO_ANSWER)
        bugcheck_cpu_set_state(me, state);
}

void cpu_park(unsigned me, uint32_t state, uint32_t bugcode, const struct bugcheck_context *ctx)
{
    cpu_cli();
    if (me < MAX_CPUS)
        record(me, state, bugcode, ctx);
    struct cpu *c = smp_cpu(me);
    if (c)
        c->state = CPU_PARKED;
    while (!__atomic_load_n(&park_halt, __ATOMIC_ACQUIRE)) {
        void (*work)(unsigned) = __atomic_load_n(&park_work, __ATOMIC_ACQUIRE);
        if (work) {
            work(me);
            break;   /* its share is done: spinning on would only slow the others */
        }
        cpu_pause();
    }
    for (;;)
        cpu_hlt();
}

void bugcheck_park_work(void (*work)(unsigned cpu))
{
    __atomic_store_n(&park_work, work, __ATOMIC_RELEASE);
}

void cpu_park_halt(void)
{
    __atomic_store_n(&park_work, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&park_halt, true, __ATOMIC_RELEASE);
}

void cpu_stop_entering(unsigned me, uint32_t code, const struct bugcheck_context *ctx)
{
    if (me >= MAX_CPUS)
        return;
    pending_code[me] = code;
    __atomic_store_n(&pending_ctx[me], ctx, __ATOMIC_RELEASE);
}

void cpu_park_on_nmi(unsigned me, const struct bugcheck_context *at_nmi)
{
    const struct bugcheck_context *own = me < MAX_CPUS ? pending_ctx[me] : NULL;
    if (own)
        cpu_park(me, CPU_STATE_PARKED, pending_code[me], own);
    cpu_park(me, CPU_STATE_NMI_STOPPED, 0, at_nmi);
}

unsigned cpu_stop_others(unsigned me)
{
    unsigned n = smp_cpu_count(), parked = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct cpu *c = smp_cpu(i);
        if (i == me || cpu_stop_parked(i))
            continue;
        if (c->state == CPU_FAILED || c->state == CPU_OFFLINE || lapic_send_nmi(c->apic_id))
            record(i, CPU_STATE_OFFLINE, 0, NULL);
    }
    uint64_t end = timer_ns() + CPU_STOP_TIMEOUT_MS * 1000000ull;
    for (unsigned i = 0; i < n; i++) {
        if (i == me)
            continue;
        while (!cpu_stop_parked(i) && timer_ns() < end)
            cpu_pause();
        record(i, CPU_STATE_NO_ANSWER, 0, NULL);
        uint32_t st = bugcheck_cpu_slot(i)->state;
        parked += st == CPU_STATE_NMI_STOPPED || st == CPU_STATE_PARKED;
    }
    return parked;
}

void cpu_stop_report(void)
{
    unsigned n = smp_cpu_count();
    if (n < 2)
        return;
    char sym[96];
    for (unsigned i = 0; i < n; i++) {
        const struct cpu_crash_state *s = bugcheck_cpu_slot(i);
        bsod_symbolize(s->ctx.rip, s->ctx.vector == BUGCHECK_NO_VECTOR, sym, sizeof sym);
        switch (s->state) {
        case CPU_STATE_CRASHED:
            bsod_status("CPU %u (APIC %u): crashed here (was running: %s)", i, s->apic_id, s->doing);
            break;
        case CPU_STATE_NMI_STOPPED:
            bsod_status("CPU %u (APIC %u): stopped by NMI at %s (was running: %s)", i,
                        s->apic_id, sym, s->doing);
            break;
        case CPU_STATE_PARKED:
            bsod_status("CPU %u (APIC %u): crashed too (0x%08X) at %s, parked", i, s->apic_id,
                        s->bugcheck_code, sym);
            break;
        case CPU_STATE_OFFLINE:
            bsod_status("CPU %u (APIC %u): offline", i, s->apic_id);
            break;
        default:
            bsod_status("CPU %u (APIC %u): did not answer the NMI within %u ms", i, s->apic_id,
                        CPU_STOP_TIMEOUT_MS);
            break;
        }
    }
}
