/* Unit tests of dump_validate (dump/dump_validate.c) on a corpus of malformed dumps:
 * truncated, wrong signature, foreign, bad CRC, torn (VALID missing), lying sizes and
 * offsets, huge run counts, bad bitmaps and minidump directories, inconsistent chunk
 * tables; then a random-mutation fuzz loop over all three dump types (ASan: any read
 * outside the given bytes fails the test). */
#include <stdbool.h>

#include "err.h"
#include "dump_util.h"
#include "ut.h"

static const struct dump_run ram_runs[] = { { 1, 0x9e }, { 0x100, 0x300 } };

static struct dump_header *hdr(uint8_t *f)
{
    return (struct dump_header *)f;
}

/* Validates f (size bytes, all given) and checks the code and the problem named. */
#define EXPECT(f, size, rc_, problem_) do { \
    struct dump_layout l_; \
    UT_EQ_INT(dump_validate((f), (size), (size), &l_), (rc_)); \
    UT_EQ_INT(l_.problem, (problem_)); } while (0)

static uint8_t *full(size_t *size)
{
    return dump_test_full(ram_runs, 2, 0, 0, size);
}

static int keep_even(uint64_t pg)
{
    return pg % 2 == 0;
}

static void test_truncated_and_prefix(void)
{
    size_t size;
    uint8_t *f = full(&size);
    struct dump_layout l;
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, 0, 0, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_TRUNCATED);
    UT_EQ_INT(dump_validate(f, 0x1fff, 0x1fff, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_TRUNCATED);
    UT_EQ_INT(dump_validate(f, 100, size, &l), ERR_RANGE);
    UT_EQ_INT(l.problem, DUMP_P_NEED_MORE);
    UT_EQ_U64(l.prefix, DUMP_HEADER_SIZE);
    UT_EQ_INT(dump_validate(f, DUMP_HEADER_SIZE, size, &l), 0);
    /* The file cut anywhere after the header: its size no longer holds the dump. */
    UT_EQ_INT(dump_validate(f, DUMP_HEADER_SIZE, size - 4096, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_SIZE);
    UT_EQ_INT(dump_validate(NULL, 0, 0, &l), ERR_INVALID_ARGS);
    free(f);

    /* Bitmap: the bitmap itself must be passed. */
    f = dump_test_bitmap(ram_runs, 2, keep_even, &size);
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, DUMP_HEADER_SIZE, size, &l), ERR_RANGE);
    UT_EQ_INT(l.problem, DUMP_P_NEED_MORE);
    UT_EQ_U64(l.prefix, DUMP_BMP_BITMAP_OFFSET);
    UT_EQ_INT(dump_validate(f, (size_t)l.prefix, size, &l), ERR_RANGE);
    UT_EQ_U64(l.prefix, DUMP_BMP_BITMAP_OFFSET + 0x400 / 8);
    UT_EQ_INT(dump_validate(f, (size_t)l.prefix, size, &l), 0);
    free(f);
}

static void test_signatures(void)
{
    size_t size;
    uint8_t *f = full(&size);
    UT_ASSERT(f);
    memcpy(f, "PAGEDUMP", 8);
    EXPECT(f, size, ERR_NOT_SUPPORTED, DUMP_P_DUMP32);
    memcpy(f, "PAGEDU65", 8);
    EXPECT(f, size, ERR_NOT_FOUND, DUMP_P_SIGNATURE);
    memcpy(f, "\0\0\0\0DU64", 8);
    EXPECT(f, size, ERR_NOT_FOUND, DUMP_P_SIGNATURE);
    memcpy(f, "PAGEDU64", 8);
    f[DUMP_BB_OFFSET] = 'X';
    EXPECT(f, size, ERR_NOT_FOUND, DUMP_P_NOT_BLACKBOX);
    f[DUMP_BB_OFFSET] = 'B';
    hdr(f)->bb.version = 1;            /* before the CPU block */
    EXPECT(f, size, ERR_NOT_SUPPORTED, DUMP_P_VERSION);
    hdr(f)->bb.version = DUMP_BB_VERSION;
    EXPECT(f, size, 0, DUMP_OK);
    free(f);
}

