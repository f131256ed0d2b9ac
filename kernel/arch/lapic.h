/* Local APIC (xAPIC, MMIO): enable, EOI, NMI on LINT1 (and on LINT0 for the crash-time
 * watchdog), periodic timer calibrated on the TSC, inter-processor interrupts (INIT,
 * STARTUP, fixed vector, NMI) through the ICR.
 * Also masks the legacy 8259 PICs so that only the LAPIC delivers interrupts. */
#ifndef BB_LAPIC_H
#define BB_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Map and enable the LAPIC; remap and mask the 8259s. Returns 0 or an error. */
int lapic_init(void);
/* Enable the calling application processor's LAPIC (same registers as the boot CPU's, the
 * MMIO window lapic_init mapped). Returns 0 or ERR_BAD_STATE before lapic_init. */
int lapic_init_ap(void);
/* Send an IPI to the CPU with that APIC ID: INIT, STARTUP (real-mode entry at page * 4 KiB),
 * a fixed vector, or an NMI. Each waits at most 1 ms for the previous and for this IPI to
 * leave the LAPIC. Returns 0, ERR_TIMED_OUT or ERR_BAD_STATE (no LAPIC). lapic_send_nmi is
 * safe at bugcheck time. */
int lapic_send_init(uint32_t apic_id);
int lapic_send_sipi(uint32_t apic_id, uint8_t page);
int lapic_send_ipi(uint32_t apic_id, uint8_t vector);
int lapic_send_nmi(uint32_t apic_id);
/* Signal end of interrupt. Safe at bugcheck time. */
void lapic_eoi(void);
/* Program the LAPIC timer to fire `vector` hz times a second. Needs a calibrated TSC. */
int lapic_timer_periodic(uint8_t vector, uint32_t hz);
/* Stop the LAPIC timer (bugcheck path). */
void lapic_timer_stop(void);
/* Deliver LINT0 (where the 8259's INTR arrives) as an NMI, edge-triggered, or mask it again
 * (`on` false): the crash-time watchdog's path (arch/watchdog.h). Safe at bugcheck time. */
void lapic_lint0_nmi(bool on);
/* This CPU's APIC ID. */
uint32_t lapic_id(void);

#endif
