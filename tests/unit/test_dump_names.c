/* Unit tests of the dump names (dump/recovery/dump_names.c): minidump names formatted and
 * parsed back, everything else rejected, century mapping and year wrap, picking a free NN,
 * choosing which minidumps to delete (by date then number, not by string; count 0; more than
 * 50; other files ignored), and DUMPxxxx.TMP names. */
#include <stdio.h>
#include <string.h>

#include "lib/reg/crash_control.h"
#include "dump/recovery/dump_names.h"
#include "err.h"
#include "ut.h"

static void test_format(void)
{
    char buf[32];
    struct dump_mini_name n = { 2026, 11, 22, 42, 1 };
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), 19);
    UT_EQ_STR(buf, "112226-00042-01.dmp");
    n = (struct dump_mini_name){ 2001, 1, 5, 99999, 99 };
    UT_EQ_INT(dump_mini_name_format(&n, buf, 20), 19);
    UT_EQ_STR(buf, "010501-99999-99.dmp");
    UT_EQ_INT(dump_mini_name_format(&n, buf, 19), ERR_RANGE);
    n.dup = 0;
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), ERR_INVALID_ARGS);
    n = (struct dump_mini_name){ 2026, 13, 1, 1, 1 };
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), ERR_INVALID_ARGS);
    n = (struct dump_mini_name){ 2025, 2, 29, 1, 1 };    /* not a leap year */
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), ERR_INVALID_ARGS);
    n = (struct dump_mini_name){ 2024, 2, 29, 100000, 1 };
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), ERR_INVALID_ARGS);
    n.number = dump_mini_name_number(1234567);
    UT_EQ_U64(n.number, 34567);
    UT_EQ_INT(dump_mini_name_format(&n, buf, sizeof buf), 19);
    UT_EQ_STR(buf, "022924-34567-01.dmp");
    UT_EQ_INT(dump_mini_name_format(NULL, buf, sizeof buf), ERR_INVALID_ARGS);
}

static void test_parse_round_trip(void)
{
    struct dump_mini_name n;
    char buf[32];
    UT_EQ_INT(dump_mini_name_parse("112226-00042-01.dmp", 2026, &n), 0);
    UT_EQ_U64(n.year, 2026);
    UT_EQ_U64(n.month, 11);
    UT_EQ_U64(n.day, 22);
    UT_EQ_U64(n.number, 42);
    UT_EQ_U64(n.dup, 1);
    UT_EQ_INT(dump_mini_name_parse("112226-00042-01.DMP", 2026, &n), 0);
    for (unsigned y = 1990; y <= 2030; y += 7) {
        struct dump_mini_name a = { y, 2, 28, y * 3, 7 };
        UT_EQ_INT(dump_mini_name_format(&a, buf, sizeof buf), 19);
        UT_EQ_INT(dump_mini_name_parse(buf, 2030, &n), 0);
        UT_ASSERT(!memcmp(&a, &n, sizeof n));
    }
}

static void test_parse_rejects(void)
{
    static const char *const bad[] = {
        "", "112226-00042-01", "112226-00042-01.dm", "112226-00042-01.dmpx",
        "112226-00042-1.dmp", "112226-0042-01.dmp", "112226_00042-01.dmp",
        "112226-00042_01.dmp", "1122260-0042-01.dmp", "11222600042-01.dmpx",
        "132226-00042-01.dmp",  /* month 13 */
        "002226-00042-01.dmp",  /* month 0 */
        "113126-00042-01.dmp",  /* 31 November */
        "110026-00042-01.dmp",  /* day 0 */
        "022925-00042-01.dmp",  /* 29 February 2025 */
        "112226-00042-00.dmp",  /* NN 00 */
        "112226-0004a-01.dmp", "1122x6-00042-01.dmp", "112226-00042-01.txt",
        " 12226-00042-01.dmp", "+12226-00042-01.dmp", "MEMORY.DMP", "DUMP1A2B.TMP",
        "Mini112226-01.dmp", "112226-00042-01.dmp ",
    };
    struct dump_mini_name n;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (dump_mini_name_parse(bad[i], 2026, &n) != ERR_NOT_FOUND) {
            printf("  accepted \"%s\"\n", bad[i]);
            UT_ASSERT(0);
        }
    }
    UT_EQ_INT(dump_mini_name_parse("022924-00042-01.dmp", 2026, &n), 0);  /* leap day */
    UT_EQ_INT(dump_mini_name_parse("022900-00042-01.dmp", 2026, &n), 0);  /* 2000 is leap */
    UT_EQ_INT(dump_mini_name_parse(NULL, 2026, &n), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_mini_name_parse("112226-00042-01.dmp", 0, &n), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_mini_name_parse("112226-00042-01.dmp", 9999, &n), ERR_INVALID_ARGS);
}

