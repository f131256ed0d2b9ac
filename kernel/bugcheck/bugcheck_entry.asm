; bugcheck_ex(code, p1, p2, p3, p4): disable interrupts, save every general register into
; bugcheck_call_ctx as the caller left them (RIP = return address, RSP = caller's RSP), then
; call bugcheck_enter(code, p1, p2, p3, p4, &bugcheck_call_ctx). Offsets follow
; struct bugcheck_context in kernel/bugcheck/bugcheck.h (checked there by _Static_assert).
; bugcheck_on_stack(top, fn): move to the crash stack whose top is `top` and call fn(), which
; never returns; the stack the crash happened on is left as it was.

bits 64
section .text
global bugcheck_ex
global bugcheck_on_stack
extern bugcheck_enter
extern bugcheck_call_ctx

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

bugcheck_ex:
    pushfq                               ; RFLAGS as the caller had it (IF included)
    cli
    push rax
    mov rax, bugcheck_call_ctx
    pop qword [rax + CTX_RAX]
    pop qword [rax + CTX_RFLAGS]
    mov [rax + CTX_RBX], rbx
    mov [rax + CTX_RCX], rcx
    mov [rax + CTX_RDX], rdx
    mov [rax + CTX_RSI], rsi
    mov [rax + CTX_RDI], rdi
    mov [rax + CTX_RBP], rbp
    mov [rax + CTX_R8], r8
    mov [rax + CTX_R9], r9
    mov [rax + CTX_R10], r10
    mov [rax + CTX_R11], r11
    mov [rax + CTX_R12], r12
    mov [rax + CTX_R13], r13
    mov [rax + CTX_R14], r14
    mov [rax + CTX_R15], r15
    mov r9, [rsp]                        ; return address = where the caller stopped
    mov [rax + CTX_RIP], r9
    lea r9, [rsp + 8]
    mov [rax + CTX_RSP], r9
    mov r9, rax                          ; sixth argument: the context
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
