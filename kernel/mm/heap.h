/* The kernel heap: kmalloc/kfree over PFN pages seen through the direct map. Small blocks
 * come from power-of-two size classes, large ones are page runs. Every block carries a
 * checked header; a bad kfree bugchecks with BAD_POOL_HEADER. Not for use at bugcheck time. */
#ifndef BB_HEAP_H
#define BB_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_stats {
    uint64_t bytes_in_use;   /* bytes requested by live allocations */
    uint64_t blocks_in_use;  /* live allocations */
    uint64_t pages;          /* pages the heap holds (in use or cached in free lists) */
};

/* Returns 16-byte aligned memory or NULL. kzalloc zeroes it. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* NULL is ignored. */
void kfree(void *p);
void heap_stats(struct heap_stats *st);
/* kmalloc/kfree shaped as the alloc/free callbacks of the portable cores' environments
 * (fat_env, reg_env); ctx is ignored. */
void *heap_env_alloc(void *ctx, size_t size);
void heap_env_free(void *ctx, void *p);

#endif
