; The packed dump_nvme image (the Makefile builds it with tools/mkdrvblob from nvme_dumpdrv.c,
; nvme.c and the clone run-time), embedded in the kernel's read-only data; the NVMe glue hands
; it to the dump stack with each namespace it registers.
section .rodata
align 16
global nvme_dump_image, nvme_dump_image_end
nvme_dump_image:
    incbin "build/dump_nvme.blob"
nvme_dump_image_end:
