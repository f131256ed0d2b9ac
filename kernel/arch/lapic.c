/* xAPIC driver. Register offsets from the Intel SDM vol. 3, 11.4.1 (Table 11-1). */
#include "arch/lapic.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "arch/trap.h"
#include "mm/paging.h"
#include "err.h"

#define MSR_APIC_BASE      0x1B        /* IA32_APIC_BASE */
#define APIC_BASE_ENABLE   (1u << 11)  /* xAPIC global enable */
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ull
#define LAPIC_ID           0x020       /* local APIC ID */
#define LAPIC_TPR          0x080       /* task priority */
#define LAPIC_EOI          0x0B0       /* end of interrupt */
#define LAPIC_ICR_LO       0x300       /* interrupt command, low half (write sends) */
#define LAPIC_ICR_HI       0x310       /* interrupt command, high half: destination */
#define LAPIC_SVR          0x0F0       /* spurious interrupt vector */
#define LAPIC_LVT_TIMER    0x320       /* LVT timer */
#define LAPIC_LVT_LINT0    0x350       /* LVT LINT0 */
#define LAPIC_LVT_LINT1    0x360       /* LVT LINT1 */
#define LAPIC_LVT_ERROR    0x370       /* LVT error */
#define LAPIC_TIMER_INIT   0x380       /* timer initial count */
#define LAPIC_TIMER_CUR    0x390       /* timer current count */
#define LAPIC_TIMER_DIV    0x3E0       /* timer divide configuration */
#define SVR_ENABLE         (1u << 8)   /* APIC software enable */
#define LVT_MASKED         (1u << 16)
#define LVT_DELIVERY_NMI   (4u << 8)
#define LVT_TIMER_PERIODIC (1u << 17)
#define TIMER_DIV_16       0x3
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_NMI   (4u << 8)
#define ICR_DELIVERY_INIT  (5u << 8)
#define ICR_DELIVERY_SIPI  (6u << 8)
#define ICR_PENDING        (1u << 12)  /* delivery status: send pending */
#define ICR_LEVEL_ASSERT   (1u << 14)
#define ICR_DEST_SHIFT     24
#define ICR_WAIT_US        1000u       /* longest wait for the previous IPI to leave */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086 0x01
#define LAPIC_CALIBRATE_MS 10u

static volatile uint32_t *lapic;

static inline uint32_t lapic_read(uint32_t reg) { return lapic[reg / 4]; }
static inline void lapic_write(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }

static void pic_mask_all(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC1_DATA, VEC_PIC_BASE);
    outb(PIC2_DATA, VEC_PIC_BASE + 8);
    outb(PIC1_DATA, 4);     /* slave on IRQ2 */
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, PIC_ICW4_8086);
    outb(PIC2_DATA, PIC_ICW4_8086);
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
}

/* Registers every CPU programs the same way on its own LAPIC. */
static void lapic_setup_local(void)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_DELIVERY_NMI);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

int lapic_init(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[3] & (1u << 9)))
        return ERR_NOT_SUPPORTED;
    pic_mask_all();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    lapic = paging_map_mmio(base & APIC_BASE_ADDR_MASK, PAGE_SIZE);
    if (!lapic)
        return ERR_NO_MEMORY;
    lapic_setup_local();
    return 0;
}

int lapic_init_ap(void)
{
    if (!lapic)
        return ERR_BAD_STATE;
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
    lapic_setup_local();
    return 0;
}

static int icr_wait_idle(void)
{
    uint64_t end = timer_ns() + ICR_WAIT_US * 1000u;
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) {
        if (timer_ns() > end)
            return ERR_TIMED_OUT;
        cpu_pause();
    }
    return 0;
}

static int icr_send(uint32_t apic_id, uint32_t low)
{
    if (!lapic)
        return ERR_BAD_STATE;
    int rc = icr_wait_idle();
    if (rc)
        return rc;
    lapic_write(LAPIC_ICR_HI, apic_id << ICR_DEST_SHIFT);
    lapic_write(LAPIC_ICR_LO, low);
    return icr_wait_idle();
}

int lapic_send_init(uint32_t apic_id)
{
    return icr_send(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

int lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
    return icr_send(apic_id, ICR_DELIVERY_SIPI | ICR_LEVEL_ASSERT | page);
}

int lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    return icr_send(apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | vector);
}

int lapic_send_nmi(uint32_t apic_id)
{
    return icr_send(apic_id, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

void lapic_eoi(void)
{
    if (lapic)
        lapic_write(LAPIC_EOI, 0);
}

void lapic_lint0_nmi(bool on)
{
    if (lapic)
        lapic_write(LAPIC_LVT_LINT0, on ? LVT_DELIVERY_NMI : LVT_MASKED);
}

uint32_t lapic_id(void)
{
    return lapic ? lapic_read(LAPIC_ID) >> 24 : 0;
}

int lapic_timer_periodic(uint8_t vector, uint32_t hz)
{
    if (!lapic || !timer_tsc_hz() || hz == 0)
        return ERR_BAD_STATE;
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
    timer_delay_ms(LAPIC_CALIBRATE_MS);
    uint32_t elapsed = 0xFFFFFFFFu - lapic_read(LAPIC_TIMER_CUR);
    uint64_t per_tick = (uint64_t)elapsed * (1000u / LAPIC_CALIBRATE_MS) / hz;
    if (per_tick == 0 || per_tick > 0xFFFFFFFFu)
        return ERR_RANGE;
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)per_tick);
    return 0;
}

void lapic_timer_stop(void)
{
    if (lapic) {
        lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
        lapic_write(LAPIC_TIMER_INIT, 0);
    }
}
