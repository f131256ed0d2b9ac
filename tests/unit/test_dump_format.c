/* Unit tests of the dump format core (dump/): header round trips for full, bitmap and small
 * dumps, the Windows CONTEXT and exception record, kdmp-parser's acceptance checks, bitmap
 * page <-> file offset, per-chunk CRCs naming a damaged chunk, and the minidump builder. */
#include <stdbool.h>

#include "dump/dump_cpu.h"
#include "err.h"
#include "dump_util.h"
#include "ut.h"

static const struct dump_run ram_runs[] = { { 1, 0x9e }, { 0x100, 0x700 }, { 0x1000, 0x300 } };
#define NRUNS 3u

static struct dump_header *hdr(uint8_t *f)
{
    return (struct dump_header *)f;
}

static void test_header_full_round_trip(void)
{
    size_t size;
    uint8_t *f = dump_test_full(ram_runs, NRUNS, 0, 0, &size);
    UT_ASSERT(f);
    struct dump_header *h = hdr(f);
    UT_ASSERT(memcmp(f, "PAGEDU64", 8) == 0);
    UT_EQ_U64(h->dump_type, DUMP_TYPE_FULL);
    UT_EQ_U64(h->bug_check_code, 0x50);
    UT_EQ_U64(h->bug_check_parameter[0], 0xdead000);
    UT_EQ_U64(h->bug_check_parameter[3], 2);
    UT_EQ_U64(h->directory_table_base, 0x200000);
    UT_EQ_U64(h->machine_image_type, 0x8664);
    UT_EQ_U64(h->physical_memory_block.number_of_runs, 3);
    UT_EQ_U64(h->physical_memory_block.number_of_pages, 0x9e + 0x700 + 0x300);
    UT_EQ_U64(h->physical_memory_block.run[1].base_page, 0x100);
    UT_EQ_U64(h->required_dump_space, size);
    /* the pages, then the CPU block of one CPU */
    UT_EQ_U64(size, DUMP_HEADER_SIZE + (0x9e + 0x700 + 0x300) * 4096ull + 24 + 256);
    UT_EQ_U64(h->number_processors, 1);
    UT_EQ_U64(h->system_up_time, 123456789);
    UT_EQ_STR((const char *)h->comment, "Blackbox test dump");
    /* Unused bytes read "PAGE": VersionUser and the tail of the reserved area. */
    UT_ASSERT(memcmp(h->version_user, "PAGEPAGE", 8) == 0);
    UT_ASSERT(memcmp(f + DUMP_HEADER_SIZE - 4, "PAGE", 4) == 0);

    const struct dump_bb_fields *bb = &h->bb;
    UT_ASSERT(memcmp(bb->magic, DUMP_BB_MAGIC, 8) == 0);
    UT_EQ_U64(bb->flags, DUMP_BB_VALID | DUMP_BB_COMPLETE);
    UT_EQ_U64(bb->sequence, 42);
    UT_EQ_U64(bb->build_id_len, 20);
    UT_ASSERT(memcmp(bb->build_id, dump_test_build_id, 20) == 0);
    UT_EQ_U64(bb->written_type, DUMP_TYPE_FULL);
    UT_EQ_U64(bb->config_type, DUMP_CONFIG_COMPLETE);
    UT_EQ_U64(bb->bugcheck_vector, 14);
    UT_EQ_U64(bb->cr2, 0xdead000);
    UT_EQ_U64(bb->klog_phys, 0x1000000);
    UT_EQ_U64(bb->kernel_vma, 0xffffffff80000000ull);
    UT_EQ_U64(bb->direct_map_base, 0xffff800000000000ull);
    UT_EQ_U64(bb->chunk_size, DUMP_CHUNK_DEFAULT);
    UT_EQ_U64(bb->chunk_count, dump_chunk_count(size - DUMP_HEADER_SIZE, DUMP_CHUNK_DEFAULT));
    UT_EQ_U64(bb->crc_table_offset, 0);
    UT_EQ_U64(bb->header_crc, dump_header_crc(f));

    struct dump_layout l;
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_ASSERT(l.complete);
    UT_EQ_U64(l.total, size);
    UT_EQ_U64(l.present_pages, 0x9e + 0x700 + 0x300);
    free(f);
}

