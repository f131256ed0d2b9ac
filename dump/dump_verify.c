/* The one check of a dump file: the prefix read and validated until dump_validate has all it
 * asks for, then the data chunks' CRC32C and the external CRC table checked as a stream in
 * file order (the table follows the data, so each entry meets its chunk's computed CRC). */
#include <string.h>
#include "dump/dump_verify.h"
#include "lib/crc32c.h"
#include "err.h"

static int read_rc(int rc)
{
    return rc > 0 ? ERR_IO : rc;
}

int dump_verify_prefix(dump_read_fn read, void *ctx, uint64_t file_size, void *buf,
                       size_t cap, size_t *got, struct dump_layout *l)
{
    size_t have = file_size < DUMP_HEADER_SIZE ? (size_t)file_size : DUMP_HEADER_SIZE;
    int rc;

    if (got)
        *got = 0;
    if (!read || !buf || !l || cap < DUMP_HEADER_SIZE)
        return ERR_INVALID_ARGS;
    for (;;) {
        if (have && (rc = read_rc(read(ctx, 0, buf, have))) != 0) {
            memset(l, 0, sizeof *l);
            l->file_size = file_size;
            return rc;
        }
        if (got)
            *got = have;
        rc = dump_validate(buf, have, file_size, l);
        if (rc != ERR_RANGE || l->problem != DUMP_P_NEED_MORE)
            return rc;
        if (l->prefix <= have || l->prefix > file_size)
            return ERR_CORRUPT;
        if (l->prefix > cap)
            return ERR_TOO_BIG;
        have = (size_t)l->prefix;
    }
}

int dump_verify_begin(struct dump_verify *v, const void *hdr, const struct dump_layout *l,
                      uint32_t *crcs, uint64_t n)
{
    if (!v || !hdr || !l || (l->chunk_count && !crcs))
        return ERR_INVALID_ARGS;
    memset(v, 0, sizeof *v);
    v->layout = *l;
    v->hdr = hdr;
    if (n < l->chunk_count)
        return ERR_TOO_BIG;
    if (dump_crc_begin(&v->acc, crcs, l->data_end - DUMP_HEADER_SIZE, l->chunk_size) != 0 ||
        v->acc.chunk_count != l->chunk_count)
        return ERR_CORRUPT;
    return 0;
}

/* The chunk's computed CRC against the one the dump holds. */
static void compare(struct dump_verify *v, uint64_t i, uint32_t want)
{
    v->chunks_checked++;
    if (v->acc.table[i] != want && v->bad_chunks++ == 0)
        v->first_bad = i;
}

/* Bytes of the piece [at, at + len) that fall in [lo, hi): their offset in the piece. */
static size_t clip(uint64_t at, size_t len, uint64_t lo, uint64_t hi, size_t *skip)
{
    uint64_t a = at > lo ? at : lo, b = at + len < hi ? at + len : hi;
    *skip = (size_t)(a - at);
    return b > a ? (size_t)(b - a) : 0;
}

/* External table bytes starting `idx` bytes into the table. */
static void table_bytes(struct dump_verify *v, uint64_t idx, const uint8_t *p, size_t len)
{
    v->table_crc = crc32c(v->table_crc, p, len);
    for (size_t k = 0; k < len; k++, idx++) {
        v->entry[idx & 3] = p[k];
        if ((idx & 3) == 3)
            compare(v, idx / 4, dump_le32(v->entry));
    }
}

void dump_verify_feed(struct dump_verify *v, const void *p, size_t len)
{
    const struct dump_layout *l = &v->layout;
    const uint8_t *b = p;
    size_t skip, n;

    if ((n = clip(v->pos, len, DUMP_HEADER_SIZE, l->data_end, &skip)) != 0)
        dump_crc_update(&v->acc, b + skip, n);
    if (l->crc_table_offset &&
        (n = clip(v->pos, len, l->crc_table_offset, l->total, &skip)) != 0)
        table_bytes(v, v->pos + skip - l->crc_table_offset, b + skip, n);
    v->pos += len;
}

int dump_verify_end(struct dump_verify *v)
{
    const struct dump_layout *l = &v->layout;

    v->table_ok = 1;
    if (v->pos < l->total || dump_crc_end(&v->acc) != 0)
        return ERR_CORRUPT;
    if (l->crc_table_offset) {
        v->table_ok = v->table_crc == dump_le32(v->hdr + DUMP_BB_OFFSET +
                                                offsetof(struct dump_bb_fields, crc_table_crc));
        if (!v->table_ok)
            return ERR_CHECKSUM;
    } else {
        for (uint64_t i = 0; i < l->chunk_count; i++) {
            uint32_t want = 0;
            uint64_t toff;
            if (dump_chunk_crc_ref(v->hdr, i, &want, &toff) != 1)
                return ERR_CORRUPT;
            compare(v, i, want);
        }
    }
    return v->bad_chunks ? ERR_CHECKSUM : 0;
}

int dump_verify_file(dump_read_fn read, void *ctx, uint64_t file_size, void *buf, size_t cap,
                     struct dump_verify *out)
{
    size_t have;
    int rc;

    if (!out)
        return ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    if ((rc = dump_verify_prefix(read, ctx, file_size, buf, cap, &have, &out->layout)) != 0) {
        if (rc == ERR_TOO_BIG)
            out->scratch_needed = out->layout.prefix + 2 * 4096;
        return rc;
    }
    /* after the prefix: one CRC per chunk, then from a page boundary (disk drivers like
     * aligned buffers) the window the data is read through */
    uint8_t *b = buf;
    uint64_t crc_at = have + ((4 - (((uintptr_t)b + have) & 3)) & 3);
    uint64_t crc_end = crc_at + out->layout.chunk_count * 4;
    uint64_t win = crc_end + ((4096 - (((uintptr_t)b + crc_end) & 4095)) & 4095);
    if (win + 4096 > cap) {
        out->scratch_needed = win + 4096;
        return ERR_TOO_BIG;
    }
    struct dump_layout l = out->layout;
    if ((rc = dump_verify_begin(out, b, &l, (uint32_t *)(void *)(b + crc_at),
                                l.chunk_count)) != 0)
        return rc;
    /* the prefix's bytes up to a page boundary are fed from buf; from there every read
     * starts on a page boundary of the file, a multiple of 4 KiB long */
    size_t start = have & ~(size_t)4095, room = (size_t)(cap - win) & ~(size_t)4095;
    dump_verify_feed(out, b, start);
    for (uint64_t off = start; off < l.total; ) {
        size_t n = l.total - off < room ? (size_t)(l.total - off) : room;
        if ((rc = read_rc(read(ctx, off, b + win, n))) != 0)
            return rc;
        dump_verify_feed(out, b + win, n);
        off += n;
    }
    return dump_verify_end(out);
}

int dump_verify_proves_invalid(int rc, const struct dump_layout *l)
{
    if (rc == ERR_CHECKSUM || rc == ERR_CORRUPT)
        return 1;
    return rc != 0 && l->problem != DUMP_OK && l->problem != DUMP_P_NEED_MORE;
}
