/* PFN database and page allocator: a byte array indexed by frame number, next-fit search
 * for single pages, linear search for contiguous runs. Interrupt- and SMP-safe (one spinlock). */
#include <stdbool.h>
#include <string.h>
#include "mm/pfn.h"
#include "mm/layout.h"
#include "arch/spinlock.h"
#include "bugcheck/bugcheck.h"
#include "err.h"

#define LOW_MEMORY_END 0x100000ull     /* first MiB: BIOS, VGA, EBDA; kept reserved */
#define PFN_ARRAY_LIMIT (1ull << 30)   /* the array must be reachable via the boot map */

static struct pfn_range ram_runs[BOOT_MMAP_MAX];
static unsigned nram_runs;
static uint8_t *pfn_db;   /* [frames] states; lives in the direct map */
static uint64_t frames, next_hint, ram_top;
static struct spinlock lock = SPINLOCK_INIT;   /* the database and next_hint */

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void mark(uint64_t lo, uint64_t hi, enum pfn_state s)
{
    for (uint64_t f = lo >> PAGE_SHIFT; f < align_up(hi, PAGE_SIZE) >> PAGE_SHIFT && f < frames; f++)
        pfn_db[f] = (uint8_t)s;
}

static bool overlaps_taken(uint64_t lo, uint64_t hi, const struct pfn_range *taken, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (lo < taken[i].hi && taken[i].lo < hi)
            return true;
    return false;
}

int pfn_init(const struct boot_info *bi, const struct pfn_range *taken, unsigned n)
{
    for (unsigned i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == BOOT_MEM_AVAILABLE && bi->mmap[i].base + bi->mmap[i].length > ram_top)
            ram_top = bi->mmap[i].base + bi->mmap[i].length;
    frames = ram_top >> PAGE_SHIFT;
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_range *m = &bi->mmap[i];
        uint64_t lo = align_up(m->base, PAGE_SIZE), hi = (m->base + m->length) & ~(PAGE_SIZE - 1);
        if (m->type != BOOT_MEM_AVAILABLE || hi <= lo)
            continue;
        unsigned at = nram_runs++;
        while (at > 0 && ram_runs[at - 1].lo > lo) {   /* keep them sorted */
            ram_runs[at] = ram_runs[at - 1];
            at--;
        }
        ram_runs[at] = (struct pfn_range){ lo, hi };
    }
    /* Find room for the array: available, clear of the taken ranges, below 1 GiB. */
    uint64_t need = align_up(frames, PAGE_SIZE), at = 0;
    for (unsigned i = 0; i < bi->mmap_count && !at; i++) {
        const struct boot_mem_range *m = &bi->mmap[i];
        if (m->type != BOOT_MEM_AVAILABLE)
            continue;
        uint64_t lo = align_up(m->base < LOW_MEMORY_END ? LOW_MEMORY_END : m->base, PAGE_SIZE);
        while (lo + need <= m->base + m->length && lo + need <= PFN_ARRAY_LIMIT) {
            if (!overlaps_taken(lo, lo + need, taken, n)) {
                at = lo;
                break;
            }
            lo += PAGE_SIZE;
        }
    }
    if (!at)
        return ERR_NO_MEMORY;
    pfn_db = phys_to_virt(at);
    memset(pfn_db, PFN_RESERVED, frames);
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_range *m = &bi->mmap[i];
        if (m->type == BOOT_MEM_AVAILABLE)
            mark(align_up(m->base, PAGE_SIZE), (m->base + m->length) & ~(PAGE_SIZE - 1), PFN_FREE);
    }
    /* Reserved ranges win over available ones if a map overlaps. */
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_range *m = &bi->mmap[i];
        if (m->type != BOOT_MEM_AVAILABLE)
            mark(m->base & ~(PAGE_SIZE - 1), m->base + m->length, PFN_RESERVED);
    }
    mark(0, LOW_MEMORY_END, PFN_RESERVED);
    for (unsigned i = 0; i < n; i++)
        mark(taken[i].lo & ~(PAGE_SIZE - 1), taken[i].hi, PFN_KERNEL);
    mark(at, at + need, PFN_KERNEL);
    next_hint = LOW_MEMORY_END >> PAGE_SHIFT;
    return 0;
}

uint64_t pfn_alloc(enum pfn_state state)
{
    uint64_t flags = spin_lock_irqsave(&lock);
    for (uint64_t n = 0; n < frames; n++) {
        uint64_t f = (next_hint + n) % frames;
        if (pfn_db[f] == PFN_FREE) {
            pfn_db[f] = (uint8_t)state;
            next_hint = f + 1;
            spin_unlock_irqrestore(&lock, flags);
            memset(phys_to_virt(f << PAGE_SHIFT), 0, PAGE_SIZE);
            return f << PAGE_SHIFT;
        }
    }
    spin_unlock_irqrestore(&lock, flags);
    return 0;
}

int pfn_alloc_contig(uint64_t npages, uint64_t align_pages, uint64_t max_phys,
                     enum pfn_state state, uint64_t *phys)
{
    if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
        return ERR_INVALID_ARGS;
    uint64_t limit = max_phys >> PAGE_SHIFT;
    if (limit > frames)
        limit = frames;
    uint64_t flags = spin_lock_irqsave(&lock);
    for (uint64_t f = align_up(LOW_MEMORY_END >> PAGE_SHIFT, align_pages); f + npages <= limit; f += align_pages) {
        uint64_t k = 0;
        while (k < npages && pfn_db[f + k] == PFN_FREE)
            k++;
        if (k == npages) {
            memset(pfn_db + f, state, npages);
            spin_unlock_irqrestore(&lock, flags);
            memset(phys_to_virt(f << PAGE_SHIFT), 0, npages << PAGE_SHIFT);
            *phys = f << PAGE_SHIFT;
            return 0;
        }
    }
    spin_unlock_irqrestore(&lock, flags);
    return ERR_NO_MEMORY;
}

void pfn_free(uint64_t phys, uint64_t npages)
{
    uint64_t flags = spin_lock_irqsave(&lock);
    for (uint64_t f = phys >> PAGE_SHIFT; f < (phys >> PAGE_SHIFT) + npages; f++) {
        if (f >= frames || pfn_db[f] == PFN_FREE || pfn_db[f] == PFN_RESERVED)
            bugcheck(BUGCODE_PFN_LIST_CORRUPT, 0x99, f, f < frames ? pfn_db[f] : 0, 0);
        pfn_db[f] = PFN_FREE;
    }
    spin_unlock_irqrestore(&lock, flags);
}

enum pfn_state pfn_state_of(uint64_t phys)
{
    uint64_t f = phys >> PAGE_SHIFT;
    return f < frames ? (enum pfn_state)pfn_db[f] : PFN_RESERVED;
}

void pfn_counts(uint64_t counts[PFN_STATE_COUNT], uint64_t *nframes)
{
    memset(counts, 0, sizeof(uint64_t) * PFN_STATE_COUNT);
    for (uint64_t f = 0; f < frames; f++)
        counts[pfn_db[f] < PFN_STATE_COUNT ? pfn_db[f] : PFN_RESERVED]++;
    *nframes = frames;
}

const char *pfn_state_name(enum pfn_state s)
{
    static const char *const names[PFN_STATE_COUNT] = {
        "reserved", "free", "kernel", "page table", "user", "DMA",
    };
    return (unsigned)s < PFN_STATE_COUNT ? names[s] : "?";
}

uint64_t pfn_ram_top(void)
{
    return ram_top;
}

unsigned pfn_ram_runs(const struct pfn_range **runs)
{
    *runs = ram_runs;
    return nram_runs;
}
