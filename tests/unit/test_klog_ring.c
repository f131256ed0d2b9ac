/* Unit tests of the kernel log ring (kernel/lib/klog_ring.c): order, wrap-around with
 * padding, eviction, truncation, recovery after a reset, refusal of damaged rings, and a
 * fuzz of klog_ring_open_readonly over randomly damaged copies (run under ASan so that any
 * read outside the area fails the test). */
#include <stdbool.h>

#include "err.h"
#include "lib/crc32c.h"
#include "lib/klog_ring.h"
#include "ut.h"

#define SMALL_AREA KLOG_RING_AREA_SIZE(KLOG_RING_MIN_DATA)
#define BIG_AREA   KLOG_RING_AREA_SIZE(65536)

static uint64_t area_buf[BIG_AREA / 8];
static uint64_t copy_buf[BIG_AREA / 8];

static struct klog_ring_hdr *hdr_of(void *area)
{
    return (struct klog_ring_hdr *)area;
}

/* Recomputes the header CRC after a test changed a header field on purpose. */
static void reseal(void *area)
{
    struct klog_ring_hdr *h = hdr_of(area);
    h->hdr_crc = 0;
    h->hdr_crc = crc32c(0, h, sizeof *h);
}

/* Deterministic text for record `seq`: 0..300 bytes of letters. */
static size_t gen_len(uint64_t seq)
{
    return (size_t)((seq * 37) % 301);
}

static void gen_text(uint64_t seq, char *buf)
{
    for (size_t i = 0; i < gen_len(seq); i++)
        buf[i] = (char)('a' + (seq + i) % 26);
}

static bool gen_matches(const struct klog_record *rec)
{
    char buf[512];
    gen_text(rec->seq, buf);
    return rec->len == gen_len(rec->seq) && memcmp(rec->text, buf, rec->len) == 0 &&
           rec->level == rec->seq % 8 && rec->ts_ns == rec->seq * 1000 + 7;
}