static void test_physical_to_offset_full(void)
{
    size_t size;
    uint8_t *f = dump_test_full(ram_runs, NRUNS, 0, 4 * 4096, &size);
    struct dump_layout l;
    uint64_t off, avail;
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x1234, &off, &avail), 0);
    UT_EQ_U64(off, DUMP_HEADER_SIZE + 0x234);
    UT_EQ_U64(avail, 0x9f000 - 0x1234);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x100000 + 5, &off, &avail), 0);
    UT_EQ_U64(off, DUMP_HEADER_SIZE + 0x9e * 4096ull + 5);
    UT_EQ_U64(f[off], dump_test_byte(0x100005));
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x12FFFFF, &off, &avail), 0);
    UT_EQ_U64(f[off], dump_test_byte(0x12FFFFF));
    UT_EQ_U64(avail, 1);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x0, &off, &avail), ERR_NOT_FOUND);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x9f000, &off, &avail), ERR_NOT_FOUND);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x1300000, &off, &avail), ERR_NOT_FOUND);
    free(f);
}

static void test_context_conversion(void)
{
    struct bugcheck_context c;
    struct dump_context w;
    dump_test_ctx(&c);
    dump_context_from_regs(&w, &c);
    const uint8_t *b = (const uint8_t *)&w;
    UT_EQ_U64(dump_le32(b + 0x30), DUMP_CONTEXT_AMD64 | 7);
    UT_EQ_U64(dump_le32(b + 0x34), DUMP_MXCSR_DEFAULT);
    UT_EQ_U64(dump_le32(b + 0x100 + 0x18), DUMP_MXCSR_DEFAULT);
    UT_EQ_U64(b[0x38], 0x08);                       /* SegCs */
    UT_EQ_U64(b[0x42], 0x10);                       /* SegSs */
    UT_EQ_U64(dump_le32(b + 0x44), 0x10046);        /* EFlags */
    UT_EQ_U64(dump_le64(b + 0x78), 0x1111);         /* Rax */
    UT_EQ_U64(dump_le64(b + 0x80), 0x3333);         /* Rcx */
    UT_EQ_U64(dump_le64(b + 0x88), 0x4444);         /* Rdx */
    UT_EQ_U64(dump_le64(b + 0x90), 0x2222);         /* Rbx */
    UT_EQ_U64(dump_le64(b + 0x98), c.rsp);
    UT_EQ_U64(dump_le64(b + 0xA0), c.rbp);
    UT_EQ_U64(dump_le64(b + 0xA8), 0x5555);         /* Rsi */
    UT_EQ_U64(dump_le64(b + 0xB0), 0x6666);         /* Rdi */
    UT_EQ_U64(dump_le64(b + 0xB8), 8);              /* R8 */
    UT_EQ_U64(dump_le64(b + 0xF0), 15);             /* R15 */
    UT_EQ_U64(dump_le64(b + 0xF8), c.rip);
    UT_EQ_U64(dump_le64(b + 0x48), 0);              /* Dr0 */

    struct dump_exception_record e;
    dump_exception_from_regs(&e, &c);
    UT_EQ_U64(e.exception_code, DUMP_STATUS_ACCESS_VIOLATION);
    UT_EQ_U64(e.exception_address, c.rip);
    UT_EQ_U64(e.number_parameters, 2);
    UT_EQ_U64(e.exception_information[0], 1);       /* write */
    UT_EQ_U64(e.exception_information[1], 0xdead000);
    c.vector = 0;
    dump_exception_from_regs(&e, &c);
    UT_EQ_U64(e.exception_code, DUMP_STATUS_INTEGER_DIVIDE_BY_ZERO);
    c.vector = BUGCHECK_NO_VECTOR;
    dump_exception_from_regs(&e, &c);
    UT_EQ_U64(e.exception_code, 0);
    UT_EQ_U64(e.number_parameters, 0);
}

/* kdmp-parser refuses: MxCsr mismatch, NumberOfRuns "PAGE", DumpType other than 1/5 (and
 * we also accept 4 for our minidumps). Check a built header passes the same tests. */
static void test_kdmp_parser_checks(void)
{
    size_t size;
    uint8_t *f = dump_test_full(ram_runs, NRUNS, 0, 0, &size);
    struct dump_layout l;
    UT_ASSERT(f);
    struct dump_header *h = hdr(f);
    UT_EQ_U64(h->context.mx_csr, h->context.flt_save.mx_csr);
    UT_ASSERT(h->physical_memory_block.number_of_runs != DUMP_SIGNATURE);
    UT_ASSERT(h->dump_type == 1 || h->dump_type == 5);

    h->context.flt_save.mx_csr = 0;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_MXCSR);
    h->context.flt_save.mx_csr = DUMP_MXCSR_DEFAULT;
    h->physical_memory_block.number_of_runs = DUMP_SIGNATURE;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_RUN_COUNT);
    h->physical_memory_block.number_of_runs = NRUNS;
    h->dump_type = 2;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_DUMP_TYPE);
    free(f);
}

static int keep_odd_thirds(uint64_t pg)
{
    return pg % 3 == 1 || (pg >= 0x1000 && pg < 0x1010);
}

static void test_bitmap_dump(void)
{
    size_t size;
    uint8_t *f = dump_test_bitmap(ram_runs, NRUNS, keep_odd_thirds, &size);
    struct dump_layout l;
    UT_ASSERT(f);
    const struct dump_bitmap_header *b = (const struct dump_bitmap_header *)(f + 0x2000);
    UT_ASSERT(memcmp(f + 0x2000, "SDMPDUMP", 8) == 0);
    UT_EQ_U64(b->pages, 0x1300);
    UT_EQ_U64(b->first_page % 4096, 0);
    UT_ASSERT(b->first_page >= DUMP_BMP_BITMAP_OFFSET + 0x1300 / 8);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.present_pages, b->total_present_pages);
    UT_EQ_U64(l.bitmap_pages, 0x1300);
    UT_EQ_U64(l.pages_offset, b->first_page);

    /* Every present page is where the rank of its bit says, with its own bytes. */
    uint64_t rank = 0;
    for (uint64_t pg = 0; pg < 0x1300; pg++) {
        uint64_t off, avail;
        bool in_ram = false;
        for (unsigned i = 0; i < NRUNS; i++)
            in_ram |= pg >= ram_runs[i].base_page &&
                      pg < ram_runs[i].base_page + ram_runs[i].page_count;
        int rc = dump_phys_to_offset(f, size, &l, pg * 4096 + 7, &off, &avail);
        if (!in_ram || !keep_odd_thirds(pg)) {
            UT_EQ_INT(rc, ERR_NOT_FOUND);
            continue;
        }
        UT_EQ_INT(rc, 0);
        UT_EQ_U64(off, b->first_page + rank * 4096 + 7);
        UT_EQ_U64(avail, 4096 - 7);
        UT_EQ_U64(f[off], dump_test_byte(pg * 4096 + 7));
        rank++;
    }
    UT_EQ_U64(rank, b->total_present_pages);

    /* A bit set outside RAM (page 0x9f0, in the hole between runs) is refused. */
    uint8_t *bm = f + DUMP_BMP_BITMAP_OFFSET;
    UT_ASSERT(!dump_bitmap_test(bm, 0x9f0));
    dump_bitmap_set(bm, 0x9f0);
    struct dump_bitmap_header *wb = (struct dump_bitmap_header *)(f + 0x2000);
    wb->total_present_pages++;
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_BITMAP);
    free(f);
}

static void test_bitmap_helpers(void)
{
    uint8_t bm[32] = { 0 };
    for (uint64_t p = 0; p < 256; p += 5)
        dump_bitmap_set(bm, p);
    UT_EQ_U64(dump_bitmap_count(bm, 256), 52);
    UT_EQ_U64(dump_bitmap_count(bm, 11), 3);     /* 0, 5, 10 */
    UT_EQ_U64(dump_bitmap_count_range(bm, 3, 11), 2);
    UT_EQ_U64(dump_bitmap_count_range(bm, 11, 3), 0);
    UT_EQ_U64(dump_bitmap_count_range(bm, 9, 201), 39);
    UT_EQ_U64(dump_bitmap_page_offset(bm, 256, 0x4000, 10), 0x4000 + 2 * 4096);
    UT_EQ_U64(dump_bitmap_page_offset(bm, 256, 0x4000, 11), 0);
    UT_EQ_U64(dump_bitmap_page_offset(bm, 250, 0x4000, 250), 0);
    UT_EQ_U64(dump_bitmap_bytes(9), 2);
}

static void test_small_dump(void)
{
    size_t size;
    uint8_t *f = dump_test_small(&size);
    struct dump_layout l;
    UT_ASSERT(f);
    UT_ASSERT(size <= DUMP_SMALL_MAX);
    UT_EQ_U64(hdr(f)->dump_type, DUMP_TYPE_SMALL);
    UT_EQ_U64(hdr(f)->bb.flags, DUMP_BB_VALID | DUMP_BB_COMPLETE | DUMP_BB_FALLBACK);
    UT_EQ_U64(hdr(f)->bb.fallback_reason, DUMP_FALLBACK_TOO_SMALL);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.stream_count, 5);
    struct dump_mini_stream s;
    UT_EQ_INT(dump_mini_stream_get(f + 0x2000, size - 0x2000, 3, &s), 0);
    UT_EQ_U64(s.type, DUMP_STREAM_MODULES);
    const struct dump_mini_module *m = (const struct dump_mini_module *)(f + s.offset);
    UT_EQ_STR(m->name, "blackbox");
    UT_EQ_INT(dump_mini_stream_get(f + 0x2000, size - 0x2000, 4, &s), 0);
    UT_EQ_U64(s.type, DUMP_STREAM_CPUS);
    UT_EQ_U64(l.cpu_offset, s.offset);
    UT_EQ_U64(l.cpu_count, 1);
    UT_EQ_INT(dump_mini_stream_get(f + 0x2000, size - 0x2000, 5, &s), ERR_RANGE);

    uint64_t off, avail;
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x5010, &off, &avail), 0);
    UT_EQ_U64(f[off], dump_test_byte(0x5010));
    UT_EQ_U64(avail, 4096 - 0x10);
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x101000 + 9000, &off, &avail), 0);
    UT_EQ_U64(f[off], dump_test_byte(0x101000 + 9000));
    UT_EQ_INT(dump_phys_to_offset(f, size, &l, 0x6000, &off, &avail), ERR_NOT_FOUND);
    free(f);
}

static void test_mini_builder_limits(void)
{
    struct dump_mini_builder b;
    uint8_t dir[4096];
    uint64_t off;
    UT_EQ_INT(dump_mini_begin(&b, dir, 0), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_mini_begin(&b, dir, DUMP_MINI_MAX_STREAMS + 1), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_mini_begin(&b, dir, 2), 0);
    UT_EQ_INT(dump_mini_add(&b, DUMP_STREAM_STACK, 0, 0, DUMP_NO_PADDR, 300 * 1024, &off),
              ERR_TOO_BIG);
    UT_EQ_INT(dump_mini_add(&b, DUMP_STREAM_STACK, 0, 0, DUMP_NO_PADDR, 5, &off), 0);
    UT_EQ_U64(off, 0x2000 + 16 + 80);
    UT_EQ_INT(dump_mini_add(&b, DUMP_STREAM_MEMORY, 0, 0, 0, 4096, &off), 0);
    UT_EQ_U64(off % 8, 0);
    UT_EQ_INT(dump_mini_add(&b, DUMP_STREAM_MEMORY, 0, 0, 0, 4096, &off), ERR_NO_SPACE);
    UT_EQ_U64(dump_mini_size(&b), off + 4096 - 0x2000);
}

static void test_build_rejects_bad_params(void)
{
    struct dump_params p;
    struct bugcheck_context c;
    static uint8_t h[DUMP_HEADER_SIZE];
    struct dump_run many[DUMP_MAX_RUNS + 1];
    for (unsigned i = 0; i <= DUMP_MAX_RUNS; i++)
        many[i] = (struct dump_run){ i * 2, 1 };
    dump_test_params(&p, &c, DUMP_TYPE_FULL, many, DUMP_MAX_RUNS + 1);
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_TOO_BIG);
    p.run_count = DUMP_MAX_RUNS;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_INVALID_ARGS);   /* ram_pages: 44 runs' */
    p.ram_pages = 0;                                                /* 0: the runs' sum */
    UT_EQ_INT(dump_header_build(h, &p, NULL), 0);
    struct dump_run overlap[] = { { 10, 5 }, { 12, 5 } };
    p.runs = overlap;
    p.run_count = 2;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_INVALID_ARGS);
    p.runs = ram_runs;
    p.run_count = NRUNS;
    p.chunk_size = 1000;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_INVALID_ARGS);
    p.chunk_size = 0;
    p.dump_type = 3;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_INVALID_ARGS);
    p.dump_type = DUMP_TYPE_SMALL;
    p.data_size = DUMP_SMALL_MAX;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_TOO_BIG);
    p.ctx = NULL;
    UT_EQ_INT(dump_header_build(h, &p, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_header_seal(h, 0x100, 0), ERR_INVALID_ARGS);
}

/* A dump with more chunks than the header holds keeps its table after the data. */
static void test_external_crc_table(void)
{
    static const struct dump_run runs[] = { { 0x100, 2000 } };
    size_t size;
    uint8_t *f = dump_test_full(runs, 1, 4096, 0, &size);
    struct dump_layout l;
    UT_ASSERT(f);
    const struct dump_bb_fields *bb = &hdr(f)->bb;
    UT_EQ_U64(bb->chunk_count, 2001);      /* 2000 pages, then the CPU block's chunk */
    UT_EQ_U64(bb->crc_inline_count, 0);
    UT_EQ_U64(bb->crc_table_offset, DUMP_HEADER_SIZE + 2001 * 4096ull);
    UT_EQ_U64(size, bb->crc_table_offset + 2001 * 4);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.crc_table_offset, bb->crc_table_offset);
    UT_EQ_U64(bb->crc_table_crc, crc32c(0, f + bb->crc_table_offset, 8004));
    uint32_t crc = 0;
    uint64_t toff = 0, off, len;
    UT_EQ_INT(dump_chunk_crc_ref(f, 2000, &crc, &toff), 0);
    UT_EQ_U64(toff, bb->crc_table_offset + 2000 * 4);
    UT_EQ_INT(dump_chunk_range(f, 2000, &off, &len), 0);
    UT_EQ_U64(len, 24 + 256);              /* the last chunk: the CPU block alone */
    UT_EQ_U64(dump_le32(f + toff), crc32c(0, f + off, len));
    UT_EQ_INT(dump_chunk_crc_ref(f, 2001, &crc, &toff), ERR_RANGE);
    /* One byte short of the table: the file is truncated. */
    UT_EQ_INT(dump_validate(f, size - 1, size - 1, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_CHUNKS);
    free(f);
}

/* Flip a byte in one chunk: exactly that chunk's CRC fails, so the range can be named. */
static void test_chunk_crc_names_damage(void)
{
    size_t size;
    uint8_t *f = dump_test_full(ram_runs, NRUNS, 64 * 1024, 0, &size);
    UT_ASSERT(f);
    uint64_t victim = DUMP_HEADER_SIZE + 5 * 65536 + 1234;
    f[victim] ^= 0x40;
    uint64_t n = hdr(f)->bb.chunk_count, bad = 0, which = ~0ull;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t off, len, toff;
        uint32_t want;
        UT_EQ_INT(dump_chunk_range(f, i, &off, &len), 0);
        UT_EQ_INT(dump_chunk_crc_ref(f, i, &want, &toff), 1);
        if (crc32c(0, f + off, len) != want) {
            bad++;
            which = i;
        }
    }
    UT_EQ_U64(bad, 1);
    UT_EQ_U64(which, 5);
    uint64_t off, len;
    UT_EQ_INT(dump_chunk_range(f, n - 1, &off, &len), 0);
    UT_EQ_U64(off + len, size);
    UT_EQ_INT(dump_chunk_range(f, n, &off, &len), ERR_RANGE);
    free(f);
}

/* Feeding in odd piece sizes gives the same table as one call. */
static void test_crc_accumulator(void)
{
    static uint8_t data[10000];
    uint32_t t1[3], t2[3];
    struct dump_crc_acc a;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    UT_EQ_INT(dump_crc_begin(&a, t1, sizeof(data), 4096), 0);
    UT_EQ_INT(dump_crc_update(&a, data, sizeof(data)), 0);
    UT_EQ_INT(dump_crc_end(&a), 0);
    UT_EQ_INT(dump_crc_begin(&a, t2, sizeof(data), 4096), 0);
    for (size_t pos = 0, step = 1; pos < sizeof(data); pos += step, step = step * 3 % 1000 + 1) {
        size_t n = step < sizeof(data) - pos ? step : sizeof(data) - pos;
        UT_EQ_INT(dump_crc_update(&a, data + pos, n), 0);
        if (pos + n < sizeof(data))
            UT_EQ_INT(dump_crc_end(&a), ERR_RANGE);
    }
    UT_EQ_INT(dump_crc_end(&a), 0);
    UT_ASSERT(memcmp(t1, t2, sizeof(t1)) == 0);
    UT_EQ_U64(t1[2], crc32c(0, data + 8192, 10000 - 8192));
    UT_EQ_INT(dump_crc_update(&a, data, 1), ERR_RANGE);
}

