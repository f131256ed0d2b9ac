/* The dump validator: every field of a header is checked against the others and against the
 * file size before anything is believed; the first problem is named. Reads only the bytes
 * it is given (all loads go through bounds-checked copies), allocates nothing. */
#include <string.h>
#include "dump/dump_validate.h"
#include "dump/dump_mini.h"
#include "dump/dump_cpu.h"
#include "err.h"

static const char *const problem_text[DUMP_P_COUNT] = {
    [DUMP_OK] = "ok",
    [DUMP_P_TRUNCATED] = "file shorter than a dump header",
    [DUMP_P_NEED_MORE] = "more of the file needed",
    [DUMP_P_SIGNATURE] = "not a 64-bit crash dump (no PAGEDU64 signature)",
    [DUMP_P_DUMP32] = "32-bit PAGEDUMP header not supported",
    [DUMP_P_NOT_BLACKBOX] = "no Blackbox fields in the header",
    [DUMP_P_VERSION] = "unknown Blackbox header version",
    [DUMP_P_HEADER_CRC] = "header CRC mismatch",
    [DUMP_P_INCOMPLETE] = "incomplete dump (not marked valid: cut short or being written)",
    [DUMP_P_FLAGS] = "unknown flags",
    [DUMP_P_MACHINE] = "not an AMD64 dump",
    [DUMP_P_DUMP_TYPE] = "unknown or inconsistent DumpType",
    [DUMP_P_RUN_COUNT] = "bad NumberOfRuns",
    [DUMP_P_RUNS] = "physical memory runs inconsistent",
    [DUMP_P_MXCSR] = "CONTEXT MxCsr differs from FltSave MxCsr",
    [DUMP_P_BUILD_ID] = "bad build-id length",
    [DUMP_P_BITMAP_HEADER] = "bad bitmap dump header",
    [DUMP_P_BITMAP] = "bitmap inconsistent",
    [DUMP_P_MINI_DIR] = "bad minidump directory",
    [DUMP_P_MINI_STREAM] = "bad minidump stream",
    [DUMP_P_DATA_SIZE] = "data size inconsistent with the dump type",
    [DUMP_P_CHUNKS] = "CRC chunk table inconsistent",
    [DUMP_P_SIZE] = "dump size inconsistent with the file (truncated?)",
    [DUMP_P_CPUS] = "bad NumberProcessors or CPU block placement",
};

const char *dump_problem_str(enum dump_problem p)
{
    return (unsigned)p < DUMP_P_COUNT ? problem_text[p] : "unknown problem";
}

const char *dump_type_name(uint32_t t)
{
    switch (t) {
    case DUMP_TYPE_FULL: return "full";
    case DUMP_TYPE_KERNEL: return "kernel";
    case DUMP_TYPE_HEADER: return "header";
    case DUMP_TYPE_SMALL: return "small";
    case DUMP_TYPE_BITMAP: return "bitmap";
    case DUMP_TYPE_LIVE_BITMAP: return "live bitmap";
    default: return "unknown";
    }
}

const char *dump_fallback_name(uint32_t reason)
{
    switch (reason) {
    case DUMP_FALLBACK_NONE: return "none";
    case DUMP_FALLBACK_TOO_SMALL: return "target too small";
    case DUMP_FALLBACK_TOO_MANY_RUNS: return "too many memory runs";
    case DUMP_FALLBACK_NO_BITMAP: return "no memory for the bitmap";
    default: return "unknown";
    }
}

static int fail(struct dump_layout *l, enum dump_problem p, uint64_t detail)
{
    l->problem = p;
    l->detail = detail;
    switch (p) {
    case DUMP_P_NEED_MORE: return ERR_RANGE;
    case DUMP_P_SIGNATURE:
    case DUMP_P_NOT_BLACKBOX: return ERR_NOT_FOUND;
    case DUMP_P_DUMP32:
    case DUMP_P_VERSION: return ERR_NOT_SUPPORTED;
    case DUMP_P_HEADER_CRC: return ERR_CHECKSUM;
    case DUMP_P_INCOMPLETE: return ERR_BAD_STATE;
    default: return ERR_CORRUPT;
    }
}

/* The file's first `need` bytes are required: ask for them, or fail if the file is short. */
static int need(struct dump_layout *l, size_t len, uint64_t need_bytes)
{
    if (need_bytes > l->file_size)
        return fail(l, DUMP_P_SIZE, need_bytes);
    l->prefix = need_bytes;
    if (len < need_bytes)
        return fail(l, DUMP_P_NEED_MORE, need_bytes);
    return 0;
}

