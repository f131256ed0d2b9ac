/* The bugcheck's side of SMP (cpu_stop.c, private to kernel/bugcheck): claiming the
 * bugcheck, stopping the other CPUs with an NMI, parking them with their context saved in
 * their slot (bugcheck/cpu_state.h). Lock-free throughout. */
#ifndef BB_CPU_STOP_H
#define BB_CPU_STOP_H

#include <stdbool.h>
#include <stdint.h>
#include "bugcheck/bugcheck.h"

#define CPU_NONE 0xFFFFFFFFu
#define CPU_STOP_TIMEOUT_MS 100u   /* longest wait for the other CPUs to report parked */

/* Try to make CPU `me` the one whose bugcheck runs. Returns CPU_NONE when it won, else the
 * index of the CPU that already owns the bugcheck (possibly `me` itself: recursion). */
uint32_t cpu_stop_claim(unsigned me);
/* The CPU owning the bugcheck, or CPU_NONE. */
uint32_t cpu_stop_owner(void);
/* Save `ctx` into CPU me's slot as `state` (CPU_STATE_NMI_STOPPED or CPU_STATE_PARKED;
 * ctx NULL: the slot is filled already), then park for good:
 * interrupts off, spinning until it is handed the dumper's work (bugcheck_park_work), which
 * it does once, or until cpu_park_halt; then `hlt`. An NMI taken while parked parks again. */
void cpu_park(unsigned me, uint32_t state, uint32_t bugcode, const struct bugcheck_context *ctx)
    __attribute__((noreturn));
/* The bugcheck is over: every parked CPU stops spinning and halts. Bugcheck time. */
void cpu_park_halt(void);
/* CPU me has started a bugcheck with STOP code `code` and context *ctx (which must stay valid):
 * an NMI that stops it before it claims the bugcheck records it as CRASHED_TOO with them. */
void cpu_stop_entering(unsigned me, uint32_t code, const struct bugcheck_context *ctx);
/* Park CPU me after the NMI of another CPU's bugcheck: as CRASHED_TOO if it was entering a
 * bugcheck of its own, else as STOPPED with the context the NMI interrupted. */
void cpu_park_on_nmi(unsigned me, const struct bugcheck_context *at_nmi) __attribute__((noreturn));
/* True if CPU me's slot is already filled (it is parked; an NMI must not overwrite it). */
bool cpu_stop_parked(unsigned me);
/* On the owner (its own slot saved as CRASHED): send every other online CPU an NMI and wait
 * up to CPU_STOP_TIMEOUT_MS for each to park; a CPU that does not is marked NO_ANSWER, one
 * never started OFFLINE. Returns the number of CPUs that parked. */
unsigned cpu_stop_others(unsigned me);
/* With more than one CPU, one blue-screen line per CPU: which crashed, how each other one
 * was stopped and where. */
void cpu_stop_report(void);

#endif
