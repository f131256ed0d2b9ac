/* Unit tests for lib/reg/crash_control.c: Windows' defaults when values are absent, unreadable
 * or of another type, %SystemRoot% expanded in a REG_EXPAND_SZ only, the PagingFiles parse
 * with bad entries, getters that fail or lie, and the defaults a new hive gets. */
#include <stdint.h>
#include <string.h>

#include "lib/reg/crash_control.h"
#include "tests/unit/reg_util.h"
#include "tests/unit/ut.h"

#define MM CC_KEY_MEMORY_MANAGEMENT

/* A tree with `name` of `key` set to the string s of `type` (one string for REG_MULTI_SZ,
 * or several separated by '|'). */
static void set_str(struct reg_tree *t, const char *key, const char *name, uint32_t type,
                    const char *s)
{
    char buf[1024];
    struct reg_key *k;
    size_t n = strlen(s);
    if (n + 2 > sizeof buf)
        abort();
    memcpy(buf, s, n + 1);
    if (type == REG_MULTI_SZ) {
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '|')
                buf[i] = 0;
        if (n)
            buf[++n] = 0;   /* the list's closing NUL; an empty list is that NUL alone */
    }
    if (reg_key_create(t, key, false, &k) || reg_value_set(t, k, name, type, buf, (uint32_t)n + 1))
        abort();
}

static void set_dword(struct reg_tree *t, const char *key, const char *name, uint32_t v)
{
    struct reg_key *k;
    if (reg_key_create(t, key, false, &k) || reg_value_set(t, k, name, REG_DWORD, &v, 4))
        abort();
}

static void test_defaults_when_absent(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    char s[64];
    uint32_t v = 99;
    uint64_t mb = 99;
    UT_EQ_INT(cc_get_dword(&src, CC_CRASH_DUMP_ENABLED, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 7);
    UT_EQ_INT(cc_get_dword(&src, CC_AUTO_REBOOT, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_dword(&src, CC_LOG_EVENT, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_dword(&src, CC_OVERWRITE, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_dword(&src, CC_MINIDUMPS_COUNT, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 50);
    UT_EQ_INT(cc_get_dword(&src, CC_ALWAYS_KEEP_MEMORY_DUMP, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 0);
    UT_EQ_INT(cc_get_dword(&src, CC_DUMP_FILE_SIZE, &v), ERR_NOT_FOUND);
    UT_EQ_INT(v, 0);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), ERR_NOT_FOUND);
    UT_EQ_STR(s, "C:\\MEMORY.DMP");
    UT_EQ_INT(cc_get_string(&src, CC_MINIDUMP_DIR, s, sizeof s), ERR_NOT_FOUND);
    UT_EQ_STR(s, "C:\\Minidump");
    UT_EQ_INT(cc_get_string(&src, CC_DEDICATED_DUMP_FILE, s, sizeof s), ERR_NOT_FOUND);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_PARTITION, s, sizeof s), ERR_NOT_FOUND);
    UT_EQ_STR(s, "");
    UT_EQ_STR(s, "");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_NOT_FOUND);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    UT_EQ_U64(mb, 0);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void test_values_read(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    set_dword(&t, REG_CRASHCONTROL, "crashdumpenabled", 1);   /* names: any case */
    set_dword(&t, REG_CRASHCONTROL, "MinidumpsCount", 0);
    set_dword(&t, REG_CRASHCONTROL, "DumpFileSize", 2048);
    set_str(&t, REG_CRASHCONTROL, "DedicatedDumpFile", REG_SZ, "D:\\DEDICATED.DMP");
    set_str(&t, REG_CRASHCONTROL, "DumpPartition", REG_SZ, "nvme0n1p2");
    set_str(&t, MM, "PagingFiles", REG_MULTI_SZ, "D:\\pagefile.sys 512 1024");
    char s[64];
    uint32_t v;
    uint64_t mb;
    UT_EQ_INT(cc_get_dword(&src, CC_CRASH_DUMP_ENABLED, &v), 0);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_dword(&src, CC_MINIDUMPS_COUNT, &v), 0);
    UT_EQ_INT(v, 0);
    UT_EQ_INT(cc_get_dword(&src, CC_DUMP_FILE_SIZE, &v), 0);
    UT_EQ_INT(v, 2048);
    UT_EQ_INT(cc_get_string(&src, CC_DEDICATED_DUMP_FILE, s, sizeof s), 0);
    UT_EQ_STR(s, "D:\\DEDICATED.DMP");
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_PARTITION, s, sizeof s), 0);
    UT_EQ_STR(s, "nvme0n1p2");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), 0);
    UT_EQ_STR(s, "D:\\pagefile.sys");
    UT_EQ_U64(mb, 512);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

