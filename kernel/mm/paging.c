/* Kernel page tables. Built once at boot from PFN-allocated pages, reached through the direct
 * map (the boot tables map its first GiB, which is where the first page tables come from).
 * Every entry is made with its accessed bit (and a leaf with its dirty bit) already set, as
 * Linux does for its kernel: the CPU then never writes to a page table by itself, so the page
 * tables hold still while a crash dump is written and checksummed. */
#include <stdbool.h>
#include <stddef.h>
#include "mm/paging.h"
#include "mm/pfn.h"
#include "arch/cpu.h"
#include "arch/spinlock.h"
#include "err.h"

#define HUGE_SIZE (2ull << 20)
#define ENTRIES 512

extern char __kernel_phys_start[], __kernel_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char kernel_stack_guard[];

static uint64_t kernel_pml4;
static uint64_t nx_bit;         /* PTE_NX when the CPU supports it, else 0 */
static uint64_t mmio_next = MMIO_BASE;
static struct spinlock mmio_lock = SPINLOCK_INIT;   /* mmio_next and the kernel tables it maps */

static unsigned idx(uint64_t va, int level) { return (va >> (12 + 9 * level)) & (ENTRIES - 1); }

/* Walk to the table at `level` (0 = PT) for va, allocating missing tables. */
static uint64_t *walk(uint64_t pml4_phys, uint64_t va, int level, uint64_t table_flags)
{
    uint64_t *t = phys_to_virt(pml4_phys);
    for (int l = 3; l > level; l--) {
        uint64_t *e = &t[idx(va, l)];
        if (!(*e & PTE_PRESENT)) {
            uint64_t p = pfn_alloc(PFN_PAGETABLE);
            if (!p)
                return NULL;
            *e = p | table_flags | PTE_ACCESSED;
        } else if (*e & PTE_HUGE) {
            return NULL;
        }
        t = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return t;
}

int paging_map_page(uint64_t pml4_phys, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t tf = PTE_PRESENT | PTE_WRITE | (flags & PTE_USER);
    uint64_t *pt = walk(pml4_phys, va, 0, tf);
    if (!pt)
        return ERR_NO_MEMORY;
    uint64_t *e = &pt[idx(va, 0)];
    if (*e & PTE_PRESENT)
        return ERR_EXISTS;
    *e = (pa & PTE_ADDR_MASK) | (flags & ~(nx_bit ? 0 : PTE_NX)) | PTE_PRESENT | PTE_ACCESSED |
         PTE_DIRTY;
    return 0;
}

static int map_huge(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pd = walk(kernel_pml4, va, 1, PTE_PRESENT | PTE_WRITE);
    if (!pd)
        return ERR_NO_MEMORY;
    pd[idx(va, 1)] = pa | flags | PTE_HUGE | PTE_PRESENT | PTE_ACCESSED | PTE_DIRTY;
    return 0;
}

static uint64_t image_flags(uint64_t va)
{
    if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
        return 0;
    if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
        return nx_bit;
    return PTE_WRITE | nx_bit;
}

int paging_init(uint64_t direct_top)
{
    uint32_t r[4];
    cpuid(0x80000001u, 0, r);
    nx_bit = (r[3] & (1u << 20)) ? PTE_NX : 0;
    kernel_pml4 = pfn_alloc(PFN_PAGETABLE);
    if (!kernel_pml4)
        return ERR_NO_MEMORY;
    for (uint64_t pa = 0; pa < direct_top; pa += HUGE_SIZE)
        if (map_huge(DIRECT_MAP_BASE + pa, pa, PTE_WRITE | nx_bit))
            return ERR_NO_MEMORY;
    uint64_t start = KERNEL_VMA + (uint64_t)__kernel_phys_start;
    for (uint64_t va = start; va < (uint64_t)__kernel_end; va += PAGE_SIZE) {
        if (va == (uint64_t)kernel_stack_guard)
            continue;
        int rc = paging_map_page(kernel_pml4, va, va - KERNEL_VMA, image_flags(va));
        if (rc)
            return rc;
    }
    write_cr3(kernel_pml4);
    return 0;
}

void *paging_map_mmio(uint64_t phys, uint64_t size)
{
    uint64_t off = phys & (PAGE_SIZE - 1), base = phys - off;
    uint64_t pages = (off + size + PAGE_SIZE - 1) >> PAGE_SHIFT;
    uint64_t flags = spin_lock_irqsave(&mmio_lock);
    void *ret = NULL;
    if (mmio_next + pages * PAGE_SIZE <= MMIO_LIMIT) {
        uint64_t va = mmio_next;
        mmio_next += pages * PAGE_SIZE;
        ret = (void *)(va + off);
        for (uint64_t i = 0; i < pages && ret; i++)
            if (paging_map_page(kernel_pml4, va + i * PAGE_SIZE, base + i * PAGE_SIZE,
                                PTE_WRITE | PTE_PCD | PTE_PWT | nx_bit))
                ret = NULL;
    }
    spin_unlock_irqrestore(&mmio_lock, flags);
    return ret;
}

int paging_map_kernel(uint64_t va, uint64_t pa, uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++) {
        int rc = paging_map_page(kernel_pml4, va + i * PAGE_SIZE, pa + i * PAGE_SIZE,
                                 PTE_WRITE | nx_bit);
        if (rc) {
            paging_unmap_kernel(va, i);
            return rc;
        }
    }
    return 0;
}

