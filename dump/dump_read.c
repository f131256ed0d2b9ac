/* Reading a validated dump: where a physical address lives in the file, for full dumps
 * (runs after the header), bitmap dumps (rank of the page's bit) and small dumps (memory
 * streams that carry a physical address). Only reads the validated prefix. */
#include <string.h>
#include "dump/dump_validate.h"
#include "dump/dump_mini.h"
#include "err.h"

static int full_offset(const uint8_t *b, const struct dump_layout *l, uint64_t phys,
                       uint64_t *off, uint64_t *avail)
{
    struct dump_phys_desc pd;
    uint64_t pfn = phys / DUMP_PAGE_SIZE, before = 0;

    memcpy(&pd, b + offsetof(struct dump_header, physical_memory_block), sizeof(pd));
    for (uint32_t i = 0; i < l->run_count && i < DUMP_MAX_RUNS; i++) {
        uint64_t base = pd.run[i].base_page, count = pd.run[i].page_count;
        if (pfn >= base && pfn - base < count) {
            *off = l->pages_offset + (before + pfn - base) * DUMP_PAGE_SIZE +
                   phys % DUMP_PAGE_SIZE;
            *avail = (base + count) * DUMP_PAGE_SIZE - phys;
            return 0;
        }
        before += count;
    }
    return ERR_NOT_FOUND;
}

static int bitmap_offset(const uint8_t *b, const struct dump_layout *l, uint64_t phys,
                         uint64_t *off, uint64_t *avail)
{
    uint64_t page = dump_bitmap_page_offset(b + DUMP_BMP_BITMAP_OFFSET, l->bitmap_pages,
                                            l->pages_offset, phys / DUMP_PAGE_SIZE);
    if (page == 0)
        return ERR_NOT_FOUND;
    *off = page + phys % DUMP_PAGE_SIZE;
    *avail = DUMP_PAGE_SIZE - phys % DUMP_PAGE_SIZE;
    return 0;
}

static int small_offset(const uint8_t *b, const struct dump_layout *l, uint64_t phys,
                        uint64_t *off, uint64_t *avail)
{
    const uint8_t *dir = b + DUMP_HEADER_SIZE;
    size_t dir_len = (size_t)(l->prefix - DUMP_HEADER_SIZE);

    for (uint32_t i = 0; i < l->stream_count; i++) {
        struct dump_mini_stream s;
        if (dump_mini_stream_get(dir, dir_len, i, &s) != 0)
            return ERR_NOT_FOUND;
        if (s.paddr == DUMP_NO_PADDR || phys < s.paddr || phys - s.paddr >= s.size)
            continue;
        *off = s.offset + (phys - s.paddr);
        *avail = s.size - (phys - s.paddr);
        return 0;
    }
    return ERR_NOT_FOUND;
}

int dump_phys_to_offset(const void *buf, size_t len, const struct dump_layout *l,
                        uint64_t phys, uint64_t *off, uint64_t *avail)
{
    const uint8_t *b = (const uint8_t *)buf;

    if (!buf || !l || !off || !avail || l->problem != DUMP_OK ||
        l->prefix < DUMP_HEADER_SIZE || len < l->prefix)
        return ERR_INVALID_ARGS;
    switch (l->dump_type) {
    case DUMP_TYPE_FULL: return full_offset(b, l, phys, off, avail);
    case DUMP_TYPE_BITMAP: return bitmap_offset(b, l, phys, off, avail);
    case DUMP_TYPE_SMALL: return small_offset(b, l, phys, off, avail);
    default: return ERR_INVALID_ARGS;
    }
}
