/* The dump writer's small dump (DumpType 4): the header, then a directory of streams —
 * modules, every CPU's state, the top of the faulting stack, the pages the registers point
 * at, the klog ring — assembled in the work area and written in one go. */
#include <string.h>
#include "dump/stack/dump_writer_priv.h"
#include "dump/dump_mini.h"
#include "dump/dump_cpu.h"
#include "mm/paging.h"
#include "arch/gdt.h"
#include "version.h"
#include "klog.h"
#include "err.h"

extern char __kernel_end[], __kernel_phys_start[];

/* Copy [va, va+len) through the page tables into dst; unmapped bytes read as zero. */
static WRITER void copy_virt(uint8_t *dst, uint64_t va, uint64_t len)
{
    while (len) {
        uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1)), pa;
        if (n > len)
            n = len;
        if (paging_virt_to_phys(va, &pa) == 0)
            memcpy(dst, phys_to_virt(pa), n);
        else
            memset(dst, 0, n);
        dst += n;
        va += n;
        len -= n;
    }
}

#define MINI_STACK_BYTES (16u * 1024u)   /* top of the faulting thread's stack kept */
#define MINI_CAPACITY 32u

/* Add the page holding register value `v` (flag bit `reg`) unless it is not a mapped kernel
 * address or already added. */
static WRITER void mini_reg_page(uint64_t *pages, uint32_t *flags, unsigned *n, uint64_t v, uint32_t reg)
{
    uint64_t pa;
    if (v < DIRECT_MAP_BASE || paging_virt_to_phys(v, &pa))
        return;
    uint64_t page = v & ~(PAGE_SIZE - 1);
    for (unsigned i = 0; i < *n; i++)
        if (pages[i] == page) {
            flags[i] |= reg;
            return;
        }
    if (*n < MINI_CAPACITY - 4) {
        pages[*n] = page;
        flags[(*n)++] = reg;
    }
}

/* A small dump (DumpType 4): the header, then a directory of streams — modules, every CPU's
 * state, the top of the faulting stack, the pages the registers point at, the klog ring —
 * assembled in the work area (at most 248 KiB) and written in one go. */
