/* Heap implementation: classes of 32..2048 bytes (header included) carved from single pages
 * and kept on free lists; anything bigger is a run of contiguous pages. */
#include <string.h>
#include "mm/heap.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "arch/spinlock.h"
#include "bugcheck/bugcheck.h"

#define HEAP_MAGIC_LIVE 0x4B4C4248u   /* "HBLK" */
#define HEAP_MAGIC_FREE 0x45455246u   /* "FREE" */
#define MIN_SHIFT 5                    /* 32-byte smallest block */
#define MAX_SHIFT 11                   /* 2048-byte largest class */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define CLASS_PAGES 0xFFu              /* class value meaning "page run" */

struct heap_hdr {
    uint32_t magic;      /* HEAP_MAGIC_LIVE while allocated */
    uint32_t cls;        /* size class index, or CLASS_PAGES */
    uint64_t size;       /* bytes requested; for page runs the page count is derived */
};
_Static_assert(sizeof(struct heap_hdr) == 16, "heap header keeps 16-byte alignment");

struct free_blk {
    struct heap_hdr h;
    struct free_blk *next;
};

static struct free_blk *free_lists[NCLASSES];
static struct heap_stats stats;
static struct spinlock lock = SPINLOCK_INIT;   /* free lists and stats */

static int refill(unsigned cls)
{
    uint64_t pa = pfn_alloc(PFN_KERNEL);
    if (!pa)
        return -1;
    stats.pages++;
    size_t bs = (size_t)1 << (cls + MIN_SHIFT);
    uint8_t *page = phys_to_virt(pa);
    for (size_t off = 0; off + bs <= PAGE_SIZE; off += bs) {
        struct free_blk *b = (struct free_blk *)(page + off);
        b->h.magic = HEAP_MAGIC_FREE;
        b->h.cls = cls;
        b->next = free_lists[cls];
        free_lists[cls] = b;
    }
    return 0;
}

void *kmalloc(size_t size)
{
    size_t total = size + sizeof(struct heap_hdr);
    if (total < size)
        return NULL;
    struct heap_hdr *h;
    uint64_t flags = spin_lock_irqsave(&lock);
    if (total > ((size_t)1 << MAX_SHIFT)) {
        uint64_t pages = (total + PAGE_SIZE - 1) / PAGE_SIZE, pa;
        if (pfn_alloc_contig(pages, 1, UINT64_MAX, PFN_KERNEL, &pa)) {
            spin_unlock_irqrestore(&lock, flags);
            return NULL;
        }
        stats.pages += pages;
        h = phys_to_virt(pa);
        h->cls = CLASS_PAGES;
    } else {
        unsigned cls = 0;
        while (((size_t)1 << (cls + MIN_SHIFT)) < total)
            cls++;
        if (!free_lists[cls] && refill(cls)) {
            spin_unlock_irqrestore(&lock, flags);
            return NULL;
        }
        struct free_blk *b = free_lists[cls];
        if (b->h.magic != HEAP_MAGIC_FREE || b->h.cls != cls)
            bugcheck(BUGCODE_BAD_POOL_HEADER, 0x20, (uint64_t)b, b->h.magic, cls);
        free_lists[cls] = b->next;
        h = &b->h;
    }
    h->magic = HEAP_MAGIC_LIVE;
    h->size = size;
    stats.bytes_in_use += size;
    stats.blocks_in_use++;
    spin_unlock_irqrestore(&lock, flags);
    return h + 1;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct heap_hdr *h = (struct heap_hdr *)p - 1;
    uint64_t flags = spin_lock_irqsave(&lock);
    if (h->magic != HEAP_MAGIC_LIVE || (h->cls >= NCLASSES && h->cls != CLASS_PAGES))
        bugcheck(BUGCODE_BAD_POOL_HEADER, 0x21, (uint64_t)p, h->magic, h->cls);
    stats.bytes_in_use -= h->size;
    stats.blocks_in_use--;
    if (h->cls == CLASS_PAGES) {
        uint64_t pages = (h->size + sizeof *h + PAGE_SIZE - 1) / PAGE_SIZE;
        h->magic = HEAP_MAGIC_FREE;
        stats.pages -= pages;
        pfn_free(virt_to_phys_direct(h), pages);
    } else {
        struct free_blk *b = (struct free_blk *)h;
        b->h.magic = HEAP_MAGIC_FREE;
        b->next = free_lists[h->cls];
        free_lists[h->cls] = b;
    }
    spin_unlock_irqrestore(&lock, flags);
}

void heap_stats(struct heap_stats *st)
{
    uint64_t flags = spin_lock_irqsave(&lock);
    *st = stats;
    spin_unlock_irqrestore(&lock, flags);
}

void *heap_env_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return kmalloc(size);
}

void heap_env_free(void *ctx, void *p)
{
    (void)ctx;
    kfree(p);
}