/* The run list: the first min(NumberOfRuns, DUMP_MAX_RUNS) runs are listed; a longer list
 * (never in a full dump) leaves at least a page per run not listed to NumberOfPages. */
static int check_runs(const struct dump_phys_desc *d, uint32_t type, struct dump_layout *l)
{
    uint32_t n = d->number_of_runs, listed = n < DUMP_MAX_RUNS ? n : DUMP_MAX_RUNS;
    uint64_t end = 0, sum = 0;

    if (n == DUMP_SIGNATURE || n == 0 || (n > DUMP_MAX_RUNS && type == DUMP_TYPE_FULL))
        return fail(l, DUMP_P_RUN_COUNT, n);
    for (uint32_t i = 0; i < listed; i++) {
        uint64_t b = d->run[i].base_page, c = d->run[i].page_count;
        if (c == 0 || b < end || b >= DUMP_MAX_PFN || c > DUMP_MAX_PFN - b)
            return fail(l, DUMP_P_RUNS, i);
        end = b + c;
        sum += c;
    }
    if (n > listed ? d->number_of_pages < sum + (n - listed) ||
                     d->number_of_pages > DUMP_MAX_PFN - end
                   : sum != d->number_of_pages)
        return fail(l, DUMP_P_RUNS, n);
    l->run_count = n;
    l->ram_pages = d->number_of_pages;
    return 0;
}

/* Bitmap dump: the second header and the bitmap against the runs. Below the end of the last
 * listed run, bits are set only inside listed runs; past it only when runs are not listed.
 * "FDMP" (full content) holds every page of every listed run and NumberOfPages in all.
 * *pages_end: where the present pages end. */
static int check_bitmap(const uint8_t *buf, size_t len, const struct dump_phys_desc *d,
                        struct dump_layout *l, uint64_t *pages_end)
{
    struct dump_bitmap_header b;
    int rc;

    if ((rc = need(l, len, DUMP_BMP_BITMAP_OFFSET)) != 0)
        return rc;
    memcpy(&b, buf + DUMP_BMP_OFFSET, sizeof(b));
    if ((b.signature != DUMP_BMP_SDMP && b.signature != DUMP_BMP_FDMP) ||
        b.valid_dump != DUMP_BMP_DUMP)
        return fail(l, DUMP_P_BITMAP_HEADER, b.signature);
    if (b.pages == 0 || b.pages > DUMP_MAX_PFN)
        return fail(l, DUMP_P_BITMAP, b.pages);
    uint64_t bm_end = DUMP_BMP_BITMAP_OFFSET + dump_bitmap_bytes(b.pages);
    if (b.first_page < bm_end || b.first_page > l->file_size)
        return fail(l, DUMP_P_BITMAP, b.first_page);
    if (b.total_present_pages > b.pages ||
        b.total_present_pages > (l->file_size - b.first_page) / DUMP_PAGE_SIZE)
        return fail(l, DUMP_P_BITMAP, b.total_present_pages);
    bool full = b.signature == DUMP_BMP_FDMP;
    if (full && b.total_present_pages != l->ram_pages)
        return fail(l, DUMP_P_BITMAP, b.total_present_pages);
    if ((rc = need(l, len, bm_end)) != 0)
        return rc;
    const uint8_t *bm = buf + DUMP_BMP_BITMAP_OFFSET;
    uint32_t listed = l->run_count < DUMP_MAX_RUNS ? l->run_count : DUMP_MAX_RUNS;
    uint64_t in_runs = 0, end = 0;
    for (uint32_t i = 0; i < listed; i++) {
        uint64_t lo = d->run[i].base_page, hi = lo + d->run[i].page_count;
        if (full && hi > b.pages)
            return fail(l, DUMP_P_BITMAP, hi);
        if (lo >= b.pages)
            break;
        uint64_t n = dump_bitmap_count_range(bm, lo, hi < b.pages ? hi : b.pages);
        if (full && n != hi - lo)
            return fail(l, DUMP_P_BITMAP, lo + n);
        in_runs += n;
        end = hi < b.pages ? hi : b.pages;
    }
    uint64_t all = dump_bitmap_count(bm, b.pages);
    if (all != b.total_present_pages)
        return fail(l, DUMP_P_BITMAP, all);
    uint64_t outside = (listed < l->run_count ? dump_bitmap_count(bm, end) : all) - in_runs;
    if (outside)
        return fail(l, DUMP_P_BITMAP, outside);
    l->pages_offset = b.first_page;
    l->present_pages = all;
    l->bitmap_pages = b.pages;
    *pages_end = b.first_page + all * DUMP_PAGE_SIZE;
    return 0;
}

/* Small dump: the directory and every stream inside [directory end, data end); exactly one
 * CPU stream, of the CPU block's size. */
static int check_mini(const uint8_t *buf, size_t len, uint64_t data_size,
                      struct dump_layout *l)
{
    struct dump_mini_dir d;
    int rc;

    if (data_size < sizeof(d) || data_size > DUMP_SMALL_MAX - DUMP_HEADER_SIZE)
        return fail(l, DUMP_P_DATA_SIZE, data_size);
    if ((rc = need(l, len, DUMP_HEADER_SIZE + sizeof(d))) != 0)
        return rc;
    memcpy(&d, buf + DUMP_HEADER_SIZE, sizeof(d));
    if (d.signature != DUMP_MINI_SIGNATURE || d.version != DUMP_MINI_VERSION ||
        d.capacity == 0 || d.capacity > DUMP_MINI_MAX_STREAMS || d.stream_count > d.capacity)
        return fail(l, DUMP_P_MINI_DIR, d.signature);
    uint64_t dir_bytes = dump_mini_dir_bytes(d.capacity);
    if (dir_bytes > data_size)
        return fail(l, DUMP_P_MINI_DIR, dir_bytes);
    if ((rc = need(l, len, DUMP_HEADER_SIZE + dir_bytes)) != 0)
        return rc;
    uint64_t end = DUMP_HEADER_SIZE + data_size, prev = DUMP_HEADER_SIZE + dir_bytes;
    for (uint32_t i = 0; i < d.stream_count; i++) {
        struct dump_mini_stream s;
        dump_mini_stream_get(buf + DUMP_HEADER_SIZE, (size_t)dir_bytes, i, &s);
        if (s.offset < prev || (s.offset & 7) || s.offset > end || s.size > end - s.offset ||
            (s.paddr != DUMP_NO_PADDR && s.size > DUMP_NO_PADDR - s.paddr))
            return fail(l, DUMP_P_MINI_STREAM, i);
        prev = s.offset + s.size;
        if (s.type != DUMP_STREAM_CPUS)
            continue;
        if (l->cpu_offset || s.size != dump_cpu_block_bytes(l->cpu_count))
            return fail(l, DUMP_P_CPUS, i);
        l->cpu_offset = s.offset;
    }
    if (!l->cpu_offset)
        return fail(l, DUMP_P_CPUS, d.stream_count);
    l->stream_count = d.stream_count;
    return 0;
}

static int check_chunks(const struct dump_bb_fields *bb, struct dump_layout *l,
                        uint64_t *table_end)
{
    uint32_t c = bb->chunk_size;

    if (c < 512 || c > (1u << 30) || (c & (c - 1)))
        return fail(l, DUMP_P_CHUNKS, c);
    if (bb->chunk_count != dump_chunk_count(bb->data_size, c))
        return fail(l, DUMP_P_CHUNKS, bb->chunk_count);
    if (bb->crc_table_offset == 0) {
        if (bb->chunk_count > DUMP_CRC_INLINE_MAX || bb->crc_inline_count != bb->chunk_count)
            return fail(l, DUMP_P_CHUNKS, bb->crc_inline_count);
        *table_end = l->data_end;
    } else {
        if (bb->crc_inline_count != 0 || bb->crc_table_offset < l->data_end ||
            bb->crc_table_offset > l->file_size ||
            bb->chunk_count > (l->file_size - bb->crc_table_offset) / 4)
            return fail(l, DUMP_P_CHUNKS, bb->crc_table_offset);
        *table_end = bb->crc_table_offset + bb->chunk_count * 4;
    }
    l->chunk_count = bb->chunk_count;
    l->chunk_size = c;
    l->crc_table_offset = bb->crc_table_offset;
    return 0;
}

/* A field of the header at `b`, by its offset in struct dump_header. */
#define HDR32(b, field) dump_le32((b) + offsetof(struct dump_header, field))
#define HDR64(b, field) dump_le64((b) + offsetof(struct dump_header, field))

