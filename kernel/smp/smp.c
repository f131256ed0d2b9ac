/* Application processor start-up (Intel SDM vol. 3, 9.4 "Multiple-Processor (MP)
 * Initialization": INIT IPI, 10 ms, STARTUP IPI, 200 us, a second STARTUP IPI if the CPU has
 * not reported in), the per-CPU table, and handing work to a CPU. */
#include <stdbool.h>
#include <string.h>
#include "smp/smp.h"
#include "arch/acpi.h"
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/lapic.h"
#include "arch/timer.h"
#include "arch/trap.h"
#include "bugcheck/cpu_state.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "klog.h"
#include "err.h"

#define SMP_TRAMPOLINE_PHYS 0x8000ull  /* TRAMPOLINE_PHYS in ap_boot.asm; STARTUP page 8 */
#define TRAMPOLINE_PML4 (SMP_TRAMPOLINE_PHYS + 0x1000)
#define TRAMPOLINE_PDPT (SMP_TRAMPOLINE_PHYS + 0x2000)
#define TRAMPOLINE_PD   (SMP_TRAMPOLINE_PHYS + 0x3000)
#define AP_STACK_PAGES  8u             /* 32 KiB kernel stack, below it one unmapped guard page */
#define AP_IST_PAGES    (3u * IST_STACK_SIZE / PAGE_SIZE)
#define INIT_DELAY_MS   10u
#define SIPI_DELAY_US   200u
#define AP_START_MS     200u           /* a CPU not idle this long after the IPIs failed */
#define MSR_EFER        0xC0000080u

/* Matches ap_params in ap_boot.asm. */
struct ap_params {
    uint32_t cr0, cr3, cr4, pad;
    uint64_t efer, stack, entry, arg;
};
_Static_assert(sizeof(struct ap_params) == 48, "ap_boot.asm ap_params");

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_params[];

static struct cpu cpus[MAX_CPUS] = { [0] = { .state = CPU_RUNNING, .doing = "shell, interrupts" } };
static unsigned ncpus = 1;
static uint8_t apic_to_index[256];   /* index + 1; 0 = not a CPU we know */

unsigned smp_cpu_count(void)
{
    return ncpus;
}

struct cpu *smp_cpu(unsigned index)
{
    return index < ncpus ? &cpus[index] : NULL;
}

unsigned smp_this_cpu(void)
{
    uint8_t i = apic_to_index[lapic_id() & 0xFF];
    return i ? i - 1u : 0u;
}

