/* The system event log's on-disk format and ring (portable core): a file of 512-byte slots,
 * slot 0 the header, every other slot one record. Record number `seq` (1, 2, ...) always
 * lives in slot 1 + (seq - 1) % slots, so appending overwrites exactly one slot in place (one
 * sector write: a reset tears at most the record being written) and the end of the log is
 * found by a scan: the last record of the longest chain of consecutive sequence numbers in
 * consecutive slots, so one record that disagrees with its neighbours cannot move it. When the
 * ring is full the oldest record is overwritten. I/O goes through struct evlog_io (byte offsets in the file, multiples of
 * EVLOG_SLOT); the reader accepts any bytes. Not thread-safe; not for bugcheck time. */
#ifndef BB_LIB_EVLOG_EVLOG_H
#define BB_LIB_EVLOG_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "event log fields are little-endian");

#define EVLOG_SLOT          512u        /* bytes per slot (header or record) */
#define EVLOG_FILE_MAGIC    "BBEVTLOG"  /* header bytes 0..7 */
#define EVLOG_VERSION       1u
#define EVLOG_REC_MAGIC     0x31525645u /* "EVR1" at byte 0 of a record slot */
#define EVLOG_SOURCE_MAX    32u         /* source buffer, with the NUL: 31 characters */
#define EVLOG_REC_HDR       64u         /* fixed part of a record; the message follows */
#define EVLOG_MESSAGE_MAX   (EVLOG_SLOT - EVLOG_REC_HDR)  /* with the NUL: 447 characters */
#define EVLOG_MIN_SLOTS     2u          /* record slots in the smallest usable log */
#define EVLOG_SCAN_CHUNK    65536u      /* bytes read per call while scanning */
#define EVLOG_SEQ_MAX       ((1ull << 48) - 1)  /* highest sequence number (a record a
                                           millisecond for 8,900 years); above is corrupt */

/* Levels: Windows' numbering (Event Log "Level"). */
#define EVLOG_CRITICAL      1u
#define EVLOG_ERROR         2u
#define EVLOG_WARNING       3u
#define EVLOG_INFORMATION   4u

/* Header slot layout (byte offsets):
 *   0 magic[8] "BBEVTLOG"   8 version u32   12 slot_size u32 (512)   16 slots u32 (record
 *   slots after the header)  20 reserved u32 (0)   24 created (struct evlog_time, 8 bytes)
 *   60 crc32c of bytes 0..59; bytes 64..511 zero.
 * Record slot layout:
 *   0 magic u32 "EVR1"   4 crc32c of bytes 8..length-1   8 length u16 (64 + message length
 *   + 1, at most 512)   10 level u8   11 reserved u8 (0)   12 event_id u32   16 seq u64 (>= 1)
 *   24 time (struct evlog_time)   32 source[32] (NUL-terminated, NUL-padded)   64 message
 *   (NUL-terminated); bytes past length are zero. */
#define EVLOG_HDR_CRC_OFF   60u

/* A wall-clock time as the RTC gives it: 8 bytes on disk, in this order. */
struct evlog_time {
    uint16_t year;            /* 1980..9999 */
    uint8_t month, day;       /* 1..12, 1..31 */
    uint8_t hour, minute, second;   /* 0..23, 0..59, 0..59 */
    uint8_t reserved;         /* 0 */
};
_Static_assert(sizeof(struct evlog_time) == 8, "evlog_time is 8 bytes on disk");

/* One record, decoded. Strings are NUL-terminated and printable ASCII after decoding
 * (any other byte read from disk shows as '?'). */
struct evlog_record {
    uint64_t seq;
    struct evlog_time time;
    uint32_t event_id;
    uint32_t level;                      /* EVLOG_CRITICAL..EVLOG_INFORMATION */
    char source[EVLOG_SOURCE_MAX];
    char message[EVLOG_MESSAGE_MAX];
};

/* Where the log's bytes live: read or write len bytes at byte offset off of the log file;
 * off and len are multiples of EVLOG_SLOT. A write of one slot must reach the disk as one
 * sector write (or several, each a whole 512-byte part of the slot). sync makes every
 * write so far durable (a cache flush). 0 or ERR_*. */
struct evlog_io {
    void *ctx;
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
    int (*sync)(void *ctx);
};

/* An open log. Fields are read-only for callers. */
struct evlog {
    struct evlog_io io;
    uint32_t slots;           /* record slots (the file holds 1 + slots slots) */
    uint64_t last_seq;        /* highest valid sequence number, 0 for an empty log */
    uint32_t valid;           /* valid records found by the scan, plus appends until the
                                 ring is full (a figure for messages) */
    uint32_t skipped;         /* records with a good CRC the scan left out of the log: their
                                 sequence number is out of range, not their slot's, or outside
                                 the last `slots` numbers; readers never return them */
    uint32_t corrupt;         /* of those, the ones no writer of this log can have left (a
                                 lost write explains the others): out of range, in the wrong
                                 slot, or more than `slots` numbers away from the log's window */
    uint8_t buf[EVLOG_SCAN_CHUNK];   /* scan and record scratch */
};

/* The level's name: "Critical", "Error", "Warning", "Information", or "Level?" otherwise. */
const char *evlog_level_name(uint32_t level);
/* 0 when level, source and message may be written: level 1..4, source 1..31 characters of
 * [A-Za-z0-9 ._-] (not starting with a blank), message at most EVLOG_MESSAGE_MAX - 1 bytes
 * with no control character but tab; time a plausible date. ERR_INVALID_ARGS, or
 * ERR_TOO_BIG for a message too long. */
int evlog_check(const struct evlog_record *r);

/* Fill the 512-byte header slot for a log of `slots` record slots. */
void evlog_header_encode(uint8_t *slot, uint32_t slots, const struct evlog_time *created);
/* Check a header slot (len bytes available): 0 and *slots, or ERR_CORRUPT / ERR_NOT_SUPPORTED
 * (another version or slot size). */
int evlog_header_decode(const uint8_t *buf, size_t len, uint32_t *slots);
/* Encode r (checked with evlog_check first) into one 512-byte slot. 0 or evlog_check's code. */
int evlog_record_encode(uint8_t *slot, const struct evlog_record *r);
/* Decode a record slot (len bytes available; never reads past them). 0, ERR_CORRUPT for
 * anything that is not a whole record with a good CRC, or ERR_RANGE for a whole record whose
 * sequence number is 0 or above EVLOG_SEQ_MAX (*out filled all the same). */
int evlog_record_decode(const uint8_t *buf, size_t len, struct evlog_record *out);

/* Slot index (0 = header) that record seq occupies in a log of `slots` record slots. */
uint32_t evlog_slot_of(uint64_t seq, uint32_t slots);

/* Write a new, empty log of file_bytes (rounded down to whole slots) through io, using lg's
 * buffer as scratch: every slot zeroed (the header's first) and synced, then the header and
 * a sync, so a reset in between leaves a file that evlog_open rejects (ERR_CORRUPT) and that
 * is simply formatted again. ERR_TOO_BIG below EVLOG_MIN_SLOTS record slots or above 2^31 slots. */
int evlog_format(struct evlog *lg, const struct evlog_io *io, uint64_t file_bytes,
                 const struct evlog_time *now);
/* Open a log of file_bytes: check the header, scan every slot (twice when the records do
 * not form one chain) for the log's end, counting valid, skipped and corrupt records.
 * ERR_CORRUPT for a bad header or one claiming more slots than the file holds, or an I/O
 * error. A log with corrupt records or at EVLOG_SEQ_MAX reads fine; see evlog_needs_reset. */
int evlog_open(struct evlog *lg, const struct evlog_io *io, uint64_t file_bytes);
/* True when a writer should format the open log anew rather than append to it: it holds
 * corrupt records (something other than this format's writer wrote it), or its last
 * sequence number is EVLOG_SEQ_MAX (no next one). */
bool evlog_needs_reset(const struct evlog *lg);
/* Append r (its seq is set to last_seq + 1 and returned in r->seq), overwriting the oldest
 * record when the ring is full; with durable, synced before returning (else it becomes
 * durable at the device's next flush). 0, evlog_check's code, ERR_NO_SPACE when last_seq is
 * EVLOG_SEQ_MAX, or the write's error (the log's state is unchanged then). */
int evlog_append(struct evlog *lg, struct evlog_record *r, bool durable);
/* Read record seq: 0, ERR_NOT_FOUND when its slot holds no valid record with that sequence
 * number (overwritten, torn, or never written), or an I/O error. */
int evlog_read(struct evlog *lg, uint64_t seq, struct evlog_record *out);
/* The sequence number to start from to list the last n valid records, oldest first:
 * walks back from last_seq over at most `slots` sequence numbers. Returns that number
 * (last_seq + 1 when the log is empty or n is 0), or an I/O error (negative). */
int64_t evlog_first_of_last(struct evlog *lg, uint32_t n);

/* One line: "2026-11-22 01:02:03  Error  BugCheck  1001  message" (no newline), truncated
 * to cap - 1 characters. Returns the line's length. */
size_t evlog_format_line(char *out, size_t cap, const struct evlog_record *r);

#endif
