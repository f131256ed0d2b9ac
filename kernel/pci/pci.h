/* PCI enumeration through configuration mechanism #1 (ports 0xCF8/0xCFC): every function on
 * every bus reachable from bus 0, with decoded and sized BARs. Drivers find their devices
 * here. */
#ifndef BB_PCI_H
#define BB_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_DEVICES 64

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t base;       /* bus address (I/O port or physical memory) */
    uint64_t size;       /* bytes, from sizing */
    bool prefetchable;
};

struct pci_device {
    uint8_t bus, dev, fn;
    uint16_t vendor_id, device_id;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;     /* without the multi-function bit */
    uint8_t irq_line, irq_pin;
    struct pci_bar bar[6];   /* type-0 headers: 6, bridges: 2 */
};

/* Scan the buses. Returns the number of functions found. */
int pci_init(void);
/* The i-th function found, or NULL past the end. */
const struct pci_device *pci_device_at(unsigned i);
/* A short English name for a class/subclass ("SATA controller"), never NULL. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off);
void pci_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v);
uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off);
void pci_write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint16_t v);

#endif
