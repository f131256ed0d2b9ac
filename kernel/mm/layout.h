/* The kernel's virtual address map. Physical memory is reachable through the direct map;
 * the kernel image through KERNEL_VMA. */
#ifndef BB_MM_LAYOUT_H
#define BB_MM_LAYOUT_H

#include <stdint.h>

#define KERNEL_VMA       0xffffffff80000000ull /* kernel image: virtual = KERNEL_VMA + physical */
#define DIRECT_MAP_BASE  0xffff800000000000ull /* all physical memory: virtual = base + physical */
#define MMIO_BASE        0xffffc00000000000ull /* device register windows (uncached), bump-allocated */
#define MMIO_LIMIT       0xffffc10000000000ull /* end of the MMIO window area */
#define CPU_STACKS_BASE  0xffffc10000000000ull /* application processors' stacks, one slot each */
#define CPU_STACKS_SLOT  0x20000ull            /* bytes of address space per CPU */
#define KSTACK_WINDOW    0xffffc18000000000ull /* the running process's kernel stack, above
                                                  an unmapped guard page at this address */
#define PAGE_SIZE        4096ull
#define PAGE_SHIFT       12

static inline void *phys_to_virt(uint64_t phys) { return (void *)(DIRECT_MAP_BASE + phys); }
static inline uint64_t virt_to_phys_direct(const void *v) { return (uint64_t)v - DIRECT_MAP_BASE; }
static inline uint64_t kernel_virt_to_phys(const void *v) { return (uint64_t)v - KERNEL_VMA; }

#endif
