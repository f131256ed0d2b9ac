/* One GDT and TSS per CPU, with kernel/user segments; the boot CPU's IST stacks live in
 * .bss, an application processor's in the stack area smp.c maps for it. */
#include <stdint.h>
#include <string.h>
#include "arch/gdt.h"
#include "smp/smp.h"

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
static uint8_t boot_ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
static struct tss tss[MAX_CPUS];
static uint64_t gdt[MAX_CPUS][7];
static struct { uint64_t ist, stack_lo, stack_hi; } stacks[MAX_CPUS];  /* per CPU */
static uint64_t proc_stack_lo, proc_stack_hi;   /* the running process's kernel stack */

void gdt_init(void)
{
    gdt_init_cpu(0, (uint64_t)boot_ist_stacks, (uint64_t)kernel_stack_bottom,
                 (uint64_t)kernel_stack_top);
}

void gdt_init_cpu(unsigned cpu, uint64_t ist, uint64_t stack_lo, uint64_t stack_hi)
{
    struct tss *t = &tss[cpu];
    uint64_t *g = gdt[cpu];
    stacks[cpu].ist = ist;
    stacks[cpu].stack_lo = stack_lo;
    stacks[cpu].stack_hi = stack_hi;
    memset(t, 0, sizeof *t);
    t->iomap_base = sizeof *t;
    t->ist[IST_DOUBLE_FAULT - 1] = ist + 1 * IST_STACK_SIZE;
    t->ist[IST_NMI - 1] = ist + 2 * IST_STACK_SIZE;
    t->ist[IST_MACHINE_CHECK - 1] = ist + 3 * IST_STACK_SIZE;
    t->rsp[0] = stack_hi;

    uint64_t base = (uint64_t)t, limit = sizeof *t - 1;
    g[0] = 0;
    g[GDT_KERNEL_CODE / 8] = SEG_KCODE;
    g[GDT_KERNEL_DATA / 8] = SEG_KDATA;
    g[GDT_USER_DATA / 8] = SEG_UDATA;
    g[GDT_USER_CODE / 8] = SEG_UCODE;
    g[GDT_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (SEG_TSS_TYPE << 40) |
                     (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    g[GDT_TSS / 8 + 1] = base >> 32;

    struct gdt_ptr ptr = { sizeof gdt[0] - 1, (uint64_t)g };
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
    unsigned cpu = smp_this_cpu();
    proc_stack_lo = bottom;
    proc_stack_hi = top;
    tss[cpu].rsp[0] = top ? top : stacks[cpu].stack_hi;
}

int gdt_kernel_stack_range(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    uint64_t l = 0, h = 0;
    if (addr >= proc_stack_lo && addr < proc_stack_hi) {
        l = proc_stack_lo;
        h = proc_stack_hi;
    }
    for (unsigned c = 0; !h && c < MAX_CPUS; c++) {
        if (!stacks[c].stack_hi)
            continue;
        if (addr >= stacks[c].stack_lo && addr < stacks[c].stack_hi) {
            l = stacks[c].stack_lo;
            h = stacks[c].stack_hi;
        }
        for (int i = 0; !h && i < 3; i++) {
            uint64_t ilo = stacks[c].ist + (uint64_t)i * IST_STACK_SIZE;
            if (addr >= ilo && addr < ilo + IST_STACK_SIZE) {
                l = ilo;
                h = ilo + IST_STACK_SIZE;
            }
        }
    }
    if (!h)
        return 0;
    *lo = l;
    *hi = h;
    return 1;
}

int gdt_addr_on_kernel_stack(uint64_t addr, uint64_t len)
{
    uint64_t lo, hi;
    return addr + len >= addr && gdt_kernel_stack_range(addr, &lo, &hi) && addr + len <= hi;
}
