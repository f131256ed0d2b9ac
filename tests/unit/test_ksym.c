/* Unit tests of the kernel symbol table (kernel/lib/ksym.c) and of its builder
 * tools/mkksyms.c, which is included here (without its main) so that the test drives the
 * whole tool: fixed nm text, malformed input, and real `nm` output of this very binary. */
#define MKKSYMS_NO_MAIN
#include "tools/mkksyms.c"

#include <limits.h>

#include "err.h"
#include "lib/ksym.h"
#include "ut.h"

struct tsym {
    uint64_t addr;
    uint32_t size;
    const char *name;
};

/* Serialises syms in the order given (so tests can build unsorted tables) into buf; returns
 * the blob length. */
static size_t build(const struct tsym *syms, size_t n, uint8_t *buf)
{
    struct ksym_hdr h;
    size_t str = 0, strtab = 0;

    for (size_t i = 0; i < n; i++)
        strtab += strlen(syms[i].name) + 1;
    if (strtab == 0)
        strtab = 1;
    memcpy(h.magic, KSYM_MAGIC, KSYM_MAGIC_LEN);
    h.count = (uint32_t)n;
    h.strtab_size = (uint32_t)strtab;
    memcpy(buf, &h, sizeof h);
    memset(buf + KSYM_BLOB_SIZE(n, 0), 0, strtab);
    for (size_t i = 0; i < n; i++) {
        struct ksym_entry e = { syms[i].addr, syms[i].size, (uint32_t)str };
        memcpy(buf + sizeof h + i * sizeof e, &e, sizeof e);
        strcpy((char *)buf + KSYM_BLOB_SIZE(n, 0) + str, syms[i].name);
        str += strlen(syms[i].name) + 1;
    }
    return KSYM_BLOB_SIZE(n, strtab);
}

static const struct tsym four[] = {
    { 0xffffffff80101000, 0x10, "alpha" },
    { 0xffffffff80101010, 0, "beta" },     /* unsized: runs up to gamma */
    { 0xffffffff80102000, 0x100, "gamma" },
    { 0xffffffff80103000, 0, "delta" },    /* unsized and last: runs to the top */
};

static struct ksym_entry entry_at(uint8_t *blob, size_t i)
{
    struct ksym_entry e;
    memcpy(&e, blob + sizeof(struct ksym_hdr) + i * sizeof e, sizeof e);
    return e;
}

static void set_entry(uint8_t *blob, size_t i, struct ksym_entry e)
{
    memcpy(blob + sizeof(struct ksym_hdr) + i * sizeof e, &e, sizeof e);
}

/* ksym_lookup's answer as "name+off", "NF" (not found) or "CORRUPT". */
static const char *look(const uint8_t *blob, size_t len, uint64_t addr)
{
    static char out[128];
    const char *name;
    uint64_t off;
    int rc = ksym_lookup(blob, len, addr, &name, &off);
    if (rc == ERR_NOT_FOUND)
        return "NF";
    if (rc != 0)
        return "CORRUPT";
    snprintf(out, sizeof out, "%s+%" PRIu64, name, off);
    return out;
}

static void t_lookup(void)
{
    uint8_t blob[512];
    size_t len = build(four, 4, blob);

    UT_EQ_INT(ksym_validate(blob, len), 4);
    UT_EQ_STR(look(blob, len, 0xffffffff80101000), "alpha+0");
    UT_EQ_STR(look(blob, len, 0xffffffff8010100f), "alpha+15");
    UT_EQ_STR(look(blob, len, 0xffffffff80101010), "beta+0");
    UT_EQ_STR(look(blob, len, 0xffffffff80101fff), "beta+4079");
    UT_EQ_STR(look(blob, len, 0xffffffff80102000), "gamma+0");
    UT_EQ_STR(look(blob, len, 0xffffffff801020ff), "gamma+255");
    UT_EQ_STR(look(blob, len, 0xffffffff80102100), "NF");       /* past gamma's end */
    UT_EQ_STR(look(blob, len, 0xffffffff80102fff), "NF");
    UT_EQ_STR(look(blob, len, 0xffffffff80100fff), "NF");       /* below the first */
    UT_EQ_STR(look(blob, len, 0), "NF");
    UT_EQ_STR(look(blob, len, 0xffffffff80103000), "delta+0");
    UT_EQ_STR(look(blob, len, 0xffffffff80103008), "delta+8");

    /* Above a sized last symbol. */
    len = build(four, 3, blob);
    UT_EQ_STR(look(blob, len, 0xffffffff80103000), "NF");
    UT_EQ_STR(look(blob, len, UINT64_MAX), "NF");
    UT_EQ_STR(look(blob, len, 0xffffffff80102010), "gamma+16");

    /* One symbol; an empty table. */
    len = build(four + 2, 1, blob);
    UT_EQ_STR(look(blob, len, 0xffffffff80102001), "gamma+1");
    UT_EQ_STR(look(blob, len, 0xffffffff80101000), "NF");
    len = build(four, 0, blob);
    UT_EQ_INT(ksym_validate(blob, len), 0);
    UT_EQ_STR(look(blob, len, 0xffffffff80102001), "NF");
}

