/* Blackbox's small dump (DumpType 4): after the 0x2000-byte header, a stream directory and
 * the streams it names (the faulting thread's stack, the pages the registers point at, the
 * klog, the module list, every CPU's state). The CONTEXT, the bugcheck and CR0/CR2/CR4 live in the header.
 * Portable core; the builder is safe at bugcheck time (caller's buffers, no allocation). */
#ifndef BB_DUMP_MINI_H
#define BB_DUMP_MINI_H

#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"

/*
 * Layout, version 1 (file offsets):
 *
 *   0x2000                      struct dump_mini_dir (16 bytes)
 *   0x2010                      capacity × struct dump_mini_stream (40 bytes each); entries
 *                               past stream_count are zero
 *   0x2010 + 40 × capacity      the streams' bytes, each starting on an 8-byte boundary,
 *                               in directory order, never overlapping the directory
 *
 * The whole dump (header included) is at most DUMP_SMALL_MAX bytes; bb.data_size is the
 * directory plus the streams (dump_mini_size).
 */

#define DUMP_MINI_SIGNATURE   0x444d4242u   /* "BBMD" */
#define DUMP_MINI_VERSION     1u
#define DUMP_MINI_MAX_STREAMS 64u
#define DUMP_NO_PADDR         0xFFFFFFFFFFFFFFFFull  /* stream has no physical address */

/* Stream types */
#define DUMP_STREAM_STACK     1u  /* the faulting thread's stack: vaddr = lowest byte's
                                     address (at or below RSP), size up to 16 KiB */
#define DUMP_STREAM_MEMORY    2u  /* a page a register points at; flags = DUMP_REG_* mask */
#define DUMP_STREAM_KLOG      3u  /* a klog ring area (kernel/lib/klog_ring.h layout): a copy
                                     of the live area, or a smaller ring of its last records */
#define DUMP_STREAM_MODULES   4u  /* array of struct dump_mini_module */
#define DUMP_STREAM_CPUS      5u  /* the CPU block (dump/dump_cpu.h): every CPU's state;
                                     exactly one per small dump */

/* DUMP_STREAM_MEMORY flags: which registers point into the page (bit = CONTEXT order). */
#define DUMP_REG_RAX  (1u << 0)
#define DUMP_REG_RCX  (1u << 1)
#define DUMP_REG_RDX  (1u << 2)
#define DUMP_REG_RBX  (1u << 3)
#define DUMP_REG_RSP  (1u << 4)
#define DUMP_REG_RBP  (1u << 5)
#define DUMP_REG_RSI  (1u << 6)
#define DUMP_REG_RDI  (1u << 7)
#define DUMP_REG_R8   (1u << 8)   /* R9..R15: bits 9..15 */
#define DUMP_REG_RIP  (1u << 16)
#define DUMP_REG_CR2  (1u << 17)

struct dump_mini_dir {
    uint32_t signature;      /* DUMP_MINI_SIGNATURE */
    uint32_t version;        /* DUMP_MINI_VERSION */
    uint32_t stream_count;   /* entries used, <= capacity */
    uint32_t capacity;       /* entries reserved, 1..DUMP_MINI_MAX_STREAMS */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_mini_dir) == 16, "minidump directory header");

struct dump_mini_stream {
    uint32_t type;           /* DUMP_STREAM_* */
    uint32_t flags;          /* per type (DUMP_REG_* for MEMORY), else 0 */
    uint64_t offset;         /* file offset of the bytes, 8-aligned, after the directory */
    uint64_t size;           /* bytes */
    uint64_t vaddr;          /* kernel virtual address of the first byte, 0 if none */
    uint64_t paddr;          /* physical address of the first byte, or DUMP_NO_PADDR; the
                                bytes are physically contiguous when set */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_mini_stream) == 40, "minidump stream entry");

#define DUMP_MODULE_NAME_MAX 32u
struct dump_mini_module {
    uint64_t base;                       /* virtual address of the image */
    uint64_t size;                       /* bytes of the image */
    char name[DUMP_MODULE_NAME_MAX];     /* "blackbox", "dump_ahci": NUL-padded */
    uint8_t build_id_len;                /* bytes used in build_id */
    uint8_t build_id[DUMP_BUILD_ID_MAX]; /* GNU build-id */
    uint8_t pad[3];                      /* zero */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_mini_module) == 72, "minidump module entry");

/* Bytes of a directory with `capacity` entries. */
static inline uint64_t dump_mini_dir_bytes(uint32_t capacity)
{
    return sizeof(struct dump_mini_dir) + (uint64_t)capacity * sizeof(struct dump_mini_stream);
}

/* Lays out a small dump before anything is written: the caller adds its streams (sizes
 * known up front), gets each one's file offset, then writes the directory (`dir`, built in
 * the caller's buffer of dump_mini_dir_bytes(capacity) bytes) at 0x2000 and the streams at
 * their offsets. */
struct dump_mini_builder {
    uint8_t *dir;            /* caller's directory buffer */
    uint32_t capacity;       /* entries it holds */
    uint32_t count;          /* entries added */
    uint64_t next;           /* file offset of the next stream */
};

/* Starts a layout in `dir` (zeroed and given its header). Returns 0 or ERR_INVALID_ARGS
 * (capacity 0 or above DUMP_MINI_MAX_STREAMS). Safe at bugcheck time. */
int dump_mini_begin(struct dump_mini_builder *b, void *dir, uint32_t capacity);

/* Adds a stream of `size` bytes and returns its file offset in *offset. Returns 0,
 * ERR_NO_SPACE (directory full), or ERR_TOO_BIG (the dump would exceed DUMP_SMALL_MAX;
 * nothing is added, so the caller may try a smaller stream). Safe at bugcheck time. */
int dump_mini_add(struct dump_mini_builder *b, uint32_t type, uint32_t flags, uint64_t vaddr,
                  uint64_t paddr, uint64_t size, uint64_t *offset);

/* Bytes after the header: the directory and every stream (dump_params.data_size). */
uint64_t dump_mini_size(const struct dump_mini_builder *b);

/* Stream `i` of a directory read from a file (any alignment); `dir_len` is the bytes
 * available at `dir`. Returns 0, ERR_RANGE (i out of range or beyond dir_len). The entry
 * is returned as stored: dump_validate has checked it. */
int dump_mini_stream_get(const void *dir, size_t dir_len, uint32_t i,
                         struct dump_mini_stream *out);

#endif
