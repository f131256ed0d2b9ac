; The packed dump-driver images (built by the Makefile with tools/mkdrvblob), embedded in the
; kernel's read-only data; dump/dump_clone.c loads them at boot.
section .rodata
align 16
global dump_ahci_blob, dump_ahci_blob_end
dump_ahci_blob:
    incbin "build/dump_ahci.blob"
dump_ahci_blob_end:
