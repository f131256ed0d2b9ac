/* 4-level paging: the kernel's own page tables (higher-half image with per-section rights
 * and an unmapped stack guard page, a direct map of all physical memory, an uncached MMIO
 * window) and helpers to map pages into any address space. */
#ifndef BB_PAGING_H
#define BB_PAGING_H

#include <stdint.h>
#include "mm/layout.h"

#define PTE_PRESENT  (1ull << 0)
#define PTE_WRITE    (1ull << 1)
#define PTE_USER     (1ull << 2)
#define PTE_PWT      (1ull << 3)   /* write-through */
#define PTE_PCD      (1ull << 4)   /* cache disable */
#define PTE_ACCESSED (1ull << 5)   /* set by the CPU on a walk through the entry */
#define PTE_DIRTY    (1ull << 6)   /* set by the CPU on a write through a leaf entry */
#define PTE_HUGE     (1ull << 7)   /* 2 MiB page in a PD entry */
#define PTE_NX       (1ull << 63)  /* no execute (only when EFER.NXE is on) */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Build the kernel page tables and switch to them; the boot identity map goes away, so a
 * NULL dereference faults. `direct_top` is the physical size to direct-map. 0 or an error. */
int paging_init(uint64_t direct_top);
/* Map `size` bytes of device registers at `phys` uncached; returns the virtual address of
 * phys (keeping its offset in the page) or NULL. */
void *paging_map_mmio(uint64_t phys, uint64_t size);
/* Map one 4 KiB page va -> pa with flags in the tables rooted at pml4_phys, allocating
 * intermediate tables. Returns 0, ERR_EXISTS or ERR_NO_MEMORY. */
int paging_map_page(uint64_t pml4_phys, uint64_t va, uint64_t pa, uint64_t flags);
/* Map `pages` physically contiguous pages at pa to the kernel's virtual address va (writable,
 * no execute) in the kernel's tables, which every address space shares. Returns 0,
 * ERR_EXISTS (a page already mapped: nothing is left mapped) or ERR_NO_MEMORY. */
int paging_map_kernel(uint64_t va, uint64_t pa, uint64_t pages);
/* Undo paging_map_kernel: unmap `pages` pages from va and flush them from the TLB. */
void paging_unmap_kernel(uint64_t va, uint64_t pages);
/* A new address space: a PML4 whose kernel half (entries 256..511) points at the kernel's
 * own tables, user half empty. Returns its physical address, or 0 when out of memory. */
uint64_t paging_new_space(void);
/* Free every user-half page of the address space rooted at pml4_phys (leaf pages and the
 * tables holding them), then the PML4 itself. The kernel half is shared and left alone. The
 * space must not be the one in CR3. */
void paging_free_space(uint64_t pml4_phys);
/* Physical address of the kernel PML4 (what CR3 holds for kernel threads). */
uint64_t paging_kernel_pml4(void);
/* The page-table entry mapping va in the current address space (4 KiB or 2 MiB level), or
 * NULL if unmapped. Reads tables through the direct map only: safe at bugcheck time. */
const uint64_t *paging_lookup(uint64_t va);

/* Physical address behind kernel virtual address va (any mapping: image, direct map, MMIO).
 * Returns 0 and *pa, or ERR_NOT_FOUND if va is not mapped. Safe at bugcheck time. */
int paging_virt_to_phys(uint64_t va, uint64_t *pa);

#endif
