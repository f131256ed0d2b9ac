/* The kernel log ring (layout and contract in klog_ring.h). Every read of ring memory goes
 * through rec_at(), which checks a record's bounds before copying it, so a damaged or hostile
 * area can make a call fail but never makes it read outside the area. */
#include <string.h>

#include "crc32c.h"
#include "err.h"
#include "klog_ring.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the ring layout is little-endian and is accessed in place");

#define MAX_OFFSET  (1ull << 62)   /* head stays below this, so offset sums never overflow */
#define PAD_PREFIX  8u             /* bytes written of a padding record: len..crc */

static const char *const level_names[KLOG_RING_LEVEL_MAX + 1] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static uint32_t hdr_crc(const struct klog_ring_hdr *h)
{
    struct klog_ring_hdr c = *h;
    c.hdr_crc = 0;
    return crc32c(0, &c, sizeof c);
}

/* CRC of a real record: its header with crc = 0, then its text. */
static uint32_t rec_crc(const struct klog_rec_hdr *rh, const uint8_t *text)
{
    struct klog_rec_hdr c = *rh;
    c.crc = 0;
    return crc32c(crc32c(0, &c, sizeof c), text, (size_t)rh->len - KLOG_REC_HDR_SIZE);
}

/* Copies the authoritative header, with a fresh CRC, into the area. */
static void publish(struct klog_ring *r)
{
    r->h.hdr_crc = hdr_crc(&r->h);
    memcpy(r->warea, &r->h, sizeof r->h);
}

/* Reads the record at offset pos, which must satisfy tail <= pos < head, into *rh and gives
 * the bytes it spans in *span. Checks everything about the record that can be checked in
 * isolation (not its seq or CRC). Returns 0 or ERR_CORRUPT. */
static int rec_at(const struct klog_ring *r, uint64_t pos, struct klog_rec_hdr *rh,
                  uint64_t *span)
{
    uint64_t size = r->h.data_size;
    uint64_t off = pos & (size - 1);
    uint64_t room = size - off;

    if (pos % 8 != 0 || pos < r->h.tail || pos >= r->h.head)
        return ERR_CORRUPT;
    memset(rh, 0, sizeof *rh);
    memcpy(rh, r->data + off, PAD_PREFIX);
    if (rh->flags & KLOG_REC_PAD) {
        if (rh->flags != KLOG_REC_PAD || rh->level != 0 || rh->len != room ||
            pos + room >= r->h.head)
            return ERR_CORRUPT;
        *span = room;
        return 0;
    }
    if (room < KLOG_REC_HDR_SIZE)
        return ERR_CORRUPT;
    memcpy(rh, r->data + off, KLOG_REC_HDR_SIZE);
    *span = KLOG_REC_SPAN(rh->len);
    if (rh->len < KLOG_REC_HDR_SIZE || rh->len > KLOG_REC_HDR_SIZE + KLOG_RING_MAX_TEXT ||
        *span > room || pos + *span > r->h.head)
        return ERR_CORRUPT;
    if (rh->level > KLOG_RING_LEVEL_MAX || (rh->flags & ~KLOG_REC_TRUNCATED) != 0)
        return ERR_CORRUPT;
    if ((rh->flags & KLOG_REC_TRUNCATED) && rh->len != KLOG_REC_HDR_SIZE + KLOG_RING_MAX_TEXT)
        return ERR_CORRUPT;
    return 0;
}

static bool rec_crc_ok(const struct klog_ring *r, uint64_t pos, const struct klog_rec_hdr *rh)
{
    return rec_crc(rh, r->data + (pos & (r->h.data_size - 1)) + KLOG_REC_HDR_SIZE) == rh->crc;
}

/* Checks the ring in area[0, area_size) and, if it is valid, fills r (h, data, bad_crc;
 * warea is left to the caller). */