static void t_lookup_many(void)
{
    static struct tsym syms[1000];
    static char names[1000][16];
    static uint8_t blob[64 * 1024];
    size_t len;

    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        syms[i] = (struct tsym){ 0x100000 + (uint64_t)i * 0x40, (uint32_t)(i % 3 ? 0x20 : 0),
                                 names[i] };
    }
    len = build(syms, 1000, blob);
    UT_EQ_INT(ksym_validate(blob, len), 1000);
    for (int i = 0; i < 1000; i++) {
        char want[32];
        snprintf(want, sizeof want, "f%d+0", i);
        UT_EQ_STR(look(blob, len, 0x100000 + (uint64_t)i * 0x40), want);
        snprintf(want, sizeof want, "f%d+31", i);
        UT_EQ_STR(look(blob, len, 0x100000 + (uint64_t)i * 0x40 + 31), want);
        snprintf(want, sizeof want, "f%d+32", i);
        UT_EQ_STR(look(blob, len, 0x100000 + (uint64_t)i * 0x40 + 32), i % 3 ? "NF" : want);
    }
}

static void t_validate_and_corrupt(void)
{
    uint8_t blob[512], bad[512];
    size_t len = build(four, 4, blob);
    struct ksym_hdr h;
    struct ksym_entry e;

    /* Trailing bytes after the table are allowed. */
    UT_EQ_INT(ksym_validate(blob, sizeof blob), 4);
    UT_EQ_INT(ksym_validate(NULL, len), ERR_INVALID_ARGS);

    /* Truncated anywhere: refused by both validate and lookup. */
    for (size_t l = 0; l < len; l++) {
        UT_EQ_INT(ksym_validate(blob, l), ERR_CORRUPT);
        UT_EQ_STR(look(blob, l, 0xffffffff80101000), "CORRUPT");
    }

#define BAD(stmt) do { memcpy(bad, blob, len); stmt; \
        UT_EQ_INT(ksym_validate(bad, len), ERR_CORRUPT); } while (0)
    BAD(bad[3] = 'x');                                      /* magic */
    BAD(bad[len - 1] = 'x');                                /* strtab not terminated */
    memcpy(&h, blob, sizeof h);
    BAD(h.count = 5; memcpy(bad, &h, sizeof h));            /* entries past the end */
    BAD(h.count = UINT32_MAX; memcpy(bad, &h, sizeof h));
    memcpy(&h, blob, sizeof h);
    BAD(h.strtab_size = 0; memcpy(bad, &h, sizeof h));
    BAD(h.strtab_size += 1; memcpy(bad, &h, sizeof h));
    BAD(h.strtab_size = UINT32_MAX; memcpy(bad, &h, sizeof h));
    e = entry_at(blob, 2);
    BAD(e.name_off = 1000; set_entry(bad, 2, e));           /* name offset out of range */
    BAD(e.name_off = h.strtab_size; set_entry(bad, 2, e));
    BAD(e.name_off = h.strtab_size - 1; set_entry(bad, 2, e));   /* empty name */
    e = entry_at(blob, 2);
    BAD(e.addr = 0xffffffff80100000; set_entry(bad, 2, e));  /* unsorted */
    BAD(e.addr = entry_at(blob, 1).addr; set_entry(bad, 2, e));  /* duplicate address */
    e = entry_at(blob, 3);
    BAD(e.addr = UINT64_MAX - 4; e.size = 16; set_entry(bad, 3, e));  /* end wraps */
