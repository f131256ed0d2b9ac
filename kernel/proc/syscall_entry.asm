; The `syscall` entry point (MSR LSTAR). The CPU arrives here in ring 0 with interrupts off
; (FMASK), rcx = user rip, r11 = user rflags, still on the user stack: switch to the running
; process's kernel stack, save what sysret needs and the argument registers (struct
; syscall_args in kernel/proc/syscall.h names all ten pushes), run syscall_dispatch with
; interrupts on, restore, sysretq. Registers other than rax, rcx, r11 come back as the
; program left them.

bits 64
section .text
extern syscall_dispatch
extern proc_kernel_rsp

section .bss
align 8
user_rsp_scratch: resq 1

section .text
global syscall_entry
syscall_entry:
    mov [rel user_rsp_scratch], rsp
    mov rsp, [rel proc_kernel_rsp]
    push qword [rel user_rsp_scratch]
    push rcx
    push r11
    push rbp
    mov rbp, rsp
    push rdi
    push rsi
    push rdx
    push r10
    push r8
    push r9
    sti
    mov rdi, rax
    mov rsi, rsp
    cld
    call syscall_dispatch
    cli
    pop r9
    pop r8
    pop r10
    pop rdx
    pop rsi
    pop rdi
    pop rbp
    pop r11
    pop rcx
    pop rsp
    o64 sysret