/* Writes records first..first+n-1 with generated text, level and time stamp. */
static int write_gen(struct klog_ring *r, uint64_t first, uint64_t n)
{
    char buf[512];
    for (uint64_t s = first; s < first + n; s++) {
        gen_text(s, buf);
        int rc = klog_ring_write(r, (unsigned)(s % 8), s * 1000 + 7, buf, gen_len(s));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Reads every record and checks that seqs run first_seq..next_seq-1, each record's bytes
 * lie inside the data area without wrapping, and (if `gen`) the text is the generated one.
 * Returns the number of records, or -1. */
static long check_all(const struct klog_ring *r, bool gen)
{
    struct klog_ring_stats st;
    struct klog_record rec;
    uint64_t cursor = 0, want;
    long n = 0;
    int rc;

    klog_ring_stats(r, &st);
    want = st.first_seq;
    while ((rc = klog_ring_next(r, &cursor, &rec)) == 0) {
        if (rec.seq != want++ || rec.len > KLOG_RING_MAX_TEXT || rec.level > 7)
            return -1;
        if (rec.text < (const char *)r->data ||
            rec.text + rec.len > (const char *)r->data + st.data_size)
            return -1;
        if (gen && (!gen_matches(&rec) || !rec.crc_ok))
            return -1;
        n++;
    }
    if (rc != ERR_NOT_FOUND || want != st.next_seq || (uint64_t)n != st.records)
        return -1;
    return n;
}

/* The raw header of the record holding `seq`, found through the iterator. */
static struct klog_rec_hdr *raw_rec(const struct klog_ring *r, uint64_t seq)
{
    struct klog_record rec;
    uint64_t cursor = 0;
    while (klog_ring_next(r, &cursor, &rec) == 0)
        if (rec.seq == seq)
            return (struct klog_rec_hdr *)(uintptr_t)(rec.text - KLOG_REC_HDR_SIZE);
    return NULL;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void t_format_empty(void)
{
    struct klog_ring r;
    struct klog_ring_stats st;
    struct klog_record rec;
    uint64_t cursor = 0;

    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.data_size, KLOG_RING_MIN_DATA);
    UT_EQ_U64(st.records, 0);
    UT_EQ_U64(st.used, 0);
    UT_EQ_U64(st.next_seq, 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), ERR_NOT_FOUND);
    UT_EQ_U64(hdr_of(area_buf)->magic, KLOG_RING_MAGIC);
    UT_ASSERT(memcmp(area_buf, "BBKLOG01", 8) == 0);

    /* The data area is the largest power of two that fits. */
    UT_EQ_INT(klog_ring_format(&r, area_buf, KLOG_RING_HDR_SIZE + 5000), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.data_size, 4096);
    UT_EQ_INT(klog_ring_format(&r, area_buf, BIG_AREA), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.data_size, 65536);
}

static void t_bad_args(void)
{
    struct klog_ring r;

    UT_EQ_INT(klog_ring_format(&r, NULL, SMALL_AREA), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_format(&r, (char *)area_buf + 4, SMALL_AREA), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA - 1), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(klog_ring_write(&r, 8, 0, "x", 1), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_write(&r, 0, 0, NULL, 1), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_write(&r, 0, 0, NULL, 0), 0);
    UT_EQ_INT(klog_ring_recover(&r, (char *)area_buf + 4, SMALL_AREA), ERR_INVALID_ARGS);
    UT_EQ_INT(klog_ring_open_readonly(&r, NULL, SMALL_AREA), ERR_INVALID_ARGS);
}

static void t_write_read_order(void)
{
    struct klog_ring r;
    struct klog_record rec;
    uint64_t cursor = 0;

    UT_EQ_INT(klog_ring_format(&r, area_buf, BIG_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 100), 0);
    for (uint64_t s = 0; s < 100; s++) {
        UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
        UT_EQ_U64(rec.seq, s);
        UT_ASSERT(gen_matches(&rec));
        UT_ASSERT(rec.crc_ok && !rec.truncated);
    }
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), ERR_NOT_FOUND);
    /* A cursor at the end picks up what is written next. */
    UT_EQ_INT(klog_ring_write(&r, 3, 5, "late", 4), 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_U64(rec.seq, 100);
    UT_ASSERT(rec.len == 4 && memcmp(rec.text, "late", 4) == 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), ERR_NOT_FOUND);
    UT_EQ_INT(check_all(&r, false), 101);
}

static void t_wrap_padding(void)
{
    struct klog_ring r;
    struct klog_record rec;
    const uint8_t *data = (const uint8_t *)area_buf + KLOG_RING_HDR_SIZE;
    char text[90];
    uint64_t cursor = 0;

    /* 90 bytes of text: 114-byte records spanning 120 bytes; 17 of them end at 2040,
     * leaving an 8-byte hole that only a padding record's prefix fits in. */
    memset(text, 'q', sizeof text);
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    for (int i = 0; i < 17; i++)
        UT_EQ_INT(klog_ring_write(&r, 6, (uint64_t)i, text, sizeof text), 0);
    UT_EQ_U64(r.h.head, 2040);
    UT_EQ_INT(klog_ring_write(&r, 6, 17, text, sizeof text), 0);
    UT_EQ_U64(data[2040 + 3], KLOG_REC_PAD);
    UT_EQ_U64(data[2040] | data[2041] << 8, 8);
    UT_EQ_U64(r.h.head, 2048 + 120);
    /* Record 0 was evicted to make room for the padding and record 17 at data[0]. */
    UT_EQ_U64(r.h.first_seq, 1);
    UT_EQ_U64(r.h.dropped, 1);
    while (klog_ring_next(&r, &cursor, &rec) == 0)
        if (rec.seq == 17)
            break;
    UT_EQ_U64(rec.seq, 17);
    UT_ASSERT((const uint8_t *)rec.text == data + KLOG_REC_HDR_SIZE);

    /* Many sizes, many laps: every record stays whole and in order. */
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 400), 0);
    UT_ASSERT(r.h.head > 10 * KLOG_RING_MIN_DATA);
    UT_ASSERT(check_all(&r, true) > 5);
}

