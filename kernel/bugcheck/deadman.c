/* The dead-man (deadman.h): its NMI tick, and the abandon path the tick leaves the stalled
 * dump for. Runs at bugcheck time only; checksummed with the dump writer (linker.ld's crash
 * helpers). */
#include <stdbool.h>
#include "bugcheck/deadman.h"
#include "bugcheck/bugcheck.h"
#include "bugcheck/bsod.h"
#include "bugcheck/dumper.h"
#include "arch/trap.h"
#include "arch/timer.h"
#include "arch/lapic.h"
#include "arch/watchdog.h"
#include "err.h"

#define NS_PER_MS 1000000ull
#define ABANDON_STACK_GAP 256u   /* bytes left below the stalled code's stack pointer */

static volatile uint64_t deadline_ns;   /* 0: not armed */
static uint64_t limit_ms;
static uint64_t stalled_rip;            /* where the NMI found the stalled dump */
static volatile bool abandoning;
static uint32_t owner;                  /* APIC ID of the CPU writing the dump */

void deadman_arm(uint64_t ms)
{
    if (!ms)
        return;
    limit_ms = ms;
    abandoning = false;
    owner = lapic_id();
    deadline_ns = timer_ns() + ms * NS_PER_MS;
    watchdog_start();
}

void deadman_disarm(void)
{
    if (deadline_ns)
        watchdog_stop();
    deadline_ns = 0;
}

static void __attribute__((noreturn)) deadman_abandon(void)
{
    char sym[96];
    bsod_symbolize(stalled_rip, 0, sym, sizeof sym);
    bsod_status("Crash dump abandoned: not finished within its time limit of %lu s (dead-man; it was at %s).",
                (unsigned long)(limit_ms / 1000u), sym);
    const struct dumper *d = bugcheck_dumper();
    int rc = d ? d->abandon() : ERR_NOT_FOUND;
    if (rc == 0)
        bsod_status("The partial dump is marked abandoned in its header.");
    else
        bsod_status("The partial dump's header was not marked (%s).", err_str(rc));
    deadman_disarm();
    bugcheck_finish();
}

void deadman_nmi(struct trap_frame *f)
{
    if (!deadline_ns || lapic_id() != owner)   /* another CPU's NMI: not a tick */
        return;
    watchdog_ack();
    uint64_t now = timer_ns();
    if (now < deadline_ns)
        return;
    if (abandoning) {
        bsod_status("Marking the abandoned dump did not finish within %u s either.", DEADMAN_MARK_MS / 1000u);
        deadline_ns = 0;
        bugcheck_finish();
    }
    abandoning = true;
    stalled_rip = f->rip;
    deadline_ns = now + DEADMAN_MARK_MS * NS_PER_MS;
    f->rsp = ((f->rsp - ABANDON_STACK_GAP) & ~15ull) - 8;   /* as if called: rsp + 8 aligned */
    f->rip = (uint64_t)deadman_abandon;
}
