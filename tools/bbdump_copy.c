/* bbdump extract's copy: validates a dump while streaming its RequiredDumpSpace bytes out in
 * large pieces — the header and layout with dump_validate, every data chunk's CRC32C with the
 * format core's accumulator (on the SSE4.2 instruction when the CPU has it), the external
 * CRC table against its own CRC — and says valid, incomplete or corrupt, and why. The next
 * piece is read by a thread while one is checked and written. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crc32c_hw.h"
#include "dump/dump_format.h"
#include "lib/crc32c.h"
#include "tools/bbdump_extract.h"
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

/* The prefix dump_validate needs (header, bitmap or directory), read and checked. */
static int validate(const struct copy_src *src, uint8_t **pre, struct dump_layout *l)
{
    size_t len = src->size < DUMP_HEADER_SIZE ? (size_t)src->size : DUMP_HEADER_SIZE;
    uint8_t *b = calloc(1, DUMP_HEADER_SIZE);
    int rc;

    if (!b)
        return ERR_NO_MEMORY;
    if (len && (rc = src->read(src->ctx, 0, b, len)) != 0)
        goto fail;
    rc = dump_validate(b, len, src->size, l);
    /* each call may ask for more (a minidump's directory header, then its entries) */
    while (l->problem == DUMP_P_NEED_MORE && l->prefix > len) {
        uint8_t *more = l->prefix > SIZE_MAX ? NULL : realloc(b, (size_t)l->prefix);
        if (!more) {
            rc = ERR_NO_MEMORY;
            goto fail;
        }
        b = more;
        len = (size_t)l->prefix;
        if ((rc = src->read(src->ctx, 0, b, len)) != 0)
            goto fail;
        rc = dump_validate(b, len, src->size, l);
    }
    *pre = b;
    return rc;
fail:
    free(b);
    *pre = NULL;
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

/* Bytes of [a, a+alen) that overlap [b, b+blen): start offset in the first, count. */
static uint64_t overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen, uint64_t *at)
{
    uint64_t lo = a > b ? a : b, hi = a + alen < b + blen ? a + alen : b + blen;
    *at = lo;
    return hi > lo ? hi - lo : 0;
}

/* Compares the computed chunk CRCs with the dump's table. */
static enum copy_status check_table(const uint8_t *pre, const struct dump_layout *l,
                                    const uint32_t *got, const uint8_t *ext,
                                    struct copy_result *r)
{
    const struct dump_header *h = (const struct dump_header *)pre;
    uint64_t bad = 0, first = 0;

    if (ext && crc32c(0, ext, l->chunk_count * 4) != h->bb.crc_table_crc)
        return set(r, COPY_CORRUPT, "corrupt: CRC table at 0x%" PRIx64 " is damaged",
                   l->crc_table_offset);
    for (uint64_t i = 0; i < l->chunk_count; i++) {
        uint32_t want = 0;
        uint64_t toff = 0;
        int ref = dump_chunk_crc_ref(pre, i, &want, &toff);
        if (ref == 0 && ext && toff >= l->crc_table_offset &&
            toff - l->crc_table_offset <= l->chunk_count * 4 - 4)
            want = dump_le32(ext + (toff - l->crc_table_offset));
        else if (ref != 1)
            want = ~got[i];
        if (want != got[i] && bad++ == 0)
            first = i;
    }
    if (!bad)
        return r->status = COPY_VALID;
    uint64_t off = 0, len = 0;
    dump_chunk_range(pre, first, &off, &len);
    return set(r, COPY_CORRUPT, "corrupt: data CRC mismatch in chunk %" PRIu64 " (file bytes "
               "0x%" PRIx64 "..0x%" PRIx64 ")%s", first, off, off + len,
               bad > 1 ? " and other chunks" : "");
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

/* What a dump's pieces go through: chunk CRCs, the external table kept, the copy written. */
struct sink {
    struct dump_crc_acc acc;
    uint64_t data_size, table_off, table_bytes;
    uint8_t *ext;
    int fd;
    int write_errno;         /* errno of a failed write */
};

static int consume_dump(void *ctx, uint64_t off, const uint8_t *p, size_t n)
{
    struct sink *k = ctx;
    uint64_t at, len;
    if ((len = overlap(off, n, DUMP_HEADER_SIZE, k->data_size, &at)) != 0)
        dump_crc_update(&k->acc, p + (at - off), (size_t)len);
    if (k->ext && (len = overlap(off, n, k->table_off, k->table_bytes, &at)) != 0)
        memcpy(k->ext + (at - k->table_off), p + (at - off), (size_t)len);
    if (k->fd >= 0 && write_all(k->fd, p, n) != 0) {
        k->write_errno = errno;
        return 1;
    }
    return 0;
}

/* Streams [0, l->total) to out_fd, computing the chunk CRCs and keeping the external table. */
static enum copy_status stream(const struct copy_src *src, const uint8_t *pre,
                               const struct dump_layout *l, int out_fd, struct copy_result *r)
{
    struct sink k = { .data_size = l->data_end - DUMP_HEADER_SIZE, .fd = out_fd,
                      .table_off = l->crc_table_offset, .table_bytes = l->chunk_count * 4 };
    uint32_t *got = calloc(l->chunk_count ? l->chunk_count : 1, 4);
    enum copy_status st;
    uint64_t at;

    k.ext = l->crc_table_offset ? malloc(k.table_bytes) : NULL;
    if (!got || (l->crc_table_offset && !k.ext)) {
        st = set(r, COPY_ERROR, "out of memory");
        goto out;
    }
    if (dump_crc_begin(&k.acc, got, k.data_size, l->chunk_size) != 0 ||
        k.acc.chunk_count != l->chunk_count) {
        st = set(r, COPY_CORRUPT, "corrupt: chunk layout inconsistent");
        goto out;
    }
    if (crc32c_hw_available())
        k.acc.crc_fn = crc32c_hw;
    int rc = pump(src, l->total, &at, consume_dump, &k);
    if (rc == 1) {
        st = set(r, COPY_ERROR, "write error: %s", strerror(k.write_errno));
        goto out;
    }
    if (rc) {
        st = set(r, COPY_ERROR, "read error at byte 0x%" PRIx64 ": %s", at, err_str(rc));
        goto out;
    }
    if (dump_crc_end(&k.acc) != 0) {
        st = set(r, COPY_CORRUPT, "corrupt: data shorter than its size");
        goto out;
    }
    st = check_table(pre, l, got, k.ext, r);
    if (st == COPY_VALID && !l->complete)
        st = set(r, COPY_INCOMPLETE, "incomplete: valid but not marked complete");
out:
    free(k.ext);
    free(got);
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
