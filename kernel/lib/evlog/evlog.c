/* The system event log's format and ring: header and record encoding with CRC32C, a decoder
 * that accepts any bytes, formatting a new log, the scan for the log's end (and its records
 * out of range or inconsistent with their neighbours), append, read and the one-line
 * rendering shared by the shell and bbdump. */
#include <string.h>
#include "lib/evlog/evlog.h"
#include "lib/crc32c.h"
#include "lib/fmt.h"
#include "err.h"

#define HDR_VERSION   8u
#define HDR_SLOTSIZE 12u
#define HDR_SLOTS    16u
#define HDR_CREATED  24u

#define REC_CRC       4u
#define REC_LENGTH    8u
#define REC_LEVEL    10u
#define REC_EVENT    12u
#define REC_SEQ      16u
#define REC_TIME     24u
#define REC_SOURCE   32u
#define MAX_SLOTS    0x80000000u

static uint32_t le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

const char *evlog_level_name(uint32_t level)
{
    switch (level) {
    case EVLOG_CRITICAL: return "Critical";
    case EVLOG_ERROR: return "Error";
    case EVLOG_WARNING: return "Warning";
    case EVLOG_INFORMATION: return "Information";
    default: return "Level?";
    }
}

static bool source_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == ' ' || c == '.' || c == '_' || c == '-';
}

static bool time_ok(const struct evlog_time *t)
{
    return t->year >= 1980 && t->year <= 9999 && t->month >= 1 && t->month <= 12 &&
           t->day >= 1 && t->day <= 31 && t->hour < 24 && t->minute < 60 && t->second < 60;
}

int evlog_check(const struct evlog_record *r)
{
    if (r->level < EVLOG_CRITICAL || r->level > EVLOG_INFORMATION || !time_ok(&r->time))
        return ERR_INVALID_ARGS;
    size_t n = strnlen(r->source, EVLOG_SOURCE_MAX);
    if (n == 0 || n == EVLOG_SOURCE_MAX || r->source[0] == ' ')
        return ERR_INVALID_ARGS;
    for (size_t i = 0; i < n; i++)
        if (!source_char(r->source[i]))
            return ERR_INVALID_ARGS;
    n = strnlen(r->message, EVLOG_MESSAGE_MAX);
    if (n == EVLOG_MESSAGE_MAX)
        return ERR_TOO_BIG;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)r->message[i] < 0x20 && r->message[i] != '\t') ||
            (unsigned char)r->message[i] >= 0x7F)
            return ERR_INVALID_ARGS;
    return 0;
}

void evlog_header_encode(uint8_t *slot, uint32_t slots, const struct evlog_time *created)
{
    memset(slot, 0, EVLOG_SLOT);
    memcpy(slot, EVLOG_FILE_MAGIC, 8);
    put32(slot + HDR_VERSION, EVLOG_VERSION);
    put32(slot + HDR_SLOTSIZE, EVLOG_SLOT);
    put32(slot + HDR_SLOTS, slots);
    memcpy(slot + HDR_CREATED, created, sizeof(*created));
    put32(slot + EVLOG_HDR_CRC_OFF, crc32c(0, slot, EVLOG_HDR_CRC_OFF));
}

int evlog_header_decode(const uint8_t *buf, size_t len, uint32_t *slots)
{
    if (len < EVLOG_SLOT || memcmp(buf, EVLOG_FILE_MAGIC, 8) != 0 ||
        le32(buf + EVLOG_HDR_CRC_OFF) != crc32c(0, buf, EVLOG_HDR_CRC_OFF))
        return ERR_CORRUPT;
    if (le32(buf + HDR_VERSION) != EVLOG_VERSION || le32(buf + HDR_SLOTSIZE) != EVLOG_SLOT)
        return ERR_NOT_SUPPORTED;
    uint32_t n = le32(buf + HDR_SLOTS);
    if (n < EVLOG_MIN_SLOTS || n >= MAX_SLOTS)
        return ERR_CORRUPT;
    *slots = n;
    return 0;
}

