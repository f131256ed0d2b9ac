/* The clone loader. The image runs from a window of its own (DUMP_CLONE_WINDOW) mapped
 * without write permission; the direct map still aliases its pages, so the image CRC, checked
 * again at bugcheck time, is what catches a stray write. */
#include <string.h>
#include "dump/stack/dump_clone.h"
#include "mm/paging.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "lib/crc32c.h"
#include "err.h"

#define DUMP_CLONE_WINDOW     0xffffc20000000000ull  /* where loaded clones execute */
#define DUMP_CLONE_WINDOW_END 0xffffc20040000000ull
#define DMA_LIMIT           (1ull << 32)

static uint64_t window_next = DUMP_CLONE_WINDOW;

static int image_ok(const struct clone_image *h, size_t len)
{
    if (len < sizeof *h || memcmp(h->magic, CLONE_MAGIC, 8) != 0 || h->version != CLONE_ABI_VERSION)
        return 0;
    uint64_t need = sizeof *h + (uint64_t)h->image_size + (uint64_t)h->reloc_count * 4;
    if (need > len || h->image_size > h->mem_size || h->mem_size == 0 || h->mem_size > (1u << 20))
        return 0;
    const uint32_t offs[] = { h->params_off, h->entry_init, h->entry_write, h->entry_read,
                              h->entry_flush, h->entry_log, h->entry_poll,
                              h->entry_flush_start };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
        if (offs[i] >= h->mem_size)
            return 0;
    if (h->params_off % 8 || h->params_off + sizeof(struct clone_params) > h->mem_size ||
        strnlen(h->name, sizeof h->name) == sizeof h->name)
        return 0;
    const uint8_t *relocs = (const uint8_t *)(h + 1) + h->image_size;
    for (uint32_t i = 0; i < h->reloc_count; i++) {
        uint32_t off;
        memcpy(&off, relocs + 4 * (size_t)i, sizeof off);
        if ((uint64_t)off + 8 > h->image_size)
            return 0;
    }
    return 1;
}

int dump_clone_load(const void *image, size_t len, const struct clone_params *prm,
                     uint64_t state_size, struct dump_clone *out)
{
    const struct clone_image *h = image;
    if (!image_ok(h, len))
        return ERR_CORRUPT;
    uint64_t pages = (h->mem_size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (window_next + pages * PAGE_SIZE > DUMP_CLONE_WINDOW_END)
        return ERR_NO_SPACE;
    uint64_t img_phys, state_phys, state_pages = (state_size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (pfn_alloc_contig(pages, 1, UINT64_MAX, PFN_KERNEL, &img_phys))
        return ERR_NO_MEMORY;
    if (pfn_alloc_contig(state_pages, 1, DMA_LIMIT, PFN_DMA, &state_phys)) {
        pfn_free(img_phys, pages);
        return ERR_NO_MEMORY;
    }
    uint64_t base = window_next;
    uint8_t *img = phys_to_virt(img_phys);
    const uint8_t *src = (const uint8_t *)(h + 1);
    memcpy(img, src, h->image_size);
    const uint8_t *relocs = src + h->image_size;
    for (uint32_t i = 0; i < h->reloc_count; i++) {
        uint32_t off;
        memcpy(&off, relocs + 4 * (size_t)i, sizeof off);
        uint64_t v;
        memcpy(&v, img + off, 8);
        v += base;
        memcpy(img + off, &v, 8);
    }
    struct clone_params p = *prm;
    p.state_phys = state_phys;
    p.state_virt = (uint64_t)phys_to_virt(state_phys);
    p.state_size = state_pages * PAGE_SIZE;
    memcpy(img + h->params_off, &p, sizeof p);
    for (uint64_t i = 0; i < pages; i++)
        if (paging_map_page(paging_kernel_pml4(), base + i * PAGE_SIZE, img_phys + i * PAGE_SIZE, 0))
            return ERR_NO_MEMORY;
    window_next += (pages + 1) * PAGE_SIZE;      /* one unmapped guard page between clones */

    memset(out, 0, sizeof *out);
    memcpy(out->name, h->name, sizeof out->name);
    out->image_virt = base;
    out->image_phys = img_phys;
    out->image_size = h->mem_size;
    out->state_phys = state_phys;
    out->state_virt = phys_to_virt(state_phys);
    out->state_size = p.state_size;
    out->params = (const struct clone_params *)(base + h->params_off);
    out->init = (clone_init_fn)(base + h->entry_init);
    out->write = (clone_io_fn)(base + h->entry_write);
    out->read = (clone_io_fn)(base + h->entry_read);
    out->flush = (clone_flush_fn)(base + h->entry_flush);
    out->log = (clone_log_fn)(base + h->entry_log);
    out->poll = (clone_poll_fn)(base + h->entry_poll);
    out->flush_start = (clone_flush_start_fn)(base + h->entry_flush_start);
    out->image_crc = dump_clone_crc(out);
    return 0;
}

int dump_clone_set_extents(struct dump_clone *d, const struct clone_params *prm)
{
    if (!d->image_size || prm->extent_count > CLONE_MAX_EXTENTS)
        return ERR_INVALID_ARGS;
    uint64_t off = (uint64_t)d->params - d->image_virt;
    struct clone_params *alias = (struct clone_params *)((uint8_t *)phys_to_virt(d->image_phys) + off);
    memcpy(alias->extents, prm->extents, sizeof alias->extents);
    alias->extent_count = prm->extent_count;
    d->image_crc = dump_clone_crc(d);
    return 0;
}

uint32_t dump_clone_crc(const struct dump_clone *d)
{
    return crc32c(0, (const void *)d->image_virt, d->image_size);
}
