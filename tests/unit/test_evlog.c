/* Unit tests of the event log core (lib/evlog): record and header round trips, every
 * corrupted byte refused, random garbage decoded safely, the ring's wrap-around and torn
 * slots on an in-memory file, and the log on mkfs.fat images: 512- and 4096-byte sectors, a
 * fragmented volume (no contiguous run: the log is a chain of one-cluster runs), a junk
 * SYSTEM.EVT formatted or replaced,
 * a reset after every single sector write of creation plus forty appends (a device that
 * stops writing mid-call): every record appended before the reset survives, and once the
 * log exists fsck.fat -n finds nothing at all; poisoned records (sequence numbers out of
 * range or far from their neighbours) skipped by readers, and a writable open resetting it. */
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"
#include "lib/evlog/evlog.h"
#include "eventlog/evlog_fat.h"
#include "lib/crc32c.h"

static const struct evlog_time t0 = { 2026, 11, 22, 1, 2, 3, 0 };

static void make_rec(struct evlog_record *r, uint32_t n)
{
    memset(r, 0, sizeof(*r));
    r->time = t0;
    r->time.second = (uint8_t)(n % 60);
    r->event_id = 1000 + n;
    r->level = EVLOG_ERROR + n % 3;
    snprintf(r->source, sizeof r->source, n % 2 ? "BugCheck" : "smss");
    snprintf(r->message, sizeof r->message, "record %u: the computer has rebooted", n);
}

static bool same_rec(const struct evlog_record *a, const struct evlog_record *b)
{
    return a->event_id == b->event_id && a->level == b->level &&
           memcmp(&a->time, &b->time, sizeof a->time) == 0 &&
           strcmp(a->source, b->source) == 0 && strcmp(a->message, b->message) == 0;
}

/* An in-memory log file. */
struct memfile {
    uint8_t *data;
    size_t size;
    long writes, syncs;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memfile *m = ctx;
    if (off > m->size || len > m->size - off)
        return ERR_RANGE;
    memcpy(buf, m->data + off, len);
    return 0;
}

static int mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct memfile *m = ctx;
    if (off > m->size || len > m->size - off)
        return ERR_RANGE;
    memcpy(m->data + off, buf, len);
    m->writes++;
    return 0;
}

static int mem_sync(void *ctx)
{
    ((struct memfile *)ctx)->syncs++;
    return 0;
}

static struct evlog lg;   /* large: static */

static void round_trip(void)
{
    uint8_t slot[EVLOG_SLOT];
    struct evlog_record r, back;
    make_rec(&r, 7);
    r.seq = 42;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    UT_EQ_INT(evlog_record_decode(slot, sizeof slot, &back), 0);
    UT_ASSERT(same_rec(&r, &back));
    UT_EQ_U64(back.seq, 42);
    /* the longest message fits exactly */
    memset(r.message, 'x', EVLOG_MESSAGE_MAX - 1);
    r.message[EVLOG_MESSAGE_MAX - 1] = 0;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    UT_EQ_INT(evlog_record_decode(slot, sizeof slot, &back), 0);
    UT_ASSERT(strcmp(back.message, r.message) == 0);
    UT_EQ_INT(evlog_record_decode(slot, sizeof slot - 1, &back), ERR_CORRUPT);
    /* what evlog_check refuses */
    make_rec(&r, 1);
    r.level = 0;
    UT_EQ_INT(evlog_record_encode(slot, &r), ERR_INVALID_ARGS);
    r.level = 5;
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    make_rec(&r, 1);
    r.source[0] = 0;
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    strcpy(r.source, "Bug:Check");
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    memset(r.source, 'a', sizeof r.source);
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    make_rec(&r, 1);
    memset(r.message, 'y', sizeof r.message);
    UT_EQ_INT(evlog_check(&r), ERR_TOO_BIG);
    strcpy(r.message, "two\nlines");
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    make_rec(&r, 1);
    r.time.month = 13;
    UT_EQ_INT(evlog_check(&r), ERR_INVALID_ARGS);
    /* the header */
    uint32_t slots = 0;
    evlog_header_encode(slot, 77, &t0);
    UT_EQ_INT(evlog_header_decode(slot, sizeof slot, &slots), 0);
    UT_EQ_INT(slots, 77);
    slot[8] = 2;   /* another version: its CRC fixed up, still refused */
    uint32_t crc = crc32c(0, slot, EVLOG_HDR_CRC_OFF);
    memcpy(slot + EVLOG_HDR_CRC_OFF, &crc, 4);
    UT_EQ_INT(evlog_header_decode(slot, sizeof slot, &slots), ERR_NOT_SUPPORTED);
    /* the line */
    char line[600];
    make_rec(&r, 1);
    evlog_format_line(line, sizeof line, &r);
    UT_ASSERT(strcmp(line, "2026-11-22 01:02:01  Warning  BugCheck  1001  record 1: the "
                           "computer has rebooted") == 0);
    UT_EQ_INT(evlog_format_line(line, 12, &r), 11);
    UT_ASSERT(strcmp(line, "2026-11-22 ") == 0);
}

