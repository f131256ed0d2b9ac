/* AHCI kernel glue: probe every AHCI controller and register its SATA disks. */
#ifndef BB_AHCI_PCI_H
#define BB_AHCI_PCI_H

/* Probe PCI for AHCI controllers (class 01/06/01) and register each SATA disk found as
 * "ahciN". Returns the number of disks registered, or ERR_NO_MEMORY. Boot time only. */
int ahci_probe(void);

#endif