/* LastCrashTime is a REG_QWORD read whole, little-endian; absent or of another type it reads
 * as 0 with the reason. */
static void test_last_crash_time(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    uint64_t v = 1;
    UT_EQ_INT(cc_get_qword(&src, CC_LAST_CRASH_TIME, &v), ERR_NOT_FOUND);
    UT_EQ_U64(v, 0);
    struct reg_key *k;
    const uint8_t b[8] = { 0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01 };
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL, false, &k), 0);
    UT_EQ_INT(reg_value_set(&t, k, "LastCrashTime", REG_QWORD, b, 8), 0);
    UT_EQ_INT(cc_get_qword(&src, CC_LAST_CRASH_TIME, &v), 0);
    UT_EQ_U64(v, 0x019db1ded53e8000ull);
    set_dword(&t, REG_CRASHCONTROL, "LastCrashTime", 5);
    UT_EQ_INT(cc_get_qword(&src, CC_LAST_CRASH_TIME, &v), ERR_BAD_STATE);
    UT_EQ_U64(v, 0);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

/* PagingFiles' and DumpFileSize's sizes: 0 (system-managed) up to the largest FAT32 file in
 * whole MB; anything larger, up to what the parse allows, is out of range. */
static void test_file_mb_range(void)
{
    UT_EQ_INT(cc_file_mb_check(0), 0);
    UT_EQ_INT(cc_file_mb_check(CC_FILE_MB_MAX), 0);
    UT_ASSERT((uint64_t)CC_FILE_MB_MAX << 20 <= 0xFFFFFFFFull);
    UT_EQ_INT(cc_file_mb_check(CC_FILE_MB_MAX + 1), ERR_RANGE);
    UT_EQ_INT(cc_file_mb_check(UINT32_MAX), ERR_RANGE);
    UT_EQ_INT(cc_file_mb_check(UINT64_MAX), ERR_RANGE);
    uint64_t mb;
    char path[32];
    UT_EQ_INT(cc_paging_parse("C:\\pagefile.sys 4294967295 0", path, sizeof path, &mb, NULL), 0);
    UT_EQ_INT(cc_file_mb_check(mb), ERR_RANGE);
    UT_EQ_INT(cc_paging_parse("C:\\pagefile.sys 4294967296 0", path, sizeof path, &mb, NULL), ERR_RANGE);
}

/* The one rule: %SystemRoot% is expanded in a REG_EXPAND_SZ, never in a REG_SZ. */
static void test_expand_only_expand_sz(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    char s[64];
    set_str(&t, REG_CRASHCONTROL, "DumpFile", REG_SZ, "%SystemRoot%\\MEMORY.DMP");
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), 0);
    UT_EQ_STR(s, "%SystemRoot%\\MEMORY.DMP");
    set_str(&t, REG_CRASHCONTROL, "DumpFile", REG_EXPAND_SZ, "%systemroot%\\A\\%SYSTEMROOT%");
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), 0);
    UT_EQ_STR(s, "C:\\A\\C:");
    set_str(&t, REG_CRASHCONTROL, "MinidumpDir", REG_EXPAND_SZ, "%WinDir%\\%SystemRoot");
    UT_EQ_INT(cc_get_string(&src, CC_MINIDUMP_DIR, s, sizeof s), 0);
    UT_EQ_STR(s, "%WinDir%\\%SystemRoot");   /* other variables and half a name stay */
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void test_expand(void)
{
    char s[32];
    UT_EQ_INT(cc_expand(REG_EXPAND_SZ, "%SystemRoot%\\X", s, sizeof s), 0);
    UT_EQ_STR(s, "C:\\X");
    UT_EQ_INT(cc_expand(REG_SZ, "%SystemRoot%\\X", s, sizeof s), 0);
    UT_EQ_STR(s, "%SystemRoot%\\X");
    UT_EQ_INT(cc_expand(REG_EXPAND_SZ, "", s, sizeof s), 0);
    UT_EQ_STR(s, "");
    strcpy(s, "a%SystemRoot%b%SystemRoot%");   /* in place */
    UT_EQ_INT(cc_expand(REG_EXPAND_SZ, s, s, sizeof s), 0);
    UT_EQ_STR(s, "aC:bC:");
    UT_EQ_INT(cc_expand(REG_EXPAND_SZ, "%SystemRoot%\\X", s, 4), ERR_TOO_BIG);
    UT_EQ_STR(s, "");
    UT_EQ_INT(cc_expand(REG_EXPAND_SZ, "%SystemRoot%\\X", s, 5), 0);
    UT_EQ_STR(s, "C:\\X");
    UT_EQ_INT(cc_expand(REG_SZ, "abc", s, 3), ERR_TOO_BIG);
    UT_EQ_INT(cc_expand(REG_SZ, "", s, 0), ERR_TOO_BIG);
}

