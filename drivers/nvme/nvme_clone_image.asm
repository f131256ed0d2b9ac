; The packed dump_nvme image (the Makefile builds it with tools/mkclone from nvme_clone.c,
; nvme.c and the clone run-time), embedded in the kernel's read-only data; the NVMe glue hands
; it to the dump stack with each namespace it registers.
section .rodata
align 16
global nvme_clone_image, nvme_clone_image_end
nvme_clone_image:
    incbin "build/dump_nvme.clone"
nvme_clone_image_end:
