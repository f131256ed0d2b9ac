/* Test helper: builds complete dump files in memory with the dump core, the way the kernel's
 * writer will (header with flags 0, data with streaming chunk CRCs, external table, seal),
 * so tests can check round trips and damage them on purpose. Memory holds a known pattern:
 * the byte at physical address a is dump_test_byte(a). */
#ifndef BB_TEST_DUMP_UTIL_H
#define BB_TEST_DUMP_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dump/dump_format.h"
#include "dump/dump_mini.h"
#include "dump/dump_validate.h"
#include "dump/dump_cpu.h"
#include "lib/crc32c.h"

static inline uint8_t dump_test_byte(uint64_t phys)
{
    return (uint8_t)((phys * 131) ^ (phys >> 12) ^ (phys >> 20));
}

static const uint8_t dump_test_build_id[20] = {
    0xf1, 0x85, 0x7d, 0x39, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
};

static inline void dump_test_ctx(struct bugcheck_context *c)
{
    memset(c, 0, sizeof(*c));
    c->rax = 0x1111; c->rbx = 0x2222; c->rcx = 0x3333; c->rdx = 0x4444;
    c->rsi = 0x5555; c->rdi = 0x6666; c->rbp = 0xffff800000101ff0ull;
    c->rsp = 0xffff800000101f00ull;
    c->r8 = 8; c->r9 = 9; c->r10 = 10; c->r11 = 11; c->r12 = 12; c->r13 = 13; c->r14 = 14;
    c->r15 = 15;
    c->rip = 0xffffffff8010cf27ull; c->rflags = 0x10046;
    c->cr0 = 0x80050033; c->cr2 = 0xdead000; c->cr3 = 0x200000; c->cr4 = 0x6a0;
    c->error_code = 2; c->vector = 14;
    c->cs = 0x08; c->ss = 0x10; c->ds = 0x10; c->es = 0x10; c->fs = 0; c->gs = 0;
}

/* Default parameters for a dump of `type` over the runs. */
static inline void dump_test_params(struct dump_params *p, struct bugcheck_context *ctx,
                                    uint32_t type, const struct dump_run *runs, uint32_t n)
{
    dump_test_ctx(ctx);
    memset(p, 0, sizeof(*p));
    p->dump_type = type;
    p->bugcheck_code = 0x50;
    p->bugcheck_params[0] = 0xdead000; p->bugcheck_params[1] = 2;
    p->bugcheck_params[2] = ctx->rip; p->bugcheck_params[3] = 2;
    p->ctx = ctx;
    p->runs = runs;
    p->run_count = n;
    p->sequence = 42;
    p->build_id = dump_test_build_id;
    p->build_id_len = sizeof(dump_test_build_id);
    p->config_type = DUMP_CONFIG_COMPLETE;
    p->dump_time_ns = 12345678900ull;
    p->system_time = 133000000000000000ull;
    p->ram_bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        p->ram_bytes += runs[i].page_count * DUMP_PAGE_SIZE;
    p->ram_pages = p->ram_bytes / DUMP_PAGE_SIZE;
    p->klog_phys = 0x1000000;
    p->klog_size = 64 + 128 * 1024;
    p->direct_map_base = 0xffff800000000000ull;
    p->kernel_phys_base = 0x100000;
    p->kernel_vma = 0xffffffff80000000ull;
    p->comment = "Blackbox test dump";
}

/* A CPU block of `count` records at `blk`: CPU `crashed` has the registers of `ctx` (as the
 * header's CONTEXT), running werfault (pid 7); CPU `offline` (none when >= count) is offline;
 * every other CPU i was stopped by NMI in the idle loop at RIP 0xffffffff80100000 + 0x10 * i,
 * RSP = RBP = 0xffff800000200000 + 0x1000 * i. */
static inline void dump_test_cpus(uint8_t *blk, uint32_t count, uint32_t crashed,
                                  uint32_t offline, const struct bugcheck_context *ctx)
{
    struct dump_cpu_record *r = (struct dump_cpu_record *)(blk + sizeof(struct dump_cpu_block));
    memset(r, 0, count * sizeof(*r));
    for (uint32_t i = 0; i < count; i++) {
        r[i].index = i;
        r[i].apic_id = i * 2;
        if (i == crashed) {
            r[i].state = DUMP_CPU_CRASHED;
            r[i].running = DUMP_RUN_PROCESS;
            r[i].pid = 7;
            memcpy(r[i].process, "werfault", 8);
            dump_cpu_from_regs(&r[i], ctx);
            r[i].bugcheck_code = 0x50;
        } else if (i == offline) {
            r[i].state = DUMP_CPU_OFFLINE;
        } else {
            struct bugcheck_context c = *ctx;
            c.rip = 0xffffffff80100000ull + 0x10 * i;
            c.rsp = c.rbp = 0xffff800000200000ull + 0x1000 * i;
            c.vector = 2;
            c.error_code = 0;
            dump_cpu_from_regs(&r[i], &c);
            r[i].state = DUMP_CPU_NMI_STOPPED;
            r[i].running = DUMP_RUN_IDLE;
            r[i].stack_lo = c.rsp - 0x1000;
            r[i].stack_hi = c.rsp + 0x1000;
        }
    }
    dump_cpu_block_seal(blk, count, crashed);
}

/* Fills [pos, pos+len) of the file with the pattern of physical memory from `phys`. */
static inline void dump_test_fill(uint8_t *f, uint64_t pos, uint64_t phys, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        f[pos + i] = dump_test_byte(phys + i);
}

/* Finishes a dump whose header and data are in f: chunk CRCs, external table, seal. */
static inline int dump_test_seal(uint8_t *f, const struct dump_plan *pl, uint32_t flags)
{
    uint64_t n = pl->chunk_count;
    uint32_t *table = calloc(n ? n : 1, 4);
    struct dump_crc_acc a;
    uint32_t tcrc = 0;
    int rc = dump_crc_begin(&a, table, pl->data_end - DUMP_HEADER_SIZE, pl->chunk_size);
    if (!rc)
        rc = dump_crc_update(&a, f + DUMP_HEADER_SIZE, pl->data_end - DUMP_HEADER_SIZE);
    if (!rc)
        rc = dump_crc_end(&a);
    if (!rc && pl->crc_table_offset) {
        memcpy(f + pl->crc_table_offset, table, n * 4);
        tcrc = crc32c(0, table, n * 4);
    } else if (!rc) {
        memcpy(f + DUMP_CRC_INLINE_OFFSET, table, n * 4);
    }
    free(table);
    return rc ? rc : dump_header_seal(f, flags, tcrc);
}

/* A complete full dump of the runs with `cpus` CPU records, CPU `crashed` the crashing one
 * and CPU `offline` offline (see dump_test_cpus); *size gets the file size (plus `slack` zero
 * bytes, as a pagefile bigger than its dump). Caller frees. NULL on failure. */
static inline uint8_t *dump_test_full_cpus(const struct dump_run *runs, uint32_t n,
                                           uint32_t chunk, size_t slack, size_t *size,
                                           uint32_t cpus, uint32_t crashed, uint32_t offline)
{
    struct dump_params p;
    struct bugcheck_context ctx;
    struct dump_plan pl;
    uint8_t hdr[DUMP_HEADER_SIZE];

    dump_test_params(&p, &ctx, DUMP_TYPE_FULL, runs, n);
    p.chunk_size = chunk;
    p.processors = cpus;
    if (dump_header_build(hdr, &p, &pl) != 0)
        return NULL;
    *size = pl.total + slack;
    uint8_t *f = calloc(1, *size);
    memcpy(f, hdr, sizeof(hdr));
    uint64_t pos = DUMP_HEADER_SIZE;
    for (uint32_t i = 0; i < n; i++) {
        dump_test_fill(f, pos, runs[i].base_page * DUMP_PAGE_SIZE,
                       runs[i].page_count * DUMP_PAGE_SIZE);
        pos += runs[i].page_count * DUMP_PAGE_SIZE;
    }
    dump_test_cpus(f + pl.cpu_offset, cpus, crashed, offline, &ctx);
    if (dump_test_seal(f, &pl, DUMP_BB_VALID | DUMP_BB_COMPLETE) != 0) {
        free(f);
        return NULL;
    }
    return f;
}

/* dump_test_full_cpus with one CPU. */
static inline uint8_t *dump_test_full(const struct dump_run *runs, uint32_t n, uint32_t chunk,
                                      size_t slack, size_t *size)
{
    return dump_test_full_cpus(runs, n, chunk, slack, size, 1, 0, 1);
}

/* A complete bitmap dump: page p of the runs is present when keep(p); keep NULL: every page
 * of the runs, the full-content layout ("FDMP") of a complete dump configured as such. */
static inline uint8_t *dump_test_bitmap(const struct dump_run *runs, uint32_t n,
                                        int (*keep)(uint64_t), size_t *size)
{
    struct dump_params p;
    struct bugcheck_context ctx;
    struct dump_plan pl;
    uint64_t pages = runs[n - 1].base_page + runs[n - 1].page_count;
    uint8_t *bm = calloc(1, dump_bitmap_bytes(pages));

    for (uint32_t i = 0; i < n; i++)
        for (uint64_t pg = runs[i].base_page; pg < runs[i].base_page + runs[i].page_count; pg++)
            if (!keep || keep(pg))
                dump_bitmap_set(bm, pg);
    dump_test_params(&p, &ctx, DUMP_TYPE_BITMAP, runs, n);
    p.config_type = keep ? DUMP_CONFIG_KERNEL : DUMP_CONFIG_COMPLETE;
    p.bitmap_full_content = !keep;
    p.bitmap_pages = pages;
    p.bitmap_present = dump_bitmap_count(bm, pages);
    uint8_t *f = NULL;
    uint8_t hdr[DUMP_HEADER_SIZE];
    if (dump_header_build(hdr, &p, &pl) == 0) {
        *size = pl.total;
        f = calloc(1, *size);
        memcpy(f, hdr, sizeof(hdr));
        dump_bitmap_header_build(f + DUMP_BMP_OFFSET, &p);
        memcpy(f + DUMP_BMP_BITMAP_OFFSET, bm, dump_bitmap_bytes(pages));
        uint64_t pos = pl.pages_offset;
        for (uint64_t pg = 0; pg < pages; pg++) {
            if (dump_bitmap_test(bm, pg)) {
                dump_test_fill(f, pos, pg * DUMP_PAGE_SIZE, DUMP_PAGE_SIZE);
                pos += DUMP_PAGE_SIZE;
            }
        }
        dump_test_cpus(f + pl.cpu_offset, 1, 0, 1, &ctx);
        if (dump_test_seal(f, &pl, DUMP_BB_VALID | DUMP_BB_COMPLETE) != 0) {
            free(f);
            f = NULL;
        }
    }
    free(bm);
    return f;
}

/* A small dump: a stack stream, a register page with a physical address (0x5000), a klog
 * stream, a module list and the CPU block of one CPU. */
static inline uint8_t *dump_test_small(size_t *size)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x7ef00 } };
    struct dump_params p;
    struct bugcheck_context ctx;
    struct dump_plan pl;
    struct dump_mini_builder b;
    uint8_t dir[2 * 1024];
    uint64_t off_stack, off_page, off_klog, off_mod, off_cpus;

    dump_test_params(&p, &ctx, DUMP_TYPE_SMALL, runs, 2);
    p.config_type = DUMP_CONFIG_COMPLETE;
    p.fallback_reason = DUMP_FALLBACK_TOO_SMALL;
    if (dump_mini_begin(&b, dir, 8) != 0 ||
        dump_mini_add(&b, DUMP_STREAM_STACK, 0, ctx.rsp & ~0xfffull, 0x101000, 16384,
                      &off_stack) != 0 ||
        dump_mini_add(&b, DUMP_STREAM_MEMORY, DUMP_REG_CR2, 0xffff800000005000ull, 0x5000,
                      DUMP_PAGE_SIZE, &off_page) != 0 ||
        dump_mini_add(&b, DUMP_STREAM_KLOG, 0, 0xffff800001000000ull, DUMP_NO_PADDR, 3000,
                      &off_klog) != 0 ||
        dump_mini_add(&b, DUMP_STREAM_MODULES, 0, 0, DUMP_NO_PADDR,
                      sizeof(struct dump_mini_module), &off_mod) != 0 ||
        dump_mini_add(&b, DUMP_STREAM_CPUS, 0, 0, DUMP_NO_PADDR, dump_cpu_block_bytes(1),
                      &off_cpus) != 0)
        return NULL;
    p.data_size = dump_mini_size(&b);
    uint8_t hdr[DUMP_HEADER_SIZE];
    if (dump_header_build(hdr, &p, &pl) != 0)
        return NULL;
    *size = pl.total;
    uint8_t *f = calloc(1, *size);
    memcpy(f, hdr, sizeof(hdr));
    memcpy(f + DUMP_HEADER_SIZE, dir, dump_mini_dir_bytes(8));
    dump_test_fill(f, off_stack, 0x101000, 16384);
    dump_test_fill(f, off_page, 0x5000, DUMP_PAGE_SIZE);
    memset(f + off_klog, 'K', 3000);
    struct dump_mini_module m = { .base = 0xffffffff80100000ull, .size = 0x53000,
                                  .name = "blackbox", .build_id_len = 20 };
    memcpy(m.build_id, dump_test_build_id, 20);
    memcpy(f + off_mod, &m, sizeof(m));
    dump_test_cpus(f + off_cpus, 1, 0, 1, &ctx);
    if (dump_test_seal(f, &pl, DUMP_BB_VALID | DUMP_BB_COMPLETE) != 0) {
        free(f);
        return NULL;
    }
    return f;
}

/* Recomputes the header CRC after a test changed a field on purpose. */
static inline void dump_test_reseal(uint8_t *f)
{
    uint32_t crc = dump_header_crc(f);
    memcpy(f + DUMP_BB_OFFSET + offsetof(struct dump_bb_fields, header_crc), &crc, 4);
}

#endif
