/* AHCI kernel glue: find the controllers on PCI (a storage boot step, INITCALL), map ABAR,
 * reset them, bring up every port with a SATA disk, IDENTIFY it and register it as a block
 * device ("ahci0", "ahci1", ...) with its dump parts (dump_ahci). Transfers build PRD lists
 * from the caller's kernel buffer page by page. Not for use at bugcheck time. */
#include <string.h>
#include "drivers/ahci/ahci.h"
#include "drivers/ahci/ahci_dump.h"
#include "block/disk.h"
#include "dump/clone/clone_abi.h"
#include "initcall.h"
#include "arch/timer.h"
#include "pci/pci.h"
#include "pci/pci_msi.h"
#include "arch/trap.h"
#include "arch/lapic.h"
#include "mm/paging.h"
#include "block/bounce.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "arch/cpu.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

#define PCI_CLASS_STORAGE 0x01
#define PCI_SUBCLASS_SATA 0x06
#define PCI_PROGIF_AHCI   0x01
#define PCI_COMMAND       0x04
#define PCI_CMD_MEM       0x0002   /* memory space decoding */
#define PCI_CMD_MASTER    0x0004   /* bus mastering (DMA) */
#define AHCI_ABAR_BAR     5
#define AHCI_MAX_DISKS    4
#define DMA_LIMIT         (1ull << 32)  /* keep command memory below 4 GiB (no S64A needed) */

struct ahci_disk {
    struct ahci_port port;
    unsigned hba;                    /* index into hbas[] */
    struct blockdev bd;
    char name[16];
    void *identify_buf;
    uint64_t identify_phys;
};

struct ahci_hba {
    volatile uint8_t *abar;
    uint64_t irqs;                   /* interrupts taken */
};

static struct ahci_disk disks[AHCI_MAX_DISKS];
static unsigned ndisks;
static struct ahci_hba hbas[AHCI_MAX_DISKS];
static unsigned nhbas;

static void idle_pause(struct ahci_port *p)
{
    (void)p;
    cpu_pause();
}

/* Sleep until an interrupt unless the command already finished; interrupts are off between
 * the check and `sti; hlt`, so a completion cannot slip in unseen. */
static void idle_irq(struct ahci_port *p)
{
    cpu_cli();
    if (!ahci_port_busy(p)) {
        cpu_sti();
        return;
    }
    cpu_idle();
}

static void ahci_irq(struct trap_frame *f)
{
    (void)f;
    for (unsigned h = 0; h < nhbas; h++) {
        uint32_t is = *(volatile uint32_t *)(hbas[h].abar + AHCI_IS);
        if (!is)
            continue;
        hbas[h].irqs++;
        for (unsigned i = 0; i < ndisks; i++)
            if (disks[i].hba == h && (is & (1u << disks[i].port.index)))
                ahci_port_ack_irq(&disks[i].port);
        *(volatile uint32_t *)(hbas[h].abar + AHCI_IS) = is;
    }
    lapic_eoi();
}

/* One MSI vector for the HBA; on failure the disks stay polled. */
static void setup_interrupt(const struct pci_device *pd, unsigned hba, unsigned first_disk)
{
    int v = pci_vector_alloc();
    if (v < 0 || trap_register((unsigned)v, ahci_irq)) {
        klog(KLOG_WARN, "ahci%u: no interrupt vector: polling", hba);
        return;
    }
    int kind = pci_irq_enable(pd, (uint8_t)v);
    if (kind < 0) {
        klog(KLOG_WARN, "ahci%u: no MSI: %s; polling", hba, err_str(kind));
        return;
    }
    for (unsigned i = first_disk; i < ndisks; i++) {
        ahci_port_enable_irq(&disks[i].port);
        disks[i].port.idle = idle_irq;
    }
    volatile uint32_t *ghc = (volatile uint32_t *)(hbas[hba].abar + AHCI_GHC);
    *ghc |= AHCI_GHC_IE;
    klog(KLOG_INFO, "ahci%u: %s vector 0x%x", hba, pci_irq_kind_name(kind), v);
}

/* Describe [buf, buf+len) as PRD entries, merging physically contiguous pages. Returns the
 * number of bytes described (may be less than len when the table is full), or an error. */
static int64_t build_prds(const void *buf, uint64_t len, struct ahci_prd *prds, unsigned *nprd)
{
    uint64_t va = (uint64_t)buf, done = 0;
    unsigned n = 0;
    while (done < len) {
        uint64_t pa;
        if (paging_virt_to_phys(va + done, &pa))
            return ERR_INVALID_ARGS;
        uint64_t chunk = PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        if (n > 0) {
            struct ahci_prd *last = &prds[n - 1];
            uint64_t last_pa = (uint64_t)last->dbau << 32 | last->dba;
            uint64_t last_len = (last->dbc_i & 0x3FFFFF) + 1;
            if (last_pa + last_len == pa && last_len + chunk <= AHCI_PRD_MAX_BYTES) {
                last->dbc_i = (uint32_t)(last_len + chunk - 1);
                done += chunk;
                continue;
            }
        }
        if (n == AHCI_PRDT_ENTRIES)
            break;
        prds[n++] = (struct ahci_prd){ (uint32_t)pa, (uint32_t)(pa >> 32), 0, (uint32_t)(chunk - 1) };
        done += chunk;
    }
    *nprd = n;
    return (int64_t)done;
}

static int ahci_bd_rw(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf, bool write)
{
    struct ahci_disk *d = bd->ctx;
    if ((uint64_t)buf & 1)           /* PRD data base addresses are word-aligned */
        return bounce_rw(bd, ahci_bd_rw, lba, count, buf, write);
    uint8_t *p = buf;
    while (count > 0) {
        uint64_t n = count < ATA_MAX_SECTORS_EXT ? count : ATA_MAX_SECTORS_EXT;
        struct ahci_prd prds[AHCI_PRDT_ENTRIES];
        unsigned nprd;
        int64_t bytes = build_prds(p, n * bd->sector_size, prds, &nprd);
        if (bytes < 0)
            return (int)bytes;
        uint64_t sectors = (uint64_t)bytes / bd->sector_size;
        if (sectors == 0)
            return ERR_INVALID_ARGS;
        if (sectors < n) {
            /* The PRD table filled up: trim the last entry to a whole number of sectors. */
            uint64_t excess = (uint64_t)bytes - sectors * bd->sector_size;
            while (excess > 0) {
                struct ahci_prd *last = &prds[nprd - 1];
                uint64_t len = (last->dbc_i & 0x3FFFFF) + 1;
                if (len > excess) {
                    last->dbc_i = (uint32_t)(len - excess - 1);
                    excess = 0;
                } else {
                    excess -= len;
                    nprd--;
                }
            }
        }
        int rc = ahci_rw_prds(&d->port, write, lba, (uint32_t)sectors, prds, nprd);
        if (rc)
            return rc;
        lba += sectors;
        count -= sectors;
        p += sectors * bd->sector_size;
    }
    return 0;
}

static int ahci_bd_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    return ahci_bd_rw(bd, lba, count, buf, false);
}

static int ahci_bd_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    return ahci_bd_rw(bd, lba, count, (void *)buf, true);
}

static int ahci_bd_flush(struct blockdev *bd)
{
    return ahci_flush(&((struct ahci_disk *)bd->ctx)->port);
}

/* Command list (1 KiB) + received FIS (256 B) + identify buffer (512 B) in one page, the
 * command table in a second. */
static int port_memory(struct ahci_disk *d)
{
    uint64_t phys;
    int rc = pfn_alloc_contig(2, 1, DMA_LIMIT, PFN_DMA, &phys);
    if (rc)
        return rc;
    uint8_t *v = phys_to_virt(phys);
    d->port.cmd_list = (struct ahci_cmd_header *)v;
    d->port.cmd_list_phys = phys;
    d->port.rfis = (struct ahci_recv_fis *)(v + 1024);
    d->port.rfis_phys = phys + 1024;
    d->identify_buf = v + 2048;
    d->identify_phys = phys + 2048;
    d->port.table = (struct ahci_cmd_table *)(v + PAGE_SIZE);
    d->port.table_phys = phys + PAGE_SIZE;
    return 0;
}

static const struct disk_dump ahci_disk_dump;

static void probe_port(volatile uint8_t *abar, unsigned port, const struct pci_device *pd, unsigned hba)
{
    volatile uint8_t *regs = abar + AHCI_PORT_BASE(port);
    if (!ahci_port_link_up(regs))
        return;
    if (ndisks == AHCI_MAX_DISKS) {
        klog(KLOG_WARN, "ahci%u: port %u: more than %d disks, ignored", hba, port, AHCI_MAX_DISKS);
        return;
    }
    struct ahci_disk *d = &disks[ndisks];
    memset(d, 0, sizeof *d);
    d->port.regs = regs;
    d->port.index = port;
    d->port.idle = idle_pause;
    d->port.now_ns = timer_ns;
    d->hba = hba;
    int rc = port_memory(d);
    if (rc) {
        klog(KLOG_ERR, "ahci%u: port %u: no command memory: %s", hba, port, err_str(rc));
        return;
    }
    rc = ahci_port_start(&d->port);
    if (!rc && ahci_port_signature(regs) != AHCI_SIG_ATA) {
        klog(KLOG_INFO, "ahci%u: port %u: %s, not a disk: skipped", hba, port,
             ahci_port_signature(regs) == AHCI_SIG_ATAPI ? "ATAPI device" : "unknown device");
        ahci_port_stop(&d->port);
        pfn_free(d->port.cmd_list_phys, 2);
        return;
    }
    if (!rc)
        rc = ahci_identify(&d->port, d->identify_buf, d->identify_phys);
    if (rc) {
        klog(KLOG_ERR, "ahci%u: port %u: disk not usable: %s", hba, port, err_str(rc));
        ahci_port_stop(&d->port);
        pfn_free(d->port.cmd_list_phys, 2);
        return;
    }
    fmt_snprintf(d->name, sizeof d->name, "ahci%u", ndisks);
    d->bd = (struct blockdev){
        .name = d->name, .sector_size = d->port.sector_size, .sectors = d->port.sectors, .ctx = d,
        .read = ahci_bd_read, .write = ahci_bd_write, .flush = ahci_bd_flush,
    };
    char where[48];
    fmt_snprintf(where, sizeof where, "ahci%u port %u (%04x:%04x)", hba, port, pd->vendor_id, pd->device_id);
    if (disk_register(&d->bd, d->port.model, where, &ahci_disk_dump) >= 0)
        ndisks++;
}

/* Probe PCI for AHCI controllers (class 01/06/01) and register each SATA disk found as
 * "ahciN". Returns the number of disks registered, or ERR_NO_MEMORY. */
