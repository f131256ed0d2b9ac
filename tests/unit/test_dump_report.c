/* Unit tests of the crash-report core (dump/recovery/dump_report.c): encode/decode round
 * trip, every kind of malformed report refused with the right problem (ASan checks no byte
 * outside the buffer is read) and the header's own problems found from the header alone,
 * frame resynchronization over garbage, ACK/NAK lines. */
#include "ut.h"
#include "dump_util.h"
#include "dump/recovery/dump_report.h"
#include "err.h"

/* A report of the test small dump, in a heap buffer of exactly its size. */
static uint8_t *make_report(size_t *len, uint8_t **dump_out, size_t *dump_len)
{
    size_t dl;
    uint8_t *dump = dump_test_small(&dl);
    if (!dump)
        return NULL;
    uint8_t *r = malloc(DUMP_REPORT_HEADER_SIZE + dl);
    if (dump_report_encode(r, DUMP_REPORT_HEADER_SIZE + dl, dump, dl,
                           dump_report_make_id(dump, dl), len) != 0) {
        free(r);
        r = NULL;
    }
    if (dump_out) {
        *dump_out = dump;
        *dump_len = dl;
    } else {
        free(dump);
    }
    return r;
}

/* Decodes a copy of exactly `len` bytes so ASan sees any read past the end. */
static int decode_copy(const uint8_t *b, size_t len, struct dump_report_info *info)
{
    uint8_t *c = malloc(len ? len : 1);
    memcpy(c, b, len);
    int rc = dump_report_decode(c, len, info);
    free(c);
    return rc;
}

/* Recomputes the CRC after a test changed a header field on purpose. */
static void recrc(uint8_t *r, size_t len)
{
    struct dump_report_header h;
    memcpy(&h, r, sizeof h);
    h.crc = 0;
    uint32_t c = crc32c(crc32c(0, &h, sizeof h), r + DUMP_REPORT_HEADER_SIZE,
                        len - DUMP_REPORT_HEADER_SIZE);
    memcpy(r + offsetof(struct dump_report_header, crc), &c, 4);
}

static void round_trip(void)
{
    size_t len, dl;
    uint8_t *dump;
    uint8_t *r = make_report(&len, &dump, &dl);
    UT_ASSERT(r);
    UT_EQ_U64(len, DUMP_REPORT_HEADER_SIZE + dl);
    struct dump_report_info info;
    UT_EQ_INT(dump_report_decode(r, len, &info), 0);
    UT_EQ_INT(info.problem, DUMP_REPORT_OK);
    UT_EQ_U64(info.report_id, dump_report_make_id(dump, dl));
    UT_EQ_U64(info.report_id & 0xFFFFFFFFu, 42);          /* the dump's sequence */
    UT_EQ_U64(info.report_id >> 32, crc32c(0, dump, dl));
    UT_EQ_U64(info.sequence, 42);
    UT_EQ_U64(info.bugcheck_code, 0x50);
    UT_EQ_U64(info.params[0], 0xdead000);
    UT_EQ_U64(info.params[2], 0xffffffff8010cf27ull);
    UT_EQ_U64(info.crash_time, 133000000000000000ull);
    UT_EQ_INT(info.build_id_len, 20);
    UT_ASSERT(memcmp(info.build_id, dump_test_build_id, 20) == 0);
    UT_EQ_U64(info.dump_size, dl);
    UT_ASSERT(info.dump == r + DUMP_REPORT_HEADER_SIZE);
    UT_ASSERT(memcmp(info.dump, dump, dl) == 0);
    /* header alone, CRC over the dump where it lies: the same bytes */
    uint8_t hdr[DUMP_REPORT_HEADER_SIZE];
    UT_EQ_INT(dump_report_build_header(hdr, dump, dl, info.report_id), 0);
    UT_ASSERT(memcmp(hdr, r, sizeof hdr) == 0);
    free(r);
    free(dump);
}

static void encoder_refuses_bad_dumps(void)
{
    size_t dl, out_len;
    uint8_t *dump = dump_test_small(&dl);
    UT_ASSERT(dump);
    uint8_t *out = malloc(DUMP_REPORT_MAX);
    UT_EQ_INT(dump_report_encode(out, DUMP_REPORT_HEADER_SIZE + dl - 1, dump, dl, 1, &out_len),
              ERR_NO_SPACE);
    UT_EQ_INT(dump_report_encode(out, DUMP_REPORT_MAX, NULL, dl, 1, &out_len), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_report_encode(out, DUMP_REPORT_MAX, dump, DUMP_SMALL_MAX + 1, 1, &out_len),
              ERR_TOO_BIG);
    UT_EQ_INT(dump_report_encode(out, DUMP_REPORT_MAX, dump, 100, 1, &out_len), ERR_CORRUPT);
    dump[DUMP_HEADER_SIZE + 5] ^= 1;              /* the minidump directory */
    UT_EQ_INT(dump_report_encode(out, DUMP_REPORT_MAX, dump, dl, 1, &out_len), ERR_CORRUPT);
    free(dump);
    /* a valid full dump is not a small one */
    static const struct dump_run runs[] = { { 0, 16 } };
    size_t fl;
    uint8_t *full = dump_test_full(runs, 1, 0, 0, &fl);
    UT_ASSERT(full);
    uint8_t hdr[DUMP_REPORT_HEADER_SIZE];
    UT_EQ_INT(dump_report_build_header(hdr, full, fl, 1), ERR_NOT_SUPPORTED);
    UT_EQ_U64(dump_report_make_id(full, 10), 0);
    free(full);
    free(out);
}

static void every_truncation_refused(void)
{
    size_t len;
    uint8_t *r = make_report(&len, NULL, NULL);
    UT_ASSERT(r);
    struct dump_report_info info;
    for (size_t n = 0; n < len; n += (n < 256 ? 1 : 509)) {
        int rc = decode_copy(r, n, &info);
        UT_ASSERT(rc < 0);
        UT_ASSERT(info.problem == (n < DUMP_REPORT_HEADER_SIZE ? DUMP_REPORT_P_TRUNCATED
                                                               : DUMP_REPORT_P_SIZE));
    }
    /* one extra byte is refused too: the file is exactly the report */
    uint8_t *longer = calloc(1, len + 1);
    memcpy(longer, r, len);
    UT_EQ_INT(dump_report_decode(longer, len + 1, &info), ERR_CORRUPT);
    UT_EQ_INT(info.problem, DUMP_REPORT_P_SIZE);
    UT_EQ_INT(dump_report_decode(NULL, len, &info), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_report_decode(r, len, NULL), ERR_INVALID_ARGS);
    free(longer);
    free(r);
}

static void every_flipped_byte_refused(void)
{
    size_t len;
    uint8_t *r = make_report(&len, NULL, NULL);
    UT_ASSERT(r);
    struct dump_report_info info;
    for (size_t i = 0; i < len; i += (i < 4 * DUMP_REPORT_HEADER_SIZE ? 1 : 97)) {
        r[i] ^= 0x40;
        int rc = decode_copy(r, len, &info);
        r[i] ^= 0x40;
        if (rc == 0) {
            char m[64];
            snprintf(m, sizeof m, "flip at %zu accepted", i);
            ut_fail(__FILE__, __LINE__, m);
            break;
        }
        if (i >= DUMP_REPORT_HEADER_SIZE)
            UT_EQ_INT(info.problem, DUMP_REPORT_P_CRC);
    }
    UT_EQ_INT(decode_copy(r, len, &info), 0);
    free(r);
}

/* Fields changed with the CRC fixed up: each named problem is found. */
static void problems_named(void)
{
    size_t len;
    uint8_t *r = make_report(&len, NULL, NULL);
    UT_ASSERT(r);
    uint8_t *c = malloc(len);
    struct dump_report_info info;
    static const struct { size_t off; uint8_t val; enum dump_report_problem p; int rc; } cases[] = {
        { 0, 'X', DUMP_REPORT_P_MAGIC, ERR_NOT_FOUND },
        { 0x08, 2, DUMP_REPORT_P_VERSION, ERR_NOT_SUPPORTED },
        { 0x0C, 64, DUMP_REPORT_P_VERSION, ERR_NOT_SUPPORTED },
        { 0x68, 0x11, DUMP_REPORT_P_SIZE, ERR_CORRUPT },
        { 0x2C, 21, DUMP_REPORT_P_FIELDS, ERR_CORRUPT },
        { 0x2C, 0, DUMP_REPORT_P_FIELDS, ERR_CORRUPT },
        { 0x2D, 1, DUMP_REPORT_P_FIELDS, ERR_CORRUPT },
        { 0x64, 1, DUMP_REPORT_P_FIELDS, ERR_CORRUPT },
        { 0x78, 1, DUMP_REPORT_P_FIELDS, ERR_CORRUPT },
        { 0x28, 0x7F, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT },
        { 0x30, 0x01, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT },
        { 0x18, 0x07, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT },
        { 0x20, 0x07, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT },
        { 0x50, 0x00, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT },
        { DUMP_REPORT_HEADER_SIZE + 3, 'X', DUMP_REPORT_P_DUMP, ERR_CORRUPT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(c, r, len);
        c[cases[i].off] = cases[i].val;
        recrc(c, len);
        int rc = decode_copy(c, len, &info);
        if (rc != cases[i].rc || info.problem != cases[i].p) {
            char m[128];
            snprintf(m, sizeof m, "offset 0x%zx: rc %d problem %d (%s)", cases[i].off, rc,
                     info.problem, dump_report_problem_str(info.problem));
            ut_fail(__FILE__, __LINE__, m);
        }
        /* the header alone gives the same answer for the header's own problems */
        enum dump_report_problem hp = dump_report_header_check(c, DUMP_REPORT_HEADER_SIZE, len);
        UT_EQ_INT(hp, cases[i].p <= DUMP_REPORT_P_FIELDS ? cases[i].p : DUMP_REPORT_OK);
    }
    UT_EQ_INT(dump_report_header_check(r, DUMP_REPORT_HEADER_SIZE, len), DUMP_REPORT_OK);
    UT_EQ_INT(dump_report_header_check(r, DUMP_REPORT_HEADER_SIZE, len + 1), DUMP_REPORT_P_SIZE);
    UT_EQ_INT(dump_report_header_check(r, DUMP_REPORT_HEADER_SIZE - 1, len),
              DUMP_REPORT_P_TRUNCATED);
    memcpy(c, r, len);
    c[DUMP_REPORT_HEADER_SIZE + 3] = 'X';
    recrc(c, len);
    decode_copy(c, len, &info);
    UT_EQ_INT(info.dump_problem, DUMP_P_SIGNATURE);
    /* the dump's own header CRC broken (report CRC fixed): the dump validator names it */
    memcpy(c, r, len);
    c[DUMP_REPORT_HEADER_SIZE + 0x38] ^= 1;
    recrc(c, len);
    UT_EQ_INT(decode_copy(c, len, &info), ERR_CORRUPT);
    UT_EQ_INT(info.problem, DUMP_REPORT_P_DUMP);
    UT_EQ_INT(info.dump_problem, DUMP_P_HEADER_CRC);
    UT_ASSERT(strcmp(dump_report_problem_str(DUMP_REPORT_P_CRC), "CRC mismatch") == 0);
    UT_ASSERT(strcmp(dump_report_problem_str(DUMP_REPORT_P_COUNT), "unknown problem") == 0);
    free(c);
    free(r);
}

static void garbage_never_crashes(void)
{
    uint8_t *g = malloc(4096);
    uint32_t x = 12345;
    struct dump_report_info info;
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(round * 13) % 4096;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            g[i] = (uint8_t)(x >> 16);
        }
        if (round % 3 == 0 && n >= 8)
            memcpy(g, DUMP_REPORT_MAGIC, 8);
        UT_ASSERT(decode_copy(g, n, &info) < 0);
        size_t skip;
        uint32_t rl;
        UT_ASSERT(dump_frame_find(g, n, &skip, &rl) == 0 || (skip + 12 <= n && rl >= 1));
        UT_ASSERT(skip <= n);
        uint64_t id;
        UT_ASSERT(dump_ack_parse((const char *)g, n < 80 ? n : 80, &id) < 0 || n >= 20);
    }
    free(g);
}

static void frame_found_after_garbage(void)
{
    uint8_t buf[64];
    memset(buf, 0xBB, sizeof buf);                /* sync-looking garbage */
    memcpy(buf + 5, "\xBBRPT\x10\x00\x00\x00\x00\x00\x00\x00", 12);   /* bad hcrc */
    dump_frame_header(buf + 30, 1000);
    size_t skip;
    uint32_t rl;
    UT_EQ_INT(dump_frame_find(buf, sizeof buf, &skip, &rl), 1);
    UT_EQ_U64(skip, 30);
    UT_EQ_U64(rl, 1000);
    /* a header cut short: keep its start */
    UT_EQ_INT(dump_frame_find(buf, 30 + 7, &skip, &rl), 0);
    UT_EQ_U64(skip, 30);
    /* a partial sync at the end is kept, other bytes dropped */
    UT_EQ_INT(dump_frame_find("xxxxx\xBBR", 7, &skip, &rl), 0);
    UT_EQ_U64(skip, 5);
    UT_EQ_INT(dump_frame_find("xxxxxxx", 7, &skip, &rl), 0);
    UT_EQ_U64(skip, 7);
    /* lengths 0 and above DUMP_REPORT_MAX are refused even with a good hcrc */
    dump_frame_header(buf, 0);
    UT_EQ_INT(dump_frame_find(buf, 12, &skip, &rl), 0);
    dump_frame_header(buf, DUMP_REPORT_MAX + 1);
    UT_EQ_INT(dump_frame_find(buf, 12, &skip, &rl), 0);
    dump_frame_header(buf, DUMP_REPORT_MAX);
    UT_EQ_INT(dump_frame_find(buf, 12, &skip, &rl), 1);
    UT_EQ_U64(rl, DUMP_REPORT_MAX);
}

static void ack_lines(void)
{
    char line[DUMP_ACK_LINE_MAX + 1];
    uint64_t id = 0;
    int n = dump_ack_format(line, sizeof line, 0x0123456789abcdefull, true, NULL);
    UT_EQ_INT(n, 21);
    UT_EQ_STR(line, "ACK 0123456789abcdef\n");
    UT_EQ_INT(dump_ack_parse(line, (size_t)n, &id), 1);
    UT_EQ_U64(id, 0x0123456789abcdefull);
    n = dump_ack_format(line, sizeof line, 7, false, "database\tlocked");
    UT_EQ_STR(line, "NAK 0000000000000007 database?locked\n");
    UT_EQ_INT(dump_ack_parse(line, (size_t)n, &id), 0);
    UT_EQ_U64(id, 7);
    char long_reason[300];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = 0;
    n = dump_ack_format(line, sizeof line, 7, false, long_reason);
    UT_EQ_INT(n, DUMP_ACK_LINE_MAX);
    UT_EQ_INT(dump_ack_format(line, 10, 7, true, NULL), ERR_NO_SPACE);
    UT_EQ_INT(dump_ack_parse("ACK 0123456789abcdeg", 20, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("ACK 0123456789ABCDEF", 20, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("ACK 0123456789abcde", 19, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("ACK 0123456789abcdef0", 21, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("NAK 0123456789abcdefX", 21, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("XYZ 0123456789abcdef", 20, &id), ERR_CORRUPT);
    UT_EQ_INT(dump_ack_parse("ACK 0123456789abcdef\r\n", 22, &id), 1);
}

static const struct ut_case cases[] = {
    { "round_trip", round_trip },
    { "encoder_refuses_bad_dumps", encoder_refuses_bad_dumps },
    { "every_truncation_refused", every_truncation_refused },
    { "every_flipped_byte_refused", every_flipped_byte_refused },
    { "problems_named", problems_named },
    { "garbage_never_crashes", garbage_never_crashes },
    { "frame_found_after_garbage", frame_found_after_garbage },
    { "ack_lines", ack_lines },
};
UT_MAIN(cases)
