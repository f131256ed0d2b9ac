/* Unit tests of the big dump → small dump conversion (dump/recovery/dump_convert.c): full and
 * bitmap dumps built with dump_util.h are converted through memory callbacks; the result must
 * validate, every chunk CRC must match, the header must carry the source's crash, and every
 * stream byte must equal the source's memory. Lying, damaged or truncated sources and failing
 * callbacks give errors; a random-mutation loop checks nothing is read out of bounds. */
#include <stdbool.h>

#include "dump/recovery/dump_convert.h"
#include "err.h"
#include "dump_util.h"
#include "ut.h"

/* 17 MiB of RAM in two runs: the klog area at 16 MiB is inside it. */
static const struct dump_run big_runs[] = { { 1, 0x9e }, { 0x100, 0x1000 } };
#define KLOG_PHYS 0x1000000ull
#define KLOG_SIZE (64ull + 128 * 1024)
#define DMAP      0xffff800000000000ull
#define KVMA      0xffffffff80000000ull

struct src {
    const uint8_t *buf;
    uint64_t len;
    int fail;                /* read error to return, 0: none */
};

struct out {
    uint8_t buf[DUMP_SMALL_MAX];
    uint64_t len;            /* highest byte written + 1 */
    int writes;
    int fail_at;             /* write number that fails with ERR_IO, 0: none */
};

static int src_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct src *s = ctx;
    if (s->fail)
        return s->fail;
    if (off > s->len || len > s->len - off)
        return ERR_RANGE;
    memcpy(buf, s->buf + off, len);
    return 0;
}

static int out_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct out *o = ctx;
    if (++o->writes == o->fail_at)
        return ERR_IO;
    if (off > sizeof o->buf || len > sizeof o->buf - off)
        return ERR_NO_SPACE;
    memcpy(o->buf + off, buf, len);
    if (off + len > o->len)
        o->len = off + len;
    return 0;
}

static uint8_t work[1 << 20];

static int convert(const uint8_t *f, uint64_t size, struct out *o, size_t work_len,
                   struct dump_convert_result *res)
{
    static struct src s;
    s = (struct src){ f, size, 0 };
    memset(o, 0, sizeof *o);
    struct dump_convert_io io = { src_read, &s, size, out_write, o, work, work_len };
    return dump_convert_to_mini(&io, res);
}

static struct dump_header *hdr(uint8_t *f)
{
    return (struct dump_header *)f;
}

/* The result validates, is complete or not as asked, and every chunk CRC matches. */
static bool valid_small(const struct out *o, bool complete)
{
    struct dump_layout l;
    if (dump_validate(o->buf, o->len, o->len, &l) != 0 || l.dump_type != DUMP_TYPE_SMALL ||
        l.complete != complete || l.total != o->len || !(l.flags & DUMP_BB_CONVERTED))
        return false;
    for (uint64_t i = 0; i < l.chunk_count; i++) {
        uint64_t off, len, toff;
        uint32_t want;
        if (dump_chunk_range(o->buf, i, &off, &len) != 0 ||
            dump_chunk_crc_ref(o->buf, i, &want, &toff) != 1 ||
            crc32c(0, o->buf + off, len) != want)
            return false;
    }
    return true;
}

/* The stream of `type` (and, for MEMORY, with vaddr `va`), or false. */
static bool find_stream(const struct out *o, uint32_t type, uint64_t va, struct dump_mini_stream *s)
{
    const struct dump_mini_dir *d = (const struct dump_mini_dir *)(o->buf + DUMP_HEADER_SIZE);
    for (uint32_t i = 0; i < d->stream_count; i++) {
        dump_mini_stream_get(o->buf + DUMP_HEADER_SIZE, o->len - DUMP_HEADER_SIZE, i, s);
        if (s->type == type && (type != DUMP_STREAM_MEMORY || s->vaddr == va))
            return true;
    }
    return false;
}