/* RAM in 60 runs of 3 pages with a one-page hole after each: more than Run[] holds. */
#define MANY 60u
static void many_runs(struct dump_run *r)
{
    for (unsigned i = 0; i < MANY; i++)
        r[i] = (struct dump_run){ 0x100 + 4 * i, 3 };
}

static void test_fdmp_many_runs(void)
{
    struct dump_run runs[MANY];
    many_runs(runs);
    size_t size;
    uint8_t *f = dump_test_bitmap(runs, MANY, NULL, &size);
    UT_ASSERT(f);
    struct dump_header *h = hdr(f);
    const struct dump_bitmap_header *b = (const struct dump_bitmap_header *)(f + 0x2000);
    UT_ASSERT(memcmp(f + 0x2000, "FDMPDUMP", 8) == 0);
    UT_EQ_U64(h->dump_type, DUMP_TYPE_BITMAP);
    UT_EQ_U64(h->physical_memory_block.number_of_runs, MANY);
    UT_EQ_U64(h->physical_memory_block.number_of_pages, 3 * MANY);
    UT_EQ_U64(h->physical_memory_block.run[DUMP_MAX_RUNS - 1].base_page,
              0x100 + 4 * (DUMP_MAX_RUNS - 1));
    UT_EQ_U64(b->total_present_pages, 3 * MANY);
    UT_EQ_U64(b->pages, 0x100 + 4 * MANY - 1);
    UT_EQ_U64(size, dump_complete_bytes(MANY, 3 * MANY, b->pages, 0, 1));
    UT_EQ_U64(dump_complete_type(MANY), DUMP_TYPE_BITMAP);
    UT_EQ_U64(dump_complete_type(DUMP_MAX_RUNS), DUMP_TYPE_FULL);

    struct dump_layout l;
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.run_count, MANY);
    UT_EQ_U64(l.ram_pages, 3 * MANY);
    UT_EQ_U64(l.present_pages, 3 * MANY);
    /* every page of every run, listed or not, is where its rank says; the holes are absent */
    for (uint64_t pg = 0x100, rank = 0; pg < b->pages; pg++) {
        uint64_t off, avail;
        int rc = dump_phys_to_offset(f, size, &l, pg * 4096 + 9, &off, &avail);
        if ((pg - 0x100) % 4 == 3) {
            UT_EQ_INT(rc, ERR_NOT_FOUND);
            continue;
        }
        UT_EQ_INT(rc, 0);
        UT_EQ_U64(off, b->first_page + rank++ * 4096 + 9);
        UT_EQ_U64(f[off], dump_test_byte(pg * 4096 + 9));
    }

    /* a listed run's page missing, a page outside the listed runs, a count that lies */
    uint8_t *bm = f + DUMP_BMP_BITMAP_OFFSET;
    struct dump_bitmap_header *wb = (struct dump_bitmap_header *)(f + 0x2000);
    bm[0x104 / 8] ^= 1u << (0x104 & 7);
    wb->total_present_pages--;
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_BITMAP);
    bm[0x104 / 8] ^= 1u << (0x104 & 7);
    bm[0x103 / 8] ^= 1u << (0x103 & 7);           /* the hole after run 0 */
    wb->total_present_pages += 2;
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_BITMAP);
    bm[0x103 / 8] ^= 1u << (0x103 & 7);
    wb->total_present_pages--;
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    h->physical_memory_block.number_of_pages = 3 * DUMP_MAX_RUNS + (MANY - DUMP_MAX_RUNS) - 1;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_RUNS);
    free(f);

    /* a full dump cannot place the pages of runs it does not list */
    struct dump_params p;
    struct bugcheck_context ctx;
    uint8_t hb[DUMP_HEADER_SIZE];
    dump_test_params(&p, &ctx, DUMP_TYPE_FULL, runs, MANY);
    UT_EQ_INT(dump_header_build(hb, &p, NULL), ERR_TOO_BIG);
    /* FDMP must hold all of RAM; the pages of runs not listed must be given */
    dump_test_params(&p, &ctx, DUMP_TYPE_BITMAP, runs, MANY);
    p.bitmap_full_content = true;
    p.bitmap_pages = 0x200;
    p.bitmap_present = 3 * MANY - 1;
    UT_EQ_INT(dump_header_build(hb, &p, NULL), ERR_INVALID_ARGS);
    p.bitmap_present = 3 * MANY;
    p.ram_pages = 0;
    UT_EQ_INT(dump_header_build(hb, &p, NULL), ERR_INVALID_ARGS);
    p.ram_pages = 3 * MANY;
    UT_EQ_INT(dump_header_build(hb, &p, NULL), 0);
    /* a small dump of such a machine keeps the same run list */
    p.dump_type = DUMP_TYPE_SMALL;
    p.data_size = 4096;
    UT_EQ_INT(dump_header_build(hb, &p, NULL), 0);
    UT_EQ_U64(hdr(hb)->physical_memory_block.number_of_runs, MANY);
}

