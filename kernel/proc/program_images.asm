; The user programs built from userland/ (stripped ELF files, listed one "PROGRAM name" per
; line in build/user/programs.inc by the Makefile), embedded in the kernel's read-only data,
; and the table kernel/proc/programs.c searches: { name, start, end } triples, zero-ended.

section .rodata

%macro PROGRAM 1
%defstr prog_name_%1 %1
align 16
prog_%1:
    incbin %strcat("build/user/", prog_name_%1, ".bin")
prog_%1_end:
prog_str_%1:
    db prog_name_%1, 0
%endmacro
%include "build/user/programs.inc"
%unmacro PROGRAM 1

%macro PROGRAM 1
    dq prog_str_%1, prog_%1, prog_%1_end
%endmacro
align 8
global proc_program_table
proc_program_table:
%include "build/user/programs.inc"
    dq 0, 0, 0