const char *smp_state_name(enum cpu_state s)
{
    static const char *const names[] = { "offline", "starting", "running", "idle", "busy",
                                         "parked", "failed" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void wake_handler(struct trap_frame *f)
{
    (void)f;
    lapic_eoi();
}

/* An application processor's life after the trampoline: its own tables, then idle. */
static void __attribute__((noreturn)) ap_main(uint64_t index)
{
    struct cpu *c = &cpus[index];
    write_cr3(paging_kernel_pml4());
    uint64_t slot = CPU_STACKS_BASE + index * CPU_STACKS_SLOT;
    gdt_init_cpu((unsigned)index, slot + (1 + AP_STACK_PAGES) * PAGE_SIZE, c->stack_lo, c->stack_hi);
    idt_load();
    if (lapic_init_ap()) {
        __atomic_store_n(&c->state, CPU_FAILED, __ATOMIC_RELEASE);
        for (;;)
            cpu_hlt();
    }
    c->doing = "idle";
    __atomic_store_n(&c->state, CPU_IDLE, __ATOMIC_RELEASE);
    for (;;) {
        cpu_cli();
        uint32_t seq = __atomic_load_n(&c->work_seq, __ATOMIC_ACQUIRE);
        if (seq == c->done_seq) {
            cpu_idle();      /* sti; hlt: a wake IPI cannot slip in between */
            continue;
        }
        cpu_sti();
        c->work_result = c->work_fn(c->work_arg);
        c->doing = "idle";
        __atomic_store_n(&c->state, CPU_IDLE, __ATOMIC_RELEASE);
        __atomic_store_n(&c->done_seq, seq, __ATOMIC_RELEASE);
    }
}

/* An application processor's stacks live in the kernel's .bss, inside what the dump writer
 * snapshots at a crash (a crash on that CPU runs the writer on them), and are mapped again in
 * the CPU's slot at CPU_STACKS_BASE under an unmapped guard page, where the CPU uses them. */
static uint8_t ap_stacks[MAX_CPUS - 1][(AP_STACK_PAGES + AP_IST_PAGES) * PAGE_SIZE]
    __attribute__((aligned(PAGE_SIZE)));

/* Map a CPU's stack slot: guard page (left unmapped), kernel stack, IST stacks. */
static int map_stacks(struct cpu *c)
{
    uint64_t slot = CPU_STACKS_BASE + c->index * CPU_STACKS_SLOT;
    const uint8_t *backing = ap_stacks[c->index - 1];
    for (unsigned i = 0; i < AP_STACK_PAGES + AP_IST_PAGES; i++) {
        int rc = paging_map_page(paging_kernel_pml4(), slot + (1 + i) * PAGE_SIZE,
                                 kernel_virt_to_phys(backing + i * PAGE_SIZE), PTE_WRITE | PTE_NX);
        if (rc)
            return rc;
    }
    c->stack_lo = slot + PAGE_SIZE;
    c->stack_hi = c->stack_lo + AP_STACK_PAGES * PAGE_SIZE;
    return 0;
}

/* The trampoline's page tables: the first 2 MiB identity-mapped (executable) for the jump
 * into long mode; smp_init adds the kernel's half of the address space. */
static void build_trampoline(void)
{
    memcpy(phys_to_virt(SMP_TRAMPOLINE_PHYS), ap_trampoline_start,
           (size_t)(ap_trampoline_end - ap_trampoline_start));
    uint64_t *pml4 = phys_to_virt(TRAMPOLINE_PML4), *pdpt = phys_to_virt(TRAMPOLINE_PDPT);
    uint64_t *pd = phys_to_virt(TRAMPOLINE_PD);
    memset(pml4, 0, PAGE_SIZE);
    memset(pdpt, 0, PAGE_SIZE);
    memset(pd, 0, PAGE_SIZE);
    pml4[0] = TRAMPOLINE_PDPT | PTE_PRESENT | PTE_WRITE | PTE_ACCESSED;
    pdpt[0] = TRAMPOLINE_PD | PTE_PRESENT | PTE_WRITE | PTE_ACCESSED;
    pd[0] = PTE_PRESENT | PTE_WRITE | PTE_HUGE | PTE_ACCESSED | PTE_DIRTY;
}

static bool wait_started(struct cpu *c, uint64_t us)
{
    uint64_t end = timer_ns() + us * 1000u;
    while (timer_ns() < end) {
        if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CPU_STARTING)
            return true;
        cpu_pause();
    }
    return false;
}

/* STARTUP IPIs to a CPU that had its INIT; wait for it to report in. */
static int start_ap(struct cpu *c)
{
    struct ap_params *p = phys_to_virt(SMP_TRAMPOLINE_PHYS + (uint64_t)(ap_params - ap_trampoline_start));
    p->cr0 = (uint32_t)read_cr0();
    p->cr3 = (uint32_t)TRAMPOLINE_PML4;
    p->cr4 = (uint32_t)read_cr4();
    p->efer = rdmsr(MSR_EFER);
    p->stack = c->stack_hi;
    p->entry = (uint64_t)ap_main;
    p->arg = c->index;
    int rc;
    for (int sipi = 0; sipi < 2; sipi++) {
        if ((rc = lapic_send_sipi(c->apic_id, (uint8_t)(SMP_TRAMPOLINE_PHYS >> 12))))
            return rc;
        if (wait_started(c, SIPI_DELAY_US))
            break;
    }
    if (!wait_started(c, AP_START_MS * 1000u))
        return ERR_TIMED_OUT;
    return c->state == CPU_IDLE ? 0 : ERR_BAD_STATE;
}

static void start_failed(struct cpu *c, int rc)
{
    c->state = CPU_FAILED;
    c->doing = "did not start";
    klog(KLOG_ERR, "smp: CPU %u (APIC %u) did not start: %s", c->index, c->apic_id, err_str(rc));
}

unsigned smp_init(void)
{
    const uint32_t *ids;
    unsigned n = acpi_cpu_apic_ids(&ids), online = 1;
    uint32_t self = lapic_id();
    cpus[0].apic_id = self;
    apic_to_index[self & 0xFF] = 1;
    int rc = trap_register(VEC_SMP_WAKE, wake_handler);
    if (rc) {
        klog(KLOG_ERR, "smp: wake vector: %s; application processors left offline", err_str(rc));
        return 1;
    }
    build_trampoline();
    /* Every CPU gets its stacks and its INIT first, so that the 10 ms wait is paid once. */
    for (unsigned i = 0; i < n && ncpus < MAX_CPUS; i++) {
        if (ids[i] == self || ids[i] > 0xFF)
            continue;
        struct cpu *c = &cpus[ncpus];
        c->index = ncpus++;
        c->apic_id = ids[i];
        c->doing = "starting";
        apic_to_index[ids[i]] = (uint8_t)(c->index + 1);
        bugcheck_cpu_online(c->index, c->apic_id);   /* every known CPU has a slot in a dump */
        __atomic_store_n(&c->state, CPU_STARTING, __ATOMIC_SEQ_CST);
        if ((rc = map_stacks(c)) || (rc = lapic_send_init(c->apic_id)))
            start_failed(c, rc);
    }
    uint64_t *pml4 = phys_to_virt(TRAMPOLINE_PML4);
    const uint64_t *kernel = phys_to_virt(paging_kernel_pml4());
    for (unsigned i = 256; i < 512; i++)   /* the kernel's half, with the CPUs' stacks */
        pml4[i] = kernel[i];
    timer_delay_ms(INIT_DELAY_MS);
    for (unsigned i = 1; i < ncpus; i++) {
        struct cpu *c = &cpus[i];
        if (c->state != CPU_STARTING)
            continue;
        uint64_t t0 = timer_ns();
        if ((rc = start_ap(c))) {
            start_failed(c, rc);
            continue;
        }
        online++;
        klog(KLOG_INFO, "smp: CPU %u (APIC %u) online in %lu us", c->index, c->apic_id,
             (unsigned long)((timer_ns() - t0) / 1000u));
    }
    klog(KLOG_INFO, "smp: %u of %u CPUs online", online, ncpus);
    return online;
}

int smp_run_on(unsigned index, const char *what, smp_work_fn fn, void *arg,
               uint32_t timeout_ms, int *result)
{
    if (index >= ncpus || !fn)
        return ERR_INVALID_ARGS;
    if (index == smp_this_cpu()) {
        *result = fn(arg);
        return 0;
    }
    struct cpu *c = &cpus[index];
    uint32_t idle = CPU_IDLE;
    if (!__atomic_compare_exchange_n(&c->state, &idle, CPU_BUSY, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return ERR_BUSY;
    struct cpu *self = &cpus[smp_this_cpu()];
    const char *was = self->doing;
    self->doing = "waiting for work on another CPU";
    c->work_fn = fn;
    c->work_arg = arg;
    c->doing = what;
    uint32_t seq = c->work_seq + 1;
    __atomic_store_n(&c->work_seq, seq, __ATOMIC_SEQ_CST);
    int rc = lapic_send_ipi(c->apic_id, VEC_SMP_WAKE);
    if (rc) {
        self->doing = was;
        return rc;
    }
    uint64_t end = timer_ns() + (uint64_t)timeout_ms * 1000000u;
    while (__atomic_load_n(&c->done_seq, __ATOMIC_ACQUIRE) != seq && timer_ns() <= end)
        cpu_pause();
    self->doing = was;
    if (__atomic_load_n(&c->done_seq, __ATOMIC_ACQUIRE) != seq)
        return ERR_TIMED_OUT;
    *result = c->work_result;
    return 0;
}