/* RequiredDumpSpace of `data` bytes of data in 1 MiB chunks, the CRC table outside the
 * header (page-aligned after the data). */
static uint64_t with_crc_table(uint64_t data)
{
    uint64_t end = DUMP_HEADER_SIZE + data;
    return ((end + 4095) & ~4095ull) + (data + (1u << 20) - 1) / (1u << 20) * 4;
}

static void test_complete_bytes(void)
{
    /* full layout: header, pages, the CPU block, then the CRC table */
    uint64_t pages = 16ull << 18;                       /* 16 GiB */
    UT_EQ_U64(dump_complete_bytes(3, pages, pages + (1 << 18), 0, 1),
              with_crc_table(pages * 4096 + dump_cpu_block_bytes(1)));
    UT_EQ_U64(with_crc_table(pages * 4096 + dump_cpu_block_bytes(1)),
              DUMP_HEADER_SIZE + pages * 4096 + 4096 + (16384 + 1) * 4);
    UT_EQ_U64(dump_complete_bytes(3, pages, pages + (1 << 18), 0, 0),
              dump_complete_bytes(3, pages, pages + (1 << 18), 0, 1));
    /* FDMP: plus the bitmap block, padded to a page */
    uint64_t frames = 66ull << 18;                      /* a 64 GiB guest's address space */
    UT_EQ_U64(dump_complete_bytes(60, 64ull << 18, frames, 0, 4),
              with_crc_table(((0x38 + frames / 8 + 4095) & ~4095ull) + (64ull << 30) +
                             dump_cpu_block_bytes(4)));
    UT_EQ_U64(dump_complete_bytes(3, 0, 100, 0, 1), 0);
    UT_EQ_U64(dump_complete_bytes(3, 101, 100, 0, 1), 0);
    UT_EQ_U64(dump_complete_bytes(3, 100, 100, 1000, 1), 0);
    UT_EQ_U64(dump_complete_bytes(3, 100, 100, 0, DUMP_CPU_MAX + 1), 0);
}

static const struct ut_case cases[] = {
    { "header_full_round_trip", test_header_full_round_trip },
    { "physical_to_offset_full", test_physical_to_offset_full },
    { "context_conversion", test_context_conversion },
    { "kdmp_parser_checks", test_kdmp_parser_checks },
    { "bitmap_dump", test_bitmap_dump },
    { "bitmap_helpers", test_bitmap_helpers },
    { "fdmp_many_runs", test_fdmp_many_runs },
    { "complete_bytes", test_complete_bytes },
    { "small_dump", test_small_dump },
    { "mini_builder_limits", test_mini_builder_limits },
    { "build_rejects_bad_params", test_build_rejects_bad_params },
    { "external_crc_table", test_external_crc_table },
    { "chunk_crc_names_damage", test_chunk_crc_names_damage },
    { "crc_accumulator", test_crc_accumulator },
};
UT_MAIN(cases)
