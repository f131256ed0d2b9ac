; Multiboot2 header and the 32-bit -> 64-bit entry of Blackbox. GRUB jumps to _start in
; protected mode; we build boot page tables (identity, direct map and higher-half views of the
; first 1 GiB), enter long mode, jump to the higher half and call
; kmain(multiboot_magic, multiboot_info_phys, entry_tsc).

%define KERNEL_VMA      0xffffffff80000000
%define MB2_MAGIC       0xE85250D6          ; multiboot2 header magic
%define MB2_ARCH_I386   0                   ; protected-mode i386 entry
%define MB2_BOOT_MAGIC  0x36d76289          ; value GRUB leaves in eax
%define PTE_P           (1 << 0)            ; present
%define PTE_W           (1 << 1)            ; writable
%define PTE_PS          (1 << 7)            ; 2 MiB page in a PD entry
%define CR0_PG          (1 << 31)
%define CR0_WP          (1 << 16)
%define CR4_PAE         (1 << 5)
%define MSR_EFER        0xC0000080
%define EFER_LME        (1 << 8)
%define EFER_NXE        (1 << 11)

section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; end tag
    dw 0
    dw 0
    dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    mov esp, boot_stack_top
    mov edi, eax                    ; multiboot magic -> first kmain argument
    mov esi, ebx                    ; multiboot info (physical) -> second argument
    rdtsc
    mov [boot_entry_tsc], eax
    mov [boot_entry_tsc + 4], edx

    cmp edi, MB2_BOOT_MAGIC
    jne .fail_mb
    ; long mode available?
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .fail_lm
    mov eax, 0x80000001
    cpuid
    test edx, (1 << 29)
    jz .fail_lm
    mov ebp, edx                    ; keep extended features (NX is bit 20)

    ; PD: 512 x 2 MiB pages = first 1 GiB
    mov ecx, 0
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [boot_pd + ecx * 8], eax
    mov dword [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 512
    jne .fill_pd

    mov eax, boot_pd
    or eax, PTE_P | PTE_W
    mov [boot_pdpt_low], eax                ; PDPT_low[0]   -> PD (0 .. 1 GiB)
    mov [boot_pdpt_high + 510 * 8], eax     ; PDPT_high[510] -> PD (KERNEL_VMA ..)
    mov eax, boot_pdpt_low
    or eax, PTE_P | PTE_W
    mov [boot_pml4], eax                    ; identity view
    mov [boot_pml4 + 256 * 8], eax          ; direct map view (0xffff800000000000)
    mov eax, boot_pdpt_high
    or eax, PTE_P | PTE_W
    mov [boot_pml4 + 511 * 8], eax          ; higher-half kernel view

    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test ebp, (1 << 20)
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:.long_mode

.fail_mb:
    mov esi, boot_msg_mb
    jmp boot_fail
.fail_lm:
    mov esi, boot_msg_lm
    jmp boot_fail

bits 64
.long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half
    jmp rax

bits 32
; Print the NUL-terminated string at esi on the VGA text screen (white on red) and halt.
boot_fail:
    mov edi, 0xB8000
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x4F
    stosw
    jmp .next
.halt:
    hlt
    jmp .halt

section .boot.data progbits alloc noexec write
align 8
boot_gdt:
    dq 0
    dq 0x00209A0000000000           ; 0x08: 64-bit code
    dq 0x0000920000000000           ; 0x10: data
boot_gdt_ptr:
    dw boot_gdt_ptr - boot_gdt - 1
    dq boot_gdt
boot_entry_tsc:
    dq 0
boot_msg_mb: db "Blackbox: not started by a multiboot2 loader", 0
boot_msg_lm: db "Blackbox: this CPU has no 64-bit long mode", 0

section .boot.bss nobits alloc noexec write
align 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096
boot_stack:     resb 4096
boot_stack_top:

section .text
bits 64
extern kmain
global kernel_stack_top
higher_half:
    mov rsp, kernel_stack_top
    xor ebp, ebp
    mov rdx, [boot_entry_tsc]       ; low address, still mapped by the boot tables
    call kmain
.halt:
    cli
    hlt
    jmp .halt

section .bss
align 4096
global kernel_stack_guard, kernel_stack_bottom
kernel_stack_guard:  resb 4096      ; left unmapped by paging_init: overflow -> #PF -> #DF
kernel_stack_bottom: resb 32768
kernel_stack_top:
