/* The kernel log ring: log records in one fixed memory area with a checksummed header, so
 * the log survives a warm reset (klog_ring_recover) and a host tool can read it out of a
 * crash dump (klog_ring_open_readonly). Portable core: compiled freestanding into the kernel
 * and hosted into tools and unit tests. The layout below is an on-memory format. */
#ifndef BB_LIB_KLOG_RING_H
#define BB_LIB_KLOG_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Layout, version 1. Every integer is little-endian and fixed-width.
 *
 *   area + 0                     struct klog_ring_hdr, KLOG_RING_HDR_SIZE (64) bytes
 *   area + KLOG_RING_HDR_SIZE    the data area, hdr.data_size bytes (a power of two)
 *   anything after that          unused
 *
 * Positions are monotonic byte offsets counted since the ring was formatted; the byte at
 * offset o lives at data[o % data_size]. The live records fill [tail, head).
 *
 * A record starts on an 8-byte boundary with struct klog_rec_hdr (24 bytes), is followed by
 * len - 24 text bytes (no NUL, not necessarily printable), then zero to 7 unspecified bytes up
 * to the next 8-byte boundary: it takes KLOG_REC_SPAN(len) bytes. A record never wraps: when
 * the next one does not fit before the end of the data area, a padding record fills the rest
 * and the record starts at data[0]. A padding record has flags == KLOG_REC_PAD and len == the
 * number of bytes to the end of the data area (8 or more, a multiple of 8); only its first
 * 8 bytes (len, level, flags, crc) are written. A padding record is always followed by a real
 * record, so it is never the newest one.
 *
 * The real records in [tail, head) have consecutive sequence numbers first_seq .. next_seq - 1.
 *
 * Crash safety: a write first publishes the eviction of old records (tail moves), then writes
 * the new record beyond head, then publishes the new head. A reset at any point leaves a
 * header that describes only complete records; a half-written record beyond head is ignored.
 * Each header publication rewrites the 64 header bytes with a fresh CRC; a reset in the
 * middle of that copy leaves a header that fails its CRC, and the ring is refused.
 */

#define KLOG_RING_MAGIC     0x3130474f4c4b4242ull   /* the bytes "BBKLOG01" */
#define KLOG_RING_VERSION   1u
#define KLOG_RING_HDR_SIZE  64u
#define KLOG_REC_HDR_SIZE   24u
#define KLOG_RING_MAX_TEXT  512u    /* longer text is truncated to this many bytes */
#define KLOG_RING_MIN_DATA  2048u   /* smallest data area: holds any record plus padding */
#define KLOG_RING_LEVEL_MAX 7u      /* syslog levels: 0 emerg, 1 alert, 2 crit, 3 err,
                                       4 warning, 5 notice, 6 info, 7 debug */

/* Area size that gives a data area of exactly `data` bytes (a power of two >= 2048). */
#define KLOG_RING_AREA_SIZE(data) ((size_t)KLOG_RING_HDR_SIZE + (size_t)(data))

/* Bytes a record of length `len` (header + text) occupies in the data area. */
#define KLOG_REC_SPAN(len)  (((uint64_t)(len) + 7u) & ~(uint64_t)7u)

/* klog_rec_hdr.flags bits. Any other bit set makes the ring invalid. */
#define KLOG_REC_PAD        0x01u   /* padding to the end of the data area, no text, no seq */
#define KLOG_REC_TRUNCATED  0x02u   /* text was cut to KLOG_RING_MAX_TEXT bytes */

/* The header at the start of the area. */
struct klog_ring_hdr {
    uint64_t magic;      /* KLOG_RING_MAGIC */
    uint32_t version;    /* KLOG_RING_VERSION */
    uint32_t hdr_crc;    /* CRC-32C of these 64 bytes computed with hdr_crc = 0 */
    uint64_t data_size;  /* power of two, >= KLOG_RING_MIN_DATA, data area fits in the area */
    uint64_t head;       /* offset of the next write; multiple of 8; below 2^62 */
    uint64_t tail;       /* offset of the oldest live record; multiple of 8;
                            tail <= head <= tail + data_size */
    uint64_t first_seq;  /* seq of the oldest live record; == next_seq when the ring is empty */
    uint64_t next_seq;   /* seq of the next record; next_seq - first_seq live records */
    uint64_t dropped;    /* records evicted to make room since the ring was formatted */
};
_Static_assert(sizeof(struct klog_ring_hdr) == KLOG_RING_HDR_SIZE, "klog_ring_hdr size");

/* The header of each record in the data area. */
struct klog_rec_hdr {
    uint16_t len;        /* real record: KLOG_REC_HDR_SIZE + text bytes, at most
                            KLOG_REC_HDR_SIZE + KLOG_RING_MAX_TEXT; padding: see above */
    uint8_t level;       /* 0..KLOG_RING_LEVEL_MAX; 0 in padding */
    uint8_t flags;       /* KLOG_REC_* bits; TRUNCATED only with a full KLOG_RING_MAX_TEXT */
    uint32_t crc;        /* CRC-32C of header (crc = 0) and text; 0 in padding */
    uint64_t seq;        /* sequence number, one more than the previous real record */
    uint64_t ts_ns;      /* nanoseconds since boot, as given by the writer (not checked) */
};
_Static_assert(sizeof(struct klog_rec_hdr) == KLOG_REC_HDR_SIZE, "klog_rec_hdr size");

