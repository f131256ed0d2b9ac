/* Tests of bbdump extract's copy (tools/dumptool/bbdump_copy.c) on dumps built with the dump core:
 * valid dumps of every kind copied byte for byte (only RequiredDumpSpace of a longer file),
 * reads always at aligned offsets, and each way a dump can be bad named — truncated, not
 * marked valid, not complete, a damaged data chunk, a damaged external CRC table, no dump
 * where one may be (nothing, or a fresh target's stub), a read error — none reported valid. */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "tools/dumptool/bbdump_copy.c"
#include "dump_util.h"
#include "ut.h"

static const struct dump_run runs[] = { { 0, 4 }, { 8, 4 } };

struct mem {
    const uint8_t *data;
    size_t size;
    uint64_t fail_at;     /* a read covering this offset fails; UINT64_MAX: never */
    bool unaligned;       /* set when a read was not at a COPY_ALIGN offset */
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mem *m = ctx;
    if (off % COPY_ALIGN)
        m->unaligned = true;
    if (off > m->size || len > m->size - off)
        return ERR_RANGE;
    if (m->fail_at >= off && m->fail_at - off < len)
        return ERR_IO;
    memcpy(buf, m->data + off, len);
    return 0;
}

/* Copies m's bytes into a temporary file; returns the status, the copy in *copy (caller
 * frees it) and its size in *copied. */
static enum copy_status run_src(struct mem *m, bool may_be_empty, struct copy_result *r,
                                uint8_t **copy, size_t *copied)
{
    FILE *t = tmpfile();
    struct copy_src src = { m, m->size, mem_read };
    enum copy_status st = dump_copy(&src, fileno(t), may_be_empty, r);
    long n = lseek(fileno(t), 0, SEEK_END);
    *copied = n > 0 ? (size_t)n : 0;
    *copy = malloc(*copied + 1);
    if (pread(fileno(t), *copy, *copied, 0) != (ssize_t)*copied)
        *copied = 0;
    fclose(t);
    return st;
}

/* The same for the `size` bytes at f, read without failures. */
static enum copy_status run(const uint8_t *f, size_t size, bool may_be_empty,
                            struct copy_result *r, uint8_t **copy, size_t *copied,
                            struct mem *m)
{
    *m = (struct mem){ f, size, UINT64_MAX, false };
    return run_src(m, may_be_empty, r, copy, copied);
}

static void test_valid_kinds(void)
{
    struct { uint8_t *f; size_t size, slack; const char *kind; } d[3];
    static const struct dump_run many[] = { { 0, 120 } };
    size_t size;
    d[0].f = dump_test_full(runs, 2, 4096, 20000, &size), d[0].size = size, d[0].slack = 20000;
    d[0].kind = "complete";
    d[1].f = dump_test_full(many, 1, 512, 0, &size), d[1].size = size, d[1].slack = 0;
    d[1].kind = "complete";
    d[2].f = dump_test_small(&size), d[2].size = size, d[2].slack = 0, d[2].kind = "small";
    for (int i = 0; i < 3; i++) {
        struct copy_result r;
        struct mem m;
        uint8_t *copy;
        size_t copied;
        UT_ASSERT(d[i].f);
        UT_EQ_INT(run(d[i].f, d[i].size, false, &r, &copy, &copied, &m), COPY_VALID);
        UT_EQ_STR(r.reason, "");
        UT_EQ_STR(r.kind, d[i].kind);
        UT_ASSERT(r.have_header && !r.cleared && !m.unaligned);
        UT_EQ_U64(r.bugcheck, 0x50);
        UT_EQ_U64(r.sequence, 42);
        UT_EQ_U64(r.bytes, d[i].size - d[i].slack);
        UT_EQ_U64(copied, r.bytes);
        UT_ASSERT(memcmp(copy, d[i].f, copied) == 0);
        free(copy);
        free(d[i].f);
    }
}

static int keep_odd(uint64_t page)
{
    return page & 1;
}

static void test_bitmap_is_kernel(void)
{
    size_t size;
    uint8_t *f = dump_test_bitmap(runs, 2, keep_odd, &size), *copy;
    struct copy_result r;
    struct mem m;
    size_t copied;
    UT_ASSERT(f);
    UT_EQ_INT(run(f, size, true, &r, &copy, &copied, &m), COPY_VALID);
    UT_EQ_STR(r.kind, "kernel");
    UT_EQ_U64(copied, size);
    free(copy);
    free(f);
}

/* Runs f and checks the status and the reason's start. */
static bool bad(const uint8_t *f, size_t size, bool may_be_empty, enum copy_status want,
                const char *reason)
{
    struct copy_result r;
    struct mem m;
    uint8_t *copy;
    size_t copied;
    enum copy_status st = run(f, size, may_be_empty, &r, &copy, &copied, &m);
    free(copy);
    if (st != want || strncmp(r.reason, reason, strlen(reason)) != 0) {
        fprintf(stderr, "status %d, reason \"%s\"; wanted %d, \"%s\"\n", st, r.reason, want,
                reason);
        return false;
    }
    return true;
}

static void test_damage(void)
{
    size_t size;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size);
    UT_ASSERT(f);
    UT_ASSERT(bad(f, size - 100, false, COPY_INCOMPLETE, "incomplete: the file holds"));
    UT_ASSERT(bad(f, 100, false, COPY_INCOMPLETE, "incomplete: 100 bytes, shorter"));
    UT_ASSERT(bad(f, 100, true, COPY_NO_DUMP, "no dump (file shorter"));
    f[DUMP_HEADER_SIZE + 5 * 4096 + 3] ^= 1;
    UT_ASSERT(bad(f, size, false, COPY_CORRUPT, "corrupt: data CRC mismatch in chunk 5 (file "
                  "bytes 0x7000..0x8000)"));
    f[DUMP_HEADER_SIZE + 5 * 4096 + 3] ^= 1;
    UT_ASSERT(bad(f, size, false, COPY_VALID, ""));
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID, 0), 0);
    UT_ASSERT(bad(f, size, false, COPY_INCOMPLETE, "incomplete: valid but not marked complete"));
    UT_EQ_INT(dump_header_seal(f, 0, 0), 0);
    UT_ASSERT(bad(f, size, true, COPY_INCOMPLETE, "incomplete: header not marked valid"));
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_CLEARED, 0), 0);   /* a fresh target's stub */
    UT_ASSERT(bad(f, size, true, COPY_NO_DUMP, "no dump (a target ready for the next one)"));
    UT_ASSERT(bad(f, size, false, COPY_INCOMPLETE, "incomplete: header not marked valid"));
    UT_EQ_INT(dump_header_seal(f, 0, 0), 0);
    f[DUMP_BB_OFFSET + offsetof(struct dump_bb_fields, header_crc)] ^= 1;
    UT_ASSERT(bad(f, size, false, COPY_CORRUPT, "corrupt: header CRC mismatch"));
    memset(f, 0, size);
    UT_ASSERT(bad(f, size, true, COPY_NO_DUMP, "no dump (no PAGEDU64 signature)"));
    UT_ASSERT(bad(f, size, false, COPY_CORRUPT, "corrupt: not a dump"));
    free(f);
}

static void test_external_table(void)
{
    static const struct dump_run many[] = { { 0, 120 } };
    size_t size;
    uint8_t *f = dump_test_full(many, 1, 512, 0, &size);
    UT_ASSERT(f);
    const struct dump_header *h = (const struct dump_header *)f;
    UT_ASSERT(h->bb.crc_table_offset != 0);
    f[h->bb.crc_table_offset + 4 * 900] ^= 1;
    UT_ASSERT(bad(f, size, false, COPY_CORRUPT, "corrupt: CRC table at 0x"));
    free(f);
}

static void test_read_error(void)
{
    size_t size, copied;
    uint8_t *f = dump_test_full(runs, 2, 4096, 0, &size), *copy;
    struct copy_result r;
    struct mem m = { f, size, 0x9000, false };
    UT_ASSERT(f);
    UT_EQ_INT(run_src(&m, false, &r, &copy, &copied), COPY_ERROR);
    UT_ASSERT(strstr(r.reason, "read error at byte 0x0") != NULL);
    free(copy);
    m = (struct mem){ f, size, 0, false };
    UT_EQ_INT(run_src(&m, false, &r, &copy, &copied), COPY_ERROR);
    UT_EQ_STR(r.reason, "cannot read the header: I/O error");
    free(copy);
    free(f);
}

static const struct ut_case cases[] = {
    { "valid_kinds", test_valid_kinds },
    { "bitmap_is_kernel", test_bitmap_is_kernel },
    { "damage", test_damage },
    { "external_table", test_external_table },
    { "read_error", test_read_error },
};
UT_MAIN(cases)