static int ahci_probe(void)
{
    unsigned hba = 0;
    const struct pci_device *pd;
    for (unsigned i = 0; (pd = pci_device_at(i)); i++) {
        if (pd->class_code != PCI_CLASS_STORAGE || pd->subclass != PCI_SUBCLASS_SATA ||
            pd->prog_if != PCI_PROGIF_AHCI)
            continue;
        const struct pci_bar *bar = &pd->bar[AHCI_ABAR_BAR];
        if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) {
            klog(KLOG_ERR, "ahci%u: no ABAR", hba);
            continue;
        }
        uint16_t cmd = pci_read16(pd->bus, pd->dev, pd->fn, PCI_COMMAND);
        pci_write16(pd->bus, pd->dev, pd->fn, PCI_COMMAND, cmd | PCI_CMD_MEM | PCI_CMD_MASTER);
        if (nhbas == AHCI_MAX_DISKS)
            break;
        volatile uint8_t *abar = paging_map_mmio(bar->base, AHCI_ABAR_SIZE);
        if (!abar)
            return ERR_NO_MEMORY;
        int rc = ahci_hba_reset(abar, timer_ns);
        if (rc) {
            klog(KLOG_ERR, "ahci%u: HBA reset failed: %s", hba, err_str(rc));
            continue;
        }
        uint32_t cap = *(volatile uint32_t *)(abar + AHCI_CAP);
        uint32_t pi = *(volatile uint32_t *)(abar + AHCI_PI);
        uint32_t vs = *(volatile uint32_t *)(abar + AHCI_VS);
        klog(KLOG_INFO, "ahci%u: AHCI %x.%x, %u ports (implemented 0x%x), %u slots", hba, vs >> 16,
             (vs >> 8) & 0xFF, (cap & AHCI_CAP_NP_MASK) + 1, pi, ((cap >> AHCI_CAP_NCS_SHIFT) & 0x1F) + 1);
        hbas[nhbas++].abar = abar;
        unsigned first_disk = ndisks;
        for (unsigned port = 0; port < 32; port++)
            if (pi & (1u << port))
                probe_port(abar, port, pd, hba);
        if (ndisks > first_disk)
            setup_interrupt(pd, hba, first_disk);
        hba++;
    }
    return (int)ndisks;
}

static struct ahci_disk *disk_of(const struct blockdev *bd)
{
    for (unsigned i = 0; i < ndisks; i++)
        if (&disks[i].bd == bd)
            return &disks[i];
    return NULL;
}

/* The dump parts (struct disk_dump). params: ABAR mapping, port, geometry, largest
 * transfer, write span. */
static int dump_params(const struct blockdev *bd, struct clone_params *prm)
{
    struct ahci_disk *d = disk_of(bd);
    if (!d)
        return ERR_NOT_FOUND;
    prm->regs_virt = (uint64_t)hbas[d->hba].abar;
    prm->unit = d->port.index;
    prm->sector_size = d->port.sector_size;
    prm->disk_sectors = d->port.sectors;
    prm->max_transfer = AHCI_PRDT_ENTRIES * AHCI_PRD_MAX_BYTES;
    prm->write_span = AHCI_DUMP_WRITE_SPAN;
    return 0;
}

/* Hand the port back to the live driver after dump_ahci used it at boot (self-test):
 * restart it on the live command memory and re-enable its interrupts. */
static int dump_release(const struct blockdev *bd)
{
    struct ahci_disk *d = disk_of(bd);
    if (!d)
        return ERR_NOT_FOUND;
    int rc = ahci_port_start(&d->port);
    if (rc)
        return rc;
    if (d->port.idle == idle_irq) {
        ahci_port_enable_irq(&d->port);
        *(volatile uint32_t *)(hbas[d->hba].abar + AHCI_GHC) |= AHCI_GHC_IE;
    }
    return 0;
}

/* One READ DMA EXT of up to `count` sectors, left in flight (`crash io`). */
static int dump_start_read(const struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct ahci_disk *d = disk_of(bd);
    if (!d)
        return ERR_NOT_FOUND;
    struct ahci_prd prds[AHCI_PRDT_ENTRIES];
    unsigned nprd;
    int64_t bytes = build_prds(buf, (uint64_t)count * bd->sector_size, prds, &nprd);
    if (bytes < 0)
        return (int)bytes;
    return ahci_rw_start(&d->port, false, lba, (uint32_t)((uint64_t)bytes / bd->sector_size), prds, nprd);
}

static const struct disk_dump ahci_disk_dump = {
    .name = "dump_ahci",
    .image = ahci_clone_image,
    .image_end = ahci_clone_image_end,
    .state_bytes = AHCI_DUMP_STATE_BYTES,
    .params = dump_params,
    .release = dump_release,
    .start_read = dump_start_read,
};

INITCALL(INIT_STORAGE, 10, ahci_probe);
