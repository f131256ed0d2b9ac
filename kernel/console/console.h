/* The kernel console: output fans out to COM1 and the VGA screen; input merges COM1 (with
 * VT100 escape sequences decoded) and the PS/2 keyboard into one stream of key codes.
 * Output takes a spinlock (whole kprintf calls, so lines from two CPUs never interleave)
 * until a bugcheck takes the console over. */
#ifndef BB_CONSOLE_H
#define BB_CONSOLE_H

#include <stddef.h>

/* Key codes beyond ASCII returned by console_poll_key(). */
enum {
    KEY_UP = 0x100,
    KEY_DOWN,
    KEY_LEFT,
    KEY_RIGHT,
    KEY_HOME,
    KEY_END,
    KEY_DELETE,
};

void console_init(void);
void console_write(const char *s, size_t n);
void console_puts(const char *s);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Bugcheck path, once the other CPUs are stopped: output from now on ignores the lock (a
 * stopped CPU may hold it forever). */
void console_bugcheck_takeover(void);
/* Next key from serial or keyboard, or -1 if none is pending. Never blocks. */
int console_poll_key(void);

#endif
