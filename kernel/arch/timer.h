/* Time: the TSC calibrated against the PIT gives nanoseconds since kernel entry; the LAPIC
 * timer gives a periodic tick. */
#ifndef BB_TIMER_H
#define BB_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100   /* LAPIC timer tick rate */

/* Calibrate the TSC against PIT channel 2; entry_tsc is the TSC read at kernel entry.
 * Returns 0, ERR_TIMED_OUT (the counter never moved) or ERR_RANGE (every window was stretched
 * past the counter's 55 ms); on an error a 1 GHz guess is used. */
int timer_calibrate_tsc(uint64_t entry_tsc);
/* Nanoseconds since kernel entry; 0 before calibration. Safe at bugcheck time. */
uint64_t timer_ns(void);
/* TSC ticks per second (0 before calibration). */
uint64_t timer_tsc_hz(void);
/* Busy-wait for ms milliseconds on the TSC (works with interrupts off). */
void timer_delay_ms(uint64_t ms);
/* Start the periodic LAPIC timer at TIMER_HZ. Needs lapic_init(). Returns 0 or an error. */
int timer_start(void);
/* Timer interrupts taken since timer_start(). */
uint64_t timer_ticks(void);
/* Ask the next timer interrupt to bugcheck from inside the interrupt handler (crash irq). */
void timer_request_bugcheck(void);

#endif
