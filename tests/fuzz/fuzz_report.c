/* libFuzzer target for the crash-report format (dump/recovery/dump_report.c): the input is
 * taken as received COM2 bytes, whose frames are found and each report decoded, as ocad does
 * (and decoded again with its minidump's CRC given, as ocad does from running CRCs: the two
 * must agree); as a report file on its own; and as collector answer lines (ACK/NAK) parsed
 * one by one. Seeds: tests/fuzz/seeds/report/. */
#include <string.h>

#include "dump/recovery/dump_report.h"
#include "lib/crc32c.h"

/* Both ways of checking a report give the same answer. */
static void decode_both(const uint8_t *p, size_t len)
{
    struct dump_report_info a, b;
    int ra = dump_report_decode(p, len, &a);
    uint32_t dump_crc = len > DUMP_REPORT_HEADER_SIZE
                            ? crc32c(0, p + DUMP_REPORT_HEADER_SIZE, len - DUMP_REPORT_HEADER_SIZE)
                            : 0;
    int rb = dump_report_decode_known_crc(p, len, dump_crc, &b);
    if (ra != rb || a.problem != b.problem)
        __builtin_trap();
}

static void frames(const uint8_t *p, size_t len)
{
    size_t skip;
    uint32_t rlen;
    while (len) {
        int found = dump_frame_find(p, len, &skip, &rlen);
        if (skip > len)
            __builtin_trap();
        if (!found) {
            if (skip == 0)
                return;
            p += skip, len -= skip;
            continue;
        }
        p += skip + DUMP_FRAME_HEADER_SIZE;
        len -= skip + DUMP_FRAME_HEADER_SIZE;
        if (rlen > len)
            return;
        decode_both(p, rlen);
        p += rlen, len -= rlen;
    }
}

static void answers(const char *p, size_t len)
{
    uint64_t id;
    char line[DUMP_ACK_LINE_MAX + 1], reason[128];
    while (len) {
        const char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) + 1 : len;
        int rc = dump_ack_parse(p, n, &id);
        if (rc >= 0) {
            size_t r = n < sizeof reason ? n : sizeof reason - 1;
            memcpy(reason, p, r);
            reason[r] = 0;
            dump_ack_format(line, sizeof line, id, rc == 1, reason);
        }
        p += n, len -= n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dump_report_info info;
    frames(data, size);
    if (dump_report_decode(data, size, &info) == 0)
        dump_report_problem_str(info.problem);
    answers((const char *)data, size);
    return 0;
}
