/* The IDT (all 256 vectors go to isr.asm stubs; #DF, NMI and #MC on IST stacks) and
 * trap_dispatch: CPU exceptions in kernel mode become bugchecks, those raised by a user
 * program kill it (kernel/proc), device vectors go to the registered handler, anything else
 * is counted and logged. */
#include <stdint.h>
#include "arch/trap.h"
#include "arch/gdt.h"
#include "bugcheck/bugcheck.h"
#include "proc/process.h"
#include "klog.h"
#include "err.h"

struct idt_entry {
    uint16_t offset_lo;   /* handler bits 0..15 */
    uint16_t selector;    /* code segment */
    uint8_t ist;          /* IST index (0 = none) */
    uint8_t type_attr;    /* present, DPL, gate type */
    uint16_t offset_mid;  /* handler bits 16..31 */
    uint32_t offset_hi;   /* handler bits 32..63 */
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "IDT entry is 16 bytes");

#define IDT_INTERRUPT_GATE 0x8E  /* present, DPL 0, 64-bit interrupt gate */

extern const uint64_t isr_table[256];
static struct idt_entry idt[256];
static trap_handler_t handlers[256];
static uint64_t unexpected_count;

static void idt_set(unsigned vec, uint64_t handler, uint8_t ist)
{
    idt[vec] = (struct idt_entry){
        .offset_lo = (uint16_t)handler,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attr = IDT_INTERRUPT_GATE,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, isr_table[v], 0);
    idt[VEC_DOUBLE_FAULT].ist = IST_DOUBLE_FAULT;
    idt[VEC_NMI].ist = IST_NMI;
    idt[VEC_MACHINE_CHECK].ist = IST_MACHINE_CHECK;
    idt_load();
}

void idt_load(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) ptr = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

int trap_register(unsigned vector, trap_handler_t handler)
{
    if (vector < 32 || vector > 255 || !handler)
        return ERR_INVALID_ARGS;
    if (handlers[vector])
        return ERR_BUSY;
    handlers[vector] = handler;
    return 0;
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector < 32) {
        /* NMI, #DF and #MC are the machine's, not the program's: they bugcheck anyway. */
        if ((f->cs & 3) == 3 && f->vector != VEC_NMI && f->vector != VEC_DOUBLE_FAULT &&
            f->vector != VEC_MACHINE_CHECK)
            process_fault(f);
        bugcheck_from_trap(f);
        return;
    }
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    if (f->vector == VEC_SPURIOUS || (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16))
        return;
    if (unexpected_count++ < 8)
        klog(KLOG_WARN, "trap: unexpected vector %lu at %p", (unsigned long)f->vector, (void *)f->rip);
}
