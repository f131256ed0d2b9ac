/* TSC calibration against PIT channel 2 (gate via port 0x61; the counter is read beside the
 * TSC at both ends of a window, so a host that deschedules the guest does not skew it),
 * TSC-based time, and the LAPIC periodic timer with its interrupt handler. */
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
#define PIT_CH2_LATCH  0x80      /* counter latch command, channel 2 */
#define CALIBRATE_MS   10u       /* the counter ticks one window spans */
#define CALIBRATE_READS 8u       /* counter reads per reading; the tightest counts */
#define CALIBRATE_WINDOWS 5u     /* windows tried when the host stretches one past 55 ms */
#define CALIBRATE_SPIN_LIMIT 5000000u /* readings before giving up on a counter that never moves */
#define TSC_FALLBACK_HZ 1000000000ull

static uint64_t tsc_hz, tsc_entry;
static uint64_t ns_mult;           /* ns = ticks * ns_mult >> 32 */
static volatile uint64_t ticks;
static volatile bool bugcheck_requested;

/* Channel 2's counter, with the TSC at the moment it was read: of CALIBRATE_READS reads, the
 * one whose two bracketing TSC reads are closest (a read the host stalled is left out). */
static uint32_t pit_read(uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    uint32_t count = 0;
    for (unsigned i = 0; i < CALIBRATE_READS; i++) {
        uint64_t a = rdtsc();
        outb(PIT_COMMAND, PIT_CH2_LATCH);
        uint32_t c = inb(PIT_CH2_DATA);
        c |= (uint32_t)inb(PIT_CH2_DATA) << 8;
        uint64_t b = rdtsc();
        if (b - a < best) {
            best = b - a;
            count = c;
            *tsc = a + (b - a) / 2;
        }
    }
    return count;
}

/* One window: channel 2 counts down from 0xFFFF (55 ms to its terminal count); the TSC is
 * read beside the counter at both ends, so a window the host stretched by descheduling the
 * guest still compares like with like. ERR_RANGE when the counter reached its terminal count
 * inside the window (stretched past 55 ms: its count wrapped), ERR_TIMED_OUT when it never
 * moved. */
static int calibrate_window(uint64_t *hz)
{
    outb(PIT_COMMAND, PIT_CH2_MODE0);
    outb(PIT_CH2_DATA, 0xFF);
    outb(PIT_CH2_DATA, 0xFF);
    uint64_t t0 = 0, t1 = 0;
    uint32_t c0 = pit_read(&t0), c1 = c0, want = PIT_HZ * CALIBRATE_MS / 1000u;
    for (uint32_t i = 0; c1 <= c0 && c0 - c1 < want; i++) {
        if (i == CALIBRATE_SPIN_LIMIT)
            return ERR_TIMED_OUT;
        c1 = pit_read(&t1);
    }
    if (c1 > c0 || (inb(PORT_B) & PORT_B_OUT2) || t1 <= t0)
        return ERR_RANGE;
    *hz = (t1 - t0) * PIT_HZ / (c0 - c1);
    return 0;
}

int timer_calibrate_tsc(uint64_t entry_tsc)
{
    tsc_entry = entry_tsc;
    uint8_t b = inb(PORT_B);
    outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    int rc = ERR_TIMED_OUT;
    for (unsigned i = 0; i < CALIBRATE_WINDOWS && rc != 0; i++)
        if ((rc = calibrate_window(&tsc_hz)) == ERR_TIMED_OUT)
            break;
    outb(PORT_B, b);
    if (rc)
        tsc_hz = TSC_FALLBACK_HZ;
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
