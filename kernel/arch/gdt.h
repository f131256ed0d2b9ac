/* GDT and TSS, one of each per CPU: flat 64-bit kernel and user segments, and a TSS whose
 * interrupt stack table gives #DF, NMI and #MC stacks of their own, so they work even on an
 * overflowed stack. */
#ifndef BB_GDT_H
#define BB_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CODE 0x08   /* ring-0 64-bit code */
#define GDT_KERNEL_DATA 0x10   /* ring-0 data */
#define GDT_USER_DATA   0x18   /* ring-3 data (order fixed by SYSRET) */
#define GDT_USER_CODE   0x20   /* ring-3 64-bit code */
#define GDT_TSS         0x28   /* 16-byte TSS descriptor */

#define IST_DOUBLE_FAULT 1     /* IST index for #DF */
#define IST_NMI          2     /* IST index for NMI */
#define IST_MACHINE_CHECK 3    /* IST index for #MC */
#define IST_STACK_SIZE   16384 /* bytes per IST stack */

/* The boot CPU's GDT and TSS (its IST stacks in .bss, the boot stack). */
void gdt_init(void);
/* Build and load CPU `cpu`'s GDT and TSS: its three IST stacks lie at
 * [ist, ist + 3 * IST_STACK_SIZE) (#DF, NMI, #MC in that order), its kernel stack at
 * [stack_lo, stack_hi). Runs on that CPU. */
void gdt_init_cpu(unsigned cpu, uint64_t ist, uint64_t stack_lo, uint64_t stack_hi);
/* Set the calling CPU's TSS ring-0 stack: where the CPU switches on an interrupt or exception taken in
 * ring 3. [bottom, top) is the running process's kernel stack, which also counts as a kernel
 * stack for gdt_addr_on_kernel_stack; (0, 0) goes back to the boot stack alone. */
void gdt_set_kernel_stack(uint64_t bottom, uint64_t top);
/* True if [addr, addr+len) lies inside one of the kernel's known stacks (boot stack, an IST
 * stack, or the running process's kernel stack). Used by the backtracer to never follow a frame pointer out of a stack. */
int gdt_addr_on_kernel_stack(uint64_t addr, uint64_t len);
/* The known kernel stack that holds addr (the same stacks): 1 with [*lo, *hi) set, else 0.
 * Reads only; safe at bugcheck time. */
int gdt_kernel_stack_range(uint64_t addr, uint64_t *lo, uint64_t *hi);

#endif
