; bugcheck_ex(code, p1, p2, p3, p4): disable interrupts, save every general register into a
; struct bugcheck_context on the caller's stack as the caller left them (RIP = return
; address, RSP = caller's RSP), then call bugcheck_enter(code, p1, p2, p3, p4, &context).
; The context lives on the calling CPU's own stack, so two CPUs can bugcheck at once.
; Offsets follow struct bugcheck_context in kernel/bugcheck/bugcheck.h (checked there by
; _Static_assert).
; bugcheck_on_stack(top, fn): move to the crash stack whose top is `top` and call fn(), which
; never returns; the stack the crash happened on is left as it was.

bits 64
section .text
global bugcheck_ex
global bugcheck_on_stack
extern bugcheck_enter

%define CTX_RAX 0x00
%define CTX_RBX 0x08
%define CTX_RCX 0x10
%define CTX_RDX 0x18
%define CTX_RSI 0x20
%define CTX_RDI 0x28
%define CTX_RBP 0x30
%define CTX_RSP 0x38
%define CTX_R8  0x40
%define CTX_R9  0x48
%define CTX_R10 0x50
%define CTX_R11 0x58
%define CTX_R12 0x60
%define CTX_R13 0x68
%define CTX_R14 0x70
%define CTX_R15 0x78
%define CTX_RIP 0x80
%define CTX_RFLAGS 0x88
%define CTX_SIZE 0xD0                    ; sizeof(struct bugcheck_context), rounded to 16

bugcheck_ex:
    pushfq                               ; RFLAGS as the caller had it (IF included)
    cli
    sub rsp, CTX_SIZE
    mov [rsp + CTX_RAX], rax
    mov rax, [rsp + CTX_SIZE]
    mov [rsp + CTX_RFLAGS], rax
    mov [rsp + CTX_RBX], rbx
    mov [rsp + CTX_RCX], rcx
    mov [rsp + CTX_RDX], rdx
    mov [rsp + CTX_RSI], rsi
    mov [rsp + CTX_RDI], rdi
    mov [rsp + CTX_RBP], rbp
    mov [rsp + CTX_R8], r8
    mov [rsp + CTX_R9], r9
    mov [rsp + CTX_R10], r10
    mov [rsp + CTX_R11], r11
    mov [rsp + CTX_R12], r12
    mov [rsp + CTX_R13], r13
    mov [rsp + CTX_R14], r14
    mov [rsp + CTX_R15], r15
    mov rax, [rsp + CTX_SIZE + 8]        ; return address = where the caller stopped
    mov [rsp + CTX_RIP], rax
    lea rax, [rsp + CTX_SIZE + 16]
    mov [rsp + CTX_RSP], rax
    mov r9, rsp                          ; sixth argument: the context
    and rsp, -16                         ; ABI alignment for the C call
    call bugcheck_enter
.halt:
    cli
    hlt
    jmp .halt

bugcheck_on_stack:
    mov rsp, rdi                         ; 16-byte aligned: fn starts as after a normal call
    call rsi
.halt:
    cli
    hlt
    jmp .halt
