/* The crash-time watchdog (arch/watchdog.h): PIT channel 0 in rate-generator mode into the
 * 8259's IRQ0, its INTR delivered on LINT0 as an NMI. An NMI is never acknowledged at the
 * 8259 (no INTA cycle), so each tick is acknowledged by a poll command (OCW3 with P set: the
 * next read is the acknowledge) and an end-of-interrupt. Ports from the 8254 and 8259A data
 * sheets. */
#include "arch/watchdog.h"
#include "arch/cpu.h"
#include "arch/lapic.h"

#define PIT_CH0_DATA    0x40
#define PIT_COMMAND     0x43
#define PIT_CH0_RATE    0x34   /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
#define PIT_CH0_ONESHOT 0x30   /* channel 0, mode 0: counting stops until a count is loaded */
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_DATA       0xA1
#define PIC_OCW3_POLL   0x0C   /* OCW3: poll command */
#define PIC_EOI         0x20   /* OCW2: non-specific end of interrupt */
#define PIC_ONLY_IRQ0   0xFE

void watchdog_start(void)
{
    outb(PIT_COMMAND, PIT_CH0_RATE);
    outb(PIT_CH0_DATA, 0);      /* 0 = 65536 clocks */
    outb(PIT_CH0_DATA, 0);
    outb(PIC2_DATA, 0xFF);
    outb(PIC1_DATA, PIC_ONLY_IRQ0);
    lapic_lint0_nmi(true);
}

void watchdog_ack(void)
{
    outb(PIC1_CMD, PIC_OCW3_POLL);
    (void)inb(PIC1_CMD);
    outb(PIC1_CMD, PIC_EOI);
}

void watchdog_stop(void)
{
    lapic_lint0_nmi(false);
    outb(PIC1_DATA, 0xFF);
    outb(PIT_COMMAND, PIT_CH0_ONESHOT);
    watchdog_ack();
}
