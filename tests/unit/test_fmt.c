/* Unit tests for kernel/lib/fmt.c: every supported conversion is compared byte for byte with
 * the host's (glibc) vsnprintf over generated tables of flags, widths, precisions, lengths and
 * values; then truncation, the sink interface, and the Blackbox-specific %p, unknown
 * conversions and ERR_RANGE. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lib/fmt.h"
#include "tests/unit/ut.h"

#define CMP_BUF 1024
#define MAX_REPORTS 10

static unsigned cmp_count;       /* comparisons made by the current case */
static unsigned cmp_mismatches;  /* of which differed from the host */

/* Formats the same arguments with the host's vsnprintf and fmt_vsnprintf and compares the
 * return values and the bytes written (which may include a NUL from %c). */
static void cmp(const char *fmt, ...)
{
    char want[CMP_BUF], got[CMP_BUF];
    va_list ap, ap2;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    int rw = vsnprintf(want, sizeof(want), fmt, ap);
    int rg = fmt_vsnprintf(got, sizeof(got), fmt, ap2);
    va_end(ap2);
    va_end(ap);

    cmp_count++;
    if (rw == rg && rw >= 0 && rw < CMP_BUF && memcmp(want, got, (size_t)rw + 1) == 0)
        return;
    if (cmp_mismatches++ < MAX_REPORTS)
        printf("  mismatch for \"%s\": libc %d \"%s\", fmt %d \"%s\"\n", fmt, rw, want, rg, got);
}

static void cmp_begin(void)
{
    cmp_count = 0;
    cmp_mismatches = 0;
}

/* Every subset of the five flags, in a fixed order. */
static void flags_string(unsigned mask, char *out)
{
    static const char flags[] = "-0+ #";
    for (unsigned i = 0; i < 5; i++)
        if (mask & (1u << i))
            *out++ = flags[i];
    *out = '\0';
}

enum len { L_HH, L_H, L_NONE, L_L, L_LL, L_Z, L_T, L_J, L_COUNT };
static const char *const len_text[L_COUNT] = { "hh", "h", "", "l", "ll", "z", "t", "j" };

/* Passes v to cmp with the C type that `len` and signedness call for. */
static void cmp_int(const char *fmt, enum len len, bool is_signed, int64_t v)
{
    switch (len) {
    case L_HH:
    case L_H:
    case L_NONE:
        if (is_signed)
            cmp(fmt, (int)v);
        else
            cmp(fmt, (unsigned)v);
        break;
    case L_L:
        if (is_signed)
            cmp(fmt, (long)v);
        else
            cmp(fmt, (unsigned long)v);
        break;
    case L_LL:
        if (is_signed)
            cmp(fmt, (long long)v);
        else
            cmp(fmt, (unsigned long long)v);
        break;
    case L_Z:
    case L_T:
        if (is_signed)
            cmp(fmt, (ptrdiff_t)v);
        else
            cmp(fmt, (size_t)v);
        break;
    default:
        if (is_signed)
            cmp(fmt, (intmax_t)v);
        else
            cmp(fmt, (uintmax_t)v);
        break;
    }
}

static const int64_t int_values[] = {
    0, 1, -1, 7, 8, 9, 10, 15, 16, 42, -42, 99, 100, 127, 128, -128, -129, 255, 256,
    32767, 32768, -32768, -32769, 65535, 65536, 999999, 2147483647, -2147483647 - 1,
    4294967295LL, 4294967296LL, 0x123456789abcdefLL, -0x123456789abcdefLL,
    INT64_MAX, INT64_MIN, INT64_MIN + 1,
};

/* All 32 flag sets x 4 widths x 6 precisions x 6 conversions x 8 lengths x 35 values. */
static void test_integers_match_libc(void)
{
    static const char *const widths[] = { "", "1", "6", "24" };
    static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".21" };
    static const char convs[] = "diuoxX";
    char fmt[64];

    cmp_begin();
    for (unsigned mask = 0; mask < 32; mask++) {
        char fl[8];
        flags_string(mask, fl);
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
            for (size_t pr = 0; pr < sizeof(precs) / sizeof(precs[0]); pr++)
                for (size_t c = 0; convs[c]; c++)
                    for (int len = 0; len < L_COUNT; len++) {
                        snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", fl, widths[w], precs[pr],
                                 len_text[len], convs[c]);
                        for (size_t v = 0; v < sizeof(int_values) / sizeof(int_values[0]); v++)
                            cmp_int(fmt, (enum len)len, c < 2, int_values[v]);
                    }
    }
    UT_ASSERT(cmp_count > 1000000);
    UT_EQ_INT(cmp_mismatches, 0);
}