static void test_century(void)
{
    struct dump_mini_name n;
    UT_EQ_INT(dump_mini_name_parse("010199-00001-01.dmp", 2026, &n), 0);
    UT_EQ_U64(n.year, 1999);
    UT_EQ_INT(dump_mini_name_parse("010127-00001-01.dmp", 2026, &n), 0);
    UT_EQ_U64(n.year, 2027);                    /* a clock a little behind */
    UT_EQ_INT(dump_mini_name_parse("010128-00001-01.dmp", 2026, &n), 0);
    UT_EQ_U64(n.year, 1928);
    UT_EQ_INT(dump_mini_name_parse("010100-00001-01.dmp", 2099, &n), 0);
    UT_EQ_U64(n.year, 2100);
    UT_EQ_INT(dump_mini_name_parse("010105-00001-01.dmp", 2, &n), ERR_NOT_FOUND);  /* year < 1 */
}

struct folder {
    const char *const *names;
    unsigned n;
    int fail;
};

static int in_folder(void *ctx, const char *name)
{
    const struct folder *f = ctx;
    if (f->fail)
        return f->fail;
    for (unsigned i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name))
            return 1;
    return 0;
}

static void test_pick(void)
{
    static const char *const taken[] = { "112226-00042-01.dmp", "112226-00042-02.dmp",
                                         "112226-00043-01.dmp" };
    struct folder f = { taken, 3, 0 };
    struct dump_mini_name n = { 2026, 11, 22, 42, 0 };
    char buf[32];
    UT_EQ_INT(dump_mini_name_pick(&n, in_folder, &f, buf, sizeof buf), 19);
    UT_EQ_STR(buf, "112226-00042-03.dmp");
    UT_EQ_U64(n.dup, 3);
    n = (struct dump_mini_name){ 2026, 11, 22, 44, 0 };
    UT_EQ_INT(dump_mini_name_pick(&n, in_folder, &f, buf, sizeof buf), 19);
    UT_EQ_STR(buf, "112226-00044-01.dmp");

    static char all[99][20];
    static const char *allp[99];
    for (unsigned i = 0; i < 99; i++) {
        snprintf(all[i], sizeof all[i], "112226-00042-%02u.dmp", i + 1);
        allp[i] = all[i];
    }
    struct folder full = { allp, 99, 0 };
    n = (struct dump_mini_name){ 2026, 11, 22, 42, 0 };
    UT_EQ_INT(dump_mini_name_pick(&n, in_folder, &full, buf, sizeof buf), ERR_EXISTS);
    full.fail = ERR_IO;
    n.dup = 0;
    UT_EQ_INT(dump_mini_name_pick(&n, in_folder, &full, buf, sizeof buf), ERR_IO);
    n.month = 0;
    f.fail = 0;
    UT_EQ_INT(dump_mini_name_pick(&n, in_folder, &f, buf, sizeof buf), ERR_INVALID_ARGS);
}

/* The names at order[from..from+count) joined by spaces, into buf. */
static const char *listing(const char *const *names, const size_t *order, size_t from,
                           size_t count, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = from; i < from + count; i++) {
        strncat(buf, names[order[i]], size - strlen(buf) - 1);
        if (i + 1 < from + count)
            strncat(buf, " ", size - strlen(buf) - 1);
    }
    return buf;
}

static void test_prune_order(void)
{
    /* string order would be wrong: 01 2027 < 12 2026, and 2099 would be newest */
    static const char *const names[] = {
        "010127-00001-01.dmp",   /* 2027-01-01: newest */
        "123126-00009-01.dmp",   /* 2026-12-31 */
        "123199-00500-01.dmp",   /* 1999-12-31: oldest */
        "MEMORY.DMP", "notes.txt", "123126-00010-01.dmp",   /* same day, higher number */
        "123126-00009-02.dmp",   /* same day and number, NN 02 */
        "010100-00001-01.dmp",   /* 2000-01-01 */
        "123126-00009-01.tmp",
    };
    size_t order[9], del, kept;
    char buf[512];
    UT_EQ_INT(dump_mini_names_prune(names, 9, 3, 2026, order, &del, &kept), 0);
    UT_EQ_U64(del, 3);
    UT_EQ_U64(kept, 3);
    UT_EQ_STR(listing(names, order, 0, del, buf, sizeof buf),
              "123199-00500-01.dmp 010100-00001-01.dmp 123126-00009-01.dmp");
    UT_EQ_STR(listing(names, order, del, kept, buf, sizeof buf),
              "123126-00009-02.dmp 123126-00010-01.dmp 010127-00001-01.dmp");

    UT_EQ_INT(dump_mini_names_prune(names, 9, 0, 2026, order, &del, &kept), 0);
    UT_EQ_U64(del, 6);                     /* MinidumpsCount 0: every minidump goes */
    UT_EQ_U64(kept, 0);
    UT_EQ_INT(dump_mini_names_prune(names, 9, 50, 2026, order, &del, &kept), 0);
    UT_EQ_U64(del, 0);
    UT_EQ_U64(kept, 6);
    UT_EQ_INT(dump_mini_names_prune(NULL, 0, 50, 2026, NULL, &del, &kept), 0);
    UT_EQ_U64(del + kept, 0);
    UT_EQ_INT(dump_mini_names_prune(NULL, 1, 50, 2026, order, &del, &kept), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_mini_names_prune(names, 9, 50, 0, order, &del, &kept), ERR_INVALID_ARGS);
}

