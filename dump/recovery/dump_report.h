/* Crash reports: the portable file a guest queues in C:\REPORTS\QUEUE\ and sends to the host
 * collector (tools/ocad) over COM2, and the COM2 wire protocol (frames and ACK lines).
 * Portable core compiled into user programs and host tools (not the kernel): pure functions,
 * no allocation, robust against any input bytes (never reads outside what it is given). */
#ifndef BB_DUMP_REPORT_H
#define BB_DUMP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"

/*
 * Report file, version 1: a 128-byte header (little-endian, packed), then the minidump.
 *
 *   0x00  magic[8]        "BBREPORT"
 *   0x08  version         DUMP_REPORT_VERSION
 *   0x0C  header_size     DUMP_REPORT_HEADER_SIZE
 *   0x10  report_id       unique id of this report (dump_report_make_id); the collector's
 *                         duplicate key is (report_id, build-id)
 *   0x18  sequence        the dump's sequence number (bb.sequence)
 *   0x20  crash_time      the dump's SystemTime: FILETIME (100 ns since 1601), 0 unknown
 *   0x28  bugcheck_code   STOP code
 *   0x2C  build_id_len    bytes used in build_id (1..DUMP_BUILD_ID_MAX); pad[3] zero
 *   0x30  params[4]       the STOP code's four parameters
 *   0x50  build_id[20]    GNU build-id of the crashed kernel
 *   0x64  reserved        zero
 *   0x68  dump_size       bytes of the minidump after the header
 *   0x70  total_size      header_size + dump_size: the file's exact size
 *   0x78  reserved2       zero
 *   0x7C  crc             CRC32C of the header (this field as zero) then the minidump bytes
 *
 * The minidump is a valid, complete Blackbox small dump (DumpType 4, dump/dump_mini.h) whose
 * header agrees with the report header (code, parameters, sequence, build-id, SystemTime).
 */
#define DUMP_REPORT_MAGIC       "BBREPORT"
#define DUMP_REPORT_VERSION     1u
#define DUMP_REPORT_HEADER_SIZE 128u
#define DUMP_REPORT_MAX         (DUMP_REPORT_HEADER_SIZE + DUMP_SMALL_MAX)  /* largest file */

struct dump_report_header {
    uint8_t magic[8];
    uint32_t version;
    uint32_t header_size;
    uint64_t report_id;
    uint64_t sequence;
    uint64_t crash_time;
    uint32_t bugcheck_code;
    uint8_t build_id_len;
    uint8_t pad[3];
    uint64_t params[4];
    uint8_t build_id[DUMP_BUILD_ID_MAX];
    uint32_t reserved;
    uint64_t dump_size;
    uint64_t total_size;
    uint32_t reserved2;
    uint32_t crc;
} __attribute__((packed));
_Static_assert(sizeof(struct dump_report_header) == DUMP_REPORT_HEADER_SIZE, "report header");
_Static_assert(offsetof(struct dump_report_header, params) == 0x30, "report params");
_Static_assert(offsetof(struct dump_report_header, build_id) == 0x50, "report build-id");
_Static_assert(offsetof(struct dump_report_header, dump_size) == 0x68, "report dump_size");
_Static_assert(offsetof(struct dump_report_header, crc) == 0x7C, "report crc");

/* What dump_report_decode found first. */
enum dump_report_problem {
    DUMP_REPORT_OK = 0,
    DUMP_REPORT_P_TRUNCATED,   /* fewer bytes than a report header */
    DUMP_REPORT_P_MAGIC,       /* does not start with "BBREPORT" */
    DUMP_REPORT_P_VERSION,     /* unknown version or header size */
    DUMP_REPORT_P_SIZE,        /* total_size is not header + dump_size, or not the bytes
                                  given, or dump_size outside DUMP_HEADER_SIZE..DUMP_SMALL_MAX */
    DUMP_REPORT_P_FIELDS,      /* build_id_len out of range, or reserved bytes not zero */
    DUMP_REPORT_P_CRC,         /* CRC32C mismatch */
    DUMP_REPORT_P_DUMP,        /* the minidump fails dump_validate (see dump_problem) */
    DUMP_REPORT_P_NOT_SMALL,   /* the dump is valid but not a complete small dump */
    DUMP_REPORT_P_MISMATCH,    /* report header and dump header disagree */
    DUMP_REPORT_P_COUNT
};

/* A decoded report: the header's fields and where the minidump is. */
struct dump_report_info {
    enum dump_report_problem problem;  /* DUMP_REPORT_OK or the first problem */
    int dump_problem;                  /* DUMP_REPORT_P_DUMP: the enum dump_problem */
    uint64_t report_id, sequence, crash_time;
    uint32_t bugcheck_code;
    uint64_t params[4];
    uint8_t build_id[DUMP_BUILD_ID_MAX];
    uint8_t build_id_len;
    const uint8_t *dump;               /* the minidump inside the buffer given */
    uint64_t dump_size;
};

/* The id a report of `dump` gets: CRC32C of the dump's bytes in the high 32 bits, the low
 * 32 bits of its sequence number in the low ones, so re-encoding the same dump gives the
 * same id (a re-sent report is a duplicate) and different crashes differ. `dump` must have
 * at least DUMP_HEADER_SIZE bytes (else 0 is returned). */
uint64_t dump_report_make_id(const void *dump, size_t dump_len);

/* Builds the 128-byte header for `dump` (dump_len bytes, any alignment) into `hdr`, CRC
 * included (over the header and the dump where it lies: no copy). The dump must be a valid,
 * complete small dump. Returns 0, ERR_INVALID_ARGS (NULL), ERR_TOO_BIG (above
 * DUMP_SMALL_MAX), ERR_CORRUPT (dump_validate refuses it), ERR_NOT_SUPPORTED (not a
 * complete small dump). */
int dump_report_build_header(void *hdr, const void *dump, size_t dump_len, uint64_t report_id);

/* Header then the dump into `out` (cap bytes); *out_len = the report's size. Returns what
 * dump_report_build_header returns, or ERR_NO_SPACE (cap too small). */
int dump_report_encode(void *out, size_t cap, const void *dump, size_t dump_len,
                       uint64_t report_id, size_t *out_len);

/* Checks the report file of `len` bytes at `buf` (any alignment): header fields, sizes, CRC,
 * the minidump through dump_validate, and that both headers agree. Returns 0 with *out
 * filled, or a negative code with out->problem naming the first problem:
 *   ERR_CORRUPT (TRUNCATED, SIZE, FIELDS, DUMP, MISMATCH), ERR_NOT_FOUND (MAGIC),
 *   ERR_NOT_SUPPORTED (VERSION, NOT_SMALL), ERR_CHECKSUM (CRC), ERR_INVALID_ARGS (NULL).
 * Linear time, no allocation. */
int dump_report_decode(const void *buf, size_t len, struct dump_report_info *out);

/* dump_report_decode for a receiver that already knows dump_crc = crc32c(0, minidump bytes,
 * dump_size) (say, from running CRCs of its receive buffer): the report CRC then costs a
 * few thousand steps instead of a pass over the minidump, so that trying many candidate
 * frames that fail their CRC stays linear. A wrong dump_crc reads as a CRC mismatch. */
int dump_report_decode_known_crc(const void *buf, size_t len, uint32_t dump_crc,
                                 struct dump_report_info *out);

/* The cheap part of dump_report_decode, for a receiver that has only the first `avail`
 * bytes of a report said to be report_len bytes long: DUMP_REPORT_OK when its 128-byte
 * header could begin such a report, else the problem dump_report_decode would name
 * (DUMP_REPORT_P_TRUNCATED when avail is below the header's size). Constant time. */
enum dump_report_problem dump_report_header_check(const void *hdr, size_t avail,
                                                  uint64_t report_len);

/* Short English text for a problem ("CRC mismatch"). */
const char *dump_report_problem_str(enum dump_report_problem p);

/*
 * COM2 wire protocol. The guest sends frames; the collector answers each stored report with
 * one line. A frame:
 *
 *   0   sync[4]   0xBB 'R' 'P' 'T'
 *   4   length    u32: bytes of the report file that follow (1..DUMP_REPORT_MAX)
 *   8   hcrc      u32: CRC32C of bytes 0..7 (sync and length)
 *   12  the report file
 *
 * A collector that sees garbage looks for the next sync whose hcrc matches; a report whose
 * own CRC fails is dropped the same way. The collector's answers, ASCII lines:
 *   "ACK <16 hex digits of report_id>\n"   stored and committed (or already stored)
 *   "NAK <16 hex digits> <reason>\n"       refused: the guest keeps the report queued
 */
#define DUMP_FRAME_HEADER_SIZE 12u
#define DUMP_ACK_LINE_MAX      80u   /* longest answer line, newline included */

/* The 12-byte frame header for a report of `report_len` bytes. */
void dump_frame_header(void *out, uint32_t report_len);

/* Looks for a frame header in the `len` received bytes at `buf`. Returns 1: a valid frame
 * header starts at *skip, its report is *report_len bytes; 0: no frame header yet — the
 * caller may drop the first *skip bytes and keep the rest (a partial sync or header) until
 * more bytes arrive. Never reads past len. */
int dump_frame_find(const void *buf, size_t len, size_t *skip, uint32_t *report_len);

/* Writes "ACK <id>\n" (ok) or "NAK <id> <reason>\n" into `out` (cap bytes, reason cut so the
 * line fits DUMP_ACK_LINE_MAX, non-printable bytes replaced by '?'). Returns the line's
 * length without the NUL written after it, or ERR_NO_SPACE. */
int dump_ack_format(char *out, size_t cap, uint64_t id, bool ok, const char *reason);

/* Parses one answer line (`len` bytes, the newline optional). Returns 1 ACK, 0 NAK (*id
 * set either way), ERR_CORRUPT (not an answer line). */
int dump_ack_parse(const char *line, size_t len, uint64_t *id);

#endif