#undef BAD

    /* lookup checks the name offset of the entry it lands on. */
    memcpy(bad, blob, len);
    e = entry_at(blob, 2);
    e.name_off = 1000;
    set_entry(bad, 2, e);
    UT_EQ_STR(look(bad, len, 0xffffffff80102004), "CORRUPT");
    UT_EQ_STR(look(bad, len, 0xffffffff80101004), "alpha+4");
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random damage to a valid blob, copied to an exact-size allocation so that ASan catches any
 * read past its end. Whatever lookup and format answer, they must stay inside the blob. */
static void t_lookup_fuzz(void)
{
    uint8_t blob[512];
    size_t len = build(four, 4, blob);
    long valid = 0;

    for (int iter = 0; iter < 20000; iter++) {
        size_t l = rnd() % 5 == 0 ? rnd() % (len + 1) : len;
        uint8_t *a = malloc(l ? l : 1);
        char out[64];
        UT_ASSERT(a != NULL);
        memcpy(a, blob, l);
        for (int n = (int)(rnd() % 4); n > 0 && l > 0; n--)
            a[rnd() % l] = (uint8_t)rnd();
        if (ksym_validate(a, l) >= 0)
            valid++;
        for (int k = 0; k < 8; k++) {
            uint64_t addr = k < 4 ? four[k].addr + rnd() % 0x200 : rnd();
            const char *name;
            uint64_t off;
            if (ksym_lookup(a, l, addr, &name, &off) == 0 &&
                (name < (const char *)a || name + strlen(name) >= (const char *)a + l)) {
                free(a);
                UT_ASSERT(!"name outside the blob");
            }
            UT_ASSERT(ksym_format(a, l, addr, out, sizeof out) > 0);
        }
        free(a);
    }
    printf("  fuzz: %ld of 20000 damaged blobs still valid\n", valid);
}

static void t_format(void)
{
    uint8_t blob[512];
    size_t len = build(four, 4, blob);
    char buf[64];

    UT_EQ_INT(ksym_format(blob, len, 0xffffffff80101000, buf, sizeof buf), 9);
    UT_EQ_STR(buf, "alpha+0x0");
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff801020ff, buf, sizeof buf), 10);
    UT_EQ_STR(buf, "gamma+0xff");
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff80102100, buf, sizeof buf), 18);
    UT_EQ_STR(buf, "0xffffffff80102100");
    UT_EQ_INT(ksym_format(blob, len, 0x1234, buf, sizeof buf), 18);
    UT_EQ_STR(buf, "0x0000000000001234");
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff80103000 + 0x12345678, buf, sizeof buf), 16);
    UT_EQ_STR(buf, "delta+0x12345678");
    /* A corrupt or absent table still gives the raw address. */
    UT_EQ_INT(ksym_format(blob, 3, 0xffffffff80101234, buf, sizeof buf), 18);
    UT_EQ_STR(buf, "0xffffffff80101234");
    UT_EQ_INT(ksym_format(NULL, 0, 0xffffffff80101234, buf, sizeof buf), 18);
    /* Cut short: a terminated prefix and ERR_NO_SPACE. */
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff801020ff, buf, 10), ERR_NO_SPACE);
    UT_EQ_STR(buf, "gamma+0xf");
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff801020ff, buf, 11), 10);
    UT_EQ_INT(ksym_format(blob, len, 0xffffffff801020ff, buf, 1), ERR_NO_SPACE);
    UT_EQ_STR(buf, "");
    UT_EQ_INT(ksym_format(blob, len, 0, NULL, 10), ERR_INVALID_ARGS);
    UT_EQ_INT(ksym_format(blob, len, 0, buf, 0), ERR_INVALID_ARGS);
}

