/* Unit tests of the streaming dump check (dump/dump_verify.c): good full, bitmap and small
 * dumps pass through a small scratch buffer; a flipped data byte, a damaged external CRC
 * table, a cut-short file and a lying header are each caught and named. */
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
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);     /* 3160 chunks: table outside */
    UT_ASSERT(f);
    UT_EQ_INT(check(f, size, 16384, &v), 0);                  /* entries read one by one */
    UT_ASSERT(v.layout.crc_table_offset != 0);
    UT_EQ_U64(v.chunks_checked, 3160);
    struct mem m = { f, size, 0 };
    UT_EQ_INT(dump_verify_file(mem_read, &m, size, scratch, sizeof scratch, &v), 0);
    UT_ASSERT(m.reads <= 3160 + 8);          /* one read per chunk: the table read only once */
    f[DUMP_HEADER_SIZE + 7 * 4096 + 5] ^= 2;                   /* chunk 7, table in memory */
    UT_EQ_INT(check(f, size, sizeof scratch, &v), ERR_CHECKSUM);
    UT_EQ_U64(v.first_bad, 7);
    f[DUMP_HEADER_SIZE + 7 * 4096 + 5] ^= 2;
    f[v.layout.crc_table_offset + 4 * 100] ^= 0xFF;
    UT_EQ_INT(check(f, size, 16384, &v), ERR_CHECKSUM);
    UT_EQ_INT(v.table_ok, 0);
    free(f);
}

static const struct ut_case cases[] = {
    { "good_dumps_pass", good_dumps_pass },
    { "damage_is_named", damage_is_named },
    { "external_table", external_table },
};

UT_MAIN(cases)