/* '*' widths and precisions, including negative ones, ahead of each kind of argument. */
static void test_star_matches_libc(void)
{
    static const char *const int_fmts[] = {
        "[%*d]", "[%-*d]", "[%0*d]", "[%+*i]", "[%*u]", "[%#*x]", "[%0*X]", "[%#0*o]",
    };
    static const char *const int_prec_fmts[] = {
        "[%.*d]", "[%0.*d]", "[%#.*o]", "[%#.*x]", "[% .*i]",
    };
    static const char *const both_fmts[] = {
        "[%*.*d]", "[%-*.*d]", "[%0*.*d]", "[%#*.*x]", "[%+0*.*lld]", "[%#-*.*llo]",
    };
    static const int stars[] = { -30, -6, -1, 0, 1, 2, 6, 30 };
    static const long long vals[] = { 0, 1, -1, 42, -12345, 0x7fffffff, INT64_MIN, INT64_MAX };
    static const char *const strs[] = { "", "x", "hello", "hello, world" };
    const size_t ns = sizeof(stars) / sizeof(stars[0]);
    const size_t nv = sizeof(vals) / sizeof(vals[0]);

    cmp_begin();
    for (size_t s = 0; s < ns; s++)
        for (size_t v = 0; v < nv; v++) {
            for (size_t f = 0; f < sizeof(int_fmts) / sizeof(int_fmts[0]); f++)
                cmp(int_fmts[f], stars[s], (int)vals[v]);
            for (size_t f = 0; f < sizeof(int_prec_fmts) / sizeof(int_prec_fmts[0]); f++)
                cmp(int_prec_fmts[f], stars[s], (int)vals[v]);
            for (size_t f = 0; f < sizeof(both_fmts) / sizeof(both_fmts[0]); f++)
                for (size_t t = 0; t < ns; t++) {
                    if (strstr(both_fmts[f], "ll"))
                        cmp(both_fmts[f], stars[s], stars[t], vals[v]);
                    else
                        cmp(both_fmts[f], stars[s], stars[t], (int)vals[v]);
                }
        }
    for (size_t s = 0; s < ns; s++) {
        cmp("[%*c]", stars[s], 'q');
        cmp("[%-*c]", stars[s], 'q');
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
            cmp("[%*s]", stars[s], strs[i]);
            cmp("[%.*s]", stars[s], strs[i]);
            for (size_t t = 0; t < ns; t++)
                cmp("[%-*.*s]", stars[s], stars[t], strs[i]);
        }
    }
    UT_EQ_INT(cmp_mismatches, 0);
}

/* %s and %c under every flag set, width and precision; NULL strings and a NUL char too. */
static void test_strings_chars_match_libc(void)
{
    static const char *const widths[] = { "", "1", "5", "20" };
    static const char *const precs[] = { "", ".", ".0", ".2", ".5", ".6", ".30" };
    static const char *const strs[] = { "", "a", "hello", "hello, world!", NULL };
    static const int chars[] = { 'A', 'z', ' ', '%', 0x7f, 0xff, 0 };
    char fmt[64];

    cmp_begin();
    for (unsigned mask = 0; mask < 32; mask++) {
        char fl[8];
        flags_string(mask, fl);
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
            for (size_t pr = 0; pr < sizeof(precs) / sizeof(precs[0]); pr++) {
                snprintf(fmt, sizeof(fmt), "<%%%s%s%ss>", fl, widths[w], precs[pr]);
                for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                    cmp(fmt, strs[i]);
                snprintf(fmt, sizeof(fmt), "<%%%s%s%sc>", fl, widths[w], precs[pr]);
                for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
                    cmp(fmt, chars[i]);
            }
    }
    cmp("%lc|%lc", (int)'b', 0);
    UT_EQ_INT(cmp_mismatches, 0);
}

/* Hand-written formats: several conversions per string, literal text, %%, long output. */
static void test_mixed_formats_match_libc(void)
{
    cmp_begin();
    cmp("");
    cmp("plain text, no conversions");
    cmp("100%% sure, %d%%", 100);
    cmp("%d %i %u %o %x %X %c %s", -1, 2, 3u, 8u, 255u, 255u, 'c', "str");
    cmp("%hhd %hhu %hd %hu", 300, 300u, 70000, 70000u);
    cmp("%ld %lu %lld %llu", (long)INT64_MIN, (unsigned long)UINT64_MAX, (long long)INT64_MIN,
        (unsigned long long)UINT64_MAX);
    cmp("%zd %zu %zx %td %tu %jd %ju %jx", (ptrdiff_t)-5, (size_t)SIZE_MAX, (size_t)0xdead,
        (ptrdiff_t)PTRDIFF_MIN, (size_t)7, (intmax_t)INTMAX_MIN, (uintmax_t)UINTMAX_MAX,
        (uintmax_t)0xbeef);
    cmp("%.0d|%.0u|%.0x|%#.0x|%#.0o|%+.0d|% .0d|%5.0d|%-5.0d|", 0, 0u, 0u, 0u, 0u, 0, 0, 0, 0);
    cmp("%#x %#X %#o %#x %#o", 0u, 0xabcu, 0u, 1u, 1u);
    cmp("%.300d", 1);
    cmp("%-300s|", "left");
    cmp("%300.2s|", "right");
    cmp("%0-8d|%-08d|%+ d|% +d", 5, 5, 5, 5);
    UT_EQ_INT(cmp_mismatches, 0);
}

/* Every buffer size from 0 to past the full length: same return and same bytes as libc,
 * always NUL-terminated, nothing written beyond `size`. */
static void test_truncation(void)
{
    const char *fmt = "%s=%08x (%-6d) %c%%";
    char want[64], got[64 + 8];
    int full = snprintf(want, sizeof(want), fmt, "value", 0xc0ffeeu, -42, '!');

    UT_ASSERT(full > 0 && full < 64);
    UT_EQ_INT(fmt_snprintf(NULL, 0, fmt, "value", 0xc0ffeeu, -42, '!'), full);
    for (size_t size = 0; size <= (size_t)full + 2; size++) {
        memset(got, 0x5a, sizeof(got));
        UT_EQ_INT(fmt_snprintf(got, size, fmt, "value", 0xc0ffeeu, -42, '!'), full);
        for (size_t i = size; i < sizeof(got); i++)
            UT_EQ_INT(got[i], 0x5a);
        if (size == 0)
            continue;
        size_t kept = size - 1 < (size_t)full ? size - 1 : (size_t)full;
        UT_ASSERT(memcmp(got, want, kept) == 0);
        UT_EQ_INT(got[kept], '\0');
    }
}

/* A sink that records what it gets, in order, into a buffer. */
struct rec {
    char text[512];
    size_t len;
    unsigned calls;
    bool empty_piece;           /* the sink was called with n == 0 */
};

static void rec_sink(void *ctx, const char *s, size_t n)
{
    struct rec *r = ctx;

    r->calls++;
    if (n == 0)
        r->empty_piece = true;
    if (n > sizeof(r->text) - r->len)
        n = sizeof(r->text) - r->len;
    memcpy(r->text + r->len, s, n);
    r->len += n;
}

static int rec_format(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    memset(r, 0, sizeof(*r));
    int n = fmt_vformat(rec_sink, r, fmt, ap);
    va_end(ap);
    return n;
}

/* The sink sees exactly the snprintf output, never an empty piece, and the count matches;
 * an output longer than any internal chunk arrives whole. */
static void test_sink(void)
{
    struct rec r;
    char want[512];

    int n = rec_format(&r, "abc %d [%-40s] %#.20llx %c%%", -7, "pad", 0x1234ULL, 'Z');
    int wn = snprintf(want, sizeof(want), "abc %d [%-40s] %#.20llx %c%%", -7, "pad", 0x1234ULL,
                      'Z');
    UT_EQ_INT(n, wn);
    UT_EQ_INT(r.len, (size_t)wn);
    UT_ASSERT(memcmp(r.text, want, r.len) == 0);
    UT_ASSERT(!r.empty_piece);
    UT_ASSERT(r.calls > 1);

    UT_EQ_INT(rec_format(&r, ""), 0);
    UT_EQ_INT(r.calls, 0);
    UT_EQ_INT(rec_format(&r, "%.0d%s", 0, ""), 0);
    UT_EQ_INT(r.calls, 0);

    n = rec_format(&r, "%c", 0);
    UT_EQ_INT(n, 1);
    UT_EQ_INT(r.len, 1);
    UT_EQ_INT(r.text[0], '\0');
}