static void t_eviction_dropped(void)
{
    struct klog_ring r;
    struct klog_ring_stats st;
    struct klog_record rec;
    uint64_t cursor = 0, last = 0;

    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 1000), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.records + st.dropped, 1000);
    UT_EQ_U64(st.first_seq, st.dropped);
    UT_EQ_U64(st.next_seq, 1000);
    UT_ASSERT(st.used <= st.data_size && st.used > st.data_size - 600);
    UT_ASSERT(check_all(&r, true) == (long)st.records);
    while (klog_ring_next(&r, &cursor, &rec) == 0)
        last = rec.seq;
    UT_EQ_U64(last, 999);
}

static void t_truncation(void)
{
    struct klog_ring r;
    struct klog_record rec;
    char big[1000];
    uint64_t cursor = 0;

    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('A' + i % 23);
    UT_EQ_INT(klog_ring_format(&r, area_buf, BIG_AREA), 0);
    UT_EQ_INT(klog_ring_write(&r, 0, 1, big, sizeof big), 0);
    UT_EQ_INT(klog_ring_write(&r, 0, 2, big, KLOG_RING_MAX_TEXT), 0);
    UT_EQ_INT(klog_ring_write(&r, 0, 3, big, KLOG_RING_MAX_TEXT + 1), 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_U64(rec.len, KLOG_RING_MAX_TEXT);
    UT_ASSERT(rec.truncated && rec.crc_ok && memcmp(rec.text, big, rec.len) == 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_U64(rec.len, KLOG_RING_MAX_TEXT);
    UT_ASSERT(!rec.truncated);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_ASSERT(rec.truncated);
    /* Maximal records wrap cleanly in the smallest ring too. */
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    for (int i = 0; i < 50; i++)
        UT_EQ_INT(klog_ring_write(&r, 0, 0, big, sizeof big - (size_t)i), 0);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_U64(r.h.next_seq - r.h.first_seq, 3);
}

static void t_cursor_behind_tail(void)
{
    struct klog_ring r;
    struct klog_record rec;
    uint64_t cursor = 0;

    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 5), 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_U64(rec.seq, 1);
    UT_EQ_INT(write_gen(&r, 5, 500), 0);
    UT_ASSERT(cursor < r.h.tail);
    UT_EQ_INT(klog_ring_next(&r, &cursor, &rec), 0);
    UT_EQ_U64(rec.seq, r.h.first_seq);
    UT_ASSERT(rec.seq > 2 && gen_matches(&rec));
}

static void t_recover_after_reset(void)
{
    struct klog_ring r, r2;
    struct klog_ring_stats st, st2;

    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 300), 0);
    klog_ring_stats(&r, &st);
    /* "Reset": forget the handle, keep the bytes. */
    memset(&r2, 0xa5, sizeof r2);
    UT_EQ_INT(klog_ring_recover(&r2, area_buf, SMALL_AREA), 0);
    klog_ring_stats(&r2, &st2);
    UT_ASSERT(memcmp(&st, &st2, sizeof st) == 0);
    UT_EQ_INT(check_all(&r2, true), (long)st.records);
    /* The next boot carries on the sequence. */
    UT_EQ_INT(write_gen(&r2, 300, 50), 0);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.next_seq, 350);
    UT_EQ_INT(check_all(&r, true), (long)st.records);
    /* A larger area than the one formatted (same data size stored) is accepted. */
    UT_EQ_INT(klog_ring_recover(&r, area_buf, BIG_AREA), 0);
    UT_EQ_U64(r.h.data_size, KLOG_RING_MIN_DATA);
}

static void t_recover_partial_write(void)
{
    struct klog_ring r;
    struct klog_ring_hdr before;

    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 40), 0);
    /* A reset after the record bytes but before the new head was published, in a write
     * that needed no eviction: the area holds the header from before the write. */
    UT_EQ_INT(klog_ring_format(&r, area_buf, BIG_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 40), 0);
    before = *hdr_of(area_buf);
    UT_EQ_INT(write_gen(&r, 40, 1), 0);
    *hdr_of(area_buf) = before;
    UT_EQ_INT(klog_ring_recover(&r, area_buf, BIG_AREA), 0);
    UT_EQ_U64(r.h.next_seq, 40);
    UT_EQ_INT(check_all(&r, true), 40);

    /* The same in a write that evicted: the area holds the header published after the
     * eviction, with the new tail but the old head. */
    UT_EQ_INT(klog_ring_format(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(write_gen(&r, 0, 40), 0);
    before = *hdr_of(area_buf);
    UT_EQ_INT(write_gen(&r, 40, 1), 0);
    UT_ASSERT(hdr_of(area_buf)->tail != before.tail);
    hdr_of(area_buf)->head = before.head;
    hdr_of(area_buf)->next_seq = before.next_seq;
    reseal(area_buf);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_U64(r.h.next_seq, 40);
    UT_EQ_INT(check_all(&r, true), (long)(r.h.next_seq - r.h.first_seq));
    UT_EQ_INT(write_gen(&r, 40, 100), 0);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    UT_ASSERT(check_all(&r, true) > 0);
}

/* Formats a wrapped ring in area_buf and saves it in copy_buf. */
static int make_reference(struct klog_ring *r)
{
    if (klog_ring_format(r, area_buf, SMALL_AREA) != 0 || write_gen(r, 0, 77) != 0)
        return -1;
    memcpy(copy_buf, area_buf, SMALL_AREA);
    return 0;
}

/* Restores area_buf from copy_buf and re-attaches r. */
static void restore(struct klog_ring *r)
{
    memcpy(area_buf, copy_buf, SMALL_AREA);
    klog_ring_recover(r, area_buf, SMALL_AREA);
}

/* recover must refuse the damaged area and leave the handle alone. */
static bool refused(void)
{
    struct klog_ring r, keep;
    memset(&r, 0x5a, sizeof r);
    keep = r;
    return klog_ring_recover(&r, area_buf, SMALL_AREA) == ERR_CORRUPT &&
           memcmp(&r, &keep, sizeof r) == 0;
}

static void t_recover_refuses_header(void)
{
    struct klog_ring r;
    struct klog_ring_hdr *h = hdr_of(area_buf);

    memset(area_buf, 0, SMALL_AREA);
    UT_ASSERT(refused());                      /* cold boot: nothing there */
    UT_EQ_INT(make_reference(&r), 0);
    UT_ASSERT(r.h.tail > 0 && r.h.head > KLOG_RING_MIN_DATA);

    restore(&r); h->magic ^= 1; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->dropped ^= 4;              /* header CRC no longer matches */
    UT_ASSERT(refused());
    restore(&r); h->hdr_crc ^= 0x100;
    UT_ASSERT(refused());
    restore(&r); h->version = 2; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->data_size = 3000; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->data_size = 4096; reseal(area_buf);      /* larger than the area */
    UT_ASSERT(refused());
    restore(&r); h->head += 4; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->head += 8; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->tail = h->head + 8; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->tail -= 8; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->tail = h->head - KLOG_RING_MIN_DATA - 8; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->next_seq++; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->first_seq--; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r); h->head += 1ull << 62; h->tail += 1ull << 62; reseal(area_buf);
    UT_ASSERT(refused());
    restore(&r);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA - 8), ERR_CORRUPT);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, KLOG_RING_HDR_SIZE - 1), ERR_CORRUPT);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
}

static void t_recover_refuses_records(void)
{
    struct klog_ring r;
    struct klog_rec_hdr *rh;
    uint64_t mid;

    UT_EQ_INT(make_reference(&r), 0);
    mid = (r.h.first_seq + r.h.next_seq) / 2;
    static const int deltas[] = { -1000, -24, -8, -1, 1, 8, 16, 600, 40000 };
    for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
        restore(&r);
        rh = raw_rec(&r, mid);
        UT_ASSERT(rh != NULL);
        uint16_t len = rh->len;
        rh->len = (uint16_t)(len + deltas[i]);
        if (KLOG_REC_SPAN(rh->len) != KLOG_REC_SPAN(len)) {
            UT_ASSERT(refused());
            continue;
        }
        /* Same span: the walk is intact and only the record's CRC tells; it is kept. */
        struct klog_ring_stats st;
        UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
        klog_ring_stats(&r, &st);
        UT_EQ_U64(st.bad_crc, 1);
    }
    restore(&r); rh = raw_rec(&r, mid); rh->seq++;
    UT_ASSERT(refused());
    restore(&r); rh = raw_rec(&r, mid); rh->level = 8;
    UT_ASSERT(refused());
    restore(&r); rh = raw_rec(&r, mid); rh->flags |= 0x40;
    UT_ASSERT(refused());
    restore(&r); rh = raw_rec(&r, mid); rh->flags |= KLOG_REC_TRUNCATED;
    UT_ASSERT(refused());
    restore(&r); rh = raw_rec(&r, r.h.first_seq); rh->flags = KLOG_REC_PAD;
    UT_ASSERT(refused());
    restore(&r);
    UT_EQ_INT(check_all(&r, true), (long)(r.h.next_seq - r.h.first_seq));
}

static void t_bad_crc_record_kept(void)
{
    struct klog_ring r;
    struct klog_ring_stats st;
    struct klog_record rec;
    uint64_t cursor = 0, mid;
    int bad = 0;

    UT_EQ_INT(make_reference(&r), 0);
    mid = r.h.next_seq - 3;
    ((char *)raw_rec(&r, mid))[KLOG_REC_HDR_SIZE] ^= 0x20;
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.bad_crc, 1);
    while (klog_ring_next(&r, &cursor, &rec) == 0) {
        if (!rec.crc_ok) {
            bad++;
            UT_EQ_U64(rec.seq, mid);
        }
    }
    UT_EQ_INT(bad, 1);
}

static void t_readonly(void)
{
    struct klog_ring r, ro;
    uint8_t *odd = malloc(SMALL_AREA + 1);

    UT_ASSERT(odd != NULL);
    UT_EQ_INT(make_reference(&r), 0);
    memcpy(odd + 1, area_buf, SMALL_AREA);             /* any alignment will do */
    UT_EQ_INT(klog_ring_open_readonly(&ro, odd + 1, SMALL_AREA), 0);
    UT_EQ_INT(check_all(&ro, true), (long)(r.h.next_seq - r.h.first_seq));
    UT_EQ_INT(klog_ring_write(&ro, 0, 0, "x", 1), ERR_BAD_STATE);
    odd[1 + 5] ^= 1;
    UT_EQ_INT(klog_ring_open_readonly(&ro, odd + 1, SMALL_AREA), ERR_CORRUPT);
    free(odd);
}

static void t_self_heal(void)
{
    struct klog_ring r;
    struct klog_ring_stats st;

    /* A stray write over the oldest record: the next eviction notices and restarts. */
    UT_EQ_INT(make_reference(&r), 0);
    raw_rec(&r, r.h.first_seq)->len = 3;
    UT_EQ_INT(write_gen(&r, 77, 40), 0);
    klog_ring_stats(&r, &st);
    UT_EQ_U64(st.records + st.dropped, 117);
    UT_EQ_INT(klog_ring_recover(&r, area_buf, SMALL_AREA), 0);
    UT_EQ_INT(check_all(&r, true), (long)st.records);
    UT_EQ_U64(r.h.next_seq, 117);
}

/* Damages a copy of a valid ring in one of several ways. */
static void corrupt(uint8_t *a, size_t size)
{
    struct klog_ring_hdr h;
    uint64_t *field;
    int kind = (int)(rnd() % 4);

    if (kind == 0) {                   /* random bytes anywhere */
        for (int n = 1 + (int)(rnd() % 4); n > 0; n--)
            a[rnd() % size] = (uint8_t)rnd();
    } else if (kind == 1) {            /* random bits in the record headers' area */
        for (int n = 1 + (int)(rnd() % 3); n > 0; n--)
            a[KLOG_RING_HDR_SIZE + rnd() % (size - KLOG_RING_HDR_SIZE)] ^=
                (uint8_t)(1u << (rnd() % 8));
    } else {                           /* a plausible but wrong header field */
        memcpy(&h, a, sizeof h);
        uint64_t *fields[] = { &h.data_size, &h.head, &h.tail, &h.first_seq, &h.next_seq };
        field = fields[rnd() % 5];
        switch (rnd() % 4) {
        case 0: *field += 8 * (rnd() % 5); break;
        case 1: *field -= 8 * (rnd() % 5); break;
        case 2: *field = rnd(); break;
        default: *field ^= 1ull << (rnd() % 64); break;
        }
        memcpy(a, &h, sizeof h);
    }
    if (rnd() % 4 != 0)
        reseal(a);
}