static void test_header_crc_and_torn(void)
{
    size_t size;
    uint8_t *f = full(&size);
    UT_ASSERT(f);
    hdr(f)->comment[5] ^= 1;
    EXPECT(f, size, ERR_CHECKSUM, DUMP_P_HEADER_CRC);
    hdr(f)->comment[5] ^= 1;
    f[DUMP_HEADER_SIZE - 1] ^= 1;  /* the "PAGE" tail is covered too */
    EXPECT(f, size, ERR_CHECKSUM, DUMP_P_HEADER_CRC);
    f[DUMP_HEADER_SIZE - 1] ^= 1;

    /* Torn: the header written before the data (flags 0) and never replaced. */
    UT_EQ_INT(dump_header_seal(f, 0, 0), 0);
    EXPECT(f, size, ERR_BAD_STATE, DUMP_P_INCOMPLETE);
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_COMPLETE, 0), 0);
    EXPECT(f, size, ERR_BAD_STATE, DUMP_P_INCOMPLETE);
    /* Abandoned by the dead-man: a known flag, never valid. */
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_ABANDONED, 0), 0);
    EXPECT(f, size, ERR_BAD_STATE, DUMP_P_INCOMPLETE);
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID, 0), 0);
    struct dump_layout l;
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_ASSERT(!l.complete);
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID | DUMP_BB_COMPLETE | DUMP_BB_CLEARED, 0), 0);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_ASSERT(l.complete);
    UT_EQ_U64(l.flags & DUMP_BB_CLEARED, DUMP_BB_CLEARED);
    hdr(f)->bb.flags |= 0x100;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_FLAGS);
    free(f);
}

static void test_fields(void)
{
    size_t size;
    uint8_t *f = full(&size);
    UT_ASSERT(f);
    struct dump_header *h = hdr(f);
    h->machine_image_type = 0x14c;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MACHINE);
    h->machine_image_type = DUMP_MACHINE_AMD64;
    h->bb.written_type = DUMP_TYPE_BITMAP;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_DUMP_TYPE);
    h->bb.written_type = DUMP_TYPE_FULL;
    h->bb.build_id_len = 21;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BUILD_ID);
    h->bb.build_id_len = 20;
    dump_test_reseal(f);
    EXPECT(f, size, 0, DUMP_OK);
    free(f);
}

static void test_runs(void)
{
    size_t size;
    uint8_t *f = full(&size);
    UT_ASSERT(f);
    struct dump_phys_desc *d = &hdr(f)->physical_memory_block;
    static const uint32_t counts[] = { 0, DUMP_MAX_RUNS + 1, 0x7fffffff, 0xffffffff };
    for (unsigned i = 0; i < 4; i++) {
        d->number_of_runs = counts[i];
        dump_test_reseal(f);
        EXPECT(f, size, ERR_CORRUPT, DUMP_P_RUN_COUNT);
    }
    d->number_of_runs = 2;
    d->run[1].base_page = 0x50;          /* overlaps run 0 */
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_RUNS);
    d->run[1].base_page = DUMP_MAX_PFN;  /* beyond any physical address */
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_RUNS);
    d->run[1].base_page = 0x100;
    d->run[1].page_count = UINT64_MAX;   /* overflows */
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_RUNS);
    d->run[1].page_count = 0x300;
    d->number_of_pages++;                /* sum disagrees */
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_RUNS);
    /* Consistent runs that need more pages than the file holds. */
    d->run[1].page_count = 0x301;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    d->run[1].page_count = 1ull << 39;
    d->number_of_pages = 0x9e + (1ull << 39);
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    free(f);
}

static void test_lying_sizes(void)
{
    size_t size;
    uint8_t *f = full(&size);
    UT_ASSERT(f);
    struct dump_header *h = hdr(f);
    h->required_dump_space = size + 1;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    h->required_dump_space = size - 4096;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    h->required_dump_space = UINT64_MAX;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    h->required_dump_space = size;
    h->bb.data_size -= 4096;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_DATA_SIZE);
    h->bb.data_size = UINT64_MAX;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    h->bb.data_size = size - DUMP_HEADER_SIZE;
    h->bb.chunk_size = 1000;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_CHUNKS);
    h->bb.chunk_size = DUMP_CHUNK_DEFAULT;
    h->bb.chunk_count++;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_CHUNKS);
    h->bb.chunk_count--;
    h->bb.crc_table_offset = size - 4;   /* claims an external table inside the data */
    h->bb.crc_inline_count = 0;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_CHUNKS);
    h->bb.crc_table_offset = UINT64_MAX;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_CHUNKS);
    free(f);
}

