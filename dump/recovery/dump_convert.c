/* Complete or bitmap dump → small dump: validates the source through the caller's read
 * callback, lays out the streams the kernel's minidump holds (modules, CPUs, stack, register
 * pages, klog), then writes header (unsealed), directory and streams page by page with their chunk
 * CRCs, and the sealed header last. See dump_convert.h for the contract. */
#include <string.h>
#include "dump/recovery/dump_convert.h"
#include "dump/dump_mini.h"
#include "dump/dump_cpu.h"
#include "dump/dump_verify.h"
#include "lib/crc32c.h"
#include "err.h"

#define REG_VALUES   18u   /* RAX..R15, RIP, CR2: the DUMP_REG_* bit order */
#define MAX_PAGES    (DUMP_CONVERT_CAPACITY - 4u)
#define MAX_CHUNKS   (DUMP_SMALL_MAX / DUMP_CHUNK_SMALL)

/* One conversion in progress (on the caller's stack). */
struct conv {
    const struct dump_convert_io *io;
    const uint8_t *prefix;            /* the source's validated prefix (io->work) */
    size_t prefix_len;
    const struct dump_layout *l;
    const struct dump_header *src;    /* the source header, inside prefix */
    struct dump_crc_acc acc;          /* chunk CRCs of the result's data */
    uint64_t pos;                     /* next file offset of the result to write */
    uint8_t page[DUMP_PAGE_SIZE];     /* bounce buffer of the per-page copies */
};

static int cb_rc(int rc)
{
    return rc > 0 ? ERR_IO : rc;
}

/* Reads source bytes [off, off+len), refusing anything past the end of the file. */
static int rd(const struct conv *c, uint64_t off, void *buf, size_t len)
{
    if (off > c->io->file_size || len > c->io->file_size - off)
        return ERR_CORRUPT;
    return cb_rc(c->io->read(c->io->read_ctx, off, buf, len));
}

/* Appends bytes to the result's data at c->pos, feeding the chunk CRCs. */
static int emit(struct conv *c, const void *buf, size_t len)
{
    int rc = dump_crc_update(&c->acc, buf, len);
    if (rc)
        return rc;
    rc = cb_rc(c->io->write(c->io->write_ctx, c->pos, buf, len));
    if (rc)
        return rc;
    c->pos += len;
    return 0;
}

static int emit_zeros(struct conv *c, uint64_t upto)
{
    memset(c->page, 0, sizeof c->page);
    while (c->pos < upto) {
        uint64_t n = upto - c->pos < sizeof c->page ? upto - c->pos : sizeof c->page;
        int rc = emit(c, c->page, (size_t)n);
        if (rc)
            return rc;
    }
    return 0;
}

static bool base_ok(uint64_t base)
{
    return base >= DUMP_CONVERT_KERNEL_HALF && (base & (DUMP_PAGE_SIZE - 1)) == 0;
}

/* Kernel virtual → physical through the header's linear maps. *span gets how many bytes
 * from va the same mapping keeps linear. False when no map covers va. */
static bool v2p(const struct conv *c, uint64_t va, uint64_t *pa, uint64_t *span)
{
    const struct dump_bb_fields *bb = &c->src->bb;
    uint64_t top = DUMP_MAX_PFN * DUMP_PAGE_SIZE;
    if (base_ok(bb->kernel_vma) && va >= bb->kernel_vma &&
        va - bb->kernel_vma < DUMP_CONVERT_LOW_2G) {
        *pa = va - bb->kernel_vma;
        *span = DUMP_CONVERT_LOW_2G - *pa;
        return true;
    }
    if (base_ok(bb->direct_map_base) && va >= bb->direct_map_base &&
        va - bb->direct_map_base < top) {
        *pa = va - bb->direct_map_base;
        *span = top - *pa;
        return true;
    }
    return false;
}

/* Bytes of [pa, pa+len) the source holds without a gap, from pa on. */
static uint64_t present_len(const struct conv *c, uint64_t pa, uint64_t len)
{
    uint64_t got = 0;
    if (len > UINT64_MAX - pa)
        len = UINT64_MAX - pa;
    while (got < len) {
        uint64_t off, avail;
        if (dump_phys_to_offset(c->prefix, c->prefix_len, c->l, pa + got, &off, &avail) != 0 ||
            avail == 0)
            break;
        got += avail < len - got ? avail : len - got;
    }
    return got;
}

/* Copies source physical memory [pa, pa+len) into the result, a page at most at a time. */
static int copy_phys(struct conv *c, uint64_t pa, uint64_t len)
{
    while (len) {
        uint64_t off, avail;
        int rc = dump_phys_to_offset(c->prefix, c->prefix_len, c->l, pa, &off, &avail);
        if (rc || avail == 0)
            return ERR_CORRUPT;   /* present_len said it was there: the layout changed */
        uint64_t n = len < avail ? len : avail;
        if (n > sizeof c->page)
            n = sizeof c->page;
        if ((rc = rd(c, off, c->page, (size_t)n)) != 0 || (rc = emit(c, c->page, (size_t)n)) != 0)
            return rc;
        pa += n;
        len -= n;
    }
    return 0;
}

/* Copies the source's CPU block into the result, checked record by record against its
 * header and its CRC (dump_cpu.h). */
static int copy_cpus(struct conv *c)
{
    struct dump_cpu_block h;
    struct dump_cpu_record r;
    uint64_t off = c->l->cpu_offset;
    int rc;
    if ((rc = rd(c, off, &h, sizeof h)) != 0)
        return rc;
    if (dump_cpu_header_check(&h, c->l->cpu_count) != 0)
        return ERR_CORRUPT;
    if ((rc = emit(c, &h, sizeof h)) != 0)
        return rc;
    uint32_t crc = 0;
    for (uint32_t i = 0; i < h.count; i++) {
        if ((rc = rd(c, off + sizeof h + (uint64_t)i * sizeof r, &r, sizeof r)) != 0)
            return rc;
        if (dump_cpu_record_check(&r, i, h.crashed) != 0)
            return ERR_CORRUPT;
        crc = crc32c(crc, &r, sizeof r);
        if ((rc = emit(c, &r, sizeof r)) != 0)
            return rc;
    }
    return crc == h.crc ? 0 : ERR_CHECKSUM;
}

/* `work` cannot hold the prefix dump_validate asks for. When that is the bitmap's second
 * header, peek at it so that the caller learns the whole prefix (bitmap included) at once. */
static int too_small(const struct dump_convert_io *io, struct dump_convert_result *res)
{
    struct dump_bitmap_header b;
    if (res->src.prefix == DUMP_BMP_BITMAP_OFFSET && io->file_size >= DUMP_BMP_BITMAP_OFFSET &&
        cb_rc(io->read(io->read_ctx, DUMP_BMP_OFFSET, &b, sizeof b)) == 0 &&
        b.pages && b.pages <= DUMP_MAX_PFN)
        res->prefix_needed = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(b.pages);
    return ERR_TOO_BIG;
}

/* Reads the source's prefix into io->work and validates it (dump_verify_prefix). */
static int load_source(const struct dump_convert_io *io, struct dump_convert_result *res,
                       size_t *prefix_len)
{
    int rc = dump_verify_prefix(io->read, io->read_ctx, io->file_size, io->work, io->work_len,
                                prefix_len, &res->src);
    res->prefix_needed = res->src.prefix > DUMP_HEADER_SIZE ? res->src.prefix : DUMP_HEADER_SIZE;
    if (rc != ERR_TOO_BIG)
        return rc;
    if (res->src.dump_type == DUMP_TYPE_SMALL)
        return ERR_NOT_SUPPORTED;   /* its header is good: nothing to convert */
    return too_small(io, res);
}

/* Adds the page holding `v` (register bit `reg`) unless untranslatable, absent or known. */
static void reg_page(const struct conv *c, uint64_t *pages, uint32_t *flags, unsigned *n,
                     uint64_t v, uint32_t reg)
{
    uint64_t pa, span, page = v & ~(uint64_t)(DUMP_PAGE_SIZE - 1);
    if (v < c->src->bb.direct_map_base || !v2p(c, page, &pa, &span) || span < DUMP_PAGE_SIZE ||
        present_len(c, pa, DUMP_PAGE_SIZE) < DUMP_PAGE_SIZE)
        return;
    for (unsigned i = 0; i < *n; i++)
        if (pages[i] == page) {
            flags[i] |= reg;
            return;
        }
    if (*n < MAX_PAGES) {
        pages[*n] = page;
        flags[(*n)++] = reg;
    }
}

/* The kernel module entry: everything the header says about the image. */
static void kernel_module(const struct conv *c, struct dump_mini_module *m)
{
    const struct dump_bb_fields *bb = &c->src->bb;
    memset(m, 0, sizeof *m);                 /* size 0: the image's end is not known */
    m->base = bb->kernel_vma + bb->kernel_phys_base;
    memcpy(m->name, "blackbox", 8);
    m->build_id_len = bb->build_id_len;
    memcpy(m->build_id, bb->build_id, bb->build_id_len);
}

/* Lays out the directory in b (streams: modules, CPUs, stack, register pages, klog). */
static int layout(struct conv *c, struct dump_mini_builder *b, void *dir,
                  struct dump_convert_result *res)
{
    const struct dump_context *x = &c->src->context;
    const struct dump_bb_fields *bb = &c->src->bb;
    uint64_t off, pa, span;
    int rc = dump_mini_begin(b, dir, DUMP_CONVERT_CAPACITY);
    if (rc || (rc = dump_mini_add(b, DUMP_STREAM_MODULES, 0, 0, DUMP_NO_PADDR,
                                  sizeof(struct dump_mini_module), &off)) != 0 ||
        (rc = dump_mini_add(b, DUMP_STREAM_CPUS, 0, 0, DUMP_NO_PADDR,
                            dump_cpu_block_bytes(c->l->cpu_count), &off)) != 0)
        return rc;
    uint64_t sp = x->rsp & ~15ull;
    if (v2p(c, sp, &pa, &span)) {
        uint64_t len = span < DUMP_CONVERT_STACK_BYTES ? span : DUMP_CONVERT_STACK_BYTES;
        len = present_len(c, pa, len) & ~15ull;
        if (len && dump_mini_add(b, DUMP_STREAM_STACK, 0, sp, pa, len, &off) == 0)
            res->stack_bytes = len;
    }
    const uint64_t regs[REG_VALUES] = { x->rax, x->rcx, x->rdx, x->rbx, x->rsp, x->rbp, x->rsi,
                                        x->rdi, x->r8, x->r9, x->r10, x->r11, x->r12, x->r13,
                                        x->r14, x->r15, x->rip, bb->cr2 };
    uint64_t pages[MAX_PAGES];
    uint32_t flags[MAX_PAGES];
    unsigned np = 0;
    for (unsigned i = 0; i < REG_VALUES; i++)
        reg_page(c, pages, flags, &np, regs[i], 1u << i);
    for (unsigned i = 0; i < np; i++) {
        v2p(c, pages[i], &pa, &span);
        if (dump_mini_add(b, DUMP_STREAM_MEMORY, flags[i], pages[i], pa, DUMP_PAGE_SIZE,
                          &off) == 0)
            res->memory_pages++;
    }
    if (bb->klog_size && present_len(c, bb->klog_phys, bb->klog_size) == bb->klog_size &&
        base_ok(bb->direct_map_base) &&
        dump_mini_add(b, DUMP_STREAM_KLOG, 0, bb->direct_map_base + bb->klog_phys,
                      bb->klog_phys, bb->klog_size, &off) == 0)
        res->klog = true;
    res->streams = b->count;
    return 0;
}

/* The result's header, unsealed: the source's fields, DumpType 4, `data_size` of data. */
static int build_header(const struct conv *c, uint8_t *hdr, uint64_t data_size,
                        struct dump_plan *plan)
{
    const struct dump_header *s = c->src;
    const struct dump_context *x = &s->context;
    const struct dump_bb_fields *bb = &s->bb;
    struct dump_run runs[DUMP_MAX_RUNS];
    uint32_t nruns = s->physical_memory_block.number_of_runs;
    memcpy(runs, s->physical_memory_block.run,
           (nruns < DUMP_MAX_RUNS ? nruns : DUMP_MAX_RUNS) * sizeof(struct dump_run));
    struct bugcheck_context ctx = {
        .rax = x->rax, .rbx = x->rbx, .rcx = x->rcx, .rdx = x->rdx, .rsi = x->rsi,
        .rdi = x->rdi, .rbp = x->rbp, .rsp = x->rsp, .r8 = x->r8, .r9 = x->r9,
        .r10 = x->r10, .r11 = x->r11, .r12 = x->r12, .r13 = x->r13, .r14 = x->r14,
        .r15 = x->r15, .rip = x->rip, .rflags = x->eflags, .cr0 = bb->cr0, .cr2 = bb->cr2,
        .cr3 = s->directory_table_base, .cr4 = bb->cr4, .error_code = bb->error_code,
        .vector = bb->bugcheck_vector, .cs = x->seg_cs, .ss = x->seg_ss, .ds = x->seg_ds,
        .es = x->seg_es, .fs = x->seg_fs, .gs = x->seg_gs,
    };
    static const char suffix_full[] = " (converted from full dump)";
    static const char suffix_bitmap[] = " (converted from bitmap dump)";
    const char *suffix = c->l->dump_type == DUMP_TYPE_FULL ? suffix_full : suffix_bitmap;
    char comment[sizeof s->comment];
    size_t n = strnlen((const char *)s->comment, sizeof s->comment - 1);
    memcpy(comment, s->comment, n);
    comment[n] = 0;
    if (n + strlen(suffix) < sizeof comment)
        memcpy(comment + n, suffix, strlen(suffix) + 1);
    struct dump_params p = {
        .dump_type = DUMP_TYPE_SMALL, .bugcheck_code = s->bug_check_code, .ctx = &ctx,
        .runs = runs, .run_count = nruns, .ram_pages = s->physical_memory_block.number_of_pages,
        .processors = s->number_processors,
        .data_size = data_size, .sequence = bb->sequence, .build_id = bb->build_id,
        .build_id_len = bb->build_id_len, .config_type = bb->config_type,
        .fallback_reason = bb->fallback_reason, .dump_time_ns = bb->dump_time_ns,
        .system_time = s->system_time, .ram_bytes = bb->ram_bytes, .klog_phys = bb->klog_phys,
        .klog_size = bb->klog_size, .direct_map_base = bb->direct_map_base,
        .kernel_phys_base = bb->kernel_phys_base, .kernel_vma = bb->kernel_vma,
        .pfn_database = s->pfn_data_base, .comment = comment,
    };
    for (int i = 0; i < 4; i++)
        p.bugcheck_params[i] = s->bug_check_parameter[i];
    int rc = dump_header_build(hdr, &p, plan);
    if (rc)
        return rc;
    struct dump_header *h = (struct dump_header *)hdr;
    memcpy(h->context_record_buffer, s->context_record_buffer, sizeof h->context_record_buffer);
    memcpy(&h->exception, &s->exception, sizeof h->exception);
    h->system_up_time = s->system_up_time;
    return plan->crc_table_offset || plan->chunk_count > MAX_CHUNKS ? ERR_TOO_BIG : 0;
}

