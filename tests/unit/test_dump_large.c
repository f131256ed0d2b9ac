/* Dumps of a 64 GiB guest, never allocated: a complete dump of 64 GiB of RAM in 60 runs up to
 * 66 GiB of address space (a q35 guest's layout, its upper run cut by one-page holes) is
 * written as a sparse file in the full bitmap layout (FDMP) with a few pages of known bytes
 * (stack, klog, a marker near the top) and every chunk's CRC. The dump core reads it through
 * pread (prefix sizing, limits, the offsets of high pages), the minidump converter turns it
 * into a small dump holding the right bytes, and bbdump's info, read and mini work on it.
 * Run from the tree's root (test_unit.py does). */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "dump/dump_verify.h"
#include "dump/recovery/dump_convert.h"
#include "err.h"
#include "dump_util.h"
#include "tool_util.h"
#include "ut.h"

#define BBDUMP   "build/tools/bbdump"
#define GIB      (1ull << 30)
#define NRUNS    60u
#define UPPER    (NRUNS - 2)                 /* runs above 4 GiB */
#define HI_BASE  (4 * GIB / 4096)            /* first page above the PCI hole */
#define HI_PAGES ((62 * GIB) / 4096)         /* 62 GiB there, less one page per hole */
#define DMAP     0xffff800000000000ull
#define STACK_PA (60 * GIB + 0x1000)         /* RSP's page, high up */
#define KLOG_PA  (65 * GIB)                  /* the klog area, near the top */
#define KLOG_LEN (64ull + 128 * 1024)

static struct dump_run runs[NRUNS];
static uint64_t ram_pages, frames;
static uint64_t mark_pa;                     /* a marker page: the last run's third-last */
static char dir[64], path[128];
static char out[1 << 16], err[4096];

struct extent { uint64_t off, len; };
static struct extent written[8];
static unsigned nwritten;

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void make_runs(void)
{
    uint64_t step = HI_PAGES / UPPER;
    runs[0] = (struct dump_run){ 1, 0x9e };
    runs[1] = (struct dump_run){ 0x100, 2 * GIB / 4096 - 0x100 };
    for (unsigned i = 0; i < UPPER; i++)
        runs[2 + i] = (struct dump_run){ HI_BASE + i * step, step - 1 };
    ram_pages = 0;
    for (unsigned i = 0; i < NRUNS; i++)
        ram_pages += runs[i].page_count;
    frames = runs[NRUNS - 1].base_page + runs[NRUNS - 1].page_count;
    mark_pa = (frames - 3) * 4096;
}

/* File offset of physical page `pg` in an FDMP dump whose pages start at `first`: counted
 * here from the runs, not with the code under test. */
static uint64_t page_off(uint64_t first, uint64_t pg)
{
    uint64_t rank = 0;
    for (unsigned i = 0; i < NRUNS; i++) {
        if (pg >= runs[i].base_page && pg < runs[i].base_page + runs[i].page_count)
            return first + (rank + pg - runs[i].base_page) * 4096;
        rank += runs[i].page_count;
    }
    return 0;
}

static void put(int fd, uint64_t off, const void *p, uint64_t len)
{
    if (pwrite(fd, p, len, (off_t)off) != (ssize_t)len)
        abort();
    if (nwritten < 8)
        written[nwritten++] = (struct extent){ off, len };
}

/* Physical memory [pa, pa+len) with the test pattern, at its place in the file. */
static void put_phys(int fd, uint64_t first, uint64_t pa, uint64_t len)
{
    uint8_t *b = malloc(len);
    for (uint64_t i = 0; i < len; i++)
        b[i] = dump_test_byte(pa + i);
    put(fd, page_off(first, pa / 4096) + pa % 4096, b, len);
    free(b);
}

static bool touched(uint64_t off, uint64_t len)
{
    for (unsigned i = 0; i < nwritten; i++)
        if (off < written[i].off + written[i].len && written[i].off < off + len)
            return true;
    return false;
}

