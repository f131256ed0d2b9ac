/* Parses the multiboot2 boot information GRUB hands to kmain into a small static summary
 * (memory map, ACPI RSDP, command line), copied so the original can be overwritten. */
#ifndef BB_MULTIBOOT2_H
#define BB_MULTIBOOT2_H

#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u /* what GRUB leaves in eax */
#define BOOT_MMAP_MAX 256                /* memory-map entries kept (more are dropped) */

enum boot_mem_type {
    BOOT_MEM_AVAILABLE = 1,  /* usable RAM */
    BOOT_MEM_RESERVED = 2,   /* firmware or device */
    BOOT_MEM_ACPI = 3,       /* ACPI tables, reclaimable */
    BOOT_MEM_NVS = 4,        /* ACPI non-volatile storage */
    BOOT_MEM_BAD = 5,        /* defective RAM */
};

struct boot_mem_range {
    uint64_t base;   /* physical start, bytes */
    uint64_t length; /* bytes */
    uint32_t type;   /* enum boot_mem_type */
};

struct boot_info {
    struct boot_mem_range mmap[BOOT_MMAP_MAX];
    unsigned mmap_count;
    uint8_t rsdp[36];      /* copy of the ACPI RSDP (v1: first 20 bytes valid) */
    unsigned rsdp_len;     /* 0 when the loader gave none */
    char cmdline[256];     /* kernel command line, NUL-terminated */
    char loader[64];       /* boot loader name */
    uint64_t mbi_phys;     /* where the original info block was */
    uint64_t mbi_size;     /* and its total size, bytes */
};

/* Fills *bi from the info block at physical mbi_phys (reachable through the boot direct map of
 * the first GiB). Returns 0, ERR_INVALID_ARGS for a bad magic, ERR_CORRUPT for a malformed
 * block. */
int mb2_parse(uint32_t magic, uint64_t mbi_phys, struct boot_info *bi);

#endif
