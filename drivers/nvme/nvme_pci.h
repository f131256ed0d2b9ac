/* The live NVMe driver's kernel glue: finds NVMe controllers on PCI, brings them up with
 * an MSI-X (or MSI) interrupt and registers each active namespace as a disk "nvmeCnN".
 * Not for use at bugcheck time (the dump path gets its own polled instance). */
#ifndef BB_NVME_PCI_H
#define BB_NVME_PCI_H

/* Probe every PCI function of class 01/08/02 (after pci_init, with interrupts enabled).
 * Returns the number of disks registered; failures are logged and skip that controller. */
int nvme_probe(void);

#endif
