/* Console fan-out (serial + VGA) under one spinlock, so that lines from two CPUs do not mix,
 * and merged, escape-decoded input. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "console/console.h"
#include "console/serial.h"
#include "console/vga.h"
#include "console/kbd.h"
#include "lib/fmt.h"
#include "arch/spinlock.h"

/* State of the VT100 decoder for COM1 input: ESC, ESC [, ESC [ digit. */
static enum { ESC_NONE, ESC_SEEN, ESC_CSI, ESC_CSI_NUM } esc_state;
static int esc_num;
static struct spinlock out_lock = SPINLOCK_INIT;   /* serial and VGA output */
static volatile bool lockless;                     /* a bugcheck owns the console */

static uint64_t out_acquire(void)
{
    return lockless ? read_rflags() : spin_lock_irqsave(&out_lock);
}

static void out_release(uint64_t flags)
{
    if (!lockless)
        spin_unlock_irqrestore(&out_lock, flags);
}

void console_init(void)
{
    serial_init(SERIAL_COM1);
    vga_init();
}

static void write_locked(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc(SERIAL_COM1, '\r');
        serial_putc(SERIAL_COM1, s[i]);
        vga_putc(s[i]);
    }
}

void console_write(const char *s, size_t n)
{
    uint64_t flags = out_acquire();
    write_locked(s, n);
    out_release(flags);
}

void console_bugcheck_takeover(void)
{
    lockless = true;
}

void console_puts(const char *s)
{
    console_write(s, strlen(s));
}

static void console_sink(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    write_locked(s, n);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uint64_t flags = out_acquire();
    int n = fmt_vformat(console_sink, NULL, fmt, ap);
    out_release(flags);
    va_end(ap);
    return n;
}

static int console_decode_serial(int c)
{
    switch (esc_state) {
    case ESC_NONE:
        if (c == 27) {
            esc_state = ESC_SEEN;
            return -1;
        }
        if (c == '\r')
            return '\n';
        if (c == 127)
            return '\b';
        return c;
    case ESC_SEEN:
        esc_state = (c == '[' || c == 'O') ? ESC_CSI : ESC_NONE;
        return -1;
    case ESC_CSI:
        esc_state = ESC_NONE;
        switch (c) {
        case 'A': return KEY_UP;
        case 'B': return KEY_DOWN;
        case 'C': return KEY_RIGHT;
        case 'D': return KEY_LEFT;
        case 'H': return KEY_HOME;
        case 'F': return KEY_END;
        default:
            if (c >= '0' && c <= '9') {
                esc_num = c - '0';
                esc_state = ESC_CSI_NUM;
            }
            return -1;
        }
    case ESC_CSI_NUM:
        if (c >= '0' && c <= '9') {
            esc_num = esc_num * 10 + (c - '0');
            return -1;
        }
        esc_state = ESC_NONE;
        if (c != '~')
            return -1;
        switch (esc_num) {
        case 1: case 7: return KEY_HOME;
        case 4: case 8: return KEY_END;
        case 3: return KEY_DELETE;
        default: return -1;
        }
    }
    return -1;
}

int console_poll_key(void)
{
    int c;
    while ((c = serial_getc(SERIAL_COM1)) >= 0) {
        int k = console_decode_serial(c);
        if (k >= 0)
            return k;
    }
    return kbd_poll();
}
