/* PCI capabilities and message-signalled interrupts: find a capability, enable bus
 * mastering, route one MSI-X (or, failing that, MSI) vector to this CPU's local APIC with
 * legacy INTx disabled, and hand out device interrupt vectors. Boot-time setup; none of it
 * is for use at bugcheck time. */
#ifndef BB_PCI_MSI_H
#define BB_PCI_MSI_H

#include <stdint.h>
#include "pci/pci.h"

#define PCI_CAP_ID_MSI   0x05    /* capability ID: Message Signalled Interrupts */
#define PCI_CAP_ID_MSIX  0x11    /* capability ID: MSI-X */

#define PCI_VECTOR_FIRST 0x40    /* first vector pci_vector_alloc() hands out */
#define PCI_VECTOR_LAST  0xEF    /* last one (0xF0.. stay free for the kernel) */

enum pci_irq_kind { PCI_IRQ_NONE, PCI_IRQ_MSI, PCI_IRQ_MSIX };

/* Config-space offset of the first capability with ID cap_id, or 0 if the function has no
 * such capability (or no capability list). */
uint8_t pci_find_capability(const struct pci_device *d, uint8_t cap_id);
/* Turn on memory decoding and bus mastering (the device may then DMA). */
void pci_enable_bus_master(const struct pci_device *d);
/* Set the Interrupt Disable bit: the function stops asserting its INTx pin. */
void pci_intx_disable(const struct pci_device *d);
/* A free interrupt vector in PCI_VECTOR_FIRST..PCI_VECTOR_LAST, or ERR_NO_SPACE. */
int pci_vector_alloc(void);
/* Route MSI-X table entry 0 to `vector` on this CPU (others stay masked), enable MSI-X and
 * disable INTx. Returns 0, ERR_NOT_FOUND (no MSI-X capability), ERR_NOT_SUPPORTED (table
 * not in a memory BAR) or ERR_NO_MEMORY (table could not be mapped). */
int pci_msix_enable(const struct pci_device *d, uint8_t vector);
/* Route plain MSI (one message) to `vector` on this CPU, enable it and disable INTx.
 * Returns 0 or ERR_NOT_FOUND (no MSI capability). */
int pci_msi_enable(const struct pci_device *d, uint8_t vector);
/* MSI-X if the function has it, else MSI. Returns PCI_IRQ_MSIX / PCI_IRQ_MSI, or the error
 * of the last attempt (ERR_NOT_FOUND when the function has neither). */
int pci_irq_enable(const struct pci_device *d, uint8_t vector);
/* "MSI-X", "MSI" or "none". */
const char *pci_irq_kind_name(int kind);

#endif
