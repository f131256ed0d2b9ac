/* TSC calibration against PIT channel 2 (gate via port 0x61), TSC-based time, and the LAPIC
 * periodic timer with its interrupt handler. */
#include <stdbool.h>
#include "arch/timer.h"
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/trap.h"
#include "bugcheck/bugcheck.h"
#include "proc/process.h"
#include "err.h"

#define PIT_HZ         1193182u  /* PIT input clock */
#define PIT_CH2_DATA   0x42      /* channel 2 counter */
#define PIT_COMMAND    0x43      /* mode/command register */
#define PIT_CH2_MODE0  0xB0      /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PORT_B         0x61      /* NMI status and control: bit 0 gate 2, bit 1 speaker */
#define PORT_B_GATE2   0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2    0x20      /* channel 2 output level */
#define CALIBRATE_MS   10u
#define CALIBRATE_SPIN_LIMIT 50000000u /* port polls before giving up */
#define TSC_FALLBACK_HZ 1000000000ull

static uint64_t tsc_hz, tsc_entry;
static uint64_t ns_mult;           /* ns = ticks * ns_mult >> 32 */
static volatile uint64_t ticks;
static volatile bool bugcheck_requested;

int timer_calibrate_tsc(uint64_t entry_tsc)
{
    tsc_entry = entry_tsc;
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000u);
    uint8_t b = inb(PORT_B);
    outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    outb(PIT_COMMAND, PIT_CH2_MODE0);
    outb(PIT_CH2_DATA, (uint8_t)count);
    outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
    uint64_t t0 = rdtsc();
    int rc = ERR_TIMED_OUT;
    for (uint32_t i = 0; i < CALIBRATE_SPIN_LIMIT; i++) {
        if (inb(PORT_B) & PORT_B_OUT2) {
            rc = 0;
            break;
        }
    }
    uint64_t t1 = rdtsc();
    outb(PORT_B, b);
    tsc_hz = rc == 0 ? (t1 - t0) * (1000u / CALIBRATE_MS) : TSC_FALLBACK_HZ;
    ns_mult = (1000000000ull << 32) / tsc_hz;
    return rc;
}

uint64_t timer_tsc_hz(void)
{
    return tsc_hz;
}

uint64_t timer_ns(void)
{
    if (!tsc_hz)
        return 0;
    unsigned __int128 t = (unsigned __int128)(rdtsc() - tsc_entry) * ns_mult;
    return (uint64_t)(t >> 32);
}

void timer_delay_ms(uint64_t ms)
{
    uint64_t hz = tsc_hz ? tsc_hz : TSC_FALLBACK_HZ;
    uint64_t end = rdtsc() + ms * (hz / 1000u);
    while (rdtsc() < end)
        cpu_pause();
}

static void timer_tick(struct trap_frame *f)
{
    ticks++;
    lapic_eoi();
    if (bugcheck_requested) {
        bugcheck_requested = false;
        bugcheck(BUGCODE_MANUALLY_INITIATED_CRASH, VEC_TIMER, ticks, 0, 0);
    }
    process_tick(f);
}

int timer_start(void)
{
    int rc = trap_register(VEC_TIMER, timer_tick);
    if (rc)
        return rc;
    return lapic_timer_periodic(VEC_TIMER, TIMER_HZ);
}

uint64_t timer_ticks(void)
{
    return ticks;
}

void timer_request_bugcheck(void)
{
    bugcheck_requested = true;
}
