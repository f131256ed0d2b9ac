/* Unit tests for kernel/lib/num.c (num_parse): decimal and 0x hexadecimal, the maximum and
 * the 64-bit limit without overflow, empty or garbage strings left with *out untouched, and
 * tokens inside longer strings. */
#include <stdint.h>

#include "lib/num.h"
#include "err.h"
#include "tests/unit/ut.h"

static void test_decimal(void)
{
    uint64_t v = 7;
    UT_EQ_INT(num_parse("0", 10, &v), 0);
    UT_EQ_U64(v, 0);
    UT_EQ_INT(num_parse("123", 1000, &v), 0);
    UT_EQ_U64(v, 123);
    UT_EQ_INT(num_parse("007", 10, &v), 0);   /* leading zeros are decimal, not octal */
    UT_EQ_U64(v, 7);
    UT_EQ_INT(num_parse("18446744073709551615", UINT64_MAX, &v), 0);
    UT_EQ_U64(v, UINT64_MAX);
}

static void test_hex(void)
{
    uint64_t v = 0;
    UT_EQ_INT(num_parse("0x7B", UINT64_MAX, &v), 0);
    UT_EQ_U64(v, 123);
    UT_EQ_INT(num_parse("0Xff", 255, &v), 0);
    UT_EQ_U64(v, 255);
    UT_EQ_INT(num_parse("0xFFFFFFFFFFFFFFFF", UINT64_MAX, &v), 0);
    UT_EQ_U64(v, UINT64_MAX);
    UT_EQ_INT(num_parse("0x0000000000000000001", 1, &v), 0);
    UT_EQ_U64(v, 1);
}

static void test_max(void)
{
    uint64_t v = 42;
    UT_EQ_INT(num_parse("11", 10, &v), ERR_RANGE);
    UT_EQ_INT(num_parse("0x100", 255, &v), ERR_RANGE);
    UT_EQ_INT(num_parse("4294967296", UINT32_MAX, &v), ERR_RANGE);
    UT_EQ_INT(num_parse("1", 0, &v), ERR_RANGE);
    UT_EQ_U64(v, 42);
    UT_EQ_INT(num_parse("10", 10, &v), 0);
    UT_EQ_U64(v, 10);
}

static void test_overflow(void)
{
    uint64_t v = 42;
    UT_EQ_INT(num_parse("18446744073709551616", UINT64_MAX, &v), ERR_RANGE);
    UT_EQ_INT(num_parse("99999999999999999999999999", UINT64_MAX, &v), ERR_RANGE);
    UT_EQ_INT(num_parse("0x10000000000000000", UINT64_MAX, &v), ERR_RANGE);
    UT_EQ_U64(v, 42);
}

static void test_garbage(void)
{
    static const char *const bad[] = {
        "", "0x", "0X", "x1", "-1", "+1", " 1", "1 ", "12a", "0x1g", "1.5", "0b1", "1e3",
        "99999999999999999999999x",   /* garbage after an overflow is still garbage */
    };
    uint64_t v = 42;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        UT_EQ_INT(num_parse(bad[i], UINT64_MAX, &v), ERR_INVALID_ARGS);
    UT_EQ_U64(v, 42);
}

/* A token inside a longer string: only its len bytes count. */
static void test_len(void)
{
    uint64_t v = 42;
    UT_EQ_INT(num_parse_len("512 1024", 3, UINT64_MAX, &v), 0);
    UT_EQ_U64(v, 512);
    UT_EQ_INT(num_parse_len("0x10zz", 4, UINT64_MAX, &v), 0);
    UT_EQ_U64(v, 16);
    UT_EQ_INT(num_parse_len("0x10", 2, UINT64_MAX, &v), ERR_INVALID_ARGS);
    UT_EQ_INT(num_parse_len("12", 0, UINT64_MAX, &v), ERR_INVALID_ARGS);
    UT_EQ_INT(num_parse_len("0", 1, UINT64_MAX, &v), 0);
    UT_EQ_U64(v, 0);
    UT_EQ_INT(num_parse_len("1\0002", 3, UINT64_MAX, &v), ERR_INVALID_ARGS);
    UT_EQ_INT(num_parse_len("4294967296 0", 10, UINT32_MAX, &v), ERR_RANGE);
    UT_EQ_U64(v, 0);
}

static const struct ut_case cases[] = {
    { "decimal", test_decimal },
    { "hex", test_hex },
    { "max", test_max },
    { "overflow", test_overflow },
    { "garbage", test_garbage },
    { "len", test_len },
};

UT_MAIN(cases)
