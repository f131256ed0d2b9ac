/* AHCI kernel glue: probe every AHCI controller and register its SATA disks. */
#ifndef BB_AHCI_PCI_H
#define BB_AHCI_PCI_H

/* Probe PCI for AHCI controllers (class 01/06/01) and register each SATA disk found as
 * "ahciN". Returns the number of disks registered, or ERR_NO_MEMORY. Boot time only. */
int ahci_probe(void);

#include "lib/blockdev.h"
#include "dump/dump_driver.h"

/* Fill the controller part of a dump driver's parameters for `bd` if it is an AHCI disk:
 * ABAR mapping, port, geometry, largest transfer. 0 or ERR_NOT_FOUND. */
int ahci_dump_params(const struct blockdev *bd, struct dump_drv_params *prm);
/* Hand the port back to the live driver after dump_ahci used it at boot (self-test):
 * restart it on the live command memory and re-enable its interrupts. 0 or an error. */
int ahci_dump_release(const struct blockdev *bd);

/* Start a read of `count` sectors at `lba` of `bd` into `buf` and return while it is still
 * in flight (for `crash io`). 0, ERR_NOT_FOUND (not an AHCI disk), ERR_BUSY. */
int ahci_start_read(const struct blockdev *bd, uint64_t lba, uint32_t count, void *buf);

#endif
