; Entry stubs for all 256 interrupt vectors. Each pushes a dummy error code where the CPU
; pushes none, then its vector, then jumps to the common path which saves the GPRs in the
; order of struct trap_frame (kernel/arch/trap.h) and calls trap_dispatch(frame).

bits 64
section .text
extern trap_dispatch

; Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30.
%macro ISR 1
isr_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
    push qword 0
%endif
    push qword %1
    jmp isr_common
%endmacro

%assign v 0
%rep 256
ISR v
%assign v v + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 256
    dq isr_ %+ v
%assign v v + 1
%endrep