int evlog_record_encode(uint8_t *slot, const struct evlog_record *r)
{
    int rc = evlog_check(r);
    if (rc)
        return rc;
    size_t mlen = strlen(r->message);
    uint16_t length = (uint16_t)(EVLOG_REC_HDR + mlen + 1);
    memset(slot, 0, EVLOG_SLOT);
    put32(slot, EVLOG_REC_MAGIC);
    memcpy(slot + REC_LENGTH, &length, 2);
    slot[REC_LEVEL] = (uint8_t)r->level;
    put32(slot + REC_EVENT, r->event_id);
    put64(slot + REC_SEQ, r->seq);
    struct evlog_time t = r->time;
    t.reserved = 0;
    memcpy(slot + REC_TIME, &t, sizeof(t));
    memcpy(slot + REC_SOURCE, r->source, strlen(r->source));
    memcpy(slot + EVLOG_REC_HDR, r->message, mlen);
    put32(slot + REC_CRC, crc32c(0, slot + REC_LENGTH, length - REC_LENGTH));
    return 0;
}

/* Copy a NUL-terminated field of at most cap bytes, '?' for anything not printable. */
static void copy_text(char *dst, const uint8_t *src, size_t cap)
{
    size_t i;
    for (i = 0; i + 1 < cap && src[i]; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) || src[i] == '\t' ? (char)src[i] : '?';
    dst[i] = 0;
}

int evlog_record_decode(const uint8_t *buf, size_t len, struct evlog_record *out)
{
    if (len < EVLOG_SLOT || le32(buf) != EVLOG_REC_MAGIC)
        return ERR_CORRUPT;
    uint16_t length;
    memcpy(&length, buf + REC_LENGTH, 2);
    if (length <= EVLOG_REC_HDR || length > EVLOG_SLOT ||
        le32(buf + REC_CRC) != crc32c(0, buf + REC_LENGTH, length - REC_LENGTH))
        return ERR_CORRUPT;
    /* both strings must end inside their fields: the message exactly at length - 1 */
    if (strnlen((const char *)buf + EVLOG_REC_HDR, length - EVLOG_REC_HDR) !=
            (size_t)length - EVLOG_REC_HDR - 1u ||
        strnlen((const char *)buf + REC_SOURCE, EVLOG_SOURCE_MAX) == EVLOG_SOURCE_MAX)
        return ERR_CORRUPT;
    out->seq = le64(buf + REC_SEQ);
    memcpy(&out->time, buf + REC_TIME, sizeof(out->time));
    out->event_id = le32(buf + REC_EVENT);
    out->level = buf[REC_LEVEL];
    copy_text(out->source, buf + REC_SOURCE, EVLOG_SOURCE_MAX);
    copy_text(out->message, buf + EVLOG_REC_HDR, EVLOG_MESSAGE_MAX);
    return out->seq == 0 || out->seq > EVLOG_SEQ_MAX ? ERR_RANGE : 0;
}

uint32_t evlog_slot_of(uint64_t seq, uint32_t slots)
{
    return 1 + (uint32_t)((seq - 1) % slots);
}

int evlog_format(struct evlog *lg, const struct evlog_io *io, uint64_t file_bytes,
                 const struct evlog_time *now)
{
    uint64_t total = file_bytes / EVLOG_SLOT;
    if (total < 1 + EVLOG_MIN_SLOTS || total - 1 >= MAX_SLOTS)
        return ERR_TOO_BIG;
    memset(lg->buf, 0, sizeof(lg->buf));
    uint64_t end = total * EVLOG_SLOT;
    for (uint64_t off = 0; off < end; off += EVLOG_SCAN_CHUNK) {
        size_t n = end - off < EVLOG_SCAN_CHUNK ? (size_t)(end - off) : EVLOG_SCAN_CHUNK;
        int rc = io->write(io->ctx, off, lg->buf, n);
        if (rc)
            return rc;
    }
    /* the zeros are on the disk before the header can be */
    int rc = io->sync(io->ctx);
    if (rc)
        return rc;
    evlog_header_encode(lg->buf, (uint32_t)(total - 1), now);
    rc = io->write(io->ctx, 0, lg->buf, EVLOG_SLOT);
    return rc ? rc : io->sync(io->ctx);
}

