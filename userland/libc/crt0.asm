; crt0: the first instruction of every user program. The kernel leaves rsp pointing at argc,
; argv[], NULL (kernel/proc/process.h); call main(argc, argv) and exit with its result.

bits 64
section .text.start
extern main
extern exit
global _start
_start:
    xor ebp, ebp
    mov rdi, [rsp]
    lea rsi, [rsp + 8]
    call main
    mov edi, eax
    call exit
    ud2
