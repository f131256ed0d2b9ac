/* werfault's shared helpers (werfault_util.h): console notes, BugCheck events, the copy of a
 * dump to another volume (data first, header last, then checked) and the "is this our dump"
 * test. Calls only libc and the dump core, never werfault's steps. */
#include "bb.h"
#include "crashdump.h"
#include "werfault_util.h"

#define COPY_CHUNK SYS_IO_MAX

void wer_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("werfault: ");
    vdprintf(SYS_FD_CONSOLE_OUT, fmt, ap);
    printf("\n");
    va_end(ap);
}

void wer_event(uint32_t id, uint32_t level, const char *msg)
{
    int rc = event_write("BugCheck", id, level, msg);
    if (rc)
        wer_note("event %u not logged: %s", id, err_str(rc));
}

/* Copy [from, to) of src to dst at the same offsets, through buf (>= COPY_CHUNK bytes). */
static int copy_range(int in, int out, uint64_t from, uint64_t to, uint8_t *buf)
{
    for (uint64_t off = from; off < to; ) {
        size_t n = to - off < COPY_CHUNK ? (size_t)(to - off) : COPY_CHUNK;
        if (seek(in, (int64_t)off, SYS_SEEK_SET) < 0 || seek(out, (int64_t)off, SYS_SEEK_SET) < 0)
            return ERR_IO;
        long got = read(in, buf, n);
        if (got != (long)n)
            return got < 0 ? (int)got : ERR_IO;
        long put = write_all(out, buf, n);
        if (put != (long)n)
            return put < 0 ? (int)put : ERR_IO;
        off += n;
    }
    return 0;
}

/* The data first, the header last (as the kernel writes it), so a copy cut short is never a
 * valid dump. Then the copy is checked completely. */
int wer_copy_dump(const char *src, const char *dst, uint64_t total, uint8_t *buf, size_t cap)
{
    if (cap < COPY_CHUNK)
        return ERR_INVALID_ARGS;
    int in = open(src, SYS_O_READ);
    if (in < 0)
        return in;
    int out = open(dst, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (out < 0) {
        close(in);
        return out;
    }
    uint64_t t0 = clock_ns();
    int rc = copy_range(in, out, DUMP_HEADER_SIZE, total, buf);
    if (rc == 0)
        rc = copy_range(in, out, 0, DUMP_HEADER_SIZE, buf);
    close(in);
    int crc = close(out);
    if (rc == 0)
        rc = crc;
    uint64_t t1 = clock_ns();
    struct dump_verify v;
    if (rc == 0 && (rc = crash_verify(dst, buf, cap, &v)) != 0)
        wer_note("the copy %s does not check: %s", dst, err_str(rc));
    uint64_t copy_us = (t1 - t0) / 1000u, check_us = (clock_ns() - t1) / 1000u;
    if (rc == 0)
        wer_note("copied %lu KiB in %lu ms (%lu MB/s), checked in %lu ms", (unsigned long)(total >> 10),
                 (unsigned long)(copy_us / 1000u), (unsigned long)(copy_us ? total / copy_us : 0),
                 (unsigned long)(check_us / 1000u));
    return rc;
}

bool wer_holds_dump(const char *path, uint64_t seq, uint8_t *buf, size_t cap)
{
    struct dump_layout l;
    return crash_header(path, buf, cap, &l) == 0 &&
           ((const struct dump_header *)buf)->bb.sequence == seq;
}
