/* The crash-time watchdog: a tick that arrives as an NMI, so that it gets through code that
 * spins with interrupts off. PIT channel 0 counts at 18.2 Hz into the 8259's IRQ0, whose
 * INTR output reaches the LAPIC's LINT0, programmed for NMI delivery. Only the bugcheck uses
 * it (bugcheck/deadman.h); it owns the PIT's channel 0 and the 8259s while it runs. */
#ifndef BB_WATCHDOG_H
#define BB_WATCHDOG_H

#define WATCHDOG_TICK_MS 55u   /* one tick every 65536 PIT clocks (54.9 ms) */

/* Start ticking. Bugcheck time, interrupts off. */
void watchdog_start(void);
/* From the NMI handler, for each tick: acknowledge it at the 8259, so that the next one
 * raises INTR (and LINT0's edge) again. */
void watchdog_ack(void);
/* Stop ticking: LINT0 and the 8259s masked, channel 0 stopped. */
void watchdog_stop(void);

#endif