/* Every byte of the stream is the source's memory at its physical address. */
static bool stream_is_memory(const struct out *o, const struct dump_mini_stream *s)
{
    for (uint64_t i = 0; i < s->size; i++)
        if (o->buf[s->offset + i] != dump_test_byte(s->paddr + i))
            return false;
    return true;
}

static void check_header_copied(const uint8_t *f, const struct out *o)
{
    const struct dump_header *a = (const struct dump_header *)f;
    const struct dump_header *b = (const struct dump_header *)o->buf;
    UT_EQ_U64(b->dump_type, DUMP_TYPE_SMALL);
    UT_EQ_U64(b->bb.written_type, DUMP_TYPE_SMALL);
    UT_EQ_U64(b->bug_check_code, a->bug_check_code);
    for (int i = 0; i < 4; i++)
        UT_EQ_U64(b->bug_check_parameter[i], a->bug_check_parameter[i]);
    UT_ASSERT(!memcmp(b->context_record_buffer, a->context_record_buffer,
                      sizeof a->context_record_buffer));
    UT_ASSERT(!memcmp(&b->exception, &a->exception, sizeof a->exception));
    UT_EQ_U64(b->directory_table_base, a->directory_table_base);
    UT_EQ_U64(b->system_time, a->system_time);
    UT_EQ_U64(b->system_up_time, a->system_up_time);
    UT_ASSERT(!memcmp(&b->physical_memory_block, &a->physical_memory_block,
                      sizeof a->physical_memory_block));
    UT_EQ_U64(b->bb.sequence, a->bb.sequence);
    UT_EQ_U64(b->bb.build_id_len, a->bb.build_id_len);
    UT_ASSERT(!memcmp(b->bb.build_id, a->bb.build_id, a->bb.build_id_len));
    UT_EQ_U64(b->bb.config_type, a->bb.config_type);
    UT_EQ_U64(b->bb.bugcheck_vector, a->bb.bugcheck_vector);
    UT_EQ_U64(b->bb.klog_phys, a->bb.klog_phys);
    UT_EQ_U64(b->bb.klog_size, a->bb.klog_size);
    UT_EQ_U64(b->bb.direct_map_base, a->bb.direct_map_base);
    UT_EQ_U64(b->bb.kernel_phys_base, a->bb.kernel_phys_base);
    UT_EQ_U64(b->bb.kernel_vma, a->bb.kernel_vma);
    UT_EQ_U64(b->bb.cr2, a->bb.cr2);
    UT_EQ_U64(b->bb.error_code, a->bb.error_code);
    UT_EQ_U64(b->bb.ram_bytes, a->bb.ram_bytes);
    UT_ASSERT(strstr((const char *)b->comment, "Blackbox test dump (converted from") != NULL);
}

/* The streams the test context implies: stack at RSP (16 KiB), RSP/RBP's page, RIP's page,
 * the klog; CR2 (0xdead000) and the small registers are not kernel addresses. */
static void check_streams(const struct out *o, uint64_t stack_len, bool klog)
{
    struct dump_mini_stream s;
    struct dump_mini_module m;
    UT_ASSERT(find_stream(o, DUMP_STREAM_MODULES, 0, &s));
    UT_EQ_U64(s.size, sizeof m);
    memcpy(&m, o->buf + s.offset, sizeof m);
    UT_EQ_STR(m.name, "blackbox");
    UT_EQ_U64(m.base, KVMA + 0x100000);
    UT_EQ_U64(m.build_id_len, 20);
    UT_ASSERT(!memcmp(m.build_id, dump_test_build_id, 20));
    if (stack_len) {
        UT_ASSERT(find_stream(o, DUMP_STREAM_STACK, 0, &s));
        UT_EQ_U64(s.vaddr, 0xffff800000101f00ull);
        UT_EQ_U64(s.paddr, 0x101f00);
        UT_EQ_U64(s.size, stack_len);
        UT_ASSERT(stream_is_memory(o, &s));
    } else {
        UT_ASSERT(!find_stream(o, DUMP_STREAM_STACK, 0, &s));
    }
    UT_ASSERT(find_stream(o, DUMP_STREAM_MEMORY, DMAP + 0x101000, &s));
    UT_EQ_U64(s.flags, DUMP_REG_RSP | DUMP_REG_RBP);
    UT_EQ_U64(s.paddr, 0x101000);
    UT_EQ_U64(s.size, DUMP_PAGE_SIZE);
    UT_ASSERT(stream_is_memory(o, &s));
    UT_ASSERT(find_stream(o, DUMP_STREAM_MEMORY, KVMA + 0x10c000, &s));
    UT_EQ_U64(s.flags, DUMP_REG_RIP);
    UT_EQ_U64(s.paddr, 0x10c000);
    UT_ASSERT(stream_is_memory(o, &s));
    UT_ASSERT(!find_stream(o, DUMP_STREAM_MEMORY, 0xdead000, &s));
    UT_EQ_INT(find_stream(o, DUMP_STREAM_KLOG, 0, &s), klog);
    if (klog) {
        UT_EQ_U64(s.paddr, KLOG_PHYS);
        UT_EQ_U64(s.vaddr, DMAP + KLOG_PHYS);
        UT_EQ_U64(s.size, KLOG_SIZE);
        UT_ASSERT(stream_is_memory(o, &s));
    }
}

static struct out o;

static void test_full_dump(void)
{
    size_t size;
    uint8_t *f = dump_test_full(big_runs, 2, 0, 4096, &size);
    struct dump_convert_result res;
    UT_ASSERT(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_EQ_U64(res.src.dump_type, DUMP_TYPE_FULL);
    UT_EQ_U64(res.size, o.len);
    UT_EQ_U64(res.streams, 6);
    UT_EQ_U64(res.stack_bytes, DUMP_CONVERT_STACK_BYTES);
    UT_EQ_U64(res.memory_pages, 2);
    UT_ASSERT(res.klog);
    UT_ASSERT(valid_small(&o, true));
    check_header_copied(f, &o);
    check_streams(&o, DUMP_CONVERT_STACK_BYTES, true);
    UT_ASSERT(strstr((const char *)hdr(o.buf)->comment, "full dump)") != NULL);
    free(f);
}

static int keep_all_but_stack_page(uint64_t pg)
{
    return pg != 0x103;
}

static int keep_all_but_klog_page(uint64_t pg)
{
    return pg != 0x1005;
}

static void test_bitmap_dump(void)
{
    size_t size;
    uint8_t *f = dump_test_bitmap(big_runs, 2, keep_all_but_stack_page, &size);
    struct dump_convert_result res;
    UT_ASSERT(f);
    /* the header alone is not enough room for the bitmap: the caller is told how much */
    uint64_t need = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(0x1100);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), ERR_TOO_BIG);
    UT_EQ_U64(res.prefix_needed, need);
    UT_EQ_U64(o.writes, 0);
    UT_EQ_INT(convert(f, size, &o, (size_t)need, &res), 0);
    UT_ASSERT(valid_small(&o, true));
    check_header_copied(f, &o);
    /* the stack stops where the dump stops holding it: page 0x103 is absent */
    check_streams(&o, 0x103000 - 0x101f00, true);
    UT_ASSERT(strstr((const char *)hdr(o.buf)->comment, "bitmap dump)") != NULL);
    free(f);

    /* one klog page absent: no klog stream rather than a torn ring */
    f = dump_test_bitmap(big_runs, 2, keep_all_but_klog_page, &size);
    UT_ASSERT(f);
    UT_EQ_INT(convert(f, size, &o, sizeof work, &res), 0);
    UT_ASSERT(!res.klog);
    UT_ASSERT(valid_small(&o, true));
    check_streams(&o, DUMP_CONVERT_STACK_BYTES, false);
    free(f);
}