static void test_bad_bitmaps(void)
{
    size_t size;
    uint8_t *f = dump_test_bitmap(ram_runs, 2, keep_even, &size);
    UT_ASSERT(f);
    struct dump_bitmap_header *b = (struct dump_bitmap_header *)(f + DUMP_BMP_OFFSET);
    struct dump_bitmap_header good = *b;
    b->signature = 0x41414141;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP_HEADER);
    *b = good;
    b->valid_dump = 0;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP_HEADER);
    *b = good;
    b->pages = 1ull << 50;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    b->pages = 1ull << 30;               /* a 128 MiB bitmap the file cannot hold */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    *b = good;
    b->first_page = DUMP_BMP_BITMAP_OFFSET; /* overlaps the bitmap */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    b->first_page = UINT64_MAX;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    *b = good;
    b->total_present_pages--;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    b->total_present_pages = UINT64_MAX;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    *b = good;
    f[DUMP_BMP_BITMAP_OFFSET] ^= 2;      /* one bit more: count disagrees */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_BITMAP);
    f[DUMP_BMP_BITMAP_OFFSET] ^= 2;
    EXPECT(f, size, 0, DUMP_OK);
    free(f);
}

static void test_bad_minidumps(void)
{
    size_t size;
    uint8_t *f = dump_test_small(&size);
    UT_ASSERT(f);
    struct dump_mini_dir *d = (struct dump_mini_dir *)(f + DUMP_HEADER_SIZE);
    struct dump_mini_stream *s = (struct dump_mini_stream *)(d + 1);
    struct dump_mini_dir gd = *d;
    struct dump_mini_stream gs = s[1];
    d->signature = 0;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_DIR);
    *d = gd;
    d->capacity = 0;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_DIR);
    d->capacity = 0xffffffff;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_DIR);
    *d = gd;
    d->stream_count = d->capacity + 1;
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_DIR);
    *d = gd;
    s[1].offset = DUMP_HEADER_SIZE;      /* inside the directory */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_STREAM);
    s[1] = gs;
    s[1].offset = s[0].offset;           /* overlaps stream 0 */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_STREAM);
    s[1] = gs;
    s[1].offset += 4;                    /* misaligned */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_STREAM);
    s[1] = gs;
    s[1].size = UINT64_MAX - 8;          /* runs past the data */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_STREAM);
    s[1] = gs;
    s[1].paddr = UINT64_MAX - 100;       /* physical range wraps */
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_MINI_STREAM);
    s[1] = gs;
    EXPECT(f, size, 0, DUMP_OK);
    hdr(f)->bb.data_size = DUMP_SMALL_MAX;
    dump_test_reseal(f);
    EXPECT(f, size, ERR_CORRUPT, DUMP_P_SIZE);
    free(f);
}

static const struct dump_run fuzz_runs[] = { { 1, 0x20 }, { 0x100, 0x40 } };
static unsigned fuzz_accepted;   /* mutated dumps that still validated: reads ran on them */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Mutates a copy of `orig` (bytes in the header and the structures after it, resealed half
 * the time so the deeper checks run), validates it with the prefix protocol, and when it is
 * accepted reads every chunk range and random physical addresses: all must stay inside. */
