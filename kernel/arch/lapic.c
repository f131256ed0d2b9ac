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
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_DELIVERY_NMI);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    return 0;
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