/* The sparse dump: header, bitmap, the planted pages, every chunk's CRC (a chunk nobody wrote
 * is zeros: its CRC is computed once), the external table, the sealed header. */
static void make_dump(void)
{
    strcpy(dir, "/tmp/dump-large-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    atexit(cleanup);
    snprintf(path, sizeof path, "%s/MEMORY.DMP", dir);
    make_runs();

    struct dump_params p;
    struct bugcheck_context ctx;
    struct dump_plan pl;
    static uint8_t hdr[DUMP_HEADER_SIZE], bmh[0x38];
    dump_test_params(&p, &ctx, DUMP_TYPE_BITMAP, runs, NRUNS);
    ctx.rsp = DMAP + STACK_PA + 0xf00;
    ctx.rbp = DMAP + STACK_PA + 0xff0;
    ctx.rax = DMAP + mark_pa;
    p.klog_phys = KLOG_PA;
    p.klog_size = KLOG_LEN;
    p.bitmap_full_content = true;
    p.bitmap_pages = frames;
    p.bitmap_present = ram_pages;
    UT_EQ_INT(dump_header_build(hdr, &p, &pl), 0);
    UT_EQ_INT(dump_bitmap_header_build(bmh, &p), 0);
    UT_EQ_U64(pl.total, dump_complete_bytes(NRUNS, ram_pages, frames, 0, 1));

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    UT_ASSERT(fd >= 0);
    UT_EQ_INT(ftruncate(fd, (off_t)pl.total), 0);
    uint8_t *bm = calloc(1, dump_bitmap_bytes(frames));
    for (unsigned i = 0; i < NRUNS; i++)
        for (uint64_t pg = runs[i].base_page; pg < runs[i].base_page + runs[i].page_count; pg++)
            dump_bitmap_set(bm, pg);
    put(fd, 0, hdr, DUMP_HEADER_SIZE);
    put(fd, DUMP_BMP_OFFSET, bmh, sizeof bmh);
    put(fd, DUMP_BMP_BITMAP_OFFSET, bm, dump_bitmap_bytes(frames));
    free(bm);
    put_phys(fd, pl.pages_offset, STACK_PA, 4096);
    put_phys(fd, pl.pages_offset, KLOG_PA, KLOG_LEN);
    put_phys(fd, pl.pages_offset, mark_pa, 4096);
    uint8_t *cpus = calloc(1, dump_cpu_block_bytes(1));
    dump_test_cpus(cpus, 1, 0, 1, &ctx);
    put(fd, pl.cpu_offset, cpus, dump_cpu_block_bytes(1));
    free(cpus);

    uint32_t *table = malloc(pl.chunk_count * 4);
    uint8_t *chunk = malloc(pl.chunk_size);
    memset(chunk, 0, pl.chunk_size);
    uint32_t zero_crc = crc32c(0, chunk, pl.chunk_size);
    for (uint64_t i = 0; i < pl.chunk_count; i++) {
        uint64_t off = DUMP_HEADER_SIZE + i * pl.chunk_size;
        uint64_t len = pl.data_end - off < pl.chunk_size ? pl.data_end - off : pl.chunk_size;
        if (!touched(off, len) && len == pl.chunk_size) {
            table[i] = zero_crc;
            continue;
        }
        UT_EQ_U64(pread(fd, chunk, len, (off_t)off), len);
        table[i] = crc32c(0, chunk, len);
    }
    UT_ASSERT(pl.crc_table_offset != 0);
    put(fd, pl.crc_table_offset, table, pl.chunk_count * 4);
    UT_EQ_INT(dump_header_seal(hdr, DUMP_BB_VALID | DUMP_BB_COMPLETE,
                               crc32c(0, table, pl.chunk_count * 4)), 0);
    put(fd, 0, hdr, DUMP_HEADER_SIZE);
    free(table);
    free(chunk);
    close(fd);
}

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    return pread(*(int *)ctx, buf, len, (off_t)off) == (ssize_t)len ? 0 : ERR_IO;
}

