; The packed dump-driver images (built by the Makefile with tools/mkdrvblob), embedded in the
; kernel's read-only data; dump/stack/dump_clone.c loads the one the dump target's disk needs.
section .rodata
align 16
global dump_ahci_blob, dump_ahci_blob_end
dump_ahci_blob:
    incbin "build/dump_ahci.blob"
dump_ahci_blob_end:
align 16
global dump_nvme_blob, dump_nvme_blob_end
dump_nvme_blob:
    incbin "build/dump_nvme.blob"
dump_nvme_blob_end:
