/* The per-CPU slots of a bugcheck (see cpu_state.h): declared online at boot, each filled by
 * its own CPU at bugcheck time, read by the dumper. */
#include <string.h>
#include "bugcheck/cpu_state.h"
#include "arch/gdt.h"
#include "proc/process.h"
#include "err.h"

static struct cpu_crash_state slots[MAX_CPUS];
static unsigned count = 1;

int bugcheck_cpu_online(unsigned cpu, uint32_t apic_id)
{
    if (cpu >= MAX_CPUS)
        return ERR_INVALID_ARGS;
    slots[cpu].apic_id = apic_id;
    if (cpu + 1 > count)
        count = cpu + 1;
    return 0;
}

unsigned bugcheck_cpu_count(void)
{
    return count;
}

void bugcheck_cpu_save(unsigned cpu, uint32_t state, uint32_t code, bool idle,
                       const struct bugcheck_context *ctx)
{
    if (cpu >= MAX_CPUS)
        return;
    struct cpu_crash_state *s = &slots[cpu];
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != CPU_STATE_NONE)
        return;
    /* processes run only on the boot CPU (smp/smp.h): elsewhere it ran kernel work */
    const struct process *p = idle || cpu != 0 ? NULL : process_current();
    s->ctx = *ctx;
    s->bugcheck_code = code;
    s->running = idle ? CPU_RUN_IDLE : p ? CPU_RUN_PROCESS : CPU_RUN_KERNEL;
    s->pid = p ? p->pid : 0;
    memset(s->process, 0, sizeof s->process);
    if (p)
        memcpy(s->process, p->name, strnlen(p->name, sizeof s->process));
    if (!gdt_kernel_stack_range(ctx->rsp, &s->stack_lo, &s->stack_hi))
        s->stack_lo = s->stack_hi = 0;
    const struct cpu *c = smp_cpu(cpu);
    const char *doing = c && c->doing ? c->doing : "";
    size_t i = 0;
    for (; i < CPU_DOING_LEN - 1 && doing[i]; i++)
        s->doing[i] = doing[i];
    s->doing[i] = 0;
    bugcheck_cpu_set_state(cpu, state);
}

void bugcheck_cpu_set_state(unsigned cpu, uint32_t state)
{
    uint32_t none = CPU_STATE_NONE;
    if (cpu < MAX_CPUS)
        __atomic_compare_exchange_n(&slots[cpu].state, &none, state, false, __ATOMIC_RELEASE,
                                    __ATOMIC_RELAXED);
}

const struct cpu_crash_state *bugcheck_cpu_slot(unsigned cpu)
{
    return cpu < count ? &slots[cpu] : NULL;
}
