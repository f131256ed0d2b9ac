/* The PFN database: one byte of state per 4 KiB physical page frame, built from the
 * multiboot2 memory map, and the physical page allocator on top of it. */
#ifndef BB_PFN_H
#define BB_PFN_H

#include <stdint.h>
#include "arch/multiboot2.h"

enum pfn_state {
    PFN_RESERVED = 0,   /* firmware, holes, bad RAM, low 1 MiB: never allocated */
    PFN_FREE,           /* available */
    PFN_KERNEL,         /* kernel image, klog area, PFN database, heap */
    PFN_PAGETABLE,      /* page-table pages */
    PFN_USER,           /* user-process memory */
    PFN_DMA,            /* device DMA buffers */
    PFN_STATE_COUNT
};

/* A physical range [lo, hi) already in use before the database exists. */
struct pfn_range {
    uint64_t lo, hi;
};

/* Build the database; the `n` ranges in `taken` (kernel image, klog area) are marked
 * PFN_KERNEL. The array is placed in the first GiB, clear of them. Returns 0 or
 * ERR_NO_MEMORY. */
int pfn_init(const struct boot_info *bi, const struct pfn_range *taken, unsigned n);
/* One zeroed page; returns its physical address, or 0 when memory is exhausted. */
uint64_t pfn_alloc(enum pfn_state state);
/* npages zeroed contiguous pages, aligned to align_pages (power of two), ending at or below
 * max_phys. Returns 0 and *phys, or ERR_NO_MEMORY / ERR_INVALID_ARGS. */
int pfn_alloc_contig(uint64_t npages, uint64_t align_pages, uint64_t max_phys,
                     enum pfn_state state, uint64_t *phys);
/* Return pages to the free pool. Freeing a page that is not allocated bugchecks with
 * PFN_LIST_CORRUPT. */
void pfn_free(uint64_t phys, uint64_t npages);
/* State of the frame holding phys (PFN_RESERVED outside the database). */
enum pfn_state pfn_state_of(uint64_t phys);
/* Frames per state, and the number of frames covered. */
void pfn_counts(uint64_t counts[PFN_STATE_COUNT], uint64_t *frames);
const char *pfn_state_name(enum pfn_state s);
/* Highest physical address + 1 of usable RAM. */
uint64_t pfn_ram_top(void);
/* The RAM the firmware reported as available, as page-aligned runs in address order (what a
 * complete dump contains). Returns the number of runs and points *runs at them. */
unsigned pfn_ram_runs(const struct pfn_range **runs);

#endif