static void test_registers_and_maps(void)
{
    size_t size;
    uint8_t *f = dump_test_full(big_runs, 2, 0, 0, &size);
    struct dump_convert_result res;
    struct dump_mini_stream s;
    UT_ASSERT(f);
    /* RAX into the direct map, RBX into the kernel image map of the same page, RCX beyond
     * RAM, RSP beyond RAM (no stack), RDX below the direct map */
    hdr(f)->context.rax = DMAP + 0x200123;
    hdr(f)->context.rbx = KVMA + 0x200456;
    hdr(f)->context.rcx = DMAP + 0x40000000;
    hdr(f)->context.rsp = DMAP + 0x7ff0000000ull;
    hdr(f)->context.rdx = 0x200000;
    dump_test_reseal(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_ASSERT(valid_small(&o, true));
    UT_EQ_U64(res.stack_bytes, 0);
    UT_ASSERT(!find_stream(&o, DUMP_STREAM_STACK, 0, &s));
    UT_ASSERT(find_stream(&o, DUMP_STREAM_MEMORY, DMAP + 0x200000, &s));
    UT_EQ_U64(s.flags, DUMP_REG_RAX);
    UT_ASSERT(stream_is_memory(&o, &s));
    UT_ASSERT(find_stream(&o, DUMP_STREAM_MEMORY, KVMA + 0x200000, &s));
    UT_EQ_U64(s.flags, DUMP_REG_RBX);
    UT_EQ_U64(s.paddr, 0x200000);
    UT_ASSERT(!find_stream(&o, DUMP_STREAM_MEMORY, DMAP + 0x40000000, &s));
    UT_ASSERT(!find_stream(&o, DUMP_STREAM_MEMORY, 0x200000, &s));
    UT_EQ_U64(res.memory_pages, 4);   /* RAX, RBX, RBP, RIP */

    /* a klog area that wraps the address space, or is bigger than a small dump: dropped */
    hdr(f)->bb.klog_phys = UINT64_MAX - 10;
    hdr(f)->bb.klog_size = 1000;
    dump_test_reseal(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_ASSERT(!res.klog && valid_small(&o, true));
    hdr(f)->bb.klog_phys = 0x100000;
    hdr(f)->bb.klog_size = 8ull << 20;
    dump_test_reseal(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_ASSERT(!res.klog && valid_small(&o, true));

    /* lying linear-map bases (not in the kernel half): nothing is translated */
    hdr(f)->bb.direct_map_base = 0;
    hdr(f)->bb.kernel_vma = 0x1000;
    dump_test_reseal(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_ASSERT(valid_small(&o, true));
    UT_EQ_U64(res.streams, 2);     /* modules and CPUs */
    UT_EQ_U64(res.memory_pages, 0);
    UT_ASSERT(!res.klog);
    free(f);
}

static void test_bad_sources(void)
{
    size_t size;
    uint8_t *f = dump_test_full(big_runs, 2, 0, 0, &size);
    struct dump_convert_result res;
    UT_ASSERT(f);

    UT_EQ_INT(convert(f, 100, &o, DUMP_HEADER_SIZE, &res), ERR_CORRUPT);
    UT_EQ_INT(res.src.problem, DUMP_P_TRUNCATED);
    UT_EQ_INT(convert(f, size - 4096, &o, DUMP_HEADER_SIZE, &res), ERR_CORRUPT);
    UT_EQ_INT(res.src.problem, DUMP_P_SIZE);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE - 1, &res), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_convert_to_mini(NULL, &res), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_convert_to_mini(NULL, NULL), ERR_INVALID_ARGS);
    UT_EQ_U64(o.writes, 0);

    hdr(f)->bug_check_code ^= 1;            /* header CRC no longer matches */
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), ERR_CHECKSUM);
    UT_EQ_INT(res.src.problem, DUMP_P_HEADER_CRC);
    hdr(f)->bug_check_code ^= 1;
    UT_EQ_INT(dump_header_seal(f, 0, 0), 0); /* torn: never sealed */
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), ERR_BAD_STATE);
    UT_EQ_INT(res.src.problem, DUMP_P_INCOMPLETE);
    UT_EQ_U64(o.writes, 0);

    /* VALID without COMPLETE: converted, and the result says it is partial */
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID, 0), 0);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    UT_ASSERT(valid_small(&o, false));
    free(f);

    /* a small dump is not converted again */
    f = dump_test_small(&size);
    UT_ASSERT(f);
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), ERR_NOT_SUPPORTED);
    UT_EQ_U64(res.src.dump_type, DUMP_TYPE_SMALL);
    UT_EQ_INT(convert(f, size, &o, sizeof work, &res), ERR_NOT_SUPPORTED);
    UT_EQ_INT(res.src.problem, DUMP_OK);
    UT_EQ_U64(o.writes, 0);
    free(f);
}