static void every_byte_checked(void)
{
    uint8_t slot[EVLOG_SLOT], bad[EVLOG_SLOT];
    struct evlog_record r, back;
    make_rec(&r, 3);
    r.seq = 9;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    size_t length = EVLOG_REC_HDR + strlen(r.message) + 1;
    for (size_t i = 0; i < length; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, slot, sizeof bad);
            bad[i] ^= (uint8_t)(1u << bit);
            if (evlog_record_decode(bad, sizeof bad, &back) != ERR_CORRUPT) {
                printf("  flip of byte %zu bit %d accepted\n", i, bit);
                UT_ASSERT(0);
            }
        }
    evlog_header_encode(slot, 10, &t0);
    uint32_t slots;
    for (size_t i = 0; i < 64; i++) {
        memcpy(bad, slot, sizeof bad);
        bad[i] ^= 0x10;
        UT_ASSERT(evlog_header_decode(bad, sizeof bad, &slots) != 0);
    }
}

static void garbage(void)
{
    /* random slots, and random slots with a valid magic and a plausible length */
    uint8_t buf[EVLOG_SLOT];
    struct evlog_record back;
    srand(1234);
    for (int i = 0; i < 20000; i++) {
        for (size_t j = 0; j < sizeof buf; j++)
            buf[j] = (uint8_t)rand();
        if (i % 2) {
            uint32_t m = EVLOG_REC_MAGIC;
            memcpy(buf, &m, 4);
            buf[9] = (uint8_t)(rand() % 3);
        }
        UT_EQ_INT(evlog_record_decode(buf, sizeof buf, &back), ERR_CORRUPT);
    }
    /* a whole file of garbage behind a good header: opens, finds nothing, appends */
    struct memfile m = { calloc(1, 64 * EVLOG_SLOT), 64 * EVLOG_SLOT, 0, 0 };
    for (size_t j = 0; j < m.size; j++)
        m.data[j] = (uint8_t)rand();
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    UT_EQ_INT(evlog_open(&lg, &io, m.size), ERR_CORRUPT);
    evlog_header_encode(m.data, 63, &t0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 0);
    UT_EQ_INT(evlog_first_of_last(&lg, 5), 1);
    /* a header claiming more slots than the file has */
    evlog_header_encode(m.data, 64, &t0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), ERR_CORRUPT);
    UT_EQ_INT(evlog_open(&lg, &io, 100), ERR_CORRUPT);
    free(m.data);
}

