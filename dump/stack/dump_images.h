/* The packed dump-driver images embedded by dump/stack/dump_images.asm. */
#ifndef BB_DUMP_IMAGES_H
#define BB_DUMP_IMAGES_H

extern const unsigned char dump_ahci_blob[], dump_ahci_blob_end[];
extern const unsigned char dump_nvme_blob[], dump_nvme_blob_end[];

#endif