static void test_prune_many(void)
{
    /* 120 minidumps over a year boundary, listed newest first, plus other files: keeping
     * the default 50 deletes the 70 oldest, oldest first */
    enum { N = 120, OTHER = 5 };
    static char buf[N + OTHER][20];
    static const char *names[N + OTHER];
    size_t order[N + OTHER], del, kept;
    for (unsigned i = 0; i < N; i++) {
        unsigned k = N - 1 - i;                          /* age rank: 0 oldest */
        struct dump_mini_name n = { k < 60 ? 2025 : 2026, k < 60 ? 12 : 1, 1 + k % 60 / 3, k, 1 };
        UT_EQ_INT(dump_mini_name_format(&n, buf[i], sizeof buf[i]), 19);
        names[i] = buf[i];
    }
    for (unsigned i = 0; i < OTHER; i++) {
        snprintf(buf[N + i], sizeof buf[N + i], "OTHER%u.DMP", i);
        names[N + i] = buf[N + i];
    }
    UT_EQ_INT(dump_mini_names_prune(names, N + OTHER, cc_settings[CC_MINIDUMPS_COUNT].dword,
                                    2026, order, &del, &kept), 0);
    UT_EQ_U64(del, N - 50);
    UT_EQ_U64(kept, 50);
    for (unsigned j = 0; j < N; j++)
        UT_EQ_U64(order[j], N - 1 - j);                  /* oldest first throughout */
}

static void test_tmp_names(void)
{
    char buf[16];
    uint16_t v;
    UT_EQ_INT(dump_tmp_name_format(0x1a2b, buf, sizeof buf), 12);
    UT_EQ_STR(buf, "DUMP1A2B.TMP");
    UT_EQ_INT(dump_tmp_name_format(0, buf, 13), 12);
    UT_EQ_STR(buf, "DUMP0000.TMP");
    UT_EQ_INT(dump_tmp_name_format(0, buf, 12), ERR_RANGE);
    UT_EQ_INT(dump_tmp_name_parse("DUMP1A2B.TMP", &v), 0);
    UT_EQ_U64(v, 0x1a2b);
    UT_EQ_INT(dump_tmp_name_parse("dumpffff.tmp", &v), 0);
    UT_EQ_U64(v, 0xffff);
    static const char *const bad[] = { "DUMP1A2G.TMP", "DUMP1A2.TMP", "DUMP1A2BC.TMP",
                                       "DUMP1A2B.DMP", "DUMP1A2B", "MEMORY.DMP", "",
                                       "DUMP-A2B.TMP", "DUMP1A2B.TMP " };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        UT_EQ_INT(dump_tmp_name_parse(bad[i], &v), ERR_NOT_FOUND);
    for (unsigned x = 0; x < 0x10000; x += 0x1111) {
        UT_EQ_INT(dump_tmp_name_format((uint16_t)x, buf, sizeof buf), 12);
        UT_EQ_INT(dump_tmp_name_parse(buf, &v), 0);
        UT_EQ_U64(v, x);
    }
    UT_EQ_INT(dump_tmp_name_parse(NULL, &v), ERR_INVALID_ARGS);
}

static const struct ut_case cases[] = {
    { "format", test_format },
    { "parse_round_trip", test_parse_round_trip },
    { "parse_rejects", test_parse_rejects },
    { "century", test_century },
    { "pick", test_pick },
    { "prune_order", test_prune_order },
    { "prune_many", test_prune_many },
    { "tmp_names", test_tmp_names },
};

UT_MAIN(cases)
