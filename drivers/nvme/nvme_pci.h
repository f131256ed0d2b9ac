/* The live NVMe driver's kernel glue: finds NVMe controllers on PCI, brings them up with
 * an MSI-X (or MSI) interrupt and registers each active namespace as a disk "nvmeCnN".
 * Not for use at bugcheck time (the dump path gets its own polled instance, dump_nvme, on a
 * queue pair created here for it). */
#ifndef BB_NVME_PCI_H
#define BB_NVME_PCI_H

/* Probe every PCI function of class 01/08/02 (after pci_init, with interrupts enabled).
 * Returns the number of disks registered; failures are logged and skip that controller. */
int nvme_probe(void);

#include "lib/blockdev.h"
#include "dump/dump_driver.h"

/* Fill the controller part of dump_nvme's parameters for `bd` if it is an NVMe namespace:
 * BAR0 mapping, namespace ID, geometry, the dump queue's ID and depth, doorbell stride,
 * largest transfer. 0, ERR_NOT_FOUND (not ours) or ERR_NOT_SUPPORTED (the controller gave
 * no second I/O queue pair). Boot time only. */
int nvme_dump_params(const struct blockdev *bd, struct dump_drv_params *prm);
/* Create the dump's own I/O queue pair (prm->queue_id, no interrupts) on the loaded dump
 * driver's state pages (prm->state_phys, layout in nvme_dump.h), through the live admin
 * queue, and set up its struct nvme_queue there. From then on the pair belongs to
 * dump_nvme; the live driver never submits on it. Once per controller: a second call with
 * the same pages returns 0, with other pages ERR_BUSY. Boot time only. */
int nvme_dump_attach(const struct blockdev *bd, const struct dump_drv_params *prm);

/* Start a read of up to `count` blocks (one command) at `lba` of `bd` into `buf` and return
 * while it is in flight (for `crash io`). 0, ERR_NOT_FOUND (not an NVMe disk), ERR_BUSY. */
int nvme_start_read(const struct blockdev *bd, uint64_t lba, uint32_t count, void *buf);

#endif
