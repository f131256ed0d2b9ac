/* Interrupt and exception entry: the register frame built by kernel/arch/isr.asm, the IDT,
 * and the registration of handlers for device vectors. */
#ifndef BB_TRAP_H
#define BB_TRAP_H

#include <stdint.h>

/* Frame on the stack at trap_dispatch(): pushed by isr.asm (GPRs, vector, error code) and
 * by the CPU (rip .. ss). Field order is fixed by isr.asm. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;      /* interrupt vector 0..255 */
    uint64_t error_code;  /* CPU error code, or 0 for vectors without one */
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout is fixed by isr.asm");

#define VEC_DIVIDE_ERROR   0
#define VEC_DEBUG          1
#define VEC_NMI            2
#define VEC_BREAKPOINT     3
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT   8
#define VEC_GP_FAULT       13
#define VEC_PAGE_FAULT     14
#define VEC_MACHINE_CHECK  18
#define VEC_PIC_BASE       0x20  /* legacy PIC remapped here, all masked */
#define VEC_TIMER          0x30  /* LAPIC timer */
#define VEC_SPURIOUS       0xFF  /* LAPIC spurious vector */

typedef void (*trap_handler_t)(struct trap_frame *f);

void idt_init(void);
/* Load the (shared) IDT on the calling CPU; idt_init does it for the boot CPU. */
void idt_load(void);
/* Route a device vector (>= 32) to handler. Returns 0 or ERR_INVALID_ARGS / ERR_BUSY. */
int trap_register(unsigned vector, trap_handler_t handler);
/* Called from isr.asm for every vector. */
void trap_dispatch(struct trap_frame *f);

#endif