/* Runs the tool on `text` writing `out`; its stderr goes to `err` (NUL-terminated). */
static int run_mkksyms(const char *text, const char *out, char *err, size_t errsize)
{
    char *argv[] = { "mkksyms", (char *)out, NULL };
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    FILE *cap = tmpfile();
    int saved, rc;
    size_t n;

    if (in == NULL || cap == NULL)
        return -100;
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(cap), 2);
    rc = mkksyms_main(out ? 2 : 1, argv, in);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(cap);
    n = fread(err, 1, errsize - 1, cap);
    err[n] = '\0';
    fclose(cap);
    fclose(in);
    return rc;
}

/* Reads a whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

/* A fresh directory for one test's output file; rm_tmp() removes both. */
struct tmp {
    char dir[32];
    char path[64];
};

static int mk_tmp(struct tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/test_ksym.XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/ksyms.bin", t->dir);
    return 0;
}

static void rm_tmp(struct tmp *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

static void t_mkksyms_fixed(void)
{
    const char *text =
        "ffffffff80100100 T late_in_input\n"
        "ffffffff80100000 0000000000000020 T kmain\n"
        "ffffffff80100000 t kmain_local_alias\n"
        "\n"
        "ffffffff80100020 0000000000000010 t helper\n"
        "ffffffff80100020 W helper_weak\n"
        "ffffffff80100040 0000000000000008 t\tstatic_fn\n"
        "ffffffff80100040 0000000000000008 t static_fn_twin\n"
        "ffffffff80200000 0000000000000100 D some_data\n"
        "ffffffff80100030 0000000000000008 r rodata_thing\n"
        "ffffffff80300000 B bss_thing\n"
        "0000000000000010 a abs_thing\n";
    struct tmp t;
    const char *path = t.path;
    char err[256];
    uint8_t *blob;
    size_t len;

    UT_EQ_INT(mk_tmp(&t), 0);
    UT_EQ_INT(run_mkksyms(text, path, err, sizeof err), 0);
    UT_EQ_STR(err, "");
    blob = slurp(path, &len);
    UT_ASSERT(blob != NULL);
    UT_EQ_INT(ksym_validate(blob, len), 4);
    UT_EQ_STR(look(blob, len, 0xffffffff80100000), "kmain+0");
    UT_EQ_STR(look(blob, len, 0xffffffff8010001f), "kmain+31");
    UT_EQ_STR(look(blob, len, 0xffffffff80100020), "helper_weak+0");   /* W beats t */
    UT_EQ_STR(look(blob, len, 0xffffffff8010002f), "helper_weak+15");  /* alias's size */
    UT_EQ_STR(look(blob, len, 0xffffffff80100030), "NF");
    UT_EQ_STR(look(blob, len, 0xffffffff80100041), "static_fn+1");     /* first one wins */
    UT_EQ_STR(look(blob, len, 0xffffffff80100100), "late_in_input+0");
    UT_EQ_STR(look(blob, len, 0xffffffff80200010), "late_in_input+1048336");
    free(blob);

    /* No text symbols at all: a valid, empty table. */
    UT_EQ_INT(run_mkksyms("ffffffff80200000 D data\n", path, err, sizeof err), 0);
    blob = slurp(path, &len);
    UT_ASSERT(blob != NULL);
    UT_EQ_INT(ksym_validate(blob, len), 0);
    free(blob);
    rm_tmp(&t);
}

static void t_mkksyms_malformed(void)
{
    static const char *const bad[] = {
        "zzzz T foo\n",
        "ffff T\n",
        "T foo\n",
        "ffff 10 TT foo\n",
        "ffff 10 T foo extra\n",
        "ffff 1ffffffff T foo\n",
        "ffff -10 T foo\n",
        "12345678901234567 T foo\n",
        "ffff T foo\nkernel.elf:\n",
    };
    struct tmp t;
    const char *path = t.path;
    char err[256];
    FILE *f;

    UT_EQ_INT(mk_tmp(&t), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* A stale table from an earlier run must not survive the failure. */
        f = fopen(path, "w");
        UT_ASSERT(f != NULL);
        fclose(f);
        UT_EQ_INT(run_mkksyms(bad[i], path, err, sizeof err), 1);
        UT_ASSERT(strstr(err, "mkksyms: stdin:") != NULL && strstr(err, "malformed line") != NULL);
        UT_ASSERT(access(path, F_OK) != 0);
    }
    UT_ASSERT(strstr(err, "stdin:2:") != NULL);
    UT_EQ_INT(run_mkksyms("", NULL, err, sizeof err), 2);
    UT_ASSERT(strstr(err, "usage") != NULL);
    UT_EQ_INT(run_mkksyms("ffff T foo\n", "/nonexistent-dir/x.bin", err, sizeof err), 1);
    UT_ASSERT(strstr(err, "/nonexistent-dir/x.bin") != NULL);
    rm_tmp(&t);
}

/* Functions whose addresses the end-to-end test looks up. */
__attribute__((noinline)) int ut_ksym_probe_a(int x)
{
    return x * 3 + 1;
}

__attribute__((noinline)) int ut_ksym_probe_b(int x)
{
    return x * 5 - 2;
}

/* nm's address for the text symbol `name`, from its output, or 0. */
static uint64_t nm_addr(const char *text, const char *name)
{
    size_t nl = strlen(name);
    const char *p = text;

    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        size_t ll = end ? (size_t)(end - p) : strlen(p);
        if (ll > nl + 3 && memcmp(p + ll - nl, name, nl) == 0 && p[ll - nl - 1] == ' ' &&
            (p[ll - nl - 2] == 'T' || p[ll - nl - 2] == 't'))
            return strtoull(p, NULL, 16);
        p += end ? ll + 1 : ll;
    }
    return 0;
}

