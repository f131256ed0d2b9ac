/* Streaming check of a whole dump file: header and prefix, CRC table, every data chunk. */
#include <string.h>
#include "dump/dump_verify.h"
#include "lib/crc32c.h"
#include "err.h"

/* CRC32C of file bytes [off, off + len), read through the prefix part of buf. */
static int crc_range(dump_read_fn read, void *ctx, uint64_t off, uint64_t len, uint8_t *scratch,
                     size_t scratch_len, uint32_t *crc)
{
    uint32_t c = 0;
    while (len) {
        size_t n = len < scratch_len ? (size_t)len : scratch_len;
        int rc = read(ctx, off, scratch, n);
        if (rc)
            return rc;
        c = crc32c(c, scratch, n);
        off += n;
        len -= n;
    }
    *crc = c;
    return 0;
}

int dump_verify_file(dump_read_fn read, void *ctx, uint64_t file_size, void *buf, size_t cap,
                     struct dump_verify *out)
{
    if (!read || !buf || !out || cap < DUMP_HEADER_SIZE)
        return ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    uint8_t *b = buf;
    size_t have = file_size < DUMP_HEADER_SIZE ? (size_t)file_size : DUMP_HEADER_SIZE;
    int rc = read(ctx, 0, b, have);
    if (rc)
        return rc;
    for (;;) {
        rc = dump_validate(b, have, file_size, &out->layout);
        if (rc != ERR_RANGE || out->layout.problem != DUMP_P_NEED_MORE)
            break;
        if (out->layout.prefix > cap || out->layout.prefix <= have)
            return ERR_TOO_BIG;
        if ((rc = read(ctx, have, b + have, (size_t)(out->layout.prefix - have))) != 0)
            return rc;
        have = (size_t)out->layout.prefix;
    }
    if (rc)
        return rc;
    /* the rest of buf, from a page boundary (disk drivers like aligned buffers), is the
     * scratch for streaming the data */
    size_t skip = (size_t)((4096 - ((uintptr_t)(b + have) & 4095)) & 4095);
    if (cap - have < skip)
        return ERR_TOO_BIG;
    uint8_t *scratch = b + have + skip;
    size_t scratch_len = cap - have - skip;
    if (scratch_len < 4096)
        return ERR_TOO_BIG;
    const struct dump_bb_fields *bb = (const void *)(b + DUMP_BB_OFFSET);
    out->table_ok = 1;
    /* An external table that fits in half the scratch is read once and kept there (reading
     * its entries one by one would seek back and forth across the whole file). */
    const uint8_t *table = NULL;
    if (out->layout.crc_table_offset) {
        uint64_t tbytes = out->layout.chunk_count * 4;
        uint32_t c;
        if (tbytes <= scratch_len / 2) {
            if ((rc = read(ctx, out->layout.crc_table_offset, scratch, (size_t)tbytes)) != 0)
                return rc;
            c = crc32c(0, scratch, (size_t)tbytes);
            table = scratch;
            size_t keep = (size_t)((tbytes + 4095) & ~4095ull);
            scratch += keep;
            scratch_len -= keep;
        } else if ((rc = crc_range(read, ctx, out->layout.crc_table_offset, tbytes, scratch,
                                   scratch_len, &c)) != 0) {
            return rc;
        }
        out->table_ok = c == bb->crc_table_crc;
        if (!out->table_ok)
            return ERR_CHECKSUM;
    }
    for (uint64_t i = 0; i < out->layout.chunk_count; i++) {
        uint64_t off, len, toff = 0;
        uint32_t want = 0, got;
        if (dump_chunk_range(b, i, &off, &len) != 0)
            return ERR_CORRUPT;
        int inl = dump_chunk_crc_ref(b, i, &want, &toff);
        if (inl < 0)
            return ERR_CORRUPT;
        if (inl == 0) {
            uint8_t le[4];
            if (table)
                memcpy(le, table + (toff - out->layout.crc_table_offset), 4);
            else if ((rc = read(ctx, toff, le, 4)) != 0)
                return rc;
            want = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
                   (uint32_t)le[3] << 24;
        }
        if ((rc = crc_range(read, ctx, off, len, scratch, scratch_len, &got)) != 0)
            return rc;
        out->chunks_checked++;
        if (got != want && out->bad_chunks++ == 0)
            out->first_bad = i;
    }
    return out->bad_chunks ? ERR_CHECKSUM : 0;
}