/* Another type, too long, or a short buffer: the default, and why. */
static void test_unusable_values(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    char s[64], tiny[4];
    uint32_t v;
    uint64_t mb = 9;
    set_str(&t, REG_CRASHCONTROL, "Overwrite", REG_SZ, "0");
    set_dword(&t, REG_CRASHCONTROL, "DumpFile", 5);
    set_str(&t, MM, "PagingFiles", REG_SZ, "D:\\pagefile.sys 1 1");
    UT_EQ_INT(cc_get_dword(&src, CC_OVERWRITE, &v), ERR_BAD_STATE);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), ERR_BAD_STATE);
    UT_EQ_STR(s, "C:\\MEMORY.DMP");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_BAD_STATE);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    UT_EQ_U64(mb, 0);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    set_str(&t, REG_CRASHCONTROL, "MinidumpDir", REG_SZ, big);
    UT_EQ_INT(cc_get_string(&src, CC_MINIDUMP_DIR, s, sizeof s), ERR_TOO_BIG);
    UT_EQ_STR(s, "C:\\Minidump");
    UT_EQ_INT(cc_get_string(&src, CC_MINIDUMP_DIR, tiny, sizeof tiny), ERR_TOO_BIG);
    UT_EQ_STR(tiny, "");                         /* not even the default fits */
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, 0), ERR_TOO_BIG);
    UT_EQ_INT(cc_get_string(&src, CC_LOG_EVENT, s, sizeof s), ERR_NOT_FOUND);   /* a DWORD */
    UT_EQ_STR(s, "");
    char list[600];
    memset(list, 'y', sizeof list - 1);
    list[sizeof list - 1] = 0;
    set_str(&t, MM, "PagingFiles", REG_MULTI_SZ, list);
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_TOO_BIG);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    UT_EQ_INT(cc_get_paging_file(&src, 0, tiny, sizeof tiny, &mb), ERR_TOO_BIG);
    UT_EQ_STR(tiny, "");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void test_paging_parse(void)
{
    char p[32];
    uint64_t a = 9, b = 9;
    UT_EQ_INT(cc_paging_parse("C:\\pagefile.sys 0 0", p, sizeof p, &a, &b), 0);
    UT_EQ_STR(p, "C:\\pagefile.sys");
    UT_EQ_U64(a, 0);
    UT_EQ_U64(b, 0);
    UT_EQ_INT(cc_paging_parse("D:\\pf.sys  512   0x400 ", p, sizeof p, &a, &b), 0);
    UT_EQ_STR(p, "D:\\pf.sys");
    UT_EQ_U64(a, 512);
    UT_EQ_U64(b, 1024);
    UT_EQ_INT(cc_paging_parse("C:\\p.sys 7", p, sizeof p, &a, &b), 0);
    UT_EQ_U64(a, 7);
    UT_EQ_U64(b, 0);
    UT_EQ_INT(cc_paging_parse("C:\\p.sys", p, sizeof p, NULL, NULL), 0);
    UT_EQ_STR(p, "C:\\p.sys");
    UT_EQ_INT(cc_paging_parse("C:\\p.sys 4294967295", p, sizeof p, &a, NULL), 0);
    UT_EQ_U64(a, UINT32_MAX);
    strcpy(p, "untouched");
    a = b = 9;
    static const char *const bad[] = {
        "", " C:\\p.sys", "C:\\p.sys abc", "C:\\p.sys 1 2 3", "C:\\p.sys -1", "C:\\p.sys 1x",
        "C:\\p.sys 0x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        UT_EQ_INT(cc_paging_parse(bad[i], p, sizeof p, &a, &b), ERR_INVALID_ARGS);
    UT_EQ_INT(cc_paging_parse("C:\\p.sys 4294967296", p, sizeof p, &a, &b), ERR_RANGE);
    UT_EQ_INT(cc_paging_parse("C:\\p.sys 1 99999999999999999999999", p, sizeof p, &a, &b),
              ERR_RANGE);
    UT_EQ_INT(cc_paging_parse("C:\\a-path-that-is-far-too-long.sys", p, sizeof p, &a, &b),
              ERR_TOO_BIG);
    UT_EQ_INT(cc_paging_parse("C:\\p.sys", p, 8, &a, &b), ERR_TOO_BIG);
    UT_EQ_STR(p, "untouched");
    UT_EQ_U64(a, 9);
    UT_EQ_U64(b, 9);
}

static void test_paging_entries(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    const struct cc_source src = { cc_tree_get, &t };
    char s[64];
    uint64_t mb;
    set_str(&t, MM, "PagingFiles", REG_MULTI_SZ,
            "%SystemRoot%\\pagefile.sys 16 16|bad 1 2 3|E:\\pagefile.sys");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), 0);
    UT_EQ_STR(s, "%SystemRoot%\\pagefile.sys");    /* a REG_MULTI_SZ: never expanded */
    UT_EQ_U64(mb, 16);
    UT_EQ_INT(cc_get_paging_file(&src, 1, s, sizeof s, &mb), ERR_INVALID_ARGS);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    UT_EQ_U64(mb, 0);
    UT_EQ_INT(cc_get_paging_file(&src, 2, s, sizeof s, NULL), 0);
    UT_EQ_STR(s, "E:\\pagefile.sys");
    UT_EQ_INT(cc_get_paging_file(&src, 3, s, sizeof s, &mb), ERR_NOT_FOUND);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    UT_EQ_INT(cc_get_paging_file(&src, 1000, s, sizeof s, &mb), ERR_NOT_FOUND);
    set_str(&t, MM, "PagingFiles", REG_MULTI_SZ, "");      /* an empty list */
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_NOT_FOUND);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