int dump_validate(const void *buf, size_t len, uint64_t file_size, struct dump_layout *l)
{
    const uint8_t *b = (const uint8_t *)buf;
    struct dump_bb_fields bb;
    struct dump_phys_desc pd;
    uint64_t data_end = 0, table_end = 0;
    int rc;

    if (!buf || !l)
        return ERR_INVALID_ARGS;
    memset(l, 0, sizeof(*l));
    l->file_size = file_size;
    if (file_size < DUMP_HEADER_SIZE)
        return fail(l, DUMP_P_TRUNCATED, file_size);
    if ((rc = need(l, len, DUMP_HEADER_SIZE)) != 0)
        return rc;
    uint32_t sig = HDR32(b, signature), valid = HDR32(b, valid_dump);
    if (sig != DUMP_SIGNATURE)
        return fail(l, DUMP_P_SIGNATURE, sig);
    if (valid == DUMP_VALID_DUMP32)
        return fail(l, DUMP_P_DUMP32, valid);
    if (valid != DUMP_VALID_DUMP64)
        return fail(l, DUMP_P_SIGNATURE, valid);
    memcpy(&bb, b + DUMP_BB_OFFSET, sizeof(bb));
    if (memcmp(bb.magic, DUMP_BB_MAGIC, sizeof(bb.magic)) != 0)
        return fail(l, DUMP_P_NOT_BLACKBOX, 0);
    if (bb.version != DUMP_BB_VERSION || bb.size != sizeof(bb))
        return fail(l, DUMP_P_VERSION, bb.version);
    if (dump_header_crc(b) != bb.header_crc)
        return fail(l, DUMP_P_HEADER_CRC, bb.header_crc);
    uint32_t type = HDR32(b, dump_type);
    l->flags = bb.flags;
    l->dump_type = type;
    if (!(bb.flags & DUMP_BB_VALID))
        return fail(l, DUMP_P_INCOMPLETE, bb.flags);
    if (bb.flags & ~DUMP_BB_FLAGS_KNOWN)
        return fail(l, DUMP_P_FLAGS, bb.flags);
    l->complete = (bb.flags & DUMP_BB_COMPLETE) != 0;
    if (HDR32(b, machine_image_type) != DUMP_MACHINE_AMD64)
        return fail(l, DUMP_P_MACHINE, HDR32(b, machine_image_type));
    if (type != DUMP_TYPE_FULL && type != DUMP_TYPE_BITMAP && type != DUMP_TYPE_SMALL)
        return fail(l, DUMP_P_DUMP_TYPE, type);
    if (bb.written_type != type)
        return fail(l, DUMP_P_DUMP_TYPE, bb.written_type);
    if (bb.build_id_len > DUMP_BUILD_ID_MAX)
        return fail(l, DUMP_P_BUILD_ID, bb.build_id_len);
    const uint8_t *ctx = b + offsetof(struct dump_header, context);
    uint32_t mx = dump_le32(ctx + offsetof(struct dump_context, mx_csr));
    uint32_t flt_mx = dump_le32(ctx + offsetof(struct dump_context, flt_save) +
                                offsetof(struct dump_xmm_save_area, mx_csr));
    if (mx != flt_mx)
        return fail(l, DUMP_P_MXCSR, mx);
    memcpy(&pd, b + offsetof(struct dump_header, physical_memory_block), sizeof(pd));
    if ((rc = check_runs(&pd, type, l)) != 0)
        return rc;
    l->cpu_count = HDR32(b, number_processors);
    if (l->cpu_count == 0 || l->cpu_count > DUMP_CPU_MAX)
        return fail(l, DUMP_P_CPUS, l->cpu_count);
    uint64_t cpu_bytes = dump_cpu_block_bytes(l->cpu_count);
    if (bb.data_size > file_size - DUMP_HEADER_SIZE)
        return fail(l, DUMP_P_SIZE, bb.data_size);

    switch (type) {
    case DUMP_TYPE_FULL:
        if (l->ram_pages > (file_size - DUMP_HEADER_SIZE) / DUMP_PAGE_SIZE)
            return fail(l, DUMP_P_SIZE, l->ram_pages);
        l->pages_offset = DUMP_HEADER_SIZE;
        l->present_pages = l->ram_pages;
        l->cpu_offset = DUMP_HEADER_SIZE + l->ram_pages * DUMP_PAGE_SIZE;
        data_end = l->cpu_offset + cpu_bytes;
        break;
    case DUMP_TYPE_BITMAP:
        if ((rc = check_bitmap(b, len, &pd, l, &l->cpu_offset)) != 0)
            return rc;
        data_end = l->cpu_offset + cpu_bytes;
        break;
    default:
        if ((rc = check_mini(b, len, bb.data_size, l)) != 0)
            return rc;
        data_end = DUMP_HEADER_SIZE + bb.data_size;
        break;
    }
    if (data_end != DUMP_HEADER_SIZE + bb.data_size)
        return fail(l, DUMP_P_DATA_SIZE, bb.data_size);
    l->data_end = data_end;
    if ((rc = check_chunks(&bb, l, &table_end)) != 0)
        return rc;
    uint64_t required = HDR64(b, required_dump_space);
    if (required != table_end || required > file_size)
        return fail(l, DUMP_P_SIZE, required);
    l->total = required;
    return 0;
}