/* A handle on a ring. Owned by one user; the functions do no locking (the kernel glue runs
 * them with interrupts disabled). */
struct klog_ring {
    struct klog_ring_hdr h;  /* authoritative header; every change is copied to the area */
    uint8_t *warea;          /* the area when writable, NULL for a read-only ring */
    const uint8_t *data;     /* the data area: h.data_size bytes */
    uint64_t bad_crc;        /* records whose CRC failed when the ring was opened */
};

/* One record as returned by klog_ring_next. */
struct klog_record {
    uint64_t seq;
    uint64_t ts_ns;
    const char *text;        /* points into the ring, not NUL-terminated; valid until the
                                next klog_ring_write */
    size_t len;              /* text bytes, <= KLOG_RING_MAX_TEXT */
    unsigned level;          /* 0..KLOG_RING_LEVEL_MAX */
    bool truncated;          /* the writer's text was longer than KLOG_RING_MAX_TEXT */
    bool crc_ok;             /* false: the record's bytes changed after it was written */
};

/* Counters of a ring. */
struct klog_ring_stats {
    uint64_t data_size;      /* bytes in the data area */
    uint64_t used;           /* bytes taken by live records and padding */
    uint64_t records;        /* live records */
    uint64_t first_seq;      /* seq of the oldest live record (== next_seq when empty) */
    uint64_t next_seq;       /* seq the next record will get */
    uint64_t dropped;        /* records evicted since format */
    uint64_t bad_crc;        /* records with a CRC mismatch found when the ring was opened */
};

/* Formats a fresh, empty ring in `area` (8-byte aligned, area_size bytes) and attaches `r`.
 * The whole area is zeroed first; the data area is the largest power of two that fits after
 * the header. Returns 0, or ERR_INVALID_ARGS (NULL, misaligned, or too small to hold
 * KLOG_RING_AREA_SIZE(KLOG_RING_MIN_DATA)). Time linear in area_size; safe at bugcheck
 * time (it destroys the old log, though). */
int klog_ring_format(struct klog_ring *r, void *area, size_t area_size);

/* Attaches `r` for writing to a ring already in `area` (8-byte aligned), for example one
 * written before a warm reset, after checking all of it: magic, version, header CRC, sizes,
 * head/tail, every record's length, level, flags and sequence number. A record whose CRC
 * alone fails is kept and counted in bad_crc. Returns 0, ERR_INVALID_ARGS, or ERR_CORRUPT
 * (then `r` is not attached and the area is untouched; format it instead). Bounded time
 * (linear in data_size), no side effects on failure: safe at bugcheck time, and the way
 * to resynchronise a handle whose klog_ring_write was interrupted by the bugcheck. */
int klog_ring_recover(struct klog_ring *r, void *area, size_t area_size);

/* As klog_ring_recover, for a copy of an area (from a dump image) that is only read.
 * `area` may have any alignment and any contents: nothing outside area[0, area_size) is
 * ever read, by this call or by klog_ring_next on the result. Writing to the ring gives
 * ERR_BAD_STATE. */
int klog_ring_open_readonly(struct klog_ring *r, const void *area, size_t area_size);

/* Appends a record: `len` bytes of `text` (truncated to KLOG_RING_MAX_TEXT; `text` must not
 * point into the ring itself), at `level` (0..KLOG_RING_LEVEL_MAX), stamped `ts_ns`. Evicts
 * the oldest records as needed and counts them in dropped (a record is never dropped for
 * being long, only truncated); if the record at tail is found damaged, all live records are
 * dropped and the ring restarts empty at head. Returns 0, ERR_INVALID_ARGS, or ERR_BAD_STATE
 * (read-only ring). No allocation, no locks, bounded time: safe at bugcheck time. */
int klog_ring_write(struct klog_ring *r, unsigned level, uint64_t ts_ns,
                    const char *text, size_t len);

/* Iterates from the oldest record. Start with *cursor = 0; each call fills *out with the
 * record at *cursor and advances *cursor past it. A cursor that fell behind the tail (its
 * records were evicted) skips to the oldest live record: compare out->seq with the last seq
 * seen to notice the gap. Returns 0, ERR_NOT_FOUND at the end (*cursor then waits for the
 * next record), or ERR_CORRUPT if the ring's memory was damaged since it was opened (or the
 * cursor did not come from this ring). Safe at bugcheck time. */
int klog_ring_next(const struct klog_ring *r, uint64_t *cursor, struct klog_record *out);

/* Fills *st with the ring's counters. Safe at bugcheck time. */
void klog_ring_stats(const struct klog_ring *r, struct klog_ring_stats *st);

/* "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"; "?" above 7. */
const char *klog_ring_level_name(unsigned level);

#endif