static int fuzz_one(const uint8_t *orig, size_t size)
{
    size_t fsize = size;
    if (rnd() % 8 == 0)
        fsize = (size_t)(rnd() % (size + 1));
    uint8_t *f = malloc(fsize ? fsize : 1);
    memcpy(f, orig, fsize);
    unsigned n = 1 + (unsigned)(rnd() % 8);
    for (unsigned i = 0; i < n && fsize; i++) {
        size_t span = fsize < 0x2400 ? fsize : 0x2400;
        size_t at = (size_t)(rnd() % span);
        if (rnd() % 3 == 0 && at + 8 <= fsize) {
            uint64_t v = rnd() % 4 ? rnd() : ~0ull;
            memcpy(f + at, &v, 8);
        } else {
            f[at] ^= (uint8_t)(1u << (rnd() % 8));
        }
    }
    if (fsize >= DUMP_HEADER_SIZE && rnd() % 2)
        dump_test_reseal(f);

    struct dump_layout l;
    size_t given = fsize < DUMP_HEADER_SIZE ? fsize : DUMP_HEADER_SIZE;
    int rc = dump_validate(f, given, fsize, &l);
    for (int round = 0; rc == ERR_RANGE && round < 4; round++) {
        if (l.problem != DUMP_P_NEED_MORE || l.prefix > fsize || l.prefix <= given)
            return free(f), 1;
        given = (size_t)l.prefix;
        rc = dump_validate(f, given, fsize, &l);
    }
    if (rc == ERR_RANGE)
        return free(f), 1;
    if (rc == 0) {
        fuzz_accepted++;
        if (l.total > fsize || l.data_end > l.total || l.prefix > given)
            return free(f), 1;
        volatile uint32_t sink = 0;
        for (uint64_t i = 0; i < l.chunk_count; i++) {
            uint64_t off, len, toff = 0;
            uint32_t crc = 0;
            if (dump_chunk_range(f, i, &off, &len) != 0 || off + len > l.data_end)
                return free(f), 1;
            sink += crc32c(0, f + off, len);
            if (dump_chunk_crc_ref(f, i, &crc, &toff) == 0 && toff + 4 > l.total)
                return free(f), 1;
        }
        for (int k = 0; k < 64; k++) {
            uint64_t phys = k < 32 ? rnd() % 0x500000 : rnd(), off, avail;
            if (dump_phys_to_offset(f, given, &l, phys, &off, &avail) == 0) {
                if (avail == 0 || off > l.data_end || avail > l.data_end - off)
                    return free(f), 1;
                sink += f[off] + f[off + avail - 1];
            }
        }
    } else if (l.problem == DUMP_OK) {
        return free(f), 1;
    }
    free(f);
    return 0;
}

static void test_fuzz_mutations(void)
{
    size_t sizes[3];
    uint8_t *dumps[3] = {
        dump_test_full(fuzz_runs, 2, 4096, 0, &sizes[0]),
        dump_test_bitmap(fuzz_runs, 2, keep_even, &sizes[1]),
        dump_test_small(&sizes[2]),
    };
    for (int d = 0; d < 3; d++)
        UT_ASSERT(dumps[d]);
    int bad = 0;
    for (int it = 0; it < 6000; it++)
        bad += fuzz_one(dumps[it % 3], sizes[it % 3]);
    for (int d = 0; d < 3; d++)
        free(dumps[d]);
    UT_EQ_INT(bad, 0);
    UT_ASSERT(fuzz_accepted > 100);
}

static void test_problem_strings(void)
{
    for (int p = 0; p < DUMP_P_COUNT; p++)
        UT_ASSERT(dump_problem_str((enum dump_problem)p) != NULL);
    UT_EQ_STR(dump_problem_str(DUMP_P_HEADER_CRC), "header CRC mismatch");
    UT_EQ_STR(dump_problem_str((enum dump_problem)999), "unknown problem");
    UT_EQ_STR(dump_type_name(DUMP_TYPE_BITMAP), "bitmap");
    UT_EQ_STR(dump_type_name(77), "unknown");
}

static const struct ut_case cases[] = {
    { "truncated_and_prefix", test_truncated_and_prefix },
    { "signatures", test_signatures },
    { "header_crc_and_torn", test_header_crc_and_torn },
    { "fields", test_fields },
    { "runs", test_runs },
    { "lying_sizes", test_lying_sizes },
    { "bad_bitmaps", test_bad_bitmaps },
    { "bad_minidumps", test_bad_minidumps },
    { "fuzz_mutations", test_fuzz_mutations },
    { "problem_strings", test_problem_strings },
};
UT_MAIN(cases)
