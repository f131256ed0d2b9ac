/* bbdump extract's copy: validates a dump while streaming its RequiredDumpSpace bytes out in
 * large pieces, with the dump core's one check (dump/dump_verify.h: the header and layout,
 * then every data chunk's CRC32C, on the SSE4.2 instruction when the CPU has it, and the
 * external CRC table against its own CRC, fed the pieces being copied), and says valid,
 * incomplete or corrupt, and why. The next piece is read by a thread while one is checked
 * and written. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crc32c_hw.h"
#include "dump/dump_verify.h"
#include "tools/dumptool/bbdump_extract.h"
#include "err.h"

#define BUF_BYTES (8u << 20)

static enum copy_status set(struct copy_result *r, enum copy_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum copy_status set(struct copy_result *r, enum copy_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return r->status = s;
}

/* The prefix dump_validate needs (header, bitmap or directory), read and checked by the
 * dump core; the buffer grows to what it asks for. */
static int validate(const struct copy_src *src, uint8_t **pre, struct dump_layout *l)
{
    size_t cap = DUMP_HEADER_SIZE;
    uint8_t *b = calloc(1, cap);
    int rc = ERR_NO_MEMORY;

    while (b && (rc = dump_verify_prefix(src->read, src->ctx, src->size, b, cap, NULL, l)) ==
                ERR_TOO_BIG) {
        uint8_t *more = l->prefix > SIZE_MAX ? NULL : realloc(b, (size_t)l->prefix);
        if (!more)
            free(b);
        b = more;
        cap = (size_t)l->prefix;
    }
    if (!b)
        return ERR_NO_MEMORY;
    if (rc != 0 && l->problem == DUMP_OK) {    /* the read failed */
        free(b);
        b = NULL;
    }
    *pre = b;
    return rc;
}

static const char *kind(const uint8_t *pre, const struct dump_layout *l)
{
    switch (l->dump_type) {
    case DUMP_TYPE_FULL: return "complete";
    case DUMP_TYPE_SMALL: return "small";
    case DUMP_TYPE_BITMAP:
        return dump_le32(pre + DUMP_BMP_OFFSET) == DUMP_BMP_FDMP ? "complete" : "kernel";
    default: return "-";
    }
}

