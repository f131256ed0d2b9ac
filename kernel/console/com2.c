/* COM2 report channel (com2.h): the polled 16550 driver of console/serial.c run at
 * SERIAL_COM2, with a per-call bound on every wait (TSC clock of arch/timer). */
#include "console/com2.h"
#include "console/serial.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "klog.h"
#include "err.h"

#define COM2_GAP_NS 2000000ull   /* a read ends when no further byte came for 2 ms */

static bool com2_present;

int com2_init(void)
{
    int rc = serial_init(SERIAL_COM2);
    com2_present = rc == 0;
    if (rc)
        klog(KLOG_INFO, "com2: no UART at 0x%x: no report channel", SERIAL_COM2);
    else
        klog(KLOG_INFO, "com2: 16550 at 0x%x, 115200 8N1: report channel", SERIAL_COM2);
    return rc;
}

long com2_write(const void *buf, size_t len)
{
    if (!com2_present)
        return ERR_NOT_FOUND;
    const char *p = buf;
    size_t i = 0;
    for (; i < len; i++)
        if (serial_putc(SERIAL_COM2, p[i]) != 0)
            break;                           /* a stalled transmitter: stop, never hang */
    return i == 0 && len ? ERR_TIMED_OUT : (long)i;
}

long com2_read(void *buf, size_t len, uint32_t timeout_ms)
{
    if (!com2_present)
        return ERR_NOT_FOUND;
    if (timeout_ms > COM2_READ_TIMEOUT_MAX_MS)
        timeout_ms = COM2_READ_TIMEOUT_MAX_MS;
    uint8_t *p = buf;
    size_t n = 0;
    uint64_t deadline = timer_ns() + (uint64_t)timeout_ms * 1000000u;
    while (n < len) {
        int c = serial_getc(SERIAL_COM2);
        if (c >= 0) {
            p[n++] = (uint8_t)c;
            deadline = timer_ns() + COM2_GAP_NS;
            continue;
        }
        if (timer_ns() >= deadline)
            break;
        cpu_pause();
    }
    return (long)n;
}
