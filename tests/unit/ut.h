/* Minimal unit-test harness for host-compiled tests of portable code. A test file lists its
 * cases in a table and ends with UT_MAIN(table). The binary runs all cases (or one with
 * `--run NAME`, or lists them with `--list`), prints PASS/FAIL per case and a closing
 * "N passed, N failed" line; exit status is non-zero if any case failed. */
#ifndef BB_UT_H
#define BB_UT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ut_case {
    const char *name;
    void (*fn)(void);
};

static int ut_failed_now;

static inline void ut_fail(const char *file, int line, const char *what)
{
    printf("  %s:%d: check failed: %s\n", file, line, what);
    ut_failed_now = 1;
}

#define UT_ASSERT(c) do { if (!(c)) { ut_fail(__FILE__, __LINE__, #c); return; } } while (0)

#define UT_EQ_INT(a, b) do { \
    long long ut_a_ = (long long)(a), ut_b_ = (long long)(b); \
    if (ut_a_ != ut_b_) { char ut_m_[256]; \
        snprintf(ut_m_, sizeof ut_m_, "%s == %s (%lld vs %lld)", #a, #b, ut_a_, ut_b_); \
        ut_fail(__FILE__, __LINE__, ut_m_); return; } } while (0)

#define UT_EQ_U64(a, b) do { \
    uint64_t ut_a_ = (uint64_t)(a), ut_b_ = (uint64_t)(b); \
    if (ut_a_ != ut_b_) { char ut_m_[256]; \
        snprintf(ut_m_, sizeof ut_m_, "%s == %s (0x%" PRIx64 " vs 0x%" PRIx64 ")", #a, #b, ut_a_, ut_b_); \
        ut_fail(__FILE__, __LINE__, ut_m_); return; } } while (0)

#define UT_EQ_STR(a, b) do { \
    const char *ut_a_ = (a), *ut_b_ = (b); \
    if (ut_a_ == NULL || ut_b_ == NULL || strcmp(ut_a_, ut_b_) != 0) { char ut_m_[512]; \
        snprintf(ut_m_, sizeof ut_m_, "%s == %s (\"%s\" vs \"%s\")", #a, #b, \
                 ut_a_ ? ut_a_ : "(null)", ut_b_ ? ut_b_ : "(null)"); \
        ut_fail(__FILE__, __LINE__, ut_m_); return; } } while (0)

static inline int ut_main(const struct ut_case *cases, size_t n, int argc, char **argv)
{
    const char *only = NULL;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--run") == 0)
        only = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --run NAME]\n", argv[0]);
        return 2;
    }
    unsigned passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, cases[i].name) != 0)
            continue;
        ut_failed_now = 0;
        cases[i].fn();
        printf("%s %s\n", ut_failed_now ? "FAIL" : "PASS", cases[i].name);
        if (ut_failed_now)
            failed++;
        else
            passed++;
    }
    if (only && passed + failed == 0) {
        fprintf(stderr, "no test named %s\n", only);
        return 2;
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define UT_MAIN(table) \
    int main(int argc, char **argv) { return ut_main(table, sizeof(table) / sizeof(table[0]), argc, argv); }

#endif
