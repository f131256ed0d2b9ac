/* COM2, the crash-report channel: a second instance of the polled 16550 driver
 * (console/serial.c, at SERIAL_COM2) behind SYS_COM2_WRITE / SYS_COM2_READ. Every wait is
 * bounded: a write with no UART, or one whose transmitter stops draining, returns instead of
 * hanging, and a read waits at most its time-out. Not for use at bugcheck time. */
#ifndef BB_COM2_H
#define BB_COM2_H

#include <stddef.h>
#include <stdint.h>

#define COM2_READ_TIMEOUT_MAX_MS 10000u   /* longest wait one com2_read may ask for */

/* Probes and programs the UART (115200 8N1, FIFOs) and logs whether it is there. Returns 0 or
 * ERR_NOT_FOUND (no UART at 0x2F8: the loopback test failed). */
int com2_init(void);

/* Sends len bytes. Returns the bytes sent (len, or fewer when the transmitter stalled and the
 * rest was dropped), ERR_NOT_FOUND (no COM2), ERR_TIMED_OUT (not one byte went out). */
long com2_write(const void *buf, size_t len);

/* Waits up to timeout_ms (capped at COM2_READ_TIMEOUT_MAX_MS) for a first byte, then takes
 * what has arrived, up to len bytes. Returns the bytes read (0 on time-out) or
 * ERR_NOT_FOUND (no COM2). */
long com2_read(void *buf, size_t len, uint32_t timeout_ms);

#endif