void paging_unmap_kernel(uint64_t va, uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t *pt = walk(kernel_pml4, va + i * PAGE_SIZE, 0, PTE_PRESENT | PTE_WRITE);
        if (pt)
            pt[idx(va + i * PAGE_SIZE, 0)] = 0;
        invlpg(va + i * PAGE_SIZE);
    }
}

uint64_t paging_new_space(void)
{
    uint64_t pml4 = pfn_alloc(PFN_PAGETABLE);
    if (!pml4)
        return 0;
    uint64_t *dst = phys_to_virt(pml4);
    const uint64_t *src = phys_to_virt(kernel_pml4);
    for (unsigned i = ENTRIES / 2; i < ENTRIES; i++)
        dst[i] = src[i];
    return pml4;
}

/* Free the table at `level` (0 = PT, whose entries are leaf pages, ... 2 = PDPT) and
 * everything below it. */
static void free_table(uint64_t table_phys, int level)
{
    uint64_t *t = phys_to_virt(table_phys);
    for (unsigned i = 0; i < ENTRIES; i++) {
        if (!(t[i] & PTE_PRESENT))
            continue;
        uint64_t pa = t[i] & PTE_ADDR_MASK;
        if (level == 0)
            pfn_free(pa, 1);
        else
            free_table(pa, level - 1);
    }
    pfn_free(table_phys, 1);
}

void paging_free_space(uint64_t pml4_phys)
{
    uint64_t *t = phys_to_virt(pml4_phys);
    for (unsigned i = 0; i < ENTRIES / 2; i++)
        if (t[i] & PTE_PRESENT)
            free_table(t[i] & PTE_ADDR_MASK, 2);
    pfn_free(pml4_phys, 1);
}

uint64_t paging_kernel_pml4(void)
{
    return kernel_pml4;
}

/* The entry mapping va and its level (0 = 4 KiB PTE, 1 = 2 MiB PDE), or NULL. */
static const uint64_t *lookup_level(uint64_t va, int *level)
{
    const uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
    for (int l = 3; l >= 0; l--) {
        const uint64_t *e = &t[idx(va, l)];
        if (!(*e & PTE_PRESENT))
            return NULL;
        if (l == 0 || (*e & PTE_HUGE)) {
            *level = l;
            return e;
        }
        t = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return NULL;
}

const uint64_t *paging_lookup(uint64_t va)
{
    int level;
    return lookup_level(va, &level);
}

int paging_virt_to_phys(uint64_t va, uint64_t *pa)
{
    int level;
    const uint64_t *e = lookup_level(va, &level);
    if (!e || level > 1)
        return ERR_NOT_FOUND;
    uint64_t page_mask = level == 1 ? HUGE_SIZE - 1 : PAGE_SIZE - 1;
    *pa = (*e & PTE_ADDR_MASK & ~page_mask) | (va & page_mask);
    return 0;
}
