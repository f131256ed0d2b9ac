/* GDT with kernel/user segments and the TSS; the IST stacks live in .bss. */
#include <stdint.h>
#include <string.h>
#include "arch/gdt.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];       /* stack for a privilege change to ring 0..2 */
    uint64_t reserved1;
    uint64_t ist[7];       /* interrupt stack table, ist[0] is IST1 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;   /* offset of the I/O bitmap; sizeof(struct tss) = none */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS is 104 bytes");

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define SEG_KCODE 0x00209A0000000000ull  /* present, ring 0, code, long mode */
#define SEG_KDATA 0x0000920000000000ull  /* present, ring 0, data, writable */
#define SEG_UDATA 0x0000F20000000000ull  /* present, ring 3, data, writable */
#define SEG_UCODE 0x0020FA0000000000ull  /* present, ring 3, code, long mode */
#define SEG_TSS_TYPE 0x89ull             /* present, 64-bit available TSS */

extern char kernel_stack_bottom[], kernel_stack_top[];
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
static struct tss tss;
static uint64_t gdt[7];
static uint64_t proc_stack_lo, proc_stack_hi;   /* the running process's kernel stack */

void gdt_init(void)
{
    memset(&tss, 0, sizeof tss);
    tss.iomap_base = sizeof tss;
    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(ist_stacks[0] + IST_STACK_SIZE);
    tss.ist[IST_NMI - 1] = (uint64_t)(ist_stacks[1] + IST_STACK_SIZE);
    tss.ist[IST_MACHINE_CHECK - 1] = (uint64_t)(ist_stacks[2] + IST_STACK_SIZE);
    tss.rsp[0] = (uint64_t)kernel_stack_top;

    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[0] = 0;
    gdt[GDT_KERNEL_CODE / 8] = SEG_KCODE;
    gdt[GDT_KERNEL_DATA / 8] = SEG_KDATA;
    gdt[GDT_USER_DATA / 8] = SEG_UDATA;
    gdt[GDT_USER_CODE / 8] = SEG_UCODE;
    gdt[GDT_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (SEG_TSS_TYPE << 40) |
                       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[GDT_TSS / 8 + 1] = base >> 32;

    struct gdt_ptr ptr = { sizeof gdt - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movw %%ax, %%fs\n\t"
        "movw %%ax, %%gs\n\t"
        "ltr %w3\n\t"
        : : "m"(ptr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS) : "rax", "memory");
}

void gdt_set_kernel_stack(uint64_t bottom, uint64_t top)
{
    proc_stack_lo = bottom;
    proc_stack_hi = top;
    tss.rsp[0] = top ? top : (uint64_t)kernel_stack_top;
}

int gdt_kernel_stack_range(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    uint64_t r[5][2] = {
        { (uint64_t)kernel_stack_bottom, (uint64_t)kernel_stack_top },
        { proc_stack_lo, proc_stack_hi },
    };
    for (int i = 0; i < 3; i++) {
        r[2 + i][0] = (uint64_t)ist_stacks[i];
        r[2 + i][1] = r[2 + i][0] + IST_STACK_SIZE;
    }
    for (int i = 0; i < 5; i++)
        if (addr >= r[i][0] && addr < r[i][1]) {
            *lo = r[i][0];
            *hi = r[i][1];
            return 1;
        }
    return 0;
}

int gdt_addr_on_kernel_stack(uint64_t addr, uint64_t len)
{
    uint64_t lo, hi;
    return addr + len >= addr && gdt_kernel_stack_range(addr, &lo, &hi) && addr + len <= hi;
}
