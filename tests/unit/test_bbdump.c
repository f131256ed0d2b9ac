/* Tests of the host tool build/tools/bbdump on dump files built here with the dump core:
 * `info` output, `check` (good dumps, a damaged chunk named, a damaged CRC table), `read`
 * (hex and raw, full/bitmap/small dumps, absent addresses), every CPU in `info` and
 * `analyze` (a damaged CPU block too), and one-line errors with a non-zero exit on
 * malformed files. Run from the tree's root (test_unit.py does). */
#include <stdbool.h>
#include <unistd.h>

#include "err.h"
#include "dump_util.h"
#include "tool_util.h"
#include "ut.h"

#define BBDUMP "build/tools/bbdump"

static const struct dump_run ram_runs[] = { { 1, 0x9e }, { 0x100, 0x100 } };
static char dir[64];
static char out[1 << 16], err[4096];

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A fresh temporary directory per process, removed at exit. */
static void setup(void)
{
    if (!dir[0]) {
        strcpy(dir, "/tmp/bbdump-test-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
    }
}

/* Runs bbdump with `args`; stdout and stderr land in out and err. Returns the exit code. */
static int run(const char *args)
{
    return tool_run(BBDUMP, dir, args, out, sizeof out, err, sizeof err);
}

static const char *save(const char *name, const uint8_t *data, size_t size)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return p;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* One line on stderr naming the file, nothing on stdout, exit 1. */
#define EXPECT_ERROR(args, path, text) do { \
    UT_EQ_INT(run(args), 1); \
    UT_EQ_INT(lines(err), 1); \
    UT_ASSERT(strstr(err, path) != NULL); \
    UT_ASSERT(strstr(err, text) != NULL); } while (0)

static void test_info_full(void)
{
    size_t size;
    char args[256];
    setup();
    uint8_t *f = dump_test_full(ram_runs, 2, 0, 8192, &size);
    UT_ASSERT(f);
    const char *p = save("full.dmp", f, size);
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "1 (full)"));
    UT_ASSERT(strstr(out, "0x00000050 PAGE_FAULT_IN_NONPAGED_AREA"));
    UT_ASSERT(strstr(out, "0x000000000dead000"));
    UT_ASSERT(strstr(out, "f1857d390123456789abcdef1032547698badcfe"));
    UT_ASSERT(strstr(out, "sequence:             42"));
    UT_ASSERT(strstr(out, "VALID COMPLETE"));
    UT_ASSERT(strstr(out, "12.345678900 s after boot"));
    UT_ASSERT(strstr(out, "header CRC:           ok"));
    UT_ASSERT(strstr(out, "status:               valid, complete"));
    UT_EQ_INT(err[0], 0);
    free(f);
}

static void test_check(void)
{
    size_t size;
    char args[256];
    setup();
    uint8_t *f = dump_test_full(ram_runs, 2, 64 * 1024, 0, &size);
    UT_ASSERT(f);
    const char *p = save("check.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "valid full dump"));
    UT_ASSERT(strstr(out, " data chunks OK, 1 CPU\n"));
    f[DUMP_HEADER_SIZE + 3 * 65536 + 17] ^= 1;
    p = save("check.dmp", f, size);
    EXPECT_ERROR(args, p, "data CRC mismatch in chunk 3 (file bytes 0x32000..0x42000)");
    free(f);

    /* External CRC table: good, then one table byte damaged. */
    static const struct dump_run big[] = { { 0x100, 1000 } };
    f = dump_test_full(big, 1, 4096, 0, &size);
    UT_ASSERT(f);
    p = save("ext.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "1001 data chunks OK"));
    f[size - 2] ^= 1;
    p = save("ext.dmp", f, size);
    EXPECT_ERROR(args, p, "CRC table at 0x3eb000 is damaged");
    free(f);

    /* A dump sealed VALID but not COMPLETE is not good enough for check. */
    f = dump_test_full(ram_runs, 2, 0, 0, &size);
    UT_ASSERT(f);
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID, 0), 0);
    p = save("partial.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    EXPECT_ERROR(args, p, "valid but not complete");
    free(f);
}

static void test_read(void)
{
    size_t size;
    char args[256], expect[128];
    setup();
    uint8_t *f = dump_test_full(ram_runs, 2, 0, 0, &size);
    UT_ASSERT(f);
    const char *p = save("read.dmp", f, size);
    snprintf(args, sizeof args, "read %s 0x100010 20", p);
    UT_EQ_INT(run(args), 0);
    UT_EQ_INT(lines(out), 2);
    snprintf(expect, sizeof expect, "0000000000100010: %02x %02x", dump_test_byte(0x100010),
             dump_test_byte(0x100011));
    UT_ASSERT(strncmp(out, expect, strlen(expect)) == 0);

    /* Raw bytes across pages, compared with the pattern. */
    char raw[128];
    snprintf(raw, sizeof raw, "%s/raw.bin", dir);
    snprintf(args, sizeof args, "read %s 0x1ff00 0x3000 -o %s", p, raw);
    UT_EQ_INT(run(args), 0);
    FILE *r = fopen(raw, "rb");
    UT_ASSERT(r);
    static uint8_t got[0x3000];
    UT_EQ_INT(fread(got, 1, sizeof got, r), 0x3000);
    fclose(r);
    for (uint64_t i = 0; i < sizeof got; i++)
        UT_EQ_U64(got[i], dump_test_byte(0x1ff00 + i));

    /* Into the hole between the runs, and below RAM. */
    snprintf(args, sizeof args, "read %s 0x9e000 0x2000", p);
    EXPECT_ERROR(args, p, "physical 0x9f000 is not in the dump");
    snprintf(args, sizeof args, "read %s 0 1", p);
    EXPECT_ERROR(args, p, "physical 0x0 is not in the dump");
    snprintf(args, sizeof args, "read %s 0x1000 zz", p);
    UT_EQ_INT(run(args), 2);
    free(f);
}

static int keep_low(uint64_t pg)
{
    return pg < 0x120;
}

static void test_read_bitmap_and_small(void)
{
    size_t size;
    char args[256], expect[128];
    setup();
    uint8_t *f = dump_test_bitmap(ram_runs, 2, keep_low, &size);
    UT_ASSERT(f);
    const char *p = save("bitmap.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    UT_EQ_INT(run(args), 0);
    snprintf(args, sizeof args, "read %s 0x11fff8 8", p);
    UT_EQ_INT(run(args), 0);
    snprintf(expect, sizeof expect, "000000000011fff8: %02x", dump_test_byte(0x11fff8));
    UT_ASSERT(strncmp(out, expect, strlen(expect)) == 0);
    snprintf(args, sizeof args, "read %s 0x11fff8 16", p);
    EXPECT_ERROR(args, p, "physical 0x120000 is not in the dump");
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "5 (bitmap)"));
    free(f);

    f = dump_test_small(&size);
    UT_ASSERT(f);
    p = save("mini.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "valid small dump"));
    snprintf(args, sizeof args, "read %s 0x5ff0 16", p);
    UT_EQ_INT(run(args), 0);
    snprintf(expect, sizeof expect, "0000000000005ff0: %02x", dump_test_byte(0x5ff0));
    UT_ASSERT(strncmp(out, expect, strlen(expect)) == 0);
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "fallback: target too small"));
    UT_ASSERT(strstr(out, "FALLBACK"));
    UT_ASSERT(strstr(out, "stream 3"));
    free(f);
}

static void test_malformed_files(void)
{
    size_t size;
    char args[256];
    setup();
    uint8_t *f = dump_test_full(ram_runs, 2, 0, 0, &size);
    UT_ASSERT(f);
    static const char *const cmds[] = { "info", "check", "read" };
    for (int c = 0; c < 3; c++) {
        const char *extra = c == 2 ? " 0x1000 16" : "";
        const char *p = save("empty.dmp", f, 0);
        snprintf(args, sizeof args, "%s %s%s", cmds[c], p, extra);
        EXPECT_ERROR(args, p, "file shorter than a dump header");
        p = save("short.dmp", f, 0x1000);
        snprintf(args, sizeof args, "%s %s%s", cmds[c], p, extra);
        EXPECT_ERROR(args, p, "file shorter than a dump header");
        p = save("cut.dmp", f, size - 4096);
        snprintf(args, sizeof args, "%s %s%s", cmds[c], p, extra);
        UT_EQ_INT(run(args), 1);
        UT_ASSERT(strstr(err, "dump size inconsistent with the file"));
        snprintf(args, sizeof args, "%s %s/nonexistent%s", cmds[c], dir, extra);
        EXPECT_ERROR(args, "nonexistent", "No such file");
        snprintf(args, sizeof args, "%s %s%s", cmds[c], dir, extra);
        EXPECT_ERROR(args, dir, "not a regular file");
    }
    /* Garbage the size of a dump. */
    static uint8_t junk[0x4000];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 7 + 3);
    const char *p = save("junk.dmp", junk, sizeof junk);
    snprintf(args, sizeof args, "check %s", p);
    EXPECT_ERROR(args, p, "not a 64-bit crash dump");

    /* Torn: the header written before the data, never replaced. */
    UT_EQ_INT(dump_header_seal(f, 0, 0), 0);
    p = save("torn.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    EXPECT_ERROR(args, p, "incomplete dump");
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 1);
    UT_ASSERT(strstr(out, "status:               INVALID"));
    UT_ASSERT(strstr(err, "incomplete dump"));
    /* Lying RequiredDumpSpace, resealed so only the size check can catch it. */
    UT_EQ_INT(dump_header_seal(f, DUMP_BB_VALID | DUMP_BB_COMPLETE, 0), 0);
    ((struct dump_header *)f)->required_dump_space = 1ull << 62;
    dump_test_reseal(f);
    p = save("liar.dmp", f, size);
    snprintf(args, sizeof args, "check %s", p);
    EXPECT_ERROR(args, p, "value 0x4000000000000000");
    free(f);

    UT_EQ_INT(run(""), 2);
    UT_EQ_INT(run("frobnicate x"), 2);
    UT_EQ_INT(run("--help"), 0);
}