/* The scan's state. Pass 1 follows runs: records of consecutive sequence numbers in
 * consecutive slots (the last slot's run continues into slot 1's). Pass 2, needed only when
 * there is more than one run, sorts the records against the window the longest run ends. */
struct scan {
    uint64_t prev;              /* the previous slot's sequence number, 0: no record there */
    uint64_t run_len, run_end;  /* the run that the previous slot ended */
    uint64_t first_len, first_end;   /* the run starting in slot 1 (while first_open) */
    bool first_open;
    uint64_t best_len, best_end;     /* the longest run so far (the newest of equals) */
    uint32_t runs, found;       /* runs, and records in range in their own slot */
};

#define SEQ_BAD UINT64_MAX      /* slot_seq: a record that cannot be part of this log */

/* The sequence number of the record in slot `slot` (bytes at p): 0 for none (blank, torn or
 * not a record), SEQ_BAD for a whole record out of range or not in its sequence's slot. */
static uint64_t slot_seq(const uint8_t *p, uint32_t slot, uint32_t slots)
{
    struct evlog_record r;
    if (le32(p) != EVLOG_REC_MAGIC)
        return 0;
    int rc = evlog_record_decode(p, EVLOG_SLOT, &r);
    if (rc == ERR_CORRUPT)
        return 0;
    return rc || evlog_slot_of(r.seq, slots) != slot ? SEQ_BAD : r.seq;
}

static void consider(struct scan *st, uint64_t len, uint64_t end)
{
    if (len > st->best_len || (len == st->best_len && end > st->best_end)) {
        st->best_len = len;
        st->best_end = end;
    }
}

/* Pass 1, one slot: extend or end the current run. */
static void follow_run(struct evlog *lg, struct scan *st, uint32_t slot, uint64_t seq)
{
    if (seq == SEQ_BAD) {
        lg->corrupt++;
        seq = 0;
    }
    if (seq && st->prev && seq == st->prev + 1) {
        st->run_len++;
    } else {
        if (st->run_len)
            consider(st, st->run_len, st->run_end);
        st->run_len = seq ? 1 : 0;
        st->runs += seq ? 1 : 0;
        st->first_open = slot == 1 && seq;
    }
    st->run_end = seq;
    st->found += seq ? 1 : 0;
    if (st->first_open) {
        st->first_len = st->run_len;
        st->first_end = seq;
    }
    st->prev = seq;
}

/* Pass 2, one slot: inside the window (the last `slots` sequence numbers) or skipped. */
static void sort_record(struct evlog *lg, struct scan *st, uint32_t slot, uint64_t seq)
{
    (void)st, (void)slot;
    if (seq == 0 || seq == SEQ_BAD)
        return;         /* counted by pass 1 */
    uint64_t last = lg->last_seq;
    if (seq <= last && last - seq < lg->slots) {
        lg->valid++;
        return;
    }
    lg->skipped++;
    if (seq > last ? seq - last > lg->slots : last - seq >= 2ull * lg->slots)
        lg->corrupt++;
}

/* Read every record slot and hand each sequence number to fn. 0 or an I/O error. */
static int scan_slots(struct evlog *lg, struct scan *st,
                      void (*fn)(struct evlog *, struct scan *, uint32_t, uint64_t))
{
    uint64_t end = ((uint64_t)lg->slots + 1) * EVLOG_SLOT;
    for (uint64_t off = EVLOG_SLOT; off < end; off += EVLOG_SCAN_CHUNK) {
        size_t n = end - off < EVLOG_SCAN_CHUNK ? (size_t)(end - off) : EVLOG_SCAN_CHUNK;
        int rc = lg->io.read(lg->io.ctx, off, lg->buf, n);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i += EVLOG_SLOT) {
            uint32_t slot = (uint32_t)((off + i) / EVLOG_SLOT);
            fn(lg, st, slot, slot_seq(lg->buf + i, slot, lg->slots));
        }
    }
    return 0;
}

