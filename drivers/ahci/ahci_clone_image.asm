; The packed dump_ahci image (the Makefile builds it with tools/mkclone from ahci_clone.c,
; ahci.c and the clone run-time), embedded in the kernel's read-only data; the AHCI glue hands
; it to the dump stack with each disk it registers.
section .rodata
align 16
global ahci_clone_image, ahci_clone_image_end
ahci_clone_image:
    incbin "build/dump_ahci.clone"
ahci_clone_image_end:
