/* PCI bus walk from bus 0 following PCI-to-PCI bridges, BAR decoding and sizing (with
 * decoding disabled while the BAR holds all-ones). Register offsets: PCI Local Bus 3.0, 6.1. */
#include <string.h>
#include "pci/pci.h"
#include "arch/cpu.h"
#include "klog.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC
#define PCI_VENDOR_ID      0x00   /* u16; 0xFFFF = no function */
#define PCI_DEVICE_ID      0x02   /* u16 */
#define PCI_COMMAND        0x04   /* u16 */
#define PCI_CLASS_REV      0x08   /* u32: class, subclass, prog-if, revision */
#define PCI_HEADER_TYPE    0x0E   /* u8; bit 7 = multi-function */
#define PCI_BAR0           0x10   /* first base address register */
#define PCI_SECONDARY_BUS  0x19   /* u8, bridges */
#define PCI_INTERRUPT_LINE 0x3C   /* u8 */
#define PCI_INTERRUPT_PIN  0x3D   /* u8 */
#define PCI_CMD_IO         0x0001
#define PCI_CMD_MEM        0x0002
#define PCI_HDR_BRIDGE     0x01
#define PCI_HDR_MULTIFUNC  0x80
#define PCI_CLASS_BRIDGE   0x06
#define PCI_SUBCLASS_PCI_BRIDGE 0x04
#define BAR_IO             0x1
#define BAR_MEM_TYPE_64    0x4
#define BAR_MEM_PREFETCH   0x8

static struct pci_device devices[PCI_MAX_DEVICES];
static unsigned ndevices;

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (off & 0xFC);
}

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
    return inl(PCI_CONFIG_DATA);
}

void pci_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v)
{
    outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
    outl(PCI_CONFIG_DATA, v);
}

uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    return (uint16_t)(pci_read32(bus, dev, fn, off) >> ((off & 2) * 8));
}

void pci_write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint16_t v)
{
    uint32_t old = pci_read32(bus, dev, fn, off);
    unsigned shift = (off & 2) * 8;
    pci_write32(bus, dev, fn, off, (old & ~(0xFFFFu << shift)) | (uint32_t)v << shift);
}

static uint8_t read8(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    return (uint8_t)(pci_read32(bus, dev, fn, off) >> ((off & 3) * 8));
}

/* Decode and size BAR i; returns how many BAR slots it used (2 for 64-bit). */
static unsigned size_bar(struct pci_device *d, unsigned i)
{
    uint8_t off = (uint8_t)(PCI_BAR0 + 4 * i);
    uint32_t orig = pci_read32(d->bus, d->dev, d->fn, off);
    struct pci_bar *b = &d->bar[i];
    pci_write32(d->bus, d->dev, d->fn, off, 0xFFFFFFFFu);
    uint32_t mask = pci_read32(d->bus, d->dev, d->fn, off);
    pci_write32(d->bus, d->dev, d->fn, off, orig);
    if (orig & BAR_IO) {
        uint32_t m = mask & ~3u;
        if (!m)
            return 1;
        b->kind = PCI_BAR_IO;
        b->base = orig & ~3u;
        b->size = (~m + 1) & 0xFFFF;
        return 1;
    }
    uint64_t base = orig & ~0xFu, m = mask & ~0xFu;
    unsigned used = 1;
    if ((orig & 0x6) == BAR_MEM_TYPE_64 && i < 5) {
        uint8_t hi_off = (uint8_t)(off + 4);
        uint32_t hi = pci_read32(d->bus, d->dev, d->fn, hi_off);
        pci_write32(d->bus, d->dev, d->fn, hi_off, 0xFFFFFFFFu);
        uint32_t hi_mask = pci_read32(d->bus, d->dev, d->fn, hi_off);
        pci_write32(d->bus, d->dev, d->fn, hi_off, hi);
        base |= (uint64_t)hi << 32;
        m |= (uint64_t)hi_mask << 32;
        b->kind = PCI_BAR_MEM64;
        used = 2;
    } else {
        m |= 0xFFFFFFFF00000000ull;
        b->kind = PCI_BAR_MEM32;
    }
    if ((m & 0xFFFFFFFFFFFFFFF0ull) == 0xFFFFFFFFFFFFFFF0ull && !(mask & ~0xFu)) {
        b->kind = PCI_BAR_NONE;
        return used;
    }
    b->base = base;
    b->size = ~m + 1;
    b->prefetchable = orig & BAR_MEM_PREFETCH;
    return used;
}