/* Why the header or layout is refused, as a status. */
static enum copy_status classify(const uint8_t *pre, const struct dump_layout *l, int rc,
                                 uint64_t size, bool may_be_empty, struct copy_result *r)
{
    const struct dump_header *h = (const struct dump_header *)pre;

    switch (l->problem) {
    case DUMP_P_TRUNCATED:
        if (may_be_empty)
            return set(r, COPY_NO_DUMP, "no dump (file shorter than a dump header)");
        return set(r, COPY_INCOMPLETE, "incomplete: %" PRIu64 " bytes, shorter than a dump "
                   "header", size);
    case DUMP_P_SIGNATURE:
        if (may_be_empty)
            return set(r, COPY_NO_DUMP, "no dump (no PAGEDU64 signature)");
        return set(r, COPY_CORRUPT, "corrupt: not a dump (no PAGEDU64 signature)");
    case DUMP_P_INCOMPLETE:
        if (may_be_empty && (l->flags & DUMP_BB_CLEARED))   /* the stub of a fresh target */
            return set(r, COPY_NO_DUMP, "no dump (a target ready for the next one)");
        if (l->flags & DUMP_BB_ABANDONED)
            return set(r, COPY_INCOMPLETE, "incomplete: abandoned at the crash (the dead-man "
                       "stopped a dump that ran past its time limit)");
        return set(r, COPY_INCOMPLETE, "incomplete: header not marked valid (the dump was cut "
                   "short or is being written)");
    case DUMP_P_SIZE:
        if (h->required_dump_space > size)
            return set(r, COPY_INCOMPLETE, "incomplete: the file holds %" PRIu64 " bytes, the "
                       "dump needs %" PRIu64 " (truncated)", size, h->required_dump_space);
        break;
    default:
        break;
    }
    return set(r, COPY_CORRUPT, "corrupt: %s (%s, value 0x%" PRIx64 ")",
               dump_problem_str(l->problem), err_str(rc), l->detail);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ERR_IO;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* The stream check's verdict on a dump that validated, as a status. */
static enum copy_status verdict(const struct dump_verify *v, int rc, struct copy_result *r)
{
    if (rc == 0)
        return r->status = COPY_VALID;
    if (!v->table_ok)
        return set(r, COPY_CORRUPT, "corrupt: CRC table at 0x%" PRIx64 " is damaged",
                   v->layout.crc_table_offset);
    if (!v->bad_chunks)
        return set(r, COPY_CORRUPT, "corrupt: data shorter than its size");
    uint64_t off = 0, len = 0;
    dump_chunk_range(v->hdr, v->first_bad, &off, &len);
    return set(r, COPY_CORRUPT, "corrupt: data CRC mismatch in chunk %" PRIu64 " (file bytes "
               "0x%" PRIx64 "..0x%" PRIx64 ")%s", v->first_bad, off, off + len,
               v->bad_chunks > 1 ? " and other chunks" : "");
}

/* Reading ahead: piece k+1 is read by a thread while piece k is checked and written. */
struct reader {
    const struct copy_src *src;
    uint64_t off;
    size_t len;
    uint8_t *buf;
    int rc;
    bool running;
    pthread_t thread;
};

static void *read_piece(void *arg)
{
    struct reader *rd = arg;
    rd->rc = rd->src->read(rd->src->ctx, rd->off, rd->buf, rd->len);
    return NULL;
}

/* Starts reading [off, off+len) into buf; reads at once when no thread can be made. */
static void read_start(struct reader *rd, uint64_t off, size_t len, uint8_t *buf)
{
    rd->off = off;
    rd->len = len;
    rd->buf = buf;
    rd->running = pthread_create(&rd->thread, NULL, read_piece, rd) == 0;
    if (!rd->running)
        read_piece(rd);
}

static int read_wait(struct reader *rd)
{
    if (rd->running)
        pthread_join(rd->thread, NULL);
    rd->running = false;
    return rd->rc;
}

/* Feeds [0, total) of src to consume(ctx, off, bytes, n) in BUF_BYTES pieces, reading ahead.
 * Returns 0; a read's ERR_* code with *at = where it failed; or consume's non-zero result. */
static int pump(const struct copy_src *src, uint64_t total, uint64_t *at,
                int (*consume)(void *ctx, uint64_t off, const uint8_t *p, size_t n), void *ctx)
{
    size_t piece = total < BUF_BYTES ? (size_t)total : BUF_BYTES;
    uint8_t *buf[2] = { malloc(piece ? piece : 1), total > piece ? malloc(piece) : NULL };
    struct reader rd = { .src = src };
    int rc = buf[0] && (buf[1] || total <= piece) ? 0 : ERR_NO_MEMORY, cur = 0;

    *at = 0;
    if (rc == 0 && total) {    /* the first piece: nothing to overlap it with yet */
        rd.off = 0, rd.len = piece, rd.buf = buf[0];
        read_piece(&rd);
    }
    for (uint64_t off = 0; rc == 0 && off < total;) {
        size_t n = rd.len;
        if ((rc = read_wait(&rd)) != 0) {
            *at = off;
            break;
        }
        uint64_t next = off + n;
        if (next < total)
            read_start(&rd, next, total - next < piece ? (size_t)(total - next) : piece,
                       buf[1 - cur]);
        rc = consume(ctx, off, buf[cur], n);
        cur = 1 - cur;
        off = next;
    }
    read_wait(&rd);
    free(buf[0]);
    free(buf[1]);
    return rc;
}

/* What a dump's pieces go through: the stream check, then the copy. */
struct sink {
    struct dump_verify v;
    int fd;
    int write_errno;         /* errno of a failed write */
};

static int consume_dump(void *ctx, uint64_t off, const uint8_t *p, size_t n)
{
    struct sink *k = ctx;
    (void)off;
    dump_verify_feed(&k->v, p, n);
    if (k->fd >= 0 && write_all(k->fd, p, n) != 0) {
        k->write_errno = errno;
        return 1;
    }
    return 0;
}

/* Streams [0, l->total) to out_fd, checking it on the way (each byte read once). */
static enum copy_status stream(const struct copy_src *src, const uint8_t *pre,
                               const struct dump_layout *l, int out_fd, struct copy_result *r)
{
    struct sink k = { .fd = out_fd };
    uint32_t *crcs = calloc(l->chunk_count ? l->chunk_count : 1, 4);
    uint64_t at;
    int rc;

    if (!crcs)
        return set(r, COPY_ERROR, "out of memory");
    if (dump_verify_begin(&k.v, pre, l, crcs, l->chunk_count) != 0) {
        free(crcs);
        return set(r, COPY_CORRUPT, "corrupt: chunk layout inconsistent");
    }
    if (crc32c_hw_available())
        k.v.acc.crc_fn = crc32c_hw;
    rc = pump(src, l->total, &at, consume_dump, &k);
    enum copy_status st;
    if (rc == 1)
        st = set(r, COPY_ERROR, "write error: %s", strerror(k.write_errno));
    else if (rc)
        st = set(r, COPY_ERROR, "read error at byte 0x%" PRIx64 ": %s", at, err_str(rc));
    else
        st = verdict(&k.v, dump_verify_end(&k.v), r);
    if (st == COPY_VALID && !l->complete)
        st = set(r, COPY_INCOMPLETE, "incomplete: valid but not marked complete");
    free(crcs);
    return st;
}

enum copy_status dump_copy(const struct copy_src *src, int out_fd, bool may_be_empty,
                           struct copy_result *r)
{
    struct dump_layout l;
    uint8_t *pre = NULL;

    memset(r, 0, sizeof *r);
    memset(&l, 0, sizeof l);
    r->kind = "-";
    int rc = validate(src, &pre, &l);
    if (!pre)
        return set(r, COPY_ERROR, "cannot read the header: %s", err_str(rc));
    if (l.problem == DUMP_OK || l.problem > DUMP_P_HEADER_CRC) {
        const struct dump_header *h = (const struct dump_header *)pre;
        r->have_header = true;
        r->bugcheck = h->bug_check_code;
        r->sequence = h->bb.sequence;
        r->cleared = (h->bb.flags & DUMP_BB_CLEARED) != 0;
    }
    enum copy_status st;
    if (rc != 0 || l.problem != DUMP_OK) {
        st = classify(pre, &l, rc, src->size, may_be_empty, r);
        r->have_header = r->have_header && st != COPY_NO_DUMP;
    } else {
        r->kind = kind(pre, &l);
        r->bytes = l.total;
        st = stream(src, pre, &l, out_fd, r);
    }
    free(pre);
    return st;
}

static int consume_raw(void *ctx, uint64_t off, const uint8_t *p, size_t n)
{
    (void)off;
    return write_all(*(const int *)ctx, p, n);
}

int raw_copy(const struct copy_src *src, int out_fd)
{
    uint64_t at;
    return pump(src, src->size, &at, consume_raw, &out_fd);
}
