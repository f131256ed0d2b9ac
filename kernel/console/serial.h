/* 16550 UART driver, polled: COM1 carries the console and shell, COM2 is free for the
 * crash-report channel. Output waits for the transmitter with a bounded spin and drops the
 * byte on time-out, so a missing or stuck UART never hangs the kernel (bugcheck-safe). */
#ifndef BB_SERIAL_H
#define BB_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#define SERIAL_COM1 0x3F8   /* I/O base of COM1 */
#define SERIAL_COM2 0x2F8   /* I/O base of COM2 */

/* Program 115200 8N1 with FIFOs; returns 0, or ERR_NOT_FOUND if the loopback test fails. */
int serial_init(uint16_t base);
/* Send one byte; returns 0 or ERR_TIMED_OUT (byte dropped). Safe at bugcheck time. */
int serial_putc(uint16_t base, char c);
/* Receive one byte if available: returns it (0..255), or -1 when none is waiting. */
int serial_getc(uint16_t base);

#endif
