/* The dead-man: an independent bound on the whole dump. Armed by the bugcheck just before it
 * hands the crash to its dumper, it ticks as an NMI (arch/watchdog.h), so a writer, a flush
 * or a small-dump writer that loops forever with interrupts off is still cut off; past the
 * dumper's time limit it abandons the dump: the reason on the screen and COM1, the partial
 * dump's header marked abandoned (dumper->abandon), then the bugcheck's reboot. */
#ifndef BB_DEADMAN_H
#define BB_DEADMAN_H

#include <stdint.h>

struct trap_frame;

#define DEADMAN_MARK_MS 10000u   /* time given to marking the abandoned dump's header */

/* Start the dead-man: the dump must be done within `limit_ms` (0: nothing to bound, the
 * dead-man stays off). Bugcheck time. */
void deadman_arm(uint64_t limit_ms);
/* The dump is over (written or failed on its own): stop ticking. */
void deadman_disarm(void);
/* An NMI while a bugcheck runs (bugcheck_from_trap): on the CPU that armed it, one tick. Past the limit, the NMI
 * returns into the abandon path, on the interrupted stack, instead of into the stalled code
 * (so that later ticks still arrive and bound the abandon itself: past DEADMAN_MARK_MS more,
 * the machine reboots at once). Does nothing when not armed. */
void deadman_nmi(struct trap_frame *f);

#endif
