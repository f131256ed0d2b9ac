; The packed dump_ahci image (the Makefile builds it with tools/mkdrvblob from ahci_dumpdrv.c,
; ahci.c and the clone run-time), embedded in the kernel's read-only data; the AHCI glue hands
; it to the dump stack with each disk it registers.
section .rodata
align 16
global ahci_dump_image, ahci_dump_image_end
ahci_dump_image:
    incbin "build/dump_ahci.blob"
ahci_dump_image_end:
