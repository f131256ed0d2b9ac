/* Formatted output for user programs: kernel/lib/fmt.c (the same source the kernel uses)
 * into a small buffer flushed to a descriptor with write(). */
#include "bb.h"

#define OUT_BUF 256

struct out {
    int fd;
    size_t n;
    int err;
    char buf[OUT_BUF];
};

long write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        long n = write(fd, (const char *)buf + done, len - done);
        if (n < 0)
            return n;
        if (n == 0)
            return ERR_IO;
        done += (size_t)n;
    }
    return (long)len;
}

static void flush(struct out *o)
{
    if (o->n && !o->err) {
        long rc = write_all(o->fd, o->buf, o->n);
        if (rc < 0)
            o->err = (int)rc;
    }
    o->n = 0;
}

static void sink(void *ctx, const char *s, size_t n)
{
    struct out *o = ctx;
    while (n) {
        if (o->n == OUT_BUF)
            flush(o);
        size_t k = OUT_BUF - o->n < n ? OUT_BUF - o->n : n;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
    }
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    struct out o = { .fd = fd };
    int n = fmt_vformat(sink, &o, fmt, ap);
    flush(&o);
    return o.err ? o.err : n;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(SYS_FD_CONSOLE_OUT, fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    return printf("%s\n", s);
}