static int validate(struct klog_ring *r, const uint8_t *area, size_t area_size)
{
    struct klog_ring_hdr *h = &r->h;
    struct klog_rec_hdr rh;
    uint64_t pos, span, seq;

    if (area_size < KLOG_RING_HDR_SIZE)
        return ERR_CORRUPT;
    memcpy(h, area, sizeof *h);
    if (h->magic != KLOG_RING_MAGIC || h->version != KLOG_RING_VERSION ||
        h->hdr_crc != hdr_crc(h))
        return ERR_CORRUPT;
    if (h->data_size < KLOG_RING_MIN_DATA || (h->data_size & (h->data_size - 1)) != 0 ||
        h->data_size > area_size - KLOG_RING_HDR_SIZE)
        return ERR_CORRUPT;
    if (h->head % 8 != 0 || h->tail % 8 != 0 || h->head >= MAX_OFFSET || h->tail > h->head ||
        h->head - h->tail > h->data_size || h->first_seq > h->next_seq)
        return ERR_CORRUPT;
    r->data = area + KLOG_RING_HDR_SIZE;
    r->bad_crc = 0;
    seq = h->first_seq;
    /* Each step advances pos by at least 8, so this runs at most data_size / 8 times. */
    for (pos = h->tail; pos < h->head; pos += span) {
        if (rec_at(r, pos, &rh, &span) != 0)
            return ERR_CORRUPT;
        if (rh.flags & KLOG_REC_PAD)
            continue;
        if (rh.seq != seq)
            return ERR_CORRUPT;
        seq++;
        if (!rec_crc_ok(r, pos, &rh))
            r->bad_crc++;
    }
    if (seq != h->next_seq)
        return ERR_CORRUPT;
    return 0;
}

int klog_ring_format(struct klog_ring *r, void *area, size_t area_size)
{
    uint64_t data_size = KLOG_RING_MIN_DATA;

    if (r == NULL || area == NULL || (uintptr_t)area % 8 != 0 ||
        area_size < KLOG_RING_AREA_SIZE(KLOG_RING_MIN_DATA))
        return ERR_INVALID_ARGS;
    while (data_size <= (area_size - KLOG_RING_HDR_SIZE) / 2)
        data_size *= 2;
    memset(area, 0, area_size);
    memset(r, 0, sizeof *r);
    r->h.magic = KLOG_RING_MAGIC;
    r->h.version = KLOG_RING_VERSION;
    r->h.data_size = data_size;
    r->warea = area;
    r->data = r->warea + KLOG_RING_HDR_SIZE;
    publish(r);
    return 0;
}

int klog_ring_recover(struct klog_ring *r, void *area, size_t area_size)
{
    struct klog_ring tmp;
    int rc;

    if (r == NULL || area == NULL || (uintptr_t)area % 8 != 0)
        return ERR_INVALID_ARGS;
    rc = validate(&tmp, area, area_size);
    if (rc != 0)
        return rc;
    tmp.warea = area;
    *r = tmp;
    return 0;
}

int klog_ring_open_readonly(struct klog_ring *r, const void *area, size_t area_size)
{
    struct klog_ring tmp;
    int rc;

    if (r == NULL || area == NULL)
        return ERR_INVALID_ARGS;
    rc = validate(&tmp, area, area_size);
    if (rc != 0)
        return rc;
    tmp.warea = NULL;
    *r = tmp;
    return 0;
}

/* Makes room for `need` more bytes at head by moving tail past the oldest records. Returns
 * whether anything was evicted. */
static bool evict(struct klog_ring *r, uint64_t need)
{
    struct klog_ring_hdr *h = &r->h;
    struct klog_rec_hdr rh;
    uint64_t span;
    bool moved = false;

    while (h->head + need - h->tail > h->data_size) {
        moved = true;
        if (rec_at(r, h->tail, &rh, &span) != 0 ||
            (!(rh.flags & KLOG_REC_PAD) && rh.seq != h->first_seq)) {
            /* The memory under the ring was overwritten: start again, empty, at head. */
            h->dropped += h->next_seq - h->first_seq;
            h->first_seq = h->next_seq;
            h->tail = h->head;
            break;
        }
        h->tail += span;
        if (!(rh.flags & KLOG_REC_PAD)) {
            h->first_seq++;
            h->dropped++;
        }
    }
    return moved;
}

