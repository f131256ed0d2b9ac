; The application processors' first instructions. smp.c copies the bytes between
; ap_trampoline_start and ap_trampoline_end to SMP_TRAMPOLINE_PHYS (0x8000, the STARTUP IPI's
; page 8) and fills ap_params; the AP arrives in real mode at CS:IP = 0x0800:0, loads the
; boot CPU's CR4, the trampoline page tables (identity map of the first 2 MiB plus the
; kernel's half), EFER and CR0, lands in 64-bit mode and calls ap_params.entry(ap_params.arg)
; on ap_params.stack.

%define TRAMPOLINE_PHYS 0x8000             ; SMP_TRAMPOLINE_PHYS in kernel/smp/smp.c
%define MSR_EFER        0xC0000080
%define T(label)        (TRAMPOLINE_PHYS + (label) - ap_trampoline_start)

section .rodata
global ap_trampoline_start, ap_trampoline_end, ap_params

bits 16
ap_trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    o32 lgdt [tgdt_ptr - ap_trampoline_start]
    mov eax, [p_cr4 - ap_trampoline_start]
    mov cr4, eax
    mov eax, [p_cr3 - ap_trampoline_start]
    mov cr3, eax
    mov ecx, MSR_EFER
    mov eax, [p_efer - ap_trampoline_start]
    mov edx, [p_efer - ap_trampoline_start + 4]
    wrmsr
    mov eax, [p_cr0 - ap_trampoline_start]
    mov cr0, eax                            ; protection and paging at once: long mode
    jmp dword 0x08:T(long64)

bits 64
long64:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, [T(p_stack)]
    mov rdi, [T(p_arg)]
    mov rax, [T(p_entry)]
    xor ebp, ebp
    call rax
.halt:
    cli
    hlt
    jmp .halt

align 8
tgdt:
    dq 0
    dq 0x00209A0000000000                   ; 0x08: 64-bit code
    dq 0x0000920000000000                   ; 0x10: data
tgdt_ptr:
    dw tgdt_ptr - tgdt - 1
    dd T(tgdt)

align 8
ap_params:                                  ; struct ap_params in kernel/smp/smp.c
p_cr0:   dd 0
p_cr3:   dd 0                               ; trampoline PML4, below 1 MiB
p_cr4:   dd 0
p_pad:   dd 0
p_efer:  dq 0
p_stack: dq 0
p_entry: dq 0
p_arg:   dq 0
ap_trampoline_end:
