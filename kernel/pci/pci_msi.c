/* Capability-list walk, bus mastering, MSI and MSI-X programming (PCI Local Bus 3.0, 6.7
 * and 6.8) and the device vector allocator. Messages target the local APIC of the boot CPU
 * in physical destination mode, fixed delivery, edge triggered (Intel SDM vol. 3, 11.11). */
#include <stdbool.h>
#include "pci/pci_msi.h"
#include "mm/paging.h"
#include "arch/lapic.h"
#include "arch/spinlock.h"
#include "err.h"

#define PCI_COMMAND            0x04     /* u16 command register */
#define PCI_CMD_MEM            0x0002   /* memory space decoding */
#define PCI_CMD_BUS_MASTER     0x0004   /* the function may initiate DMA */
#define PCI_CMD_INTX_DISABLE   0x0400   /* INTx pin assertion disabled */
#define PCI_STATUS             0x06     /* u16 status register */
#define PCI_STATUS_CAP_LIST    0x0010   /* a capability list exists */
#define PCI_CAP_PTR            0x34     /* u8 offset of the first capability */
#define PCI_CAP_ID             0x00     /* u8, in a capability: its ID */
#define PCI_CAP_NEXT           0x01     /* u8, in a capability: offset of the next, or 0 */
#define PCI_CAP_PTR_MASK       0xFC     /* capability pointers are dword aligned */
#define PCI_CAP_MIN_OFFSET     0x40     /* capabilities live after the standard header */
#define PCI_CAP_MAX_WALK       48       /* bound on the list walk (a loop is a broken device) */

/* MSI capability (6.8.1) */
#define MSI_CTRL               0x02     /* u16 message control */
#define MSI_CTRL_ENABLE        0x0001   /* MSI enable */
#define MSI_CTRL_MME_MASK      0x0070   /* multiple message enable (we use one message: 0) */
#define MSI_CTRL_64BIT         0x0080   /* 64-bit message address capable */
#define MSI_CTRL_PVM           0x0100   /* per-vector masking capable */
#define MSI_ADDR_LO            0x04     /* u32 message address */
#define MSI_ADDR_HI            0x08     /* u32 upper address (64-bit capable only) */
#define MSI_DATA_32            0x08     /* u16 message data, 32-bit layout */
#define MSI_DATA_64            0x0C     /* u16 message data, 64-bit layout */
#define MSI_MASK_32            0x0C     /* u32 mask bits, 32-bit layout with PVM */
#define MSI_MASK_64            0x10     /* u32 mask bits, 64-bit layout with PVM */

/* MSI-X capability (6.8.2) and table entries */
#define MSIX_CTRL              0x02     /* u16 message control */
#define MSIX_CTRL_TABLE_SIZE   0x07FF   /* table size - 1 */
#define MSIX_CTRL_FUNC_MASK    0x4000   /* function mask: all vectors masked */
#define MSIX_CTRL_ENABLE       0x8000   /* MSI-X enable */
#define MSIX_TABLE             0x04     /* u32 table offset | BIR */
#define MSIX_BIR_MASK          0x7      /* BAR indicator register */
#define MSIX_ENTRY_SIZE        16       /* bytes per table entry */
#define MSIX_ENTRY_ADDR_LO     0x0      /* u32 message address */
#define MSIX_ENTRY_ADDR_HI     0x4      /* u32 message upper address */
#define MSIX_ENTRY_DATA        0x8      /* u32 message data */
#define MSIX_ENTRY_VCTRL       0xC      /* u32 vector control */
#define MSIX_VCTRL_MASK        0x1      /* entry masked */

/* Message address and data for the local APIC (SDM 11.11.1, 11.11.2) */
#define MSI_ADDR_BASE          0xFEE00000u  /* fixed top bits of an APIC message address */
#define MSI_ADDR_DEST_SHIFT    12           /* destination APIC ID, bits 19:12 */
#define MSI_ADDR_DEST_MASK     0xFFu        /* an 8-bit xAPIC ID */

static uint8_t vectors_used[(PCI_VECTOR_LAST - PCI_VECTOR_FIRST + 1 + 7) / 8];
static struct spinlock lock = SPINLOCK_INIT;   /* vectors_used */

static uint8_t cfg_read8(const struct pci_device *d, uint8_t off)
{
    return (uint8_t)(pci_read32(d->bus, d->dev, d->fn, off) >> ((off & 3) * 8));
}

static uint16_t cfg_read16(const struct pci_device *d, uint8_t off)
{
    return pci_read16(d->bus, d->dev, d->fn, off);
}

static void cfg_write16(const struct pci_device *d, uint8_t off, uint16_t v)
{
    pci_write16(d->bus, d->dev, d->fn, off, v);
}

