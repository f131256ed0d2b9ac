/* The CPU block: every processor's state at the crash, one fixed-size record per CPU, in
 * every dump (complete, kernel and small). Portable core: the kernel encodes it at bugcheck
 * time, userland and the tools check and decode it. Where a dump keeps its block is the
 * validator's business (dump/dump_validate.h: struct dump_layout's cpu_offset, cpu_count). */
#ifndef BB_DUMP_CPU_H
#define BB_DUMP_CPU_H

#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"

/*
 * Layout (little-endian, any file alignment):
 *
 *   +0    struct dump_cpu_block (24 bytes): magic, version, record size, count, the index of
 *         the crashing CPU, CRC32C of the records
 *   +24   count x struct dump_cpu_record (256 bytes each), record i = CPU i
 *
 * count is the header's NumberProcessors (1..DUMP_CPU_MAX). The crashing CPU's registers
 * are also the header's CONTEXT, as Windows keeps them.
 *
 * Where the block lives: in a complete or kernel dump it is the last bytes of the data
 * (right after the last page, inside the chunks' CRCs); in a small dump it is the one
 * stream of type DUMP_STREAM_CPUS (dump/dump_mini.h).
 */

#define DUMP_CPU_MAGIC    0x55504342u  /* "BCPU" */
#define DUMP_CPU_VERSION  1u
#define DUMP_CPU_MAX      256u         /* records a block may hold (NumberProcessors bound) */

/* dump_cpu_record.state */
#define DUMP_CPU_CRASHED      1u  /* the CPU whose bugcheck this dump is */
#define DUMP_CPU_NMI_STOPPED  2u  /* stopped by the crashing CPU's NMI: registers where it was */
#define DUMP_CPU_PARKED       3u  /* bugchecked itself while another CPU's bugcheck ran, and
                                     parked: registers of its own bugcheck (bugcheck_code) */
#define DUMP_CPU_OFFLINE      4u  /* not running (never started, or stopped): no registers */
#define DUMP_CPU_NO_ANSWER    5u  /* did not answer the stop NMI in time: no registers */
#define DUMP_CPU_STATE_MAX    5u

/* dump_cpu_record.running */
#define DUMP_RUN_KERNEL   0u  /* kernel code outside any process */
#define DUMP_RUN_IDLE     1u  /* the idle loop */
#define DUMP_RUN_PROCESS  2u  /* a process (pid, process): user mode or its system call */
#define DUMP_RUN_MAX      2u

#define DUMP_CPU_NAME_MAX 16u

struct dump_cpu_block {
    uint32_t magic;          /* DUMP_CPU_MAGIC */
    uint32_t version;        /* DUMP_CPU_VERSION */
    uint32_t record_size;    /* sizeof(struct dump_cpu_record) */
    uint32_t count;          /* records that follow: NumberProcessors */
    uint32_t crashed;        /* index of the crashing CPU's record (< count) */
    uint32_t crc;            /* CRC32C of the count records */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_cpu_block) == 24, "CPU block header is 24 bytes");

struct dump_cpu_record {
    uint32_t index;          /* CPU number: its place in the block (0 = bootstrap CPU) */
    uint32_t apic_id;        /* local APIC id */
    uint32_t state;          /* DUMP_CPU_* */
    uint32_t running;        /* DUMP_RUN_* */
    uint32_t pid;            /* DUMP_RUN_PROCESS: the process id, else 0 */
    uint32_t vector;         /* the exception that stopped it (2 = NMI), 0xFFFFFFFF for a
                                called bugcheck; 0 without registers */
    char process[DUMP_CPU_NAME_MAX];  /* DUMP_RUN_PROCESS: its name, NUL-padded */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;   /* general registers */
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t error_code;     /* the CPU's error code for `vector`, or 0 */
    uint16_t cs, ss, ds, es, fs, gs;                   /* segment selectors */
    uint32_t bugcheck_code;  /* DUMP_CPU_CRASHED, DUMP_CPU_PARKED: its STOP code, else 0 */
    uint64_t stack_lo;       /* the kernel stack RSP is on: [stack_lo, stack_hi), */
    uint64_t stack_hi;       /* 0 and 0 when RSP is on no known kernel stack */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_cpu_record) == 256, "CPU record is 256 bytes");
_Static_assert(offsetof(struct dump_cpu_record, rax) == 0x28, "dump_cpu_record.rax");
_Static_assert(offsetof(struct dump_cpu_record, rip) == 0xA8, "dump_cpu_record.rip");
_Static_assert(offsetof(struct dump_cpu_record, cs) == 0xE0, "dump_cpu_record.cs");
_Static_assert(offsetof(struct dump_cpu_record, stack_lo) == 0xF0, "dump_cpu_record.stack_lo");

/* Bytes of a block of `count` records (a multiple of 8). */
static inline uint64_t dump_cpu_block_bytes(uint32_t count)
{
    return sizeof(struct dump_cpu_block) + (uint64_t)count * sizeof(struct dump_cpu_record);
}

/* Fills the register fields of *r (general registers, RIP, RFLAGS, control registers,
 * segments, vector, error code) from `ctx`; the other fields are left as they are. Safe at
 * bugcheck time. */
void dump_cpu_from_regs(struct dump_cpu_record *r, const struct bugcheck_context *ctx);

/* Completes a block whose `count` records are already in place after its 24-byte header at
 * `block` (any alignment): writes the header with `crashed` and the records' CRC32C.
 * Returns 0, or ERR_INVALID_ARGS (NULL, count 0 or above DUMP_CPU_MAX, crashed >= count).
 * Safe at bugcheck time. */
int dump_cpu_block_seal(void *block, uint32_t count, uint32_t crashed);

/* Checks the `len` bytes at `block` (any alignment) as a block of `count` records: header
 * fields, the records' CRC, each record's index and state. *out (may be NULL) gets the
 * header. Returns 0; ERR_INVALID_ARGS (NULL block); ERR_RANGE (len too short for `count`
 * records, or count outside 1..DUMP_CPU_MAX); ERR_NOT_SUPPORTED (other magic, version or
 * record size); ERR_CORRUPT (count or crashed index wrong, a record out of place, an unknown
 * state or running value, a crashed record that is not the block's crashed CPU);
 * ERR_CHECKSUM (records' CRC). Reads nothing outside [block, block + len). */
int dump_cpu_block_check(const void *block, size_t len, uint32_t count,
                         struct dump_cpu_block *out);

/* The pieces of dump_cpu_block_check, for a block read piece by piece: the header against
 * `count` (ERR_RANGE, ERR_NOT_SUPPORTED, ERR_CORRUPT as there), and record `i` of a block
 * whose crashing CPU is `crashed` (ERR_CORRUPT). The records' CRC is the caller's. */
int dump_cpu_header_check(const struct dump_cpu_block *h, uint32_t count);
int dump_cpu_record_check(const struct dump_cpu_record *r, uint32_t i, uint32_t crashed);

/* Record `i` of a checked block, copied to *out (any alignment). */
void dump_cpu_record_get(const void *block, uint32_t i, struct dump_cpu_record *out);

/* The Windows CONTEXT of a record (as dump_context_from_regs does for the header's). */
void dump_context_from_cpu(struct dump_context *out, const struct dump_cpu_record *r);

/* "crashed", "stopped by NMI", "parked after its own bugcheck", "offline", "did not
 * answer", or "unknown". */
const char *dump_cpu_state_name(uint32_t state);

#endif