static void scan_bus(uint8_t bus, unsigned depth);

static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, unsigned depth)
{
    if (ndevices == PCI_MAX_DEVICES)
        return;
    struct pci_device *d = &devices[ndevices++];
    memset(d, 0, sizeof *d);
    d->bus = bus;
    d->dev = dev;
    d->fn = fn;
    d->vendor_id = pci_read16(bus, dev, fn, PCI_VENDOR_ID);
    d->device_id = pci_read16(bus, dev, fn, PCI_DEVICE_ID);
    uint32_t cr = pci_read32(bus, dev, fn, PCI_CLASS_REV);
    d->class_code = (uint8_t)(cr >> 24);
    d->subclass = (uint8_t)(cr >> 16);
    d->prog_if = (uint8_t)(cr >> 8);
    d->revision = (uint8_t)cr;
    d->header_type = read8(bus, dev, fn, PCI_HEADER_TYPE) & (uint8_t)~PCI_HDR_MULTIFUNC;
    d->irq_line = read8(bus, dev, fn, PCI_INTERRUPT_LINE);
    d->irq_pin = read8(bus, dev, fn, PCI_INTERRUPT_PIN);
    unsigned nbars = d->header_type == 0 ? 6 : d->header_type == PCI_HDR_BRIDGE ? 2 : 0;
    uint16_t cmd = pci_read16(bus, dev, fn, PCI_COMMAND);
    pci_write16(bus, dev, fn, PCI_COMMAND, cmd & (uint16_t)~(PCI_CMD_IO | PCI_CMD_MEM));
    for (unsigned i = 0; i < nbars;)
        i += size_bar(d, i);
    pci_write16(bus, dev, fn, PCI_COMMAND, cmd);
    if (d->class_code == PCI_CLASS_BRIDGE && d->subclass == PCI_SUBCLASS_PCI_BRIDGE &&
        d->header_type == PCI_HDR_BRIDGE) {
        uint8_t secondary = read8(bus, dev, fn, PCI_SECONDARY_BUS);
        if (secondary > bus)
            scan_bus(secondary, depth + 1);
    }
}

static void scan_bus(uint8_t bus, unsigned depth)
{
    if (depth > 8)
        return;
    for (uint8_t dev = 0; dev < 32; dev++) {
        if (pci_read16(bus, dev, 0, PCI_VENDOR_ID) == 0xFFFF)
            continue;
        bool multi = read8(bus, dev, 0, PCI_HEADER_TYPE) & PCI_HDR_MULTIFUNC;
        for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++)
            if (pci_read16(bus, dev, fn, PCI_VENDOR_ID) != 0xFFFF)
                add_function(bus, dev, fn, depth);
    }
}

int pci_init(void)
{
    ndevices = 0;
    scan_bus(0, 0);
    klog(KLOG_INFO, "pci: %u functions", ndevices);
    return (int)ndevices;
}

const struct pci_device *pci_device_at(unsigned i)
{
    return i < ndevices ? &devices[i] : NULL;
}

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
    switch (class_code << 8 | subclass) {
    case 0x0101: return "IDE controller";
    case 0x0106: return "SATA controller";
    case 0x0108: return "NVMe controller";
    case 0x0200: return "Ethernet controller";
    case 0x0300: return "VGA controller";
    case 0x0600: return "Host bridge";
    case 0x0601: return "ISA bridge";
    case 0x0604: return "PCI bridge";
    case 0x0C03: return "USB controller";
    case 0x0C05: return "SMBus controller";
    default: break;
    }
    switch (class_code) {
    case 0x01: return "Storage controller";
    case 0x02: return "Network controller";
    case 0x03: return "Display controller";
    case 0x04: return "Multimedia controller";
    case 0x06: return "Bridge";
    case 0x0C: return "Serial bus controller";
    default: return "Device";
    }
}