/* Getters that fail, or hand back what they should not. */
static int lie_mode;

static int lying_get(void *ctx, const char *key, const char *name, uint32_t want,
                     uint32_t *type, void *buf, size_t cap, size_t *len)
{
    (void)ctx, (void)key, (void)name;
    switch (lie_mode) {
    case 0:
        return ERR_IO;
    case 1:                 /* says more bytes than it may have written */
        *type = want;
        *len = cap + 1;
        return 0;
    case 2:                 /* a string without its NUL */
        memset(buf, 'z', cap);
        *type = REG_SZ;
        *len = cap;
        return 0;
    default:                /* a DWORD of the wrong size */
        *type = REG_DWORD;
        *len = 2;
        return 0;
    }
}

static void test_bad_getters(void)
{
    const struct cc_source src = { lying_get, NULL };
    char s[32];
    uint32_t v;
    uint64_t mb;
    lie_mode = 0;
    UT_EQ_INT(cc_get_dword(&src, CC_LOG_EVENT, &v), ERR_IO);
    UT_EQ_INT(v, 1);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), ERR_IO);
    UT_EQ_STR(s, "C:\\MEMORY.DMP");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_IO);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    lie_mode = 1;
    UT_EQ_INT(cc_get_dword(&src, CC_LOG_EVENT, &v), ERR_TOO_BIG);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), ERR_TOO_BIG);
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, &mb), ERR_TOO_BIG);
    lie_mode = 2;
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), ERR_BAD_STATE);
    UT_EQ_STR(s, "C:\\MEMORY.DMP");
    lie_mode = 3;
    UT_EQ_INT(cc_get_dword(&src, CC_AUTO_REBOOT, &v), ERR_BAD_STATE);
    UT_EQ_INT(v, 1);
}

/* A new hive gets exactly the values marked in_hive, with the table's defaults. */
static void test_new_hive(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    UT_EQ_INT(reg_defaults_apply(&t), 0);
    for (int i = 0; i < CC_VALUES; i++) {
        const struct cc_setting *c = &cc_settings[i];
        struct reg_value *v = ru_value(&t, c->key, c->name);
        UT_ASSERT(c->in_hive == (v != NULL));
        if (v)
            UT_EQ_INT(v->type, c->type);
    }
    const struct cc_source src = { cc_tree_get, &t };
    char s[64];
    uint32_t v;
    UT_EQ_INT(cc_get_dword(&src, CC_MINIDUMPS_COUNT, &v), 0);
    UT_EQ_INT(v, 50);
    UT_EQ_INT(cc_get_string(&src, CC_DUMP_FILE, s, sizeof s), 0);
    UT_EQ_STR(s, "C:\\MEMORY.DMP");
    UT_EQ_INT(cc_get_paging_file(&src, 0, s, sizeof s, NULL), 0);
    UT_EQ_STR(s, "C:\\pagefile.sys");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static const struct ut_case cases[] = {
    { "defaults_when_absent", test_defaults_when_absent },
    { "values_read", test_values_read },
    { "expand_only_expand_sz", test_expand_only_expand_sz },
    { "expand", test_expand },
    { "unusable_values", test_unusable_values },
    { "paging_parse", test_paging_parse },
    { "last_crash_time", test_last_crash_time },
    { "file_mb_range", test_file_mb_range },
    { "paging_entries", test_paging_entries },
    { "bad_getters", test_bad_getters },
    { "new_hive", test_new_hive },
};

UT_MAIN(cases)