static void ring_wraps(void)
{
    struct memfile m = { calloc(1, 6 * EVLOG_SLOT + 100), 6 * EVLOG_SLOT + 100, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    struct evlog_record r, back;
    UT_EQ_INT(evlog_format(&lg, &io, m.size, &t0), 0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_INT(lg.slots, 5);
    for (uint32_t n = 1; n <= 12; n++) {
        make_rec(&r, n);
        long before = m.writes, synced = m.syncs;
        UT_EQ_INT(evlog_append(&lg, &r, n % 2 == 0), 0);
        UT_EQ_U64(r.seq, n);
        UT_EQ_INT(m.writes - before, 1);   /* one slot, one write */
        UT_EQ_INT(m.syncs - synced, n % 2 == 0);
    }
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 12);
    UT_EQ_INT(lg.valid, 5);
    for (uint32_t n = 8; n <= 12; n++) {
        UT_EQ_INT(evlog_read(&lg, n, &back), 0);
        make_rec(&r, n);
        UT_ASSERT(same_rec(&r, &back));
    }
    UT_EQ_INT(evlog_read(&lg, 7, &back), ERR_NOT_FOUND);
    UT_EQ_INT(evlog_read(&lg, 13, &back), ERR_NOT_FOUND);
    UT_EQ_INT(evlog_first_of_last(&lg, 3), 10);
    UT_EQ_INT(evlog_first_of_last(&lg, 100), 8);
    UT_EQ_INT(evlog_first_of_last(&lg, 0), 13);
    free(m.data);
}

static void torn_slots(void)
{
    struct memfile m = { calloc(1, 9 * EVLOG_SLOT), 9 * EVLOG_SLOT, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    struct evlog_record r, back;
    UT_EQ_INT(evlog_format(&lg, &io, m.size, &t0), 0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    for (uint32_t n = 1; n <= 6; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_append(&lg, &r, true), 0);
    }
    /* record 3 damaged: skipped, the others stay */
    m.data[evlog_slot_of(3, 8) * EVLOG_SLOT + 70] ^= 1;
    /* record 6 torn: its message never written */
    memset(m.data + evlog_slot_of(6, 8) * EVLOG_SLOT + EVLOG_REC_HDR, 0, 256);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 5);
    UT_EQ_INT(evlog_read(&lg, 3, &back), ERR_NOT_FOUND);
    UT_EQ_INT(evlog_first_of_last(&lg, 3), 2);   /* 2, 4, 5 */
    /* the next append takes the torn record's number and slot */
    make_rec(&r, 60);
    UT_EQ_INT(evlog_append(&lg, &r, true), 0);
    UT_EQ_U64(r.seq, 6);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 6);
    UT_EQ_INT(evlog_read(&lg, 6, &back), 0);
    UT_ASSERT(same_rec(&r, &back));
    /* a valid record copied into the wrong slot is not believed */
    memcpy(m.data + evlog_slot_of(7, 8) * EVLOG_SLOT, m.data + evlog_slot_of(5, 8) * EVLOG_SLOT,
           EVLOG_SLOT);
    uint64_t big = 1000;
    memcpy(m.data + evlog_slot_of(8, 8) * EVLOG_SLOT + 16, &big, 8);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 6);
    free(m.data);
}

static struct evlog_file ef;   /* large: static */

/* Plant a well-formed record (good CRC) with sequence number seq in its own slot. */
static void plant(struct memfile *m, uint64_t seq, uint32_t slots)
{
    struct evlog_record r;
    uint8_t slot[EVLOG_SLOT];
    make_rec(&r, 77);
    r.seq = seq;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    memcpy(m->data + (uint64_t)evlog_slot_of(seq, slots) * EVLOG_SLOT, slot, EVLOG_SLOT);
}

