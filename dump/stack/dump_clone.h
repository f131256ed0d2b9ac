/* Loading a clone: copy the packed image into its own reserved pages, apply its
 * relocations, fill in its parameter block, map it read-only + executable in its own window,
 * give it zeroed state pages, and checksum it. Boot time only; the loaded clone's entry
 * points and checksum are then used at bugcheck time. */
#ifndef BB_DUMP_CLONE_H
#define BB_DUMP_CLONE_H

#include <stddef.h>
#include <stdint.h>
#include "dump/clone/clone_abi.h"

struct dump_clone {
    char name[20];                       /* "dump_ahci" [I] */
    uint64_t image_virt;                 /* read-only executable mapping of the image [I] */
    uint64_t image_phys;                 /* its pages [I] */
    uint32_t image_size;                 /* bytes [I] */
    uint32_t image_crc;                  /* CRC32C of the loaded image (code + parameters +
                                            block map), computed after loading [I] */
    uint64_t state_phys;                 /* read-write state and DMA pages [I] */
    uint8_t *state_virt;                 /* [I] */
    uint64_t state_size;                 /* [I] */
    const struct clone_params *params;/* the parameter block inside the image [I] */
    clone_init_fn init;               /* entry points inside the image [I] */
    clone_io_fn write;
    clone_io_fn read;
    clone_flush_fn flush;
    clone_log_fn log;
    clone_poll_fn poll;
    clone_flush_start_fn flush_start;
};

/* Load the packed clone image at image[0, len) with parameters *prm (state_* are filled in here
 * from a fresh allocation of state_size bytes below 4 GiB). Returns 0, ERR_CORRUPT (bad
 * image), ERR_NO_MEMORY, or ERR_NO_SPACE (no room in the clone window). */
int dump_clone_load(const void *image, size_t len, const struct clone_params *prm,
                     uint64_t state_size, struct dump_clone *out);
/* Give a loaded clone a new block map: prm's extents and extent_count replace the ones in
 * its parameter block (written through the image's writable direct-map alias), and
 * image_crc is computed again. Boot or process context, never while a dump is written.
 * Returns 0 or ERR_INVALID_ARGS (no clone loaded, too many extents). */
int dump_clone_set_extents(struct dump_clone *d, const struct clone_params *prm);
/* CRC32C of the clone image as it is now (compare with image_crc). Safe at bugcheck time. */
uint32_t dump_clone_crc(const struct dump_clone *d);

#endif
