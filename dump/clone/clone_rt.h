/* The run-time a clone carries inside its own image, in place of the kernel's:
 * the parameter block the loader fills in, a TSC clock, and a message buffer in the state
 * pages. Only compiled into clone images (never into the kernel). */
#ifndef BB_CLONE_RT_H
#define BB_CLONE_RT_H

#include <stdint.h>
#include "dump/clone/clone_abi.h"

#define CLONE_LOG_SIZE 2048          /* bytes of the message buffer at the start of the state */

/* The parameter block, patched by the loader and then read-only. */
extern const volatile struct clone_params clone_params;

/* Start of the clone's state pages past the message buffer (16-byte aligned). */
static inline uint8_t *clone_state(void)
{
    return (uint8_t *)(uintptr_t)clone_params.state_virt + CLONE_LOG_SIZE;
}

/* Nanoseconds on the TSC at the loader's tsc_hz: the clock the clone gives its hardware
 * ops (struct ahci_port's now_ns, struct nvme_env's). */
uint64_t clone_now_ns(void);

/* The block-map check every write goes through: 0 if [lba, lba+sectors) is non-empty and
 * lies inside one extent of the target, else ERR_RANGE with the refusal logged. */
int clone_check_write(uint64_t lba, uint64_t sectors);

/* What a polling loop does between two looks at the controller: spin on the TSC for
 * CLONE_IDLE_NS. Not PAUSE: under QEMU's TCG every PAUSE returns the vCPU to QEMU's loop,
 * which takes the global lock the emulated controller needs to post its completions
 * (measured: 1 GiB of AHCI dump writes took 0.68 s with PAUSE between polls, 0.39 s without). */
#define CLONE_IDLE_NS 2000u
void clone_idle(void);

#endif