int evlog_open(struct evlog *lg, const struct evlog_io *io, uint64_t file_bytes)
{
    lg->io = *io;
    lg->last_seq = 0;
    lg->valid = lg->skipped = lg->corrupt = 0;
    if (file_bytes < EVLOG_SLOT)
        return ERR_CORRUPT;
    int rc = io->read(io->ctx, 0, lg->buf, EVLOG_SLOT);
    if (rc == 0)
        rc = evlog_header_decode(lg->buf, EVLOG_SLOT, &lg->slots);
    if (rc)
        return rc;
    if ((uint64_t)lg->slots + 1 > file_bytes / EVLOG_SLOT)
        return ERR_CORRUPT;
    struct scan st;
    memset(&st, 0, sizeof st);
    if ((rc = scan_slots(lg, &st, follow_run)) != 0)
        return rc;
    consider(&st, st.run_len, st.run_end);
    if (st.runs > 1 && st.prev && st.first_len &&
        st.prev + 1 == st.first_end - st.first_len + 1) {
        consider(&st, st.run_len + st.first_len, st.first_end);    /* wraps round */
        st.runs--;
    }
    lg->skipped = lg->corrupt;
    lg->last_seq = st.best_end;
    if (st.runs <= 1) {
        lg->valid = st.found;
        return 0;
    }
    return scan_slots(lg, &st, sort_record);
}

bool evlog_needs_reset(const struct evlog *lg)
{
    return lg->corrupt || lg->last_seq >= EVLOG_SEQ_MAX;
}

int evlog_append(struct evlog *lg, struct evlog_record *r, bool durable)
{
    if (lg->last_seq >= EVLOG_SEQ_MAX)
        return ERR_NO_SPACE;
    r->seq = lg->last_seq + 1;
    int rc = evlog_record_encode(lg->buf, r);
    if (rc == 0)
        rc = lg->io.write(lg->io.ctx, (uint64_t)evlog_slot_of(r->seq, lg->slots) * EVLOG_SLOT,
                          lg->buf, EVLOG_SLOT);
    if (rc == 0 && durable)
        rc = lg->io.sync(lg->io.ctx);
    if (rc)
        return rc;
    if (lg->valid < lg->slots)
        lg->valid++;
    lg->last_seq = r->seq;
    return 0;
}

int evlog_read(struct evlog *lg, uint64_t seq, struct evlog_record *out)
{
    if (seq == 0 || seq > lg->last_seq || lg->last_seq - seq >= lg->slots)
        return ERR_NOT_FOUND;
    int rc = lg->io.read(lg->io.ctx, (uint64_t)evlog_slot_of(seq, lg->slots) * EVLOG_SLOT,
                         lg->buf, EVLOG_SLOT);
    if (rc)
        return rc;
    if (evlog_record_decode(lg->buf, EVLOG_SLOT, out) != 0 || out->seq != seq)
        return ERR_NOT_FOUND;
    return 0;
}

int64_t evlog_first_of_last(struct evlog *lg, uint32_t n)
{
    uint64_t seq = lg->last_seq + 1;
    struct evlog_record r;
    for (uint64_t s = lg->last_seq; n && s >= 1 && lg->last_seq - s < lg->slots; s--) {
        int rc = evlog_read(lg, s, &r);
        if (rc == 0) {
            seq = s;
            n--;
        } else if (rc != ERR_NOT_FOUND) {
            return rc;
        }
    }
    return (int64_t)seq;
}

size_t evlog_format_line(char *out, size_t cap, const struct evlog_record *r)
{
    if (cap == 0)
        return 0;
    int n = fmt_snprintf(out, cap, "%04u-%02u-%02u %02u:%02u:%02u  %s  %s  %u  %s",
                         r->time.year, r->time.month, r->time.day, r->time.hour,
                         r->time.minute, r->time.second, evlog_level_name(r->level),
                         r->source, r->event_id, r->message);
    size_t len = n < 0 ? 0 : (size_t)n;
    return len < cap ? len : cap - 1;
}