int dump_convert_to_mini(const struct dump_convert_io *io, struct dump_convert_result *res)
{
    if (!res)
        return ERR_INVALID_ARGS;
    memset(res, 0, sizeof *res);
    if (!io || !io->read || !io->write || !io->work || io->work_len < DUMP_HEADER_SIZE)
        return ERR_INVALID_ARGS;
    struct conv c = { .io = io, .prefix = io->work, .l = &res->src,
                      .src = (const struct dump_header *)io->work };
    int rc = load_source(io, res, &c.prefix_len);
    if (rc)
        return rc;
    if (res->src.dump_type != DUMP_TYPE_FULL && res->src.dump_type != DUMP_TYPE_BITMAP)
        return ERR_NOT_SUPPORTED;

    struct dump_mini_builder b;
    uint8_t dir[sizeof(struct dump_mini_dir) + DUMP_CONVERT_CAPACITY * sizeof(struct dump_mini_stream)];
    if ((rc = layout(&c, &b, dir, res)) != 0)
        return rc;
    uint64_t data_size = dump_mini_size(&b);
    uint8_t hdr[DUMP_HEADER_SIZE];
    struct dump_plan plan;
    if ((rc = build_header(&c, hdr, data_size, &plan)) != 0)
        return rc;
    res->size = plan.total;

    /* 1. the header of a dump being written: never taken for a valid one */
    if ((rc = dump_header_seal(hdr, 0, 0)) != 0 ||
        (rc = cb_rc(io->write(io->write_ctx, 0, hdr, DUMP_HEADER_SIZE))) != 0)
        return rc;
    /* 2. directory and streams, in file order */
    uint32_t table[MAX_CHUNKS];
    if ((rc = dump_crc_begin(&c.acc, table, data_size, plan.chunk_size)) != 0)
        return rc;
    c.pos = DUMP_HEADER_SIZE;
    if ((rc = emit(&c, dir, (size_t)dump_mini_dir_bytes(DUMP_CONVERT_CAPACITY))) != 0)
        return rc;
    for (uint32_t i = 0; i < b.count; i++) {
        struct dump_mini_stream s;
        if ((rc = dump_mini_stream_get(dir, sizeof dir, i, &s)) != 0 ||
            (rc = emit_zeros(&c, s.offset)) != 0)
            return rc;
        if (s.type == DUMP_STREAM_MODULES) {
            struct dump_mini_module m;
            kernel_module(&c, &m);
            rc = emit(&c, &m, sizeof m);
        } else if (s.type == DUMP_STREAM_CPUS) {
            rc = copy_cpus(&c);
        } else {
            rc = copy_phys(&c, s.paddr, s.size);
        }
        if (rc)
            return rc;
    }
    if ((rc = emit_zeros(&c, DUMP_HEADER_SIZE + data_size)) != 0 ||
        (rc = dump_crc_end(&c.acc)) != 0)
        return rc;
    /* 3. the sealed header */
    memcpy(hdr + DUMP_CRC_INLINE_OFFSET, table, (size_t)plan.chunk_count * 4);
    uint32_t flags = DUMP_BB_VALID | DUMP_BB_CONVERTED | (res->src.complete ? DUMP_BB_COMPLETE : 0);
    if ((rc = dump_header_seal(hdr, flags, 0)) != 0)
        return rc;
    return cb_rc(io->write(io->write_ctx, 0, hdr, DUMP_HEADER_SIZE));
}