/* The prefix: sized from the header, a cap below it is a limit (ERR_TOO_BIG), not damage. */
static void test_prefix_and_limits(void)
{
    if (!path[0])
        make_dump();
    int fd = open(path, O_RDONLY);
    uint64_t size = (uint64_t)lseek(fd, 0, SEEK_END);
    uint64_t need = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(frames);
    UT_ASSERT(size > 64 * GIB);
    uint8_t *buf = malloc(need + (1 << 20));
    struct dump_layout l;
    size_t got;
    UT_EQ_INT(dump_verify_prefix(file_read, &fd, size, buf, need - 1, &got, &l), ERR_TOO_BIG);
    UT_EQ_INT(l.problem, DUMP_P_NEED_MORE);
    UT_EQ_U64(l.prefix, need);
    UT_EQ_INT(dump_verify_prefix(file_read, &fd, size, buf, need, &got, &l), 0);
    UT_EQ_U64(got, need);
    UT_EQ_U64(l.dump_type, DUMP_TYPE_BITMAP);
    UT_EQ_U64(l.run_count, NRUNS);
    UT_EQ_U64(l.present_pages, ram_pages);
    UT_EQ_U64(l.bitmap_pages, frames);
    UT_EQ_U64(l.total, size);

    /* a high page is where its rank says, with its bytes */
    uint64_t off, avail;
    uint8_t b[16];
    UT_EQ_INT(dump_phys_to_offset(buf, need, &l, mark_pa + 5, &off, &avail), 0);
    UT_EQ_U64(off, page_off(l.pages_offset, mark_pa / 4096) + 5);
    UT_EQ_INT(file_read(&fd, off, b, sizeof b), 0);
    for (unsigned i = 0; i < sizeof b; i++)
        UT_EQ_U64(b[i], dump_test_byte(mark_pa + 5 + i));
    uint64_t hole = (runs[30].base_page + runs[30].page_count) * 4096;
    UT_EQ_INT(dump_phys_to_offset(buf, need, &l, hole, &off, &avail), ERR_NOT_FOUND);

    /* the whole check: the prefix fits, one CRC per chunk does not; it says how much */
    struct dump_verify v;
    UT_EQ_INT(dump_verify_file(file_read, &fd, size, buf, need + 4096, &v), ERR_TOO_BIG);
    UT_EQ_INT(v.layout.problem, DUMP_OK);
    UT_ASSERT(v.scratch_needed >= need + l.chunk_count * 4 + 4096);
    UT_ASSERT(v.scratch_needed <= need + l.chunk_count * 4 + 3 * 4096);
    UT_EQ_INT(dump_verify_file(file_read, &fd, size, buf, 0x3000, &v), ERR_TOO_BIG);
    UT_ASSERT(v.scratch_needed >= need);
    /* what userland sizes its buffer by holds this machine (66 GiB), not a smaller one */
    UT_EQ_INT(dump_verify_file(file_read, &fd, size, buf, need + 4096, &v), ERR_TOO_BIG);
    UT_ASSERT(v.scratch_needed <= DUMP_VERIFY_SCRATCH(66 * GIB, 4096));
    UT_ASSERT(v.scratch_needed > DUMP_VERIFY_SCRATCH(64 * GIB, 4096));
    free(buf);
    close(fd);
}

static int file_write(void *ctx, uint64_t off, const void *p, size_t len)
{
    return pwrite(*(int *)ctx, p, len, (off_t)off) == (ssize_t)len ? 0 : ERR_IO;
}

/* The minidump converter reads the bitmap and the high pages it needs, and nothing else. */
static void test_convert(void)
{
    if (!path[0])
        make_dump();
    char mini[160];
    snprintf(mini, sizeof mini, "%s/converted.dmp", dir);
    int fd = open(path, O_RDONLY), to = open(mini, O_RDWR | O_CREAT | O_TRUNC, 0644);
    uint64_t size = (uint64_t)lseek(fd, 0, SEEK_END);
    uint8_t *work = malloc(4 << 20);
    static uint8_t o[DUMP_SMALL_MAX];
    /* 512 KiB: werfault's old buffer, a bitmap of 16 GiB */
    struct dump_convert_io io = { file_read, &fd, size, file_write, &to, work, 512 * 1024 };
    struct dump_convert_result res;
    UT_EQ_INT(dump_convert_to_mini(&io, &res), ERR_TOO_BIG);
    UT_EQ_U64(res.prefix_needed, DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(frames));
    UT_EQ_U64((uint64_t)lseek(to, 0, SEEK_END), 0);
    io.work_len = (size_t)res.prefix_needed;
    UT_EQ_INT(dump_convert_to_mini(&io, &res), 0);
    uint64_t len = (uint64_t)lseek(to, 0, SEEK_END);
    UT_EQ_U64(len, res.size);
    UT_ASSERT(len <= sizeof o);
    UT_EQ_INT(file_read(&to, 0, o, len), 0);
    UT_ASSERT(res.klog);
    UT_EQ_U64(res.stack_bytes, DUMP_CONVERT_STACK_BYTES);
    struct dump_layout l;
    UT_EQ_INT(dump_validate(o, len, len, &l), 0);
    UT_EQ_U64(l.dump_type, DUMP_TYPE_SMALL);
    UT_EQ_U64(l.run_count, NRUNS);
    UT_EQ_U64(l.ram_pages, ram_pages);
    /* the klog and the page RAX points at came from 65 GiB and near 66 GiB */
    uint64_t off, avail;
    UT_EQ_INT(dump_phys_to_offset(o, len, &l, KLOG_PA + 777, &off, &avail), 0);
    UT_EQ_U64(o[off], dump_test_byte(KLOG_PA + 777));
    UT_EQ_INT(dump_phys_to_offset(o, len, &l, STACK_PA + 0xf00, &off, &avail), 0);
    UT_EQ_U64(o[off], dump_test_byte(STACK_PA + 0xf00));
    UT_EQ_INT(dump_phys_to_offset(o, len, &l, mark_pa + 9, &off, &avail), 0);
    UT_EQ_U64(o[off], dump_test_byte(mark_pa + 9));
    free(work);
    close(to);
    close(fd);
}

static int run(const char *args)
{
    return tool_run(BBDUMP, dir, args, out, sizeof out, err, sizeof err);
}

/* bbdump maps the 64 GiB file and reads only what it is asked for. */
static void test_bbdump(void)
{
    if (!path[0])
        make_dump();
    char args[384], want[128];
    snprintf(args, sizeof args, "info %s", path);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "60 runs (the header lists the first 43)"));
    snprintf(want, sizeof want, "%lu of %lu pages present", (unsigned long)ram_pages,
             (unsigned long)frames);
    UT_ASSERT(strstr(out, want));
    UT_ASSERT(strstr(out, "every RAM page (FDMP)"));
    UT_ASSERT(strstr(out, "valid, complete"));

    snprintf(args, sizeof args, "read %s 0x%llx 16", path, (unsigned long long)mark_pa);
    UT_EQ_INT(run(args), 0);
    snprintf(want, sizeof want, "%016llx: %02x %02x", (unsigned long long)mark_pa,
             dump_test_byte(mark_pa), dump_test_byte(mark_pa + 1));
    UT_ASSERT(strstr(out, want));

    snprintf(args, sizeof args, "mini %s -o %s/mini.dmp", path, dir);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "from the bitmap dump"));
    snprintf(args, sizeof args, "check %s/mini.dmp", dir);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "valid small dump"));
}

static const struct ut_case cases[] = {
    { "prefix_and_limits", test_prefix_and_limits },
    { "convert", test_convert },
    { "bbdump", test_bbdump },
};
UT_MAIN(cases)