/* %p is always "0x" and 16 hex digits, padded only by width and '-'. */
static void test_pointer(void)
{
    char buf[64];

    UT_EQ_INT(fmt_snprintf(buf, sizeof(buf), "%p", (void *)0), 18);
    UT_EQ_STR(buf, "0x0000000000000000");
    fmt_snprintf(buf, sizeof(buf), "%p", (void *)0x1234);
    UT_EQ_STR(buf, "0x0000000000001234");
    fmt_snprintf(buf, sizeof(buf), "%p", (void *)UINTPTR_MAX);
    UT_EQ_STR(buf, "0xffffffffffffffff");
    fmt_snprintf(buf, sizeof(buf), "%p", (void *)0xffffffff80001000ULL);
    UT_EQ_STR(buf, "0xffffffff80001000");
    fmt_snprintf(buf, sizeof(buf), "[%20p]", (void *)0xabc);
    UT_EQ_STR(buf, "[  0x0000000000000abc]");
    fmt_snprintf(buf, sizeof(buf), "[%-20p]", (void *)0xabc);
    UT_EQ_STR(buf, "[0x0000000000000abc  ]");
    fmt_snprintf(buf, sizeof(buf), "[%*p]", -19, (void *)1);
    UT_EQ_STR(buf, "[0x0000000000000001 ]");
    fmt_snprintf(buf, sizeof(buf), "[%5p]", (void *)1);
    UT_EQ_STR(buf, "[0x0000000000000001]");
    UT_EQ_INT(fmt_snprintf(buf, 6, "%p", (void *)0xfeed), 18);
    UT_EQ_STR(buf, "0x000");
}

/* Calls fmt_vsnprintf without the compiler's format checking, for deliberately bad formats. */
static int raw_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Unknown conversions are printed as written; where glibc does the same, so do we. */
static void test_unknown_conversions(void)
{
    char buf[64];

    /* As glibc (checked by hand: ASan's printf interceptor rejects these formats). */
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "[%y]"), 4);
    UT_EQ_STR(buf, "[%y]");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "[%-5y|%d]", 7), 8);
    UT_EQ_STR(buf, "[%-5y|7]");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "[%5%][%-5%][%05%]"), 9);
    UT_EQ_STR(buf, "[%][%][%]");
    /* Printed as written, where glibc would reorder the flags, drop the length modifier,
     * take a positional argument, print a double or store a count. */
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "[%-#08.3y]"), 10);
    UT_EQ_STR(buf, "[%-#08.3y]");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "%f %n|%d", 3), 7);
    UT_EQ_STR(buf, "%f %n|3");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "[%lly]"), 6);
    UT_EQ_STR(buf, "[%lly]");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "%1$d", 5), 4);
    UT_EQ_STR(buf, "%1$d");
    /* '*' still consumes its argument, so the next conversion gets the right one. */
    raw_snprintf(buf, sizeof(buf), "%*.*y|%d", 3, 4, 99);
    UT_EQ_STR(buf, "%*.*y|99");
    /* A '%' cut off by the end of the format. */
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "abc%"), 4);
    UT_EQ_STR(buf, "abc%");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "abc%-5.2l"), 9);
    UT_EQ_STR(buf, "abc%-5.2l");
}

/* Output that cannot be counted in an int fails with ERR_RANGE before emitting the field;
 * the buffer is still terminated. */
static void test_range_errors(void)
{
    char buf[16];
    struct rec r;

    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "ab%2147483648d", 1), ERR_RANGE);
    UT_EQ_STR(buf, "ab");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "%.2147483648d", 1), ERR_RANGE);
    UT_EQ_STR(buf, "");
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "%99999999999999999999999s", "x"), ERR_RANGE);
    UT_EQ_INT(raw_snprintf(buf, sizeof(buf), "xy%*d", INT32_MIN, 5), ERR_RANGE);
    UT_EQ_STR(buf, "xy");
    UT_EQ_INT(rec_format(&r, "%s%*d%s", "ok", INT32_MIN, 5, "never"), ERR_RANGE);
    UT_EQ_INT(r.len, 2);
    UT_ASSERT(memcmp(r.text, "ok", 2) == 0);
    /* Exactly INT_MAX is allowed (counted without being stored). */
    UT_EQ_INT(raw_snprintf(NULL, 0, "%.2147483646d", 1), 2147483646);
    UT_EQ_INT(raw_snprintf(NULL, 0, "x%.2147483646d", 1), 2147483647);
    UT_EQ_INT(raw_snprintf(NULL, 0, "xy%.2147483646d", 1), ERR_RANGE);
}

static const struct ut_case cases[] = {
    { "integers_match_libc", test_integers_match_libc },
    { "star_matches_libc", test_star_matches_libc },
    { "strings_chars_match_libc", test_strings_chars_match_libc },
    { "mixed_formats_match_libc", test_mixed_formats_match_libc },
    { "truncation", test_truncation },
    { "sink", test_sink },
    { "pointer", test_pointer },
    { "unknown_conversions", test_unknown_conversions },
    { "range_errors", test_range_errors },
};

UT_MAIN(cases)
