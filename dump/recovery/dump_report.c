/* Crash report files and the COM2 wire protocol (dump_report.h): encoder, robust decoder,
 * frame headers with resynchronization, ACK/NAK lines. Portable core for userland (wersend)
 * and the host tools (ocad, bbdump report). */
#include <string.h>
#include "dump/recovery/dump_report.h"
#include "dump/dump_validate.h"
#include "lib/crc32c.h"
#include "err.h"

static const uint8_t frame_sync[4] = { 0xBB, 'R', 'P', 'T' };

uint64_t dump_report_make_id(const void *dump, size_t dump_len)
{
    if (!dump || dump_len < DUMP_HEADER_SIZE)
        return 0;
    struct dump_header h;
    memcpy(&h, dump, sizeof h);
    return (uint64_t)crc32c(0, dump, dump_len) << 32 | (h.bb.sequence & 0xFFFFFFFFu);
}

/* CRC of a header (crc field as zero) followed by the dump bytes. */
static uint32_t report_crc(const struct dump_report_header *h, const void *dump, size_t len)
{
    struct dump_report_header z = *h;
    z.crc = 0;
    return crc32c(crc32c(0, &z, sizeof z), dump, len);
}

/* Validates a dump as a report's payload: 0, or the report problem (dump problem in *dp). */
static enum dump_report_problem check_dump(const void *dump, size_t len, int *dp)
{
    struct dump_layout l;
    *dp = DUMP_OK;
    if (len < DUMP_HEADER_SIZE || len > DUMP_SMALL_MAX)
        return DUMP_REPORT_P_SIZE;
    if (dump_validate(dump, len, len, &l) != 0) {
        *dp = l.problem;
        return l.problem == DUMP_P_DUMP_TYPE ? DUMP_REPORT_P_NOT_SMALL : DUMP_REPORT_P_DUMP;
    }
    if (l.dump_type != DUMP_TYPE_SMALL || !l.complete)
        return DUMP_REPORT_P_NOT_SMALL;
    return DUMP_REPORT_OK;
}

int dump_report_build_header(void *hdr, const void *dump, size_t dump_len, uint64_t report_id)
{
    if (!hdr || !dump)
        return ERR_INVALID_ARGS;
    if (dump_len > DUMP_SMALL_MAX)
        return ERR_TOO_BIG;
    int dp;
    enum dump_report_problem p = check_dump(dump, dump_len, &dp);
    if (p == DUMP_REPORT_P_NOT_SMALL)
        return ERR_NOT_SUPPORTED;
    if (p != DUMP_REPORT_OK)
        return ERR_CORRUPT;
    struct dump_header d;
    memcpy(&d, dump, sizeof d);
    struct dump_report_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, DUMP_REPORT_MAGIC, sizeof h.magic);
    h.version = DUMP_REPORT_VERSION;
    h.header_size = DUMP_REPORT_HEADER_SIZE;
    h.report_id = report_id;
    h.sequence = d.bb.sequence;
    h.crash_time = d.system_time;
    h.bugcheck_code = d.bug_check_code;
    h.build_id_len = d.bb.build_id_len;
    memcpy(h.params, d.bug_check_parameter, sizeof h.params);
    memcpy(h.build_id, d.bb.build_id, sizeof h.build_id);
    h.dump_size = dump_len;
    h.total_size = DUMP_REPORT_HEADER_SIZE + (uint64_t)dump_len;
    h.crc = report_crc(&h, dump, dump_len);
    memcpy(hdr, &h, sizeof h);
    return 0;
}

int dump_report_encode(void *out, size_t cap, const void *dump, size_t dump_len,
                       uint64_t report_id, size_t *out_len)
{
    if (!out || !out_len)
        return ERR_INVALID_ARGS;
    int rc = dump_report_build_header(out, dump, dump_len, report_id);
    if (rc)
        return rc;
    if (cap < DUMP_REPORT_HEADER_SIZE + dump_len)
        return ERR_NO_SPACE;
    memcpy((uint8_t *)out + DUMP_REPORT_HEADER_SIZE, dump, dump_len);
    *out_len = DUMP_REPORT_HEADER_SIZE + dump_len;
    return 0;
}

static int fail(struct dump_report_info *out, enum dump_report_problem p, int rc)
{
    out->problem = p;
    return rc;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The header's own fields for a report of len bytes: DUMP_REPORT_OK or the first problem. */
static enum dump_report_problem check_header(const struct dump_report_header *h, uint64_t len)
{
    if (memcmp(h->magic, DUMP_REPORT_MAGIC, sizeof h->magic) != 0)
        return DUMP_REPORT_P_MAGIC;
    if (h->version != DUMP_REPORT_VERSION || h->header_size != DUMP_REPORT_HEADER_SIZE)
        return DUMP_REPORT_P_VERSION;
    if (h->dump_size < DUMP_HEADER_SIZE || h->dump_size > DUMP_SMALL_MAX ||
        h->total_size != DUMP_REPORT_HEADER_SIZE + h->dump_size || h->total_size != len)
        return DUMP_REPORT_P_SIZE;
    if (h->build_id_len == 0 || h->build_id_len > DUMP_BUILD_ID_MAX || h->reserved ||
        h->reserved2 || !all_zero(h->pad, sizeof h->pad) ||
        !all_zero(h->build_id + h->build_id_len, DUMP_BUILD_ID_MAX - h->build_id_len))
        return DUMP_REPORT_P_FIELDS;
    return DUMP_REPORT_OK;
}

enum dump_report_problem dump_report_header_check(const void *hdr, size_t avail,
                                                  uint64_t report_len)
{
    struct dump_report_header h;
    if (!hdr || avail < DUMP_REPORT_HEADER_SIZE)
        return DUMP_REPORT_P_TRUNCATED;
    memcpy(&h, hdr, sizeof h);
    return check_header(&h, report_len);
}

/* dump_report_decode, with the minidump's CRC given (known) or computed here. */
static int decode(const void *buf, size_t len, const uint32_t *dump_crc,
                  struct dump_report_info *out)
{
    if (!out)
        return ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    if (!buf)
        return fail(out, DUMP_REPORT_P_TRUNCATED, ERR_INVALID_ARGS);
    if (len < DUMP_REPORT_HEADER_SIZE)
        return fail(out, DUMP_REPORT_P_TRUNCATED, ERR_CORRUPT);
    struct dump_report_header h;
    memcpy(&h, buf, sizeof h);
    enum dump_report_problem hp = check_header(&h, len);
    if (hp != DUMP_REPORT_OK)
        return fail(out, hp, hp == DUMP_REPORT_P_MAGIC ? ERR_NOT_FOUND :
                             hp == DUMP_REPORT_P_VERSION ? ERR_NOT_SUPPORTED : ERR_CORRUPT);
    const uint8_t *dump = (const uint8_t *)buf + DUMP_REPORT_HEADER_SIZE;
    struct dump_report_header z = h;
    z.crc = 0;
    uint32_t crc = dump_crc ? crc32c_combine(crc32c(0, &z, sizeof z), *dump_crc, h.dump_size)
                            : report_crc(&h, dump, (size_t)h.dump_size);
    if (crc != h.crc)
        return fail(out, DUMP_REPORT_P_CRC, ERR_CHECKSUM);
    enum dump_report_problem p = check_dump(dump, (size_t)h.dump_size, &out->dump_problem);
    if (p != DUMP_REPORT_OK)
        return fail(out, p, p == DUMP_REPORT_P_NOT_SMALL ? ERR_NOT_SUPPORTED : ERR_CORRUPT);
    struct dump_header d;
    memcpy(&d, dump, sizeof d);
    if (d.bug_check_code != h.bugcheck_code || d.bb.sequence != h.sequence ||
        d.system_time != h.crash_time || d.bb.build_id_len != h.build_id_len ||
        memcmp(d.bb.build_id, h.build_id, h.build_id_len) != 0 ||
        memcmp(d.bug_check_parameter, h.params, sizeof h.params) != 0)
        return fail(out, DUMP_REPORT_P_MISMATCH, ERR_CORRUPT);
    out->report_id = h.report_id;
    out->sequence = h.sequence;
    out->crash_time = h.crash_time;
    out->bugcheck_code = h.bugcheck_code;
    memcpy(out->params, h.params, sizeof out->params);
    memcpy(out->build_id, h.build_id, sizeof out->build_id);
    out->build_id_len = h.build_id_len;
    out->dump = dump;
    out->dump_size = h.dump_size;
    return 0;
}

int dump_report_decode(const void *buf, size_t len, struct dump_report_info *out)
{
    return decode(buf, len, NULL, out);
}

int dump_report_decode_known_crc(const void *buf, size_t len, uint32_t dump_crc,
                                 struct dump_report_info *out)
{
    return decode(buf, len, &dump_crc, out);
}

const char *dump_report_problem_str(enum dump_report_problem p)
{
    switch (p) {
    case DUMP_REPORT_OK: return "valid";
    case DUMP_REPORT_P_TRUNCATED: return "shorter than a report header";
    case DUMP_REPORT_P_MAGIC: return "not a crash report (no BBREPORT magic)";
    case DUMP_REPORT_P_VERSION: return "unknown report version";
    case DUMP_REPORT_P_SIZE: return "sizes disagree with each other or with the file";
    case DUMP_REPORT_P_FIELDS: return "bad build-id length or non-zero reserved bytes";
    case DUMP_REPORT_P_CRC: return "CRC mismatch";
    case DUMP_REPORT_P_DUMP: return "the minidump is invalid";
    case DUMP_REPORT_P_NOT_SMALL: return "the dump is not a complete small dump";
    case DUMP_REPORT_P_MISMATCH: return "report header and dump header disagree";
    default: return "unknown problem";
    }
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void dump_frame_header(void *out, uint32_t report_len)
{
    uint8_t *o = out;
    memcpy(o, frame_sync, sizeof frame_sync);
    put_le32(o + 4, report_len);
    put_le32(o + 8, crc32c(0, o, 8));
}

int dump_frame_find(const void *buf, size_t len, size_t *skip, uint32_t *report_len)
{
    const uint8_t *b = buf;
    size_t i = 0;
    for (; i < len; i++) {
        if (b[i] != frame_sync[0])
            continue;                       /* the common case, one compare a byte */
        size_t n = len - i < sizeof frame_sync ? len - i : sizeof frame_sync;
        if (memcmp(b + i, frame_sync, n) != 0)
            continue;
        if (len - i < DUMP_FRAME_HEADER_SIZE)
            break;                          /* a frame header may be starting here */
        uint32_t l = dump_le32(b + i + 4);
        if (dump_le32(b + i + 8) == crc32c(0, b + i, 8) && l >= 1 && l <= DUMP_REPORT_MAX) {
            *skip = i;
            *report_len = l;
            return 1;
        }
    }
    *skip = i;
    return 0;
}

static const char hex[] = "0123456789abcdef";

int dump_ack_format(char *out, size_t cap, uint64_t id, bool ok, const char *reason)
{
    char line[DUMP_ACK_LINE_MAX + 1];
    size_t n = 0;
    memcpy(line, ok ? "ACK " : "NAK ", 4);
    n = 4;
    for (int s = 60; s >= 0; s -= 4)
        line[n++] = hex[(id >> s) & 0xF];
    if (!ok && reason) {
        line[n++] = ' ';
        for (; *reason && n < DUMP_ACK_LINE_MAX - 1; reason++)
            line[n++] = *reason >= 0x20 && *reason < 0x7F ? *reason : '?';
    }
    line[n++] = '\n';
    if (cap < n + 1)
        return ERR_NO_SPACE;
    memcpy(out, line, n);
    out[n] = 0;
    return (int)n;
}

int dump_ack_parse(const char *line, size_t len, uint64_t *id)
{
    if (!line || !id)
        return ERR_INVALID_ARGS;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len < 20 || (memcmp(line, "ACK ", 4) != 0 && memcmp(line, "NAK ", 4) != 0))
        return ERR_CORRUPT;
    bool ok = line[0] == 'A';
    if (ok ? len != 20 : len > 20 && line[20] != ' ')
        return ERR_CORRUPT;
    uint64_t v = 0;
    for (size_t i = 4; i < 20; i++) {
        char c = line[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return ERR_CORRUPT;
        v = v << 4 | (uint64_t)d;
    }
    *id = v;
    return ok ? 1 : 0;
}