static void test_callback_errors(void)
{
    size_t size;
    uint8_t *f = dump_test_full(big_runs, 2, 0, 0, &size);
    struct dump_convert_result res;
    struct dump_layout l;
    UT_ASSERT(f);
    static struct src s;
    s = (struct src){ f, size, ERR_IO };
    memset(&o, 0, sizeof o);
    struct dump_convert_io io = { src_read, &s, size, out_write, &o, work, DUMP_HEADER_SIZE };
    UT_EQ_INT(dump_convert_to_mini(&io, &res), ERR_IO);
    s.fail = 7;                              /* a positive value is not a valid code */
    UT_EQ_INT(dump_convert_to_mini(&io, &res), ERR_IO);

    /* find how many writes a conversion takes, then fail each one in turn: the result is
     * never taken for a valid dump */
    UT_EQ_INT(convert(f, size, &o, DUMP_HEADER_SIZE, &res), 0);
    int writes = o.writes;
    UT_ASSERT(writes > 3);
    for (int k = 1; k <= writes; k++) {
        s = (struct src){ f, size, 0 };
        memset(&o, 0, sizeof o);
        o.fail_at = k;
        io.read_ctx = &s;
        UT_EQ_INT(dump_convert_to_mini(&io, &res), ERR_IO);
        UT_ASSERT(dump_validate(o.buf, o.len, o.len, &l) != 0);
    }
    free(f);
}

/* Random damage to a resealed header, the bitmap and the pages: never a read outside the
 * source (ASan), and whatever converts is a valid small dump. */
static void test_fuzz(void)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x300 } };
    size_t size;
    uint8_t *orig = dump_test_bitmap(runs, 2, keep_all_but_stack_page, &size);
    UT_ASSERT(orig);
    uint8_t *f = malloc(size);
    uint32_t seed = 12345;
    unsigned converted = 0;
    struct dump_convert_result res;
    for (int round = 0; round < 3000; round++) {
        memcpy(f, orig, size);
        int n = 1 + round % 4;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t at = (seed >> 8) % (round % 2 ? DUMP_BMP_BITMAP_OFFSET + 0x80 : size);
            seed = seed * 1103515245u + 12345u;
            f[at] ^= (uint8_t)(1u << ((seed >> 16) & 7));
        }
        dump_test_reseal(f);
        uint64_t fsize = round % 7 == 0 ? size - (seed >> 4) % 8192 : size;
        int rc = convert(f, fsize, &o, sizeof work, &res);
        if (rc == 0) {
            converted++;
            UT_ASSERT(valid_small(&o, res.src.complete));
        }
    }
    UT_ASSERT(converted > 100);
    free(f);
    free(orig);
}

static const struct ut_case cases[] = {
    { "full_dump", test_full_dump },
    { "bitmap_dump", test_bitmap_dump },
    { "registers_and_maps", test_registers_and_maps },
    { "bad_sources", test_bad_sources },
    { "callback_errors", test_callback_errors },
    { "fuzz", test_fuzz },
};

UT_MAIN(cases)
