/* Local APIC (xAPIC, MMIO): enable, EOI, NMI on LINT1 (and on LINT0 for the crash-time
 * watchdog), periodic timer calibrated on the TSC.
 * Also masks the legacy 8259 PICs so that only the LAPIC delivers interrupts. */
#ifndef BB_LAPIC_H
#define BB_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Map and enable the LAPIC; remap and mask the 8259s. Returns 0 or an error. */
int lapic_init(void);
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