static void t_readonly_fuzz(void)
{
    struct klog_ring r, ro;
    long opened = 0, refusedn = 0;
    uint8_t *refs[3];
    size_t sizes[3] = { SMALL_AREA, SMALL_AREA, KLOG_RING_AREA_SIZE(4096) };

    /* Three references: a wrapped small ring, a ring ending in an 8-byte hole, a larger one. */
    for (int i = 0; i < 3; i++) {
        UT_EQ_INT(klog_ring_format(&r, area_buf, sizes[i]), 0);
        UT_EQ_INT(write_gen(&r, 0, i == 0 ? 150 : i == 1 ? 9 : 60), 0);
        refs[i] = malloc(sizes[i]);
        UT_ASSERT(refs[i] != NULL);
        memcpy(refs[i], area_buf, sizes[i]);
    }
    for (int iter = 0; iter < 30000; iter++) {
        int which = (int)(rnd() % 3);
        size_t size = sizes[which];
        if (rnd() % 8 == 0)
            size -= 1 + rnd() % size;          /* a dump that cut the area short */
        uint8_t *a = malloc(size ? size : 1);  /* exact size: ASan sees any overrun */
        UT_ASSERT(a != NULL);
        memcpy(a, refs[which], size);
        if (size > KLOG_RING_HDR_SIZE)
            corrupt(a, size);
        if (klog_ring_open_readonly(&ro, a, size) == 0) {
            opened++;
            /* Whatever was accepted iterates cleanly to the end. */
            if (check_all(&ro, false) < 0) {
                free(a);
                UT_ASSERT(!"accepted ring does not iterate");
            }
            /* ...and stays valid through more writes when attached for writing. */
            memcpy(copy_buf, a, size);
            if (klog_ring_recover(&r, copy_buf, size) != 0 || write_gen(&r, 1000, 30) != 0 ||
                klog_ring_recover(&r, copy_buf, size) != 0 || check_all(&r, false) < 0) {
                free(a);
                UT_ASSERT(!"accepted ring breaks when written");
            }
        } else {
            refusedn++;
        }
        free(a);
    }
    for (int i = 0; i < 3; i++)
        free(refs[i]);
    printf("  fuzz: %ld opened, %ld refused\n", opened, refusedn);
    UT_ASSERT(opened > 1000 && refusedn > 1000);
}

static void t_level_names(void)
{
    UT_EQ_STR(klog_ring_level_name(0), "emerg");
    UT_EQ_STR(klog_ring_level_name(3), "err");
    UT_EQ_STR(klog_ring_level_name(7), "debug");
    UT_EQ_STR(klog_ring_level_name(8), "?");
}

static const struct ut_case cases[] = {
    { "format_empty", t_format_empty },
    { "bad_args", t_bad_args },
    { "write_read_order", t_write_read_order },
    { "wrap_padding", t_wrap_padding },
    { "eviction_dropped", t_eviction_dropped },
    { "truncation", t_truncation },
    { "cursor_behind_tail", t_cursor_behind_tail },
    { "recover_after_reset", t_recover_after_reset },
    { "recover_partial_write", t_recover_partial_write },
    { "recover_refuses_header", t_recover_refuses_header },
    { "recover_refuses_records", t_recover_refuses_records },
    { "bad_crc_record_kept", t_bad_crc_record_kept },
    { "readonly", t_readonly },
    { "self_heal", t_self_heal },
    { "readonly_fuzz", t_readonly_fuzz },
    { "level_names", t_level_names },
};

UT_MAIN(cases)
