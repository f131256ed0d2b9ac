/* Every CPU's state at a bugcheck: one slot per CPU, owned by the bugcheck. At boot each
 * running CPU is declared online; at a bugcheck each CPU saves its own registers, what it was
 * running and its stack into its own slot (the crashing CPU as CRASHED, a CPU stopped by the
 * NMI as NMI_STOPPED, a CPU whose own bugcheck lost the race as PARKED); the blue screen
 * shows every slot (cpu_stop.c) and the dumper writes every slot from 0 to
 * bugcheck_cpu_count() - 1 into the dump. Lock-free: a CPU writes only its own slot, the
 * crashing CPU marks one that never answered; a slot's state is set once per bugcheck. */
#ifndef BB_CPU_STATE_H
#define BB_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "bugcheck/bugcheck.h"
#include "smp/smp.h"          /* MAX_CPUS */

/* cpu_crash_state.state: the values of the dump's DUMP_CPU_* (dump/dump_cpu.h) */
#define CPU_STATE_NONE         0u  /* nothing saved at this bugcheck (yet) */
#define CPU_STATE_CRASHED      1u  /* the CPU whose bugcheck this is */
#define CPU_STATE_NMI_STOPPED  2u  /* stopped by the crashing CPU's NMI */
#define CPU_STATE_PARKED       3u  /* bugchecked itself while another CPU's bugcheck ran */
#define CPU_STATE_OFFLINE      4u  /* not running: no registers */
#define CPU_STATE_NO_ANSWER    5u  /* did not answer the stop NMI: no registers */

/* cpu_crash_state.running: the values of the dump's DUMP_RUN_* */
#define CPU_RUN_KERNEL   0u  /* kernel code outside any process */
#define CPU_RUN_IDLE     1u  /* the idle loop */
#define CPU_RUN_PROCESS  2u  /* a process (pid, process) */

#define CPU_NAME_MAX 16u
#define CPU_DOING_LEN 32u

/* A slot's state is complete (its other fields written) once it is not CPU_STATE_NONE. */
struct cpu_crash_state {
    uint32_t state;              /* CPU_STATE_*: set last, once the rest is written */
    uint32_t apic_id;            /* [I] after bugcheck_cpu_online */
    uint32_t running;            /* CPU_RUN_* */
    int32_t pid;                 /* CPU_RUN_PROCESS: its pid */
    char process[CPU_NAME_MAX];  /* CPU_RUN_PROCESS: its name, NUL-padded */
    uint32_t bugcheck_code;      /* CRASHED, PARKED: the STOP code it raised */
    char doing[CPU_DOING_LEN];   /* what it was running ("idle", a work name), NUL-ended */
    struct bugcheck_context ctx; /* CRASHED, NMI_STOPPED, PARKED: where it stopped */
    uint64_t stack_lo, stack_hi; /* the kernel stack ctx.rsp is on; 0, 0 if none known */
};

/* Boot, or a CPU's start: CPU `cpu` (0 = the bootstrap CPU, < MAX_CPUS) runs, with local
 * APIC id `apic_id`. bugcheck_cpu_count() becomes at least cpu + 1. Returns 0 or
 * ERR_INVALID_ARGS. Called once per CPU, before that CPU can bugcheck. */
int bugcheck_cpu_online(unsigned cpu, uint32_t apic_id);

/* CPUs the dump records: 1 + the highest CPU declared online (at least 1). Safe at bugcheck
 * time. */
unsigned bugcheck_cpu_count(void);

/* Bugcheck time, on CPU `cpu` itself: save its registers `ctx`, `state` (CRASHED,
 * NMI_STOPPED or PARKED), the STOP code it raised (0 for NMI_STOPPED), what it is running
 * (`idle`: it was stopped in its idle loop; else, on the boot CPU, its process, or the
 * kernel; and its `doing`) and the kernel stack ctx->rsp is on into its slot, unless the
 * slot's state is set already (then nothing changes that counts). Lock-free, allocates
 * nothing. */
void bugcheck_cpu_save(unsigned cpu, uint32_t state, uint32_t code, bool idle,
                       const struct bugcheck_context *ctx);

/* Bugcheck time, on the crashing CPU: CPU `cpu` has no registers to give (OFFLINE,
 * NO_ANSWER), unless its slot's state is set already. A slot still CPU_STATE_NONE when the
 * dump is written is recorded as NO_ANSWER. */
void bugcheck_cpu_set_state(unsigned cpu, uint32_t state);

/* Slot `cpu` (< bugcheck_cpu_count()), or NULL. Safe at bugcheck time. */
const struct cpu_crash_state *bugcheck_cpu_slot(unsigned cpu);

#endif
