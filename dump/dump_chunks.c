/* Bitmap and per-chunk CRC helpers of the dump format: counting present pages, mapping a
 * page of a bitmap dump to its file offset, and the chunk CRC table (streaming computation,
 * where each entry lives, each chunk's range). Safe at bugcheck time; see dump_format.h. */
#include <string.h>
#include "dump/dump_format.h"
#include "lib/crc32c.h"
#include "err.h"

static unsigned popcount8(uint8_t v)
{
    v = (uint8_t)(v - ((v >> 1) & 0x55));
    v = (uint8_t)((v & 0x33) + ((v >> 2) & 0x33));
    return (v + (v >> 4)) & 0x0F;
}

static uint64_t popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (v * 0x0101010101010101ull) >> 56;
}

/* Bits set among bits [0, bits) of bm. */
static uint64_t count_bits(const uint8_t *bm, uint64_t bits)
{
    uint64_t n = 0, i = 0, bytes = bits / 8;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, bm + i, 8);
        n += popcount64(w);
    }
    for (; i < bytes; i++)
        n += popcount8(bm[i]);
    if (bits & 7)
        n += popcount8((uint8_t)(bm[bytes] & ((1u << (bits & 7)) - 1)));
    return n;
}

uint64_t dump_bitmap_count(const uint8_t *bm, uint64_t pages)
{
    return count_bits(bm, pages);
}

uint64_t dump_bitmap_count_range(const uint8_t *bm, uint64_t from, uint64_t to)
{
    uint64_t n = 0;

    if (to <= from)
        return 0;
    while ((from & 7) && from < to) {
        n += dump_bitmap_test(bm, from);
        from++;
    }
    return n + count_bits(bm + from / 8, to - from);
}

uint64_t dump_bitmap_page_offset(const uint8_t *bm, uint64_t pages, uint64_t first_page,
                                 uint64_t page)
{
    if (page >= pages || !dump_bitmap_test(bm, page))
        return 0;
    return first_page + count_bits(bm, page) * DUMP_PAGE_SIZE;
}

int dump_crc_begin(struct dump_crc_acc *a, uint32_t *table, uint64_t data_size,
                   uint32_t chunk_size)
{
    if (!a || chunk_size == 0 || (data_size && !table))
        return ERR_INVALID_ARGS;
    a->table = table;
    a->chunk_size = chunk_size;
    a->data_size = data_size;
    a->chunk_count = dump_chunk_count(data_size, chunk_size);
    a->pos = 0;
    a->crc = 0;
    a->crc_fn = crc32c;
    return 0;
}

int dump_crc_update(struct dump_crc_acc *a, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    if (len > a->data_size - a->pos)
        return ERR_RANGE;
    while (len) {
        uint64_t in_chunk = a->pos % a->chunk_size;
        uint64_t take = a->chunk_size - in_chunk;
        if (take > len)
            take = len;
        a->crc = a->crc_fn(a->crc, p, (size_t)take);
        a->pos += take;
        p += take;
        len -= (size_t)take;
        if (a->pos % a->chunk_size == 0 || a->pos == a->data_size) {
            a->table[(a->pos - 1) / a->chunk_size] = a->crc;
            a->crc = 0;
        }
    }
    return 0;
}

int dump_crc_end(const struct dump_crc_acc *a)
{
    return a->pos == a->data_size ? 0 : ERR_RANGE;
}

static void load_bb(const void *hdr, struct dump_bb_fields *bb)
{
    memcpy(bb, (const uint8_t *)hdr + DUMP_BB_OFFSET, sizeof(*bb));
}

int dump_chunk_crc_ref(const void *hdr, uint64_t i, uint32_t *crc, uint64_t *file_off)
{
    struct dump_bb_fields bb;

    load_bb(hdr, &bb);
    if (i >= bb.chunk_count)
        return ERR_RANGE;
    if (bb.crc_table_offset == 0) {
        if (i >= DUMP_CRC_INLINE_MAX)
            return ERR_RANGE;
        *crc = dump_le32((const uint8_t *)hdr + DUMP_CRC_INLINE_OFFSET + i * 4);
        return 1;
    }
    *file_off = bb.crc_table_offset + i * 4;
    return 0;
}

int dump_chunk_range(const void *hdr, uint64_t i, uint64_t *off, uint64_t *len)
{
    struct dump_bb_fields bb;

    load_bb(hdr, &bb);
    if (i >= bb.chunk_count || bb.chunk_size == 0)
        return ERR_RANGE;
    uint64_t start = i * bb.chunk_size;
    if (start >= bb.data_size)
        return ERR_RANGE;
    *off = DUMP_HEADER_SIZE + start;
    *len = bb.data_size - start < bb.chunk_size ? bb.data_size - start : bb.chunk_size;
    return 0;
}
