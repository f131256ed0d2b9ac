/* Every CPU's state at a bugcheck: one slot per CPU (indexed by CPU index, 0 = boot CPU),
 * filled on the bugcheck path and handed to the dumper in struct bugcheck_data (cpus,
 * ncpus, crash_cpu). A slot is complete once its state is not CPU_SLOT_EMPTY. */
#ifndef BB_CPU_SLOTS_H
#define BB_CPU_SLOTS_H

#include <stdint.h>
#include "bugcheck/bugcheck.h"

enum cpu_slot_state {
    CPU_SLOT_EMPTY = 0,      /* not reported (no such CPU, or it never answered) */
    CPU_SLOT_CRASHED,        /* the CPU whose bugcheck this is (crash_cpu) */
    CPU_SLOT_STOPPED,        /* stopped by the crashing CPU's NMI: ctx is where the NMI hit */
    CPU_SLOT_CRASHED_TOO,    /* bugchecked itself (bugcode) while another CPU's bugcheck was
                                in progress; ctx is that second crash's context */
    CPU_SLOT_NO_RESPONSE,    /* did not answer the NMI within CPU_STOP_TIMEOUT_MS: ctx unknown */
    CPU_SLOT_OFFLINE,        /* never started (failed at boot): ctx unknown */
};

#define CPU_SLOT_DOING_LEN 32
#define CPU_STOP_TIMEOUT_MS 100u   /* longest wait for the other CPUs to report parked */

struct cpu_context_slot {
    uint32_t state;                  /* enum cpu_slot_state */
    uint32_t cpu;                    /* CPU index */
    uint32_t apic_id;
    uint32_t bugcode;                /* CRASHED / CRASHED_TOO: its STOP code, else 0 */
    char doing[CPU_SLOT_DOING_LEN];  /* what it was running ("idle", a work name), NUL-ended */
    struct bugcheck_context ctx;     /* registers, control registers, RSP, RIP */
};

/* The slot array (MAX_CPUS entries, smp_cpu_count() of them meaningful). Safe at bugcheck
 * time; the contents are meaningful only once a bugcheck has stopped the CPUs. */
const struct cpu_context_slot *bugcheck_cpu_slots(void);

#endif