int klog_ring_write(struct klog_ring *r, unsigned level, uint64_t ts_ns,
                    const char *text, size_t len)
{
    struct klog_rec_hdr rh;
    uint64_t off, pad, span;
    uint8_t *data;

    if (r == NULL || level > KLOG_RING_LEVEL_MAX || (text == NULL && len > 0))
        return ERR_INVALID_ARGS;
    if (r->warea == NULL)
        return ERR_BAD_STATE;
    memset(&rh, 0, sizeof rh);
    if (len > KLOG_RING_MAX_TEXT) {
        len = KLOG_RING_MAX_TEXT;
        rh.flags = KLOG_REC_TRUNCATED;
    }
    rh.len = (uint16_t)(KLOG_REC_HDR_SIZE + len);
    rh.level = (uint8_t)level;
    rh.seq = r->h.next_seq;
    rh.ts_ns = ts_ns;
    rh.crc = crc32c(crc32c(0, &rh, sizeof rh), text, len);

    span = KLOG_REC_SPAN(rh.len);
    off = r->h.head & (r->h.data_size - 1);
    pad = r->h.data_size - off < span ? r->h.data_size - off : 0;
    /* pad < span <= 536 and data_size >= 2048, so an empty ring always has room. */
    if (evict(r, pad + span))
        publish(r);

    data = r->warea + KLOG_RING_HDR_SIZE;
    if (pad != 0) {
        struct klog_rec_hdr ph = { .len = (uint16_t)pad, .flags = KLOG_REC_PAD };
        memcpy(data + off, &ph, PAD_PREFIX);
        off = 0;
    }
    memcpy(data + off, &rh, sizeof rh);
    if (len > 0)
        memcpy(data + off + sizeof rh, text, len);
    r->h.head += pad + span;
    r->h.next_seq++;
    publish(r);
    return 0;
}

int klog_ring_next(const struct klog_ring *r, uint64_t *cursor, struct klog_record *out)
{
    struct klog_rec_hdr rh;
    uint64_t pos, span;

    if (r == NULL || cursor == NULL || out == NULL)
        return ERR_INVALID_ARGS;
    pos = *cursor < r->h.tail ? r->h.tail : *cursor;
    for (; pos < r->h.head; pos += span) {
        if (rec_at(r, pos, &rh, &span) != 0)
            return ERR_CORRUPT;
        if (rh.flags & KLOG_REC_PAD)
            continue;
        out->seq = rh.seq;
        out->ts_ns = rh.ts_ns;
        out->text = (const char *)r->data + (pos & (r->h.data_size - 1)) + KLOG_REC_HDR_SIZE;
        out->len = (size_t)rh.len - KLOG_REC_HDR_SIZE;
        out->level = rh.level;
        out->truncated = (rh.flags & KLOG_REC_TRUNCATED) != 0;
        out->crc_ok = rec_crc_ok(r, pos, &rh);
        *cursor = pos + span;
        return 0;
    }
    *cursor = pos;
    return ERR_NOT_FOUND;
}

void klog_ring_stats(const struct klog_ring *r, struct klog_ring_stats *st)
{
    st->data_size = r->h.data_size;
    st->used = r->h.head - r->h.tail;
    st->records = r->h.next_seq - r->h.first_seq;
    st->first_seq = r->h.first_seq;
    st->next_seq = r->h.next_seq;
    st->dropped = r->h.dropped;
    st->bad_crc = r->bad_crc;
}

const char *klog_ring_level_name(unsigned level)
{
    return level <= KLOG_RING_LEVEL_MAX ? level_names[level] : "?";
}
