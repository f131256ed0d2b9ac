/* Building a dump header: the Windows DUMP_HEADER64 fields, the CONTEXT and exception
 * record from the captured registers, the runs, and Blackbox's fields; sealing it with its
 * CRC. See dump_format.h for the contract; everything here is safe at bugcheck time. */
#include <string.h>
#include "dump/dump_format.h"
#include "dump/dump_cpu.h"
#include "lib/crc32c.h"
#include "err.h"

static void fill_page(void *p, size_t len)
{
    static const uint8_t word[4] = { 'P', 'A', 'G', 'E' };
    uint8_t *b = (uint8_t *)p;
    for (size_t i = 0; i < len; i++)
        b[i] = word[i & 3];
}

static bool chunk_size_ok(uint32_t c)
{
    return c >= 512 && c <= (1u << 30) && !(c & (c - 1));
}

/* The runs of `p` (the listed ones, min(run_count, DUMP_MAX_RUNS)) and its RAM pages. */
static int check_runs(const struct dump_params *p, uint64_t *pages)
{
    uint64_t end = 0, sum = 0;
    uint32_t n = p->run_count, listed = n < DUMP_MAX_RUNS ? n : DUMP_MAX_RUNS;

    if (!p->runs || n == 0)
        return ERR_INVALID_ARGS;
    if (n > DUMP_MAX_RUNS && p->dump_type == DUMP_TYPE_FULL)
        return ERR_TOO_BIG;
    for (uint32_t i = 0; i < listed; i++) {
        uint64_t b = p->runs[i].base_page, c = p->runs[i].page_count;
        if (c == 0 || b < end || b >= DUMP_MAX_PFN || c > DUMP_MAX_PFN - b)
            return ERR_INVALID_ARGS;
        end = b + c;
        sum += c;
    }
    if (n > listed ? p->ram_pages < sum + (n - listed) || p->ram_pages > DUMP_MAX_PFN - end
                   : p->ram_pages != 0 && p->ram_pages != sum)
        return ERR_INVALID_ARGS;
    *pages = n > listed ? p->ram_pages : sum;
    return 0;
}

/* Data bytes after the header, and the pages' file offset, for the dump type of `p`; the
 * CPU block of `cpus` records ends the data of FULL and BITMAP. */
static int data_layout(const struct dump_params *p, uint64_t ram_pages, uint32_t cpus,
                       uint64_t *data_size, uint64_t *pages_offset)
{
    switch (p->dump_type) {
    case DUMP_TYPE_FULL:
        *data_size = ram_pages * DUMP_PAGE_SIZE + dump_cpu_block_bytes(cpus);
        *pages_offset = DUMP_HEADER_SIZE;
        return 0;
    case DUMP_TYPE_BITMAP: {
        if (p->bitmap_pages == 0 || p->bitmap_pages > DUMP_MAX_PFN ||
            p->bitmap_present > p->bitmap_pages ||
            (p->bitmap_full_content && p->bitmap_present != ram_pages))
            return ERR_INVALID_ARGS;
        uint64_t first = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(p->bitmap_pages);
        first = (first + DUMP_PAGE_SIZE - 1) & ~(uint64_t)(DUMP_PAGE_SIZE - 1);
        *pages_offset = first;
        *data_size = first - DUMP_HEADER_SIZE + p->bitmap_present * DUMP_PAGE_SIZE +
                     dump_cpu_block_bytes(cpus);
        return 0;
    }
    case DUMP_TYPE_SMALL:
        if (p->data_size == 0 || p->data_size > DUMP_SMALL_MAX - DUMP_HEADER_SIZE)
            return p->data_size ? ERR_TOO_BIG : ERR_INVALID_ARGS;
        *data_size = p->data_size;
        *pages_offset = 0;
        return 0;
    default:
        return ERR_INVALID_ARGS;
    }
}

/* RequiredDumpSpace of `data_size` bytes of data in chunks of `chunk` bytes: the header, the
 * data, and the CRC table after it (from a page boundary) when the header cannot hold it. */
static uint64_t dump_total(uint64_t data_size, uint32_t chunk, uint64_t *chunks,
                           uint64_t *table_off, uint64_t *table_bytes)
{
    uint64_t data_end = DUMP_HEADER_SIZE + data_size;
    *chunks = dump_chunk_count(data_size, chunk);
    *table_off = *table_bytes = 0;
    if (*chunks <= DUMP_CRC_INLINE_MAX)
        return data_end;
    *table_off = (data_end + DUMP_PAGE_SIZE - 1) & ~(uint64_t)(DUMP_PAGE_SIZE - 1);
    *table_bytes = *chunks * 4;
    return *table_off + *table_bytes;
}

uint64_t dump_complete_bytes(uint32_t run_count, uint64_t ram_pages, uint64_t frames,
                             uint32_t chunk_size, uint32_t cpus)
{
    uint32_t chunk = chunk_size ? chunk_size : DUMP_CHUNK_DEFAULT;
    uint64_t data_size = ram_pages * DUMP_PAGE_SIZE + dump_cpu_block_bytes(cpus ? cpus : 1);
    uint64_t chunks, off, bytes;

    if (ram_pages == 0 || ram_pages > frames || frames > DUMP_MAX_PFN || !chunk_size_ok(chunk) ||
        cpus > DUMP_CPU_MAX)
        return 0;
    if (dump_complete_type(run_count) == DUMP_TYPE_BITMAP) {
        uint64_t first = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(frames);
        data_size += ((first + DUMP_PAGE_SIZE - 1) & ~(uint64_t)(DUMP_PAGE_SIZE - 1)) -
                     DUMP_HEADER_SIZE;
    }
    return dump_total(data_size, chunk, &chunks, &off, &bytes);
}

int dump_header_build(void *hdr, const struct dump_params *p, struct dump_plan *plan)
{
    struct dump_header *h = (struct dump_header *)hdr;
    uint64_t ram_pages, data_size, pages_offset;
    int rc;

    uint32_t cpus = p && p->processors ? p->processors : 1;
    if (!hdr || !p || !p->ctx || cpus > DUMP_CPU_MAX)
        return ERR_INVALID_ARGS;
    if ((rc = check_runs(p, &ram_pages)) != 0)
        return rc;
    if ((rc = data_layout(p, ram_pages, cpus, &data_size, &pages_offset)) != 0)
        return rc;
    uint32_t chunk = p->chunk_size;
    if (chunk == 0)
        chunk = p->dump_type == DUMP_TYPE_SMALL ? DUMP_CHUNK_SMALL : DUMP_CHUNK_DEFAULT;
    if (!chunk_size_ok(chunk))
        return ERR_INVALID_ARGS;

    fill_page(h, sizeof(*h));
    h->signature = DUMP_SIGNATURE;
    h->valid_dump = DUMP_VALID_DUMP64;
    h->major_version = DUMP_MAJOR_FREE;
    h->minor_version = DUMP_MINOR_BUILD;
    h->directory_table_base = p->ctx->cr3;
    h->pfn_data_base = p->pfn_database;
    h->ps_loaded_module_list = 0;
    h->ps_active_process_head = 0;
    h->machine_image_type = DUMP_MACHINE_AMD64;
    h->number_processors = cpus;
    h->bug_check_code = p->bugcheck_code;
    h->bug_check_code_pad = 0;
    for (int i = 0; i < 4; i++)
        h->bug_check_parameter[i] = p->bugcheck_params[i];
    h->kd_debugger_data_block = 0;

    memset(h->physical_memory_block_buffer, 0, sizeof(h->physical_memory_block_buffer));
    h->physical_memory_block.number_of_runs = p->run_count;
    h->physical_memory_block.number_of_pages = ram_pages;
    memcpy(h->physical_memory_block.run, p->runs,
           (p->run_count < DUMP_MAX_RUNS ? p->run_count : DUMP_MAX_RUNS) * sizeof(struct dump_run));

    memset(h->context_record_buffer, 0, sizeof(h->context_record_buffer));
    dump_context_from_regs(&h->context, p->ctx);
    dump_exception_from_regs(&h->exception, p->ctx);

    uint64_t chunks, table_off, table_bytes;
    uint64_t data_end = DUMP_HEADER_SIZE + data_size;
    uint64_t total = dump_total(data_size, chunk, &chunks, &table_off, &table_bytes);

    h->dump_type = p->dump_type;
    h->dump_type_pad = 0;
    h->required_dump_space = total;
    h->system_time = p->system_time;
    memset(h->comment, 0, sizeof(h->comment));
    if (p->comment)
        memcpy(h->comment, p->comment, strnlen(p->comment, sizeof(h->comment) - 1));
    h->system_up_time = p->dump_time_ns / 100;
    h->mini_dump_fields = 0;
    h->secondary_data_state = 0;
    h->product_type = DUMP_PRODUCT_WINNT;
    h->suite_mask = 0;
    h->writer_status = 0;
    h->unused1 = 0;
    h->kd_secondary_version = 0;
    h->unused2[0] = h->unused2[1] = 0;
    h->attributes = 0;
    h->boot_id = (uint32_t)p->sequence;

    struct dump_bb_fields *bb = &h->bb;
    memset(bb, 0, sizeof(*bb));
    memcpy(bb->magic, DUMP_BB_MAGIC, sizeof(bb->magic));
    bb->version = DUMP_BB_VERSION;
    bb->flags = p->fallback_reason != DUMP_FALLBACK_NONE ? DUMP_BB_FALLBACK : 0;
    bb->size = sizeof(*bb);
    bb->sequence = p->sequence;
    size_t idl = p->build_id ? p->build_id_len : 0;
    if (idl > DUMP_BUILD_ID_MAX)
        idl = DUMP_BUILD_ID_MAX;
    bb->build_id_len = (uint8_t)idl;
    if (idl)
        memcpy(bb->build_id, p->build_id, idl);
    bb->config_type = (uint8_t)p->config_type;
    bb->written_type = (uint8_t)p->dump_type;
    bb->fallback_reason = (uint8_t)p->fallback_reason;
    bb->bugcheck_vector = p->ctx->vector;
    bb->dump_time_ns = p->dump_time_ns;
    bb->ram_bytes = p->ram_bytes;
    bb->klog_phys = p->klog_phys;
    bb->klog_size = p->klog_size;
    bb->direct_map_base = p->direct_map_base;
    bb->kernel_phys_base = p->kernel_phys_base;
    bb->kernel_vma = p->kernel_vma;
    bb->cr0 = p->ctx->cr0;
    bb->cr2 = p->ctx->cr2;
    bb->cr4 = p->ctx->cr4;
    bb->error_code = p->ctx->error_code;
    bb->data_size = data_size;
    bb->chunk_size = chunk;
    bb->chunk_count = chunks;
    bb->crc_inline_count = table_off ? 0 : (uint32_t)chunks;
    bb->crc_table_offset = table_off;
    memset(h->crc_inline, 0, sizeof(h->crc_inline));
    bb->header_crc = dump_header_crc(h);

    if (plan) {
        plan->data_offset = DUMP_HEADER_SIZE;
        plan->pages_offset = pages_offset;
        plan->cpu_offset = p->dump_type == DUMP_TYPE_SMALL ? 0 : data_end - dump_cpu_block_bytes(cpus);
        plan->data_end = data_end;
        plan->crc_table_offset = table_off;
        plan->crc_table_bytes = table_bytes;
        plan->total = total;
        plan->chunk_count = chunks;
        plan->chunk_size = chunk;
    }
    return 0;
}

int dump_bitmap_header_build(void *out, const struct dump_params *p)
{
    struct dump_bitmap_header b;
    uint64_t ram_pages, data_size, pages_offset;

    uint32_t cpus = p && p->processors ? p->processors : 1;
    if (!out || !p || p->dump_type != DUMP_TYPE_BITMAP || check_runs(p, &ram_pages) != 0 ||
        data_layout(p, ram_pages, cpus, &data_size, &pages_offset) != 0)
        return ERR_INVALID_ARGS;
    b.signature = p->bitmap_full_content ? DUMP_BMP_FDMP : DUMP_BMP_SDMP;
    b.valid_dump = DUMP_BMP_DUMP;
    fill_page(b.padding, sizeof(b.padding));
    b.first_page = pages_offset;
    b.total_present_pages = p->bitmap_present;
    b.pages = p->bitmap_pages;
    memcpy(out, &b, sizeof(b));
    return 0;
}

uint32_t dump_header_crc(const void *hdr)
{
    static const uint8_t zero[4];
    const uint8_t *b = (const uint8_t *)hdr;
    const size_t at = DUMP_BB_OFFSET + offsetof(struct dump_bb_fields, header_crc);
    uint32_t crc = crc32c(0, b, at);
    crc = crc32c(crc, zero, sizeof(zero));
    return crc32c(crc, b + at + 4, DUMP_HEADER_SIZE - at - 4);
}

int dump_header_seal(void *hdr, uint32_t flags, uint32_t table_crc)
{
    struct dump_bb_fields bb;
    uint8_t *b = (uint8_t *)hdr;

    if (!hdr || (flags & ~DUMP_BB_FLAGS_KNOWN))
        return ERR_INVALID_ARGS;
    memcpy(&bb, b + DUMP_BB_OFFSET, sizeof(bb));
    if (memcmp(bb.magic, DUMP_BB_MAGIC, sizeof(bb.magic)) != 0)
        return ERR_INVALID_ARGS;
    bb.flags = flags | (bb.flags & DUMP_BB_FALLBACK);
    bb.crc_table_crc = bb.crc_table_offset ? table_crc : 0;
    bb.header_crc = 0;
    memcpy(b + DUMP_BB_OFFSET, &bb, sizeof(bb));
    bb.header_crc = dump_header_crc(hdr);
    memcpy(b + DUMP_BB_OFFSET, &bb, sizeof(bb));
    return 0;
}

void dump_context_from_regs(struct dump_context *out, const struct bugcheck_context *ctx)
{
    memset(out, 0, sizeof(*out));
    out->context_flags = DUMP_CONTEXT_AMD64 | DUMP_CONTEXT_CONTROL | DUMP_CONTEXT_INTEGER |
                         DUMP_CONTEXT_SEGMENTS;
    out->mx_csr = DUMP_MXCSR_DEFAULT;
    out->flt_save.mx_csr = DUMP_MXCSR_DEFAULT;
    out->flt_save.mx_csr_mask = 0xFFFF;
    out->flt_save.control_word = 0x37F;
    out->seg_cs = ctx->cs;
    out->seg_ds = ctx->ds;
    out->seg_es = ctx->es;
    out->seg_fs = ctx->fs;
    out->seg_gs = ctx->gs;
    out->seg_ss = ctx->ss;
    out->eflags = (uint32_t)ctx->rflags;
    out->rax = ctx->rax;
    out->rcx = ctx->rcx;
    out->rdx = ctx->rdx;
    out->rbx = ctx->rbx;
    out->rsp = ctx->rsp;
    out->rbp = ctx->rbp;
    out->rsi = ctx->rsi;
    out->rdi = ctx->rdi;
    out->r8 = ctx->r8;
    out->r9 = ctx->r9;
    out->r10 = ctx->r10;
    out->r11 = ctx->r11;
    out->r12 = ctx->r12;
    out->r13 = ctx->r13;
    out->r14 = ctx->r14;
    out->r15 = ctx->r15;
    out->rip = ctx->rip;
}

static uint32_t status_for_vector(uint32_t v)
{
    switch (v) {
    case 0: return DUMP_STATUS_INTEGER_DIVIDE_BY_ZERO;
    case 1: return DUMP_STATUS_SINGLE_STEP;
    case 3: return DUMP_STATUS_BREAKPOINT;
    case 6: return DUMP_STATUS_ILLEGAL_INSTRUCTION;
    case 8: case 12: return DUMP_STATUS_STACK_OVERFLOW;
    case 13: case 14: return DUMP_STATUS_ACCESS_VIOLATION;
    default: return DUMP_STATUS_NONCONTINUABLE;
    }
}

void dump_exception_from_regs(struct dump_exception_record *out,
                              const struct bugcheck_context *ctx)
{
    memset(out, 0, sizeof(*out));
    out->exception_address = ctx->rip;
    if (ctx->vector == BUGCHECK_NO_VECTOR)
        return;
    out->exception_code = status_for_vector(ctx->vector);
    out->exception_flags = 1;
    if (ctx->vector == 14) {
        /* #PF error code: bit 1 write, bit 4 instruction fetch. */
        out->number_parameters = 2;
        out->exception_information[0] = (ctx->error_code & 0x10) ? 8 : (ctx->error_code & 2) ? 1 : 0;
        out->exception_information[1] = ctx->cr2;
    }
}