static void t_mkksyms_nm_self(void)
{
    char self[PATH_MAX], cmd[PATH_MAX + 64], err[256];
    struct tmp t;
    const char *path = t.path;
    static char text[4 << 20];
    size_t n = 0, len, got;
    uint8_t *blob;
    ssize_t sl;
    FILE *p;
    const char *name;
    uint64_t off, base;

    UT_EQ_INT(mk_tmp(&t), 0);
    sl = readlink("/proc/self/exe", self, sizeof self - 1);
    UT_ASSERT(sl > 0);
    self[sl] = '\0';
    snprintf(cmd, sizeof cmd, "nm -n --defined-only --print-size '%s'", self);
    p = popen(cmd, "r");
    UT_ASSERT(p != NULL);
    while ((got = fread(text + n, 1, sizeof text - 1 - n, p)) > 0)
        n += got;
    text[n] = '\0';
    UT_EQ_INT(pclose(p), 0);
    UT_ASSERT(n > 0 && n < sizeof text - 1);

    UT_EQ_INT(run_mkksyms(text, path, err, sizeof err), 0);
    blob = slurp(path, &len);
    UT_ASSERT(blob != NULL);
    UT_ASSERT(ksym_validate(blob, len) > 20);
    /* nm gives link-time addresses; this PIE may be loaded elsewhere. */
    UT_ASSERT(nm_addr(text, "ut_ksym_probe_a") != 0);
    base = (uint64_t)(uintptr_t)&ut_ksym_probe_a - nm_addr(text, "ut_ksym_probe_a");
    UT_EQ_INT(ksym_lookup(blob, len, (uint64_t)(uintptr_t)&ut_ksym_probe_b + 1 - base,
                          &name, &off), 0);
    UT_EQ_STR(name, "ut_ksym_probe_b");
    UT_EQ_U64(off, 1);
    UT_EQ_INT(ksym_lookup(blob, len, (uint64_t)(uintptr_t)&ksym_lookup - base, &name, &off), 0);
    UT_EQ_STR(name, "ksym_lookup");
    UT_EQ_U64(off, 0);
    UT_EQ_INT(ksym_lookup(blob, len, (uint64_t)(uintptr_t)&t_mkksyms_nm_self + 4 - base,
                          &name, &off), 0);
    UT_EQ_STR(name, "t_mkksyms_nm_self");
    UT_EQ_U64(off, 4);
    free(blob);
    rm_tmp(&t);
}

static const struct ut_case cases[] = {
    { "lookup", t_lookup },
    { "lookup_many", t_lookup_many },
    { "validate_and_corrupt", t_validate_and_corrupt },
    { "lookup_fuzz", t_lookup_fuzz },
    { "format", t_format },
    { "mkksyms_fixed", t_mkksyms_fixed },
    { "mkksyms_malformed", t_mkksyms_malformed },
    { "mkksyms_nm_self", t_mkksyms_nm_self },
};

UT_MAIN(cases)