/* Five records and one planted: how the scan takes it. */
static void poisoned_by(uint64_t seq, uint64_t want_last, uint32_t want_valid,
                        uint32_t want_skipped, uint32_t want_corrupt)
{
    struct memfile m = { calloc(1, 9 * EVLOG_SLOT), 9 * EVLOG_SLOT, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    struct evlog_record r, back;
    UT_EQ_INT(evlog_format(&lg, &io, m.size, &t0), 0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    for (uint32_t n = 1; n <= 5; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_append(&lg, &r, true), 0);
    }
    plant(&m, seq, 8);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, want_last);
    UT_EQ_INT(lg.valid, want_valid);
    UT_EQ_INT(lg.skipped, want_skipped);
    UT_EQ_INT(lg.corrupt, want_corrupt);
    UT_EQ_INT(evlog_needs_reset(&lg), want_corrupt > 0);
    /* readers list the five records; a writer can still append after them */
    UT_EQ_INT(evlog_first_of_last(&lg, 100), 1);
    for (uint32_t n = 1; n <= 5; n++) {
        UT_EQ_INT(evlog_read(&lg, n, &back), 0);
        make_rec(&r, n);
        UT_ASSERT(same_rec(&r, &back));
    }
    UT_EQ_INT(evlog_read(&lg, seq, &back), ERR_NOT_FOUND);
    make_rec(&r, 6);
    UT_EQ_INT(evlog_append(&lg, &r, true), 0);
    UT_EQ_U64(r.seq, 6);
    free(m.data);
}

/* Sequence numbers no writer gives: 2^64-1 (which once made every later append fail with
 * "no space"), 0, just above EVLOG_SEQ_MAX, 2^63, and numbers in range but far from the
 * others; a record just ahead (its predecessor lost) is skipped but not corrupt. */
static void poisoned_sequence(void)
{
    struct evlog_record r;
    uint8_t slot[EVLOG_SLOT];
    make_rec(&r, 1);
    r.seq = UINT64_MAX;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    UT_EQ_INT(evlog_record_decode(slot, EVLOG_SLOT, &r), ERR_RANGE);
    poisoned_by(UINT64_MAX, 5, 5, 1, 1);
    poisoned_by(EVLOG_SEQ_MAX + 1, 5, 5, 1, 1);
    poisoned_by(1ull << 63, 5, 5, 1, 1);
    poisoned_by(EVLOG_SEQ_MAX, 5, 5, 1, 1);
    poisoned_by(1000, 5, 5, 1, 1);
    poisoned_by(7, 5, 5, 1, 0);          /* 6 lost at a reset: stale, not corrupt */
    /* sequence 0: planted by hand (slot_of(0) is meaningless) into slot 7 */
    struct memfile m = { calloc(1, 9 * EVLOG_SLOT), 9 * EVLOG_SLOT, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    UT_EQ_INT(evlog_format(&lg, &io, m.size, &t0), 0);
    make_rec(&r, 1);
    r.seq = 0;
    UT_EQ_INT(evlog_record_encode(m.data + 7 * EVLOG_SLOT, &r), 0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 0);
    UT_EQ_INT(lg.corrupt, 1);
    UT_EQ_INT(evlog_first_of_last(&lg, 10), 1);
    /* a forged chain ending at EVLOG_SEQ_MAX, longer than the real log: no next number */
    plant(&m, EVLOG_SEQ_MAX - 1, 8);
    plant(&m, EVLOG_SEQ_MAX, 8);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, EVLOG_SEQ_MAX);
    UT_ASSERT(evlog_needs_reset(&lg));
    make_rec(&r, 2);
    UT_EQ_INT(evlog_append(&lg, &r, true), ERR_NO_SPACE);
    UT_EQ_INT(evlog_first_of_last(&lg, 10), (int64_t)EVLOG_SEQ_MAX - 1);
    free(m.data);
}

/* A wrapped ring whose chain runs across the last slot into slot 1 is one chain; a lone
 * far-ahead record, even in its own slot, does not become the log's end. */
static void chain_wraps(void)
{
    struct memfile m = { calloc(1, 6 * EVLOG_SLOT), 6 * EVLOG_SLOT, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    struct evlog_record r;
    UT_EQ_INT(evlog_format(&lg, &io, m.size, &t0), 0);
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    for (uint32_t n = 1; n <= 13; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_append(&lg, &r, false), 0);
    }
    plant(&m, 13 + 5 * 100, 5);      /* slot of 13: replaces it */
    UT_EQ_INT(evlog_open(&lg, &io, m.size), 0);
    UT_EQ_U64(lg.last_seq, 12);
    UT_EQ_INT(lg.valid, 4);
    UT_EQ_INT(lg.corrupt, 1);
    UT_EQ_INT(evlog_first_of_last(&lg, 100), 9);
    free(m.data);
}

/* On FAT: a read-only open of a poisoned log lists the good records and counts the bad
 * one; a writable open formats it anew at its size (ef.reset) and appends start at 1. */
static void poisoned_on_fat(void)
{
    struct fx x;
    struct evlog_record r, back;
    UT_ASSERT(fx_make(&x, "evlog.img", 64, 512, "-s 1"));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 16384, &t0), 0);
    for (uint32_t n = 1; n <= 3; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
    }
    uint8_t slot[EVLOG_SLOT];
    make_rec(&r, 9);
    r.seq = UINT64_MAX;
    UT_EQ_INT(evlog_record_encode(slot, &r), 0);
    UT_EQ_INT(ef.log.io.write(ef.log.io.ctx,
                              (uint64_t)evlog_slot_of(UINT64_MAX, ef.log.slots) * EVLOG_SLOT,
                              slot, EVLOG_SLOT), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, &t0), 0);
    UT_ASSERT(!ef.reset);
    UT_EQ_INT(ef.log.corrupt, 1);
    UT_EQ_U64(ef.log.last_seq, 3);
    UT_EQ_INT(evlog_read(&ef.log, 3, &back), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 16384, &t0), 0);
    UT_ASSERT(ef.reset && ef.formatted);
    UT_EQ_INT(ef.reset_corrupt, 1);
    UT_EQ_INT(ef.size, 16384);
    UT_EQ_U64(ef.log.last_seq, 0);
    UT_EQ_INT(ef.log.corrupt, 0);
    make_rec(&r, 4);
    UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
    UT_EQ_U64(r.seq, 1);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 16384, &t0), 0);
    UT_ASSERT(!ef.reset && !ef.formatted);
    UT_EQ_U64(ef.log.last_seq, 1);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

static void on_fat(uint32_t ss)
{
    struct fx x;
    struct evlog_record r, back;
    UT_ASSERT(fx_make(&x, "evlog.img", ss == 512 ? 64 : 300, ss, "-s 1"));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, &t0), ERR_NOT_FOUND);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 16384, &t0), 0);
    UT_ASSERT(ef.formatted);
    UT_EQ_INT(ef.runs, 1);
    UT_EQ_INT(ef.log.slots, 31);
    for (uint32_t n = 1; n <= 40; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
    }
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    /* the file as mtools sees it is the log */
    size_t len;
    uint8_t *data = fx_mtype(&x, "/EVENTS/SYSTEM.EVT", &len);
    UT_ASSERT(data != NULL);
    UT_EQ_INT(len, 16384);
    struct memfile m = { data, len, 0, 0 };
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    UT_EQ_INT(evlog_open(&lg, &io, len), 0);
    UT_EQ_U64(lg.last_seq, 40);
    /* bbdump events on the copy prints the last two records as the shell does */
    FILE *copy = fopen(fx_path("SYSTEM.EVT"), "wb");
    UT_ASSERT(copy && fwrite(data, 1, len, copy) == len);
    fclose(copy);
    free(data);
    char want[2][EVLOG_MESSAGE_MAX + 96], cmd[256];
    for (uint32_t n = 39; n <= 40; n++) {
        make_rec(&r, n);
        evlog_format_line(want[n - 39], sizeof want[0], &r);
    }
    snprintf(cmd, sizeof cmd, "build/tools/bbdump events '%s' 2", fx_path("SYSTEM.EVT"));
    uint8_t *out = fx_capture(&len, "%s", cmd);
    UT_ASSERT(out != NULL);
    char expect[2 * sizeof want[0] + 2];
    snprintf(expect, sizeof expect, "%s\n%s\n", want[0], want[1]);
    UT_ASSERT(len == strlen(expect) && memcmp(out, expect, len) == 0);
    free(out);
    /* reopened read-only: the same records; deleting the file makes the handle stale */
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, &t0), 0);
    UT_ASSERT(!ef.formatted);
    UT_EQ_INT(evlog_read(&ef.log, 10, &back), 0);
    make_rec(&r, 10);
    UT_ASSERT(same_rec(&r, &back));
    UT_EQ_INT(evlog_fat_append(&ef, &r, true), ERR_ACCESS);
    UT_EQ_INT(fat_unlink(x.vol, EVLOG_FAT_PATH), 0);
    UT_EQ_INT(evlog_read(&ef.log, 10, &back), ERR_BAD_STATE);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* No contiguous run left: the log is a fragmented chain of zeros, mapped run by run. */
static void fragmented_volume(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_info info;
    struct evlog_record r, back;
    char name[32];
    UT_ASSERT(fx_make(&x, "frag.img", 40, 512, "-s 1"));
    UT_EQ_INT(fx_mount(&x), 0);
    fat_info(x.vol, &info);
    UT_EQ_INT(fat_create_contiguous(x.vol, "/fill", (info.free_clusters - 80) * 512, &f), 0);
    int files = 0, rc;
    do {   /* one-cluster files until the volume is full (the root grows meanwhile) */
        snprintf(name, sizeof name, "/a%d", files);
        rc = fat_create_contiguous(x.vol, name, 512, &f);
    } while (rc == 0 && ++files < 1000);
    UT_EQ_INT(rc, ERR_NO_SPACE);
    UT_ASSERT(files >= 40);
    for (int i = 1; i < files; i += 2) {
        snprintf(name, sizeof name, "/a%d", i);
        UT_EQ_INT(fat_unlink(x.vol, name), 0);
    }
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 8192, &t0), 0);
    UT_ASSERT(ef.formatted);
    UT_EQ_INT(ef.runs, 16);
    for (uint32_t n = 1; n <= 40; n++) {
        make_rec(&r, n);
        UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
    }
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, NULL), 0);
    UT_EQ_U64(ef.log.last_seq, 40);
    for (uint64_t s = 26; s <= 40; s++) {
        make_rec(&r, (uint32_t)s);
        UT_EQ_INT(evlog_read(&ef.log, s, &back), 0);
        UT_ASSERT(same_rec(&r, &back));
    }
    UT_EQ_INT(fx_unmount(&x), 0);
}

/* A SYSTEM.EVT that is no log: read-only opens refuse it; a writable open formats one of the
 * log's size in place and replaces one of another size. */
static void junk_file_replaced(void)
{
    struct fx x;
    struct fat_file f;
    struct evlog_record r;
    size_t done;
    static uint8_t junk[20000];
    memset(junk, 0xA5, sizeof junk);
    UT_ASSERT(fx_make(&x, "junk.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "EVENTS"), 0);
    for (int pass = 0; pass < 2; pass++) {
        size_t len = pass == 0 ? 8192 : sizeof junk;
        UT_EQ_INT(fat_create(x.vol, EVLOG_FAT_PATH, &f), 0);
        UT_EQ_INT(fat_write(&f, 0, junk, len, &done), 0);
        UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, NULL), ERR_CORRUPT);
        UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 8192, &t0), 0);
        UT_ASSERT(ef.formatted);
        UT_EQ_INT(ef.size, 8192);
        UT_EQ_U64(ef.log.last_seq, 0);
        make_rec(&r, 1);
        UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
        UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 8192, &t0), 0);
        UT_ASSERT(!ef.formatted);
        UT_EQ_U64(ef.log.last_seq, 1);
        UT_EQ_INT(fat_unlink(x.vol, EVLOG_FAT_PATH), 0);
    }
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

static void fat_512(void) { on_fat(512); }
static void fat_4096(void) { on_fat(4096); }

#define CUT_RECORDS 40u

static void reset_at_every_sector(void)
{
    struct fx x;
    struct evlog_record r, back;
    UT_ASSERT(fx_make(&x, "cut-base.img", 40, 512, "-s 1"));
    char base[160];
    snprintf(base, sizeof base, "%s", x.path);
    snprintf(x.path, sizeof x.path, "%s", fx_path("cut.img"));
    long budget;
    bool done = false;
    for (budget = 0; !done && budget < 400; budget++) {
        UT_EQ_INT(fx_sh("cp --sparse=always '%s' '%s'", base, x.path), 0);
        struct cutdev c;
        struct fat_vol *v;
        UT_EQ_INT(imgdev_open(&x.dev, x.path, 512, true), 0);
        cut_init(&c, &x.dev.bd, budget);
        UT_EQ_INT(fat_mount(&c.bd, &fx_env, &v), 0);
        uint32_t appended = 0;
        if (evlog_fat_open(&ef, v, &c.bd, EVLOG_FAT_PATH, 8192, &t0) == 0)
            for (uint32_t n = 1; n <= CUT_RECORDS; n++) {
                make_rec(&r, n);
                if (evlog_fat_append(&ef, &r, true) != 0)
                    break;
                appended = n;
            }
        done = appended == CUT_RECORDS && c.budget > 0;
        c.budget = 0;   /* the power is off: unmounting writes nothing */
        fat_unmount(v);
        imgdev_close(&x.dev);
        /* what the next boot finds */
        UT_EQ_INT(fx_mount(&x), 0);
        int rc = evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 0, &t0);
        if (appended > 0)
            UT_EQ_INT(rc, 0);
        uint64_t last = rc == 0 ? ef.log.last_seq : 0;
        /* the one record being written when the reset hit may or may not be there */
        if (last != appended && last != appended + 1) {
            printf("  reset after %ld sectors: %u appended, log ends at %lu\n", budget,
                   appended, (unsigned long)last);
            UT_ASSERT(0);
        }
        for (uint64_t s = last > ef.log.slots ? last - ef.log.slots + 1 : 1; rc == 0 && s <= last;
             s++) {
            make_rec(&r, (uint32_t)s);
            if (evlog_read(&ef.log, s, &back) != 0 || !same_rec(&r, &back)) {
                printf("  reset after %ld sectors: record %lu lost\n", budget, (unsigned long)s);
                UT_ASSERT(0);
            }
        }
        UT_EQ_INT(fx_unmount(&x), 0);
        /* once the log exists, appending never leaves anything for fsck to report */
        if (rc == 0 && !fx_fsck(&x)) {
            printf("  reset after %ld sectors\n", budget);
            UT_ASSERT(0);
        }
    }
    printf("  %ld resets tried\n", budget);
    UT_ASSERT(done);
    /* the log left by the last run goes on where it stopped */
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(evlog_fat_open(&ef, x.vol, &x.dev.bd, EVLOG_FAT_PATH, 8192, &t0), 0);
    UT_ASSERT(!ef.formatted);
    make_rec(&r, 99);
    UT_EQ_INT(evlog_fat_append(&ef, &r, true), 0);
    UT_EQ_U64(r.seq, CUT_RECORDS + 1);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

static const struct ut_case cases[] = {
    { "round_trip", round_trip },
    { "every_byte_checked", every_byte_checked },
    { "garbage", garbage },
    { "ring_wraps", ring_wraps },
    { "torn_slots", torn_slots },
    { "poisoned_sequence", poisoned_sequence },
    { "chain_wraps", chain_wraps },
    { "poisoned_on_fat", poisoned_on_fat },
    { "fat_512", fat_512 },
    { "fat_4096", fat_4096 },
    { "fragmented_volume", fragmented_volume },
    { "junk_file_replaced", junk_file_replaced },
    { "reset_at_every_sector", reset_at_every_sector },
};

UT_MAIN(cases)
