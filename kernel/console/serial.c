/* Polled 16550 UART: init with loopback self-test, bounded transmit wait, non-blocking read. */
#include "console/serial.h"
#include "arch/timer.h"
#include "arch/cpu.h"
#include "err.h"

#define UART_THR 0      /* transmit holding register (write, DLAB=0) */
#define UART_RBR 0      /* receive buffer register (read, DLAB=0) */
#define UART_DLL 0      /* divisor latch low (DLAB=1) */
#define UART_IER 1      /* interrupt enable register */
#define UART_DLH 1      /* divisor latch high (DLAB=1) */
#define UART_FCR 2      /* FIFO control register */
#define UART_LCR 3      /* line control register */
#define UART_MCR 4      /* modem control register */
#define UART_LSR 5      /* line status register */
#define LCR_8N1  0x03   /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB 0x80   /* divisor latch access */
#define FCR_ENABLE_CLEAR_14 0xC7 /* enable FIFOs, clear both, 14-byte trigger */
#define MCR_DTR_RTS_OUT2 0x0B
#define MCR_LOOPBACK 0x1E
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define UART_TX_SPIN_LIMIT 100000  /* LSR polls before a byte is dropped, while no clock runs */
#define UART_TX_WAIT_NS 100000000ull /* with the clock running: how long one byte may wait */

static bool com1_ok, com2_ok;

static bool *present_flag(uint16_t base)
{
    return base == SERIAL_COM1 ? &com1_ok : &com2_ok;
}

int serial_init(uint16_t base)
{
    outb(base + UART_IER, 0x00);
    outb(base + UART_LCR, LCR_DLAB);
    outb(base + UART_DLL, 1);          /* 115200 baud */
    outb(base + UART_DLH, 0);
    outb(base + UART_LCR, LCR_8N1);
    outb(base + UART_FCR, FCR_ENABLE_CLEAR_14);
    outb(base + UART_MCR, MCR_LOOPBACK);
    outb(base + UART_THR, 0xAE);
    if (inb(base + UART_RBR) != 0xAE)
        return ERR_NOT_FOUND;
    outb(base + UART_MCR, MCR_DTR_RTS_OUT2);
    *present_flag(base) = true;
    return 0;
}

/* The wait is bounded by time once the clock runs: a count of polls alone ends too early when
 * each poll is slow (under QEMU's multi-threaded TCG every port access takes its global lock,
 * which the thread that drains the UART into its backend needs too). */
int serial_putc(uint16_t base, char c)
{
    uint64_t now = timer_ns(), end = now ? now + UART_TX_WAIT_NS : 0;
    for (unsigned i = 0; end || i < UART_TX_SPIN_LIMIT; i++) {
        if (inb(base + UART_LSR) & LSR_THR_EMPTY) {
            outb(base + UART_THR, (uint8_t)c);
            return 0;
        }
        if (end && timer_ns() >= end)
            break;
        cpu_pause();
    }
    return ERR_TIMED_OUT;
}

int serial_getc(uint16_t base)
{
    if (!*present_flag(base) || !(inb(base + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(base + UART_RBR);
}