/* A dump of four CPUs (CPU 2 crashed, CPU 3 offline): `info` and `analyze` name the crashing
 * CPU and each CPU's state; a damaged CPU block is reported, and the rest still analyzed. */
static void test_cpus(void)
{
    size_t size;
    char args[512];
    setup();
    uint8_t *f = dump_test_full_cpus(ram_runs, 2, 0, 0, &size, 4, 2, 3);
    UT_ASSERT(f);
    const char *p = save("cpus.dmp", f, size);
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "processors:           4\n"));
    UT_ASSERT(strstr(out, "4 records at 0x") && strstr(out, ", CPU 2 crashed\n"));
    snprintf(args, sizeof args, "analyze %s --kernel %s --force", p, BBDUMP);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "CPUS:           4; CPU 2 crashed (APIC id 4)\n"));
    UT_ASSERT(strstr(out, "FAULTING_IP:    ffffffff8010cf27 "));   /* CPU 2's, not CPU 0's */
    UT_ASSERT(strstr(out, "\n  0     0 stopped by NMI                 idle                      0xffffffff80100000\n"));
    UT_ASSERT(strstr(out, "\n  2     4 crashed                        werfault (pid 7)          0xffffffff8010cf27\n"));
    UT_ASSERT(strstr(out, "\n  3     6 offline                        -                         (no registers)\n"));
    UT_ASSERT(strstr(out, "CPU 0 STACK_TEXT, stopped by NMI (frame pointers"));
    UT_ASSERT(strstr(out, "CPU 1 STACK_TEXT, stopped by NMI (frame pointers"));
    UT_ASSERT(!strstr(out, "CPU 2 STACK_TEXT") && !strstr(out, "CPU 3 STACK_TEXT"));
    UT_ASSERT(strstr(out, "(kernel stack ffff8000001ff000..ffff800000201000)"));

    /* one byte of CPU 1's record flipped: the block's own CRC catches it */
    const struct dump_header *h = (const struct dump_header *)f;
    f[h->required_dump_space - 256 * 3 + 0x30] ^= 1;
    p = save("cpus.dmp", f, size);
    snprintf(args, sizeof args, "info %s", p);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "damaged (checksum mismatch)"));
    snprintf(args, sizeof args, "check %s", p);
    EXPECT_ERROR(args, p, "data CRC mismatch in chunk 1 ");   /* the last: the block's */
    /* the same damage with the chunk CRCs made to match: the block's own CRC still fails */
    struct dump_layout l;
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    struct dump_plan pl = { .data_end = l.data_end, .chunk_count = l.chunk_count,
                            .chunk_size = l.chunk_size, .crc_table_offset = l.crc_table_offset };
    UT_EQ_INT(dump_test_seal(f, &pl, DUMP_BB_VALID | DUMP_BB_COMPLETE), 0);
    p = save("cpus.dmp", f, size);
    EXPECT_ERROR(args, p, "CPU block at 0x");
    UT_ASSERT(strstr(err, "is damaged (checksum mismatch)"));
    snprintf(args, sizeof args, "analyze %s --kernel %s --force", p, BBDUMP);
    UT_EQ_INT(run(args), 0);
    UT_ASSERT(strstr(out, "CPUS:           4, but the CPU block is damaged"));
    UT_ASSERT(strstr(out, "FAILURE_BUCKET_ID:"));
    free(f);
}

static const struct ut_case cases[] = {
    { "info_full", test_info_full },
    { "check", test_check },
    { "read", test_read },
    { "read_bitmap_and_small", test_read_bitmap_and_small },
    { "malformed_files", test_malformed_files },
    { "cpus", test_cpus },
};
UT_MAIN(cases)
