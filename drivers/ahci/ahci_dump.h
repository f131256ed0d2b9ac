/* What the AHCI glue (ahci_pci.c) and its crash-dump clone (ahci_clone.c, "dump_ahci")
 * both know: the layout of the clone's state pages, how much it writes per call, and the
 * packed clone image the kernel embeds (ahci_clone_image.asm). */
#ifndef BB_AHCI_DUMP_H
#define BB_AHCI_DUMP_H

#include <stdint.h>

/* The state pages, in this order: page 0 holds the message buffer and struct
 * dump_ahci_state; then the command list (1 KiB) with the received-FIS area after it; then
 * the command table of slot 0. */
#define AHCI_DUMP_PAGE        4096u
#define AHCI_DUMP_STATE_OFF   0u       /* struct dump_ahci_state, after the message buffer */
#define AHCI_DUMP_CMD_PAGE    1u       /* command list + received FIS */
#define AHCI_DUMP_RFIS_OFF    1024u    /* received FIS, bytes into the command-list page */
#define AHCI_DUMP_TABLE_PAGE  2u       /* command table */
#define AHCI_DUMP_PAGES       3u
#define AHCI_DUMP_STATE_BYTES ((uint64_t)AHCI_DUMP_PAGES * AHCI_DUMP_PAGE)

/* Bytes per dump write call (dump_ahci keeps one command in flight): 1 MiB measured best;
 * 16 MiB writes ran 5x slower through the host page cache under QEMU once checksums
 * overlapped them. */
#define AHCI_DUMP_WRITE_SPAN  (1u << 20)

/* The packed dump_ahci image (tools/mkclone), embedded by ahci_clone_image.asm. */
extern const unsigned char ahci_clone_image[], ahci_clone_image_end[];

#endif
