; Entering ring 3 and coming back: proc_enter saves the kernel's callee-saved registers and
; stack pointer in a struct proc_ctx (kernel/proc/process.h), then iretq's to the program;
; proc_leave (called on the process's kernel stack when it exits or is killed) restores
; them, so proc_enter appears to return the given status.

bits 64
section .text

%define GDT_USER_DATA 0x18
%define GDT_USER_CODE 0x20
%define RFLAGS_USER   0x202          ; IF set, reserved bit 1

; int proc_enter(struct proc_ctx *ctx rdi, uint64_t rip rsi, uint64_t rsp rdx,
;                uint64_t argc rcx, uint64_t argv r8)
global proc_enter
proc_enter:
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    mov [rdi + 48], rsp
    push qword GDT_USER_DATA | 3     ; ss
    push rdx                         ; rsp
    push qword RFLAGS_USER           ; rflags
    push qword GDT_USER_CODE | 3     ; cs
    push rsi                         ; rip
    mov rdi, rcx                     ; argc
    mov rsi, r8                      ; argv
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    iretq

; void proc_leave(struct proc_ctx *ctx rdi, int status esi)
global proc_leave
proc_leave:
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    mov eax, esi
    ret
