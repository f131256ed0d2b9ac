/* printf-style formatting for the kernel (console, klog, bugcheck screen) and the host tools.
 * Output goes to a caller-supplied sink, so the same code feeds a serial port, a log ring or
 * a buffer. No floating point, no allocation, no global state. */
#ifndef BB_LIB_FMT_H
#define BB_LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted output in pieces: n bytes at s (n > 0; s is not NUL-terminated and
 * is only valid during the call; it may contain a NUL byte from "%c"). */
typedef void (*fmt_sink_t)(void *ctx, const char *s, size_t n);

/* Supported, with the same output as C99/glibc printf:
 *   conversions  d i u x X o c s %
 *   flags        - 0 + space #       ('+' and ' ' affect d/i only, '#' affects o/x/X only)
 *   width, .precision, either as digits or '*' (a negative '*' width means '-' and its
 *                absolute value; a negative '*' precision means none)
 *   length       hh h l ll z t j     (ignored on c and s: there are no wide characters)
 * Where we choose, glibc's choice is kept: "%s" of NULL prints "(null)", or nothing if the
 * precision is below 6; the '0' flag pads c and s with spaces; "%5%" prints "%".
 * Blackbox-specific:
 *   %p           "0x" then 2 * sizeof(void *) lower-case hex digits (16 on x86_64), never
 *                "(nil)"; only width and '-' apply
 *   unknown      any other conversion (including f, n, positional '$') is printed literally,
 *                from the '%' to the conversion character; any '*' in it still consumes
 *                its int argument. A '%' left incomplete at the end is printed as is.
 * All of this is pure and reentrant, needs about 0.5 KiB of stack at -O2 (plus the sink's),
 * and is safe at bugcheck time (as safe as the sink it is given). */

/* Formats to `sink`. Returns the number of chars emitted, or ERR_RANGE (nothing more is
 * emitted) if the total would exceed INT_MAX. */
int fmt_vformat(fmt_sink_t sink, void *ctx, const char *fmt, va_list ap);

/* C99 vsnprintf: writes at most size - 1 chars and a NUL to buf (always terminated when
 * size > 0; buf may be NULL when size is 0). Returns the length the full output would have
 * (not counting the NUL), or ERR_RANGE as fmt_vformat. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* As fmt_vsnprintf, with the arguments inline. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