WRITER int writer_small(struct wr *w, const struct bugcheck_data *bd, uint32_t fallback)
{
    const struct bugcheck_context *c = &bd->ctx;
    uint8_t *buf = dump_work_at(dump_work.mini_off);
    struct dump_mini_builder b;
    int rc = dump_mini_begin(&b, buf, MINI_CAPACITY);
    if (rc)
        return rc;
    uint64_t off;
    /* modules: the kernel image and the clone */
    struct dump_mini_module mods[2];
    memset(mods, 0, sizeof mods);
    const uint8_t *id;
    mods[0].base = KERNEL_VMA + (uint64_t)__kernel_phys_start;
    mods[0].size = (uint64_t)__kernel_end - mods[0].base;
    memcpy(mods[0].name, "blackbox", 8);
    mods[0].build_id_len = (uint8_t)version_build_id(&id);
    memcpy(mods[0].build_id, id, mods[0].build_id_len);
    mods[1].base = w->st->clone.image_virt;
    mods[1].size = w->st->clone.image_size;
    memcpy(mods[1].name, w->st->clone.name, sizeof w->st->clone.name);
    if ((rc = dump_mini_add(&b, DUMP_STREAM_MODULES, 0, 0, DUMP_NO_PADDR, sizeof mods, &off)) != 0)
        return rc;
    memcpy(buf + off - DUMP_HEADER_SIZE, mods, sizeof mods);
    /* every CPU's state: the CPU block built by dump_write */
    uint64_t cpu_bytes = dump_cpu_block_bytes(w->cpus);
    if ((rc = dump_mini_add(&b, DUMP_STREAM_CPUS, 0, 0, DUMP_NO_PADDR, cpu_bytes, &off)) != 0)
        return rc;
    memcpy(buf + off - DUMP_HEADER_SIZE, dump_work_at(dump_work.cpu_off), cpu_bytes);
    /* the top of the faulting stack, as far as it is a known kernel stack */
    uint64_t sp = c->rsp & ~15ull, len = MINI_STACK_BYTES;
    while (len && !gdt_addr_on_kernel_stack(sp, len))
        len -= 16;
    if (len && dump_mini_add(&b, DUMP_STREAM_STACK, 0, sp, DUMP_NO_PADDR, len, &off) == 0)
        copy_virt(buf + off - DUMP_HEADER_SIZE, sp, len);
    /* the pages the registers point at */
    const uint64_t regs[18] = { c->rax, c->rcx, c->rdx, c->rbx, c->rsp, c->rbp, c->rsi, c->rdi,
                                c->r8, c->r9, c->r10, c->r11, c->r12, c->r13, c->r14, c->r15,
                                c->rip, c->cr2 };
    uint64_t pages[MINI_CAPACITY];
    uint32_t flags[MINI_CAPACITY];
    unsigned np = 0;
    for (unsigned i = 0; i < 18; i++)
        mini_reg_page(pages, flags, &np, regs[i], 1u << i);
    for (unsigned i = 0; i < np; i++) {
        uint64_t pa;
        paging_virt_to_phys(pages[i], &pa);
        if (dump_mini_add(&b, DUMP_STREAM_MEMORY, flags[i], pages[i], pa, PAGE_SIZE, &off) == 0)
            copy_virt(buf + off - DUMP_HEADER_SIZE, pages[i], PAGE_SIZE);
    }
    /* the kernel log ring, whole, if it still fits */
    if (dump_mini_add(&b, DUMP_STREAM_KLOG, 0, (uint64_t)phys_to_virt(klog_area_phys()), klog_area_phys(),
                      KLOG_AREA_SIZE, &off) == 0)
        memcpy(buf + off - DUMP_HEADER_SIZE, phys_to_virt(klog_area_phys()), KLOG_AREA_SIZE);

    struct dump_run runs[DUMP_MAX_RUNS];
    struct dump_params p;
    if ((rc = writer_common_params(w, bd, DUMP_TYPE_SMALL, runs, &p)) != 0)
        return rc;
    p.data_size = dump_mini_size(&b);
    p.fallback_reason = fallback;
    struct dump_plan plan;
    if ((rc = dump_header_build(dump_work_at(dump_work.hdr_off), &p, &plan)) != 0)
        return rc;
    uint64_t padded = ALIGN4K(p.data_size);
    if (ALIGN4K(plan.total) > w->st->target_bytes || plan.crc_table_offset)
        return ERR_NO_SPACE;
    memset(buf + p.data_size, 0, padded - p.data_size);
    w->total = padded;
    uint32_t *table = dump_work_at(dump_work.crc_off);
    if ((rc = writer_file(w, 0, dump_work.phys + dump_work.hdr_off, DUMP_HEADER_SIZE)) != 0 ||
        (rc = w->st->clone.flush()) != 0)
        return rc;
    w->phase = WR_HEADER_OUT;
    if ((rc = dump_crc_begin(&w->acc, table, p.data_size, plan.chunk_size)) != 0 ||
        (rc = dump_crc_update(&w->acc, buf, p.data_size)) != 0 ||
        (rc = dump_crc_end(&w->acc)) != 0 ||
        (rc = writer_file(w, DUMP_HEADER_SIZE, dump_work.phys + dump_work.mini_off, padded)) != 0 ||
        (rc = w->st->clone.flush()) != 0)
        return rc;
    writer_progress(w, padded);
    memcpy((uint8_t *)dump_work_at(dump_work.hdr_off) + DUMP_CRC_INLINE_OFFSET, table, plan.chunk_count * 4);
    w->phase = WR_SEALING;
    if ((rc = dump_header_seal(dump_work_at(dump_work.hdr_off), DUMP_BB_VALID | DUMP_BB_COMPLETE, 0)) != 0 ||
        (rc = writer_file(w, 0, dump_work.phys + dump_work.hdr_off, DUMP_HEADER_SIZE)) != 0)
        return rc;
    return w->st->clone.flush();
}