uint8_t pci_find_capability(const struct pci_device *d, uint8_t cap_id)
{
    if (!(cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    uint8_t off = cfg_read8(d, PCI_CAP_PTR) & PCI_CAP_PTR_MASK;
    for (unsigned n = 0; off >= PCI_CAP_MIN_OFFSET && n < PCI_CAP_MAX_WALK; n++) {
        if (cfg_read8(d, (uint8_t)(off + PCI_CAP_ID)) == cap_id)
            return off;
        off = cfg_read8(d, (uint8_t)(off + PCI_CAP_NEXT)) & PCI_CAP_PTR_MASK;
    }
    return 0;
}

void pci_enable_bus_master(const struct pci_device *d)
{
    uint16_t cmd = cfg_read16(d, PCI_COMMAND);
    cfg_write16(d, PCI_COMMAND, cmd | PCI_CMD_MEM | PCI_CMD_BUS_MASTER);
}

void pci_intx_disable(const struct pci_device *d)
{
    cfg_write16(d, PCI_COMMAND, cfg_read16(d, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
}

int pci_vector_alloc(void)
{
    uint64_t flags = spin_lock_irqsave(&lock);
    for (unsigned v = PCI_VECTOR_FIRST; v <= PCI_VECTOR_LAST; v++) {
        unsigned i = v - PCI_VECTOR_FIRST;
        if (!(vectors_used[i / 8] & (1u << (i % 8)))) {
            vectors_used[i / 8] |= (uint8_t)(1u << (i % 8));
            spin_unlock_irqrestore(&lock, flags);
            return (int)v;
        }
    }
    spin_unlock_irqrestore(&lock, flags);
    return ERR_NO_SPACE;
}

static uint32_t msg_address(void)
{
    return MSI_ADDR_BASE | (lapic_id() & MSI_ADDR_DEST_MASK) << MSI_ADDR_DEST_SHIFT;
}

int pci_msix_enable(const struct pci_device *d, uint8_t vector)
{
    uint8_t cap = pci_find_capability(d, PCI_CAP_ID_MSIX);
    if (!cap)
        return ERR_NOT_FOUND;
    uint16_t ctrl = cfg_read16(d, (uint8_t)(cap + MSIX_CTRL));
    unsigned entries = (ctrl & MSIX_CTRL_TABLE_SIZE) + 1u;
    uint32_t table = pci_read32(d->bus, d->dev, d->fn, (uint8_t)(cap + MSIX_TABLE));
    unsigned bir = table & MSIX_BIR_MASK;
    if (bir > 5 || (d->bar[bir].kind != PCI_BAR_MEM32 && d->bar[bir].kind != PCI_BAR_MEM64))
        return ERR_NOT_SUPPORTED;
    volatile uint8_t *t = paging_map_mmio(d->bar[bir].base + (table & ~MSIX_BIR_MASK),
                                          (uint64_t)entries * MSIX_ENTRY_SIZE);
    if (!t)
        return ERR_NO_MEMORY;
    /* Enable with the function masked, program and unmask entry 0, then unmask. */
    cfg_write16(d, (uint8_t)(cap + MSIX_CTRL), ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FUNC_MASK);
    for (unsigned i = 0; i < entries; i++)
        *(volatile uint32_t *)(t + i * MSIX_ENTRY_SIZE + MSIX_ENTRY_VCTRL) = MSIX_VCTRL_MASK;
    *(volatile uint32_t *)(t + MSIX_ENTRY_ADDR_LO) = msg_address();
    *(volatile uint32_t *)(t + MSIX_ENTRY_ADDR_HI) = 0;
    *(volatile uint32_t *)(t + MSIX_ENTRY_DATA) = vector;
    *(volatile uint32_t *)(t + MSIX_ENTRY_VCTRL) = 0;
    pci_intx_disable(d);
    cfg_write16(d, (uint8_t)(cap + MSIX_CTRL), (ctrl | MSIX_CTRL_ENABLE) & (uint16_t)~MSIX_CTRL_FUNC_MASK);
    return 0;
}

int pci_msi_enable(const struct pci_device *d, uint8_t vector)
{
    uint8_t cap = pci_find_capability(d, PCI_CAP_ID_MSI);
    if (!cap)
        return ERR_NOT_FOUND;
    uint16_t ctrl = cfg_read16(d, (uint8_t)(cap + MSI_CTRL));
    bool is64 = ctrl & MSI_CTRL_64BIT;
    pci_write32(d->bus, d->dev, d->fn, (uint8_t)(cap + MSI_ADDR_LO), msg_address());
    if (is64)
        pci_write32(d->bus, d->dev, d->fn, (uint8_t)(cap + MSI_ADDR_HI), 0);
    cfg_write16(d, (uint8_t)(cap + (is64 ? MSI_DATA_64 : MSI_DATA_32)), vector);
    if (ctrl & MSI_CTRL_PVM)
        pci_write32(d->bus, d->dev, d->fn, (uint8_t)(cap + (is64 ? MSI_MASK_64 : MSI_MASK_32)), 0);
    pci_intx_disable(d);
    cfg_write16(d, (uint8_t)(cap + MSI_CTRL), (ctrl & (uint16_t)~MSI_CTRL_MME_MASK) | MSI_CTRL_ENABLE);
    return 0;
}

int pci_irq_enable(const struct pci_device *d, uint8_t vector)
{
    int rc = pci_msix_enable(d, vector);
    if (rc == 0)
        return PCI_IRQ_MSIX;
    rc = pci_msi_enable(d, vector);
    return rc == 0 ? PCI_IRQ_MSI : rc;
}

const char *pci_irq_kind_name(int kind)
{
    return kind == PCI_IRQ_MSIX ? "MSI-X" : kind == PCI_IRQ_MSI ? "MSI" : "none";
}
