/* Unit tests of the one dump check (dump/dump_verify.c): good full, bitmap and small dumps
 * pass through a small scratch buffer; a flipped data byte, a damaged external CRC table, a
 * cut-short file and a lying header are each caught and named; the stream check fed in odd
 * pieces agrees with the file check; the prefix reader asks for a larger buffer; only a CRC or
 * header mismatch proves a dump invalid (a read error or a small buffer does not). */
#include "tests/unit/ut.h"
#include "tests/unit/dump_util.h"
#include "dump/dump_verify.h"
#include "err.h"

static const struct dump_run runs[] = { { 0, 160 }, { 256, 3000 } };

struct mem { const uint8_t *p; size_t len; int reads; };

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mem *m = ctx;
    m->reads++;
    if (off > m->len || len > m->len - off)
        return ERR_IO;
    memcpy(buf, m->p + off, len);
    return 0;
}

static uint8_t scratch[256 * 1024];

static int check(const uint8_t *f, size_t size, size_t cap, struct dump_verify *v)
{
    struct mem m = { f, size, 0 };
    return dump_verify_file(mem_read, &m, size, scratch, cap, v);
}

static int keep_odd(uint64_t p) { return (int)(p & 1); }

static void good_dumps_pass(void)
{
    struct dump_verify v;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 64 * 1024, 8192, &size);   /* slack: a pagefile */
    UT_ASSERT(f);
    UT_EQ_INT(check(f, size, sizeof scratch, &v), 0);
    UT_ASSERT(v.chunks_checked > 1 && v.bad_chunks == 0 && v.table_ok);
    UT_EQ_INT(memcmp(scratch, f, DUMP_HEADER_SIZE), 0);      /* the header is left in buf */
    free(f);
    f = dump_test_bitmap(runs, 2, keep_odd, &size);
    UT_ASSERT(f);
    UT_EQ_INT(check(f, size, sizeof scratch, &v), 0);
    UT_EQ_U64(v.layout.dump_type, DUMP_TYPE_BITMAP);
    free(f);
    f = dump_test_small(&size);
    UT_ASSERT(f);
    UT_EQ_INT(check(f, size, sizeof scratch, &v), 0);
    free(f);
}

static void damage_is_named(void)
{
    struct dump_verify v;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 64 * 1024, 0, &size);
    UT_ASSERT(f);
    f[DUMP_HEADER_SIZE + 5 * 64 * 1024 + 77] ^= 1;            /* chunk 5 */
    UT_EQ_INT(check(f, size, sizeof scratch, &v), ERR_CHECKSUM);
    UT_EQ_U64(v.bad_chunks, 1);
    UT_EQ_U64(v.first_bad, 5);
    f[DUMP_HEADER_SIZE + 5 * 64 * 1024 + 77] ^= 1;
    UT_ASSERT(v.layout.crc_table_offset == 0 || v.table_ok);
    if (v.layout.crc_table_offset) {
        f[v.layout.crc_table_offset + 1] ^= 0x10;
        UT_EQ_INT(check(f, size, sizeof scratch, &v), ERR_CHECKSUM);
        UT_EQ_INT(v.table_ok, 0);
        f[v.layout.crc_table_offset + 1] ^= 0x10;
    }
    UT_EQ_INT(check(f, size - 4096, sizeof scratch, &v), ERR_CORRUPT);   /* cut short */
    UT_EQ_INT(v.layout.problem, DUMP_P_SIZE);
    f[0x1064] &= (uint8_t)~DUMP_BB_VALID;                       /* flags: never sealed */
    UT_ASSERT(check(f, size, sizeof scratch, &v) < 0);
    UT_EQ_INT(check(f, 100, sizeof scratch, &v), ERR_CORRUPT);  /* shorter than a header */
    UT_EQ_INT(check(f, size, 4096, &v), ERR_INVALID_ARGS);     /* buffer below a header */
    free(f);
}

static void external_table(void)
{
    struct dump_verify v;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);     /* 3161 chunks: table outside */
    UT_ASSERT(f);
    UT_EQ_INT(check(f, size, 16384, &v), ERR_TOO_BIG);        /* no room for 3161 CRCs */
    UT_EQ_INT(check(f, size, 32768, &v), 0);                  /* header, CRCs, 4 KiB window */
    UT_ASSERT(v.layout.crc_table_offset != 0);
    UT_EQ_U64(v.chunks_checked, 3161);                         /* 3160 pages, the CPU block */
    struct mem m = { f, size, 0 };
    UT_EQ_INT(dump_verify_file(mem_read, &m, size, scratch, sizeof scratch, &v), 0);
    UT_ASSERT(m.reads <= (int)(size / (128 * 1024)) + 2);     /* every byte read once */
    f[DUMP_HEADER_SIZE + 7 * 4096 + 5] ^= 2;                   /* chunk 7 */
    UT_EQ_INT(check(f, size, sizeof scratch, &v), ERR_CHECKSUM);
    UT_EQ_U64(v.first_bad, 7);
    UT_EQ_INT(v.table_ok, 1);
    f[DUMP_HEADER_SIZE + 7 * 4096 + 5] ^= 2;
    f[v.layout.crc_table_offset + 4 * 100] ^= 0xFF;
    UT_EQ_INT(check(f, size, 32768, &v), ERR_CHECKSUM);
    UT_EQ_INT(v.table_ok, 0);
    free(f);
}

/* Feeds f to the stream check in pieces of `piece` bytes (the last shorter), up to `upto`. */
static int stream(const uint8_t *f, size_t size, size_t piece, size_t upto, struct dump_verify *v)
{
    static uint32_t crcs[4096];
    struct dump_layout l;
    int rc = dump_validate(f, size, size, &l);
    if (rc)
        return rc;
    if ((rc = dump_verify_begin(v, f, &l, crcs, sizeof crcs / sizeof crcs[0])) != 0)
        return rc;
    for (size_t off = 0; off < upto; off += piece)
        dump_verify_feed(v, f + off, upto - off < piece ? upto - off : piece);
    return dump_verify_end(v);
}

static void stream_in_odd_pieces(void)
{
    static const size_t pieces[] = { 1, 4095, 4097, 65537, 1u << 30 };
    struct dump_verify v, w;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);     /* external table */
    UT_ASSERT(f);
    f[DUMP_HEADER_SIZE + 1000 * 4096 + 4095] ^= 4;             /* last byte of chunk 1000 */
    f[DUMP_HEADER_SIZE + 3000 * 4096] ^= 4;                    /* first byte of chunk 3000 */
    UT_EQ_INT(check(f, size, sizeof scratch, &w), ERR_CHECKSUM);
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        UT_EQ_INT(stream(f, size, pieces[i], size, &v), ERR_CHECKSUM);
        UT_EQ_U64(v.chunks_checked, w.chunks_checked);
        UT_EQ_U64(v.bad_chunks, 2);
        UT_EQ_U64(v.first_bad, 1000);
        UT_EQ_INT(v.table_ok, 1);
    }
    free(f);
    f = dump_test_full(runs, 2, 64 * 1024, 0, &size);         /* inline table */
    UT_ASSERT(f);
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
        UT_EQ_INT(stream(f, size, pieces[i], size, &v), 0);
    f[size - 1] ^= 1;                                          /* the last chunk */
    UT_EQ_INT(stream(f, size, 7777, size, &v), ERR_CHECKSUM);
    UT_EQ_U64(v.first_bad, v.layout.chunk_count - 1);
    free(f);
}

static void truncated_is_an_error(void)
{
    struct dump_verify v;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);
    UT_ASSERT(f);
    UT_EQ_INT(stream(f, size, 65536, size - 1, &v), ERR_CORRUPT);   /* the table's last byte */
    UT_EQ_INT(stream(f, size, 65536, DUMP_HEADER_SIZE + 4096, &v), ERR_CORRUPT);
    UT_EQ_U64(v.chunks_checked, 0);
    UT_EQ_INT(check(f, size - 1, sizeof scratch, &v), ERR_CORRUPT);    /* the file is short */
    free(f);
}

static void prefix_asks_for_more(void)
{
    struct dump_layout l;
    size_t size, got;
    uint8_t *f = dump_test_bitmap(runs, 2, keep_odd, &size);
    UT_ASSERT(f);
    struct mem m = { f, size, 0 };
    UT_EQ_INT(dump_verify_prefix(mem_read, &m, size, scratch, DUMP_HEADER_SIZE, &got, &l),
              ERR_TOO_BIG);
    UT_EQ_INT(l.problem, DUMP_P_NEED_MORE);
    int rc, rounds = 0;
    do {                             /* the bitmap's header, then the bitmap: grow each time */
        UT_ASSERT(l.prefix > DUMP_HEADER_SIZE && l.prefix <= sizeof scratch && rounds++ < 4);
        rc = dump_verify_prefix(mem_read, &m, size, scratch, (size_t)l.prefix, &got, &l);
    } while (rc == ERR_TOO_BIG);
    UT_EQ_INT(rc, 0);
    UT_EQ_U64(got, l.prefix);
    UT_EQ_INT(memcmp(scratch, f, got), 0);
    m.len = 100;                                               /* the read fails */
    UT_EQ_INT(dump_verify_prefix(mem_read, &m, size, scratch, sizeof scratch, &got, &l), ERR_IO);
    UT_EQ_INT(l.problem, DUMP_OK);
    free(f);
}

/* Recovery discards only what a check proves invalid: a CRC or header mismatch, never a
 * read error or a buffer of ours too small. */
static void only_proof_discards(void)
{
    struct dump_verify v;
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);
    UT_ASSERT(f);
    int rc = check(f, size, 16384, &v);                        /* our buffer is too small */
    UT_EQ_INT(rc, ERR_TOO_BIG);
    UT_EQ_INT(dump_verify_proves_invalid(rc, &v.layout), 0);
    struct mem m = { f, DUMP_HEADER_SIZE + 8192, 0 };          /* reads fail past this */
    rc = dump_verify_file(mem_read, &m, size, scratch, sizeof scratch, &v);
    UT_EQ_INT(rc, ERR_IO);
    UT_EQ_INT(dump_verify_proves_invalid(rc, &v.layout), 0);
    rc = check(f, size, sizeof scratch, &v);
    UT_EQ_INT(rc, 0);
    UT_EQ_INT(dump_verify_proves_invalid(rc, &v.layout), 0);
    f[DUMP_HEADER_SIZE + 3 * 4096 + 9] ^= 4;                    /* a data byte */
    rc = check(f, size, sizeof scratch, &v);
    UT_EQ_INT(dump_verify_proves_invalid(rc, &v.layout), 1);
    f[DUMP_HEADER_SIZE + 3 * 4096 + 9] ^= 4;
    f[0] ^= 1;                                                  /* the signature */
    rc = check(f, size, sizeof scratch, &v);
    UT_ASSERT(rc < 0);
    UT_EQ_INT(dump_verify_proves_invalid(rc, &v.layout), 1);
    free(f);
}

static const struct ut_case cases[] = {
    { "good_dumps_pass", good_dumps_pass },
    { "damage_is_named", damage_is_named },
    { "external_table", external_table },
    { "stream_in_odd_pieces", stream_in_odd_pieces },
    { "truncated_is_an_error", truncated_is_an_error },
    { "prefix_asks_for_more", prefix_asks_for_more },
    { "only_proof_discards", only_proof_discards },
};

UT_MAIN(cases)
