/* NVMe kernel glue: PCI probe (a storage boot step, INITCALL), BAR0 mapping, DMA pages, the
 * MSI-X handler and the interrupt-driven wait, one struct blockdev per namespace registered
 * with its dump parts (disk_register), and the boot-time creation of dump_nvme's own queue
 * pair on its state pages. Not for use at bugcheck time: the dump path gets its own polled
 * instance, dump_nvme. Hardware work is in nvme.c; log lines read "nvme0: ...". */
#include <stdbool.h>
#include <string.h>
#include "drivers/nvme/nvme.h"
#include "drivers/nvme/nvme_dump.h"
#include "pci/pci.h"
#include "pci/pci_msi.h"
#include "mm/pfn.h"
#include "block/bounce.h"
#include "mm/paging.h"
#include "mm/layout.h"
#include "arch/trap.h"
#include "arch/lapic.h"
#include "arch/timer.h"
#include "arch/cpu.h"
#include "block/disk.h"
#include "dump/clone/clone_abi.h"
#include "initcall.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

#define PCI_CLASS_STORAGE   0x01
#define PCI_SUBCLASS_NVM    0x08
#define PCI_PROGIF_NVME     0x02
#define NVME_MAX_CTRL       2
#define NVME_MAX_NS         4      /* namespaces registered per controller */
#define NVME_IO_QID         1      /* the live driver's I/O queue pair */
#define NVME_IO_PAIRS       2      /* asked for: the live pair and the clone's */
#define HUGE_PAGE_SIZE      (2ull << 20)

/* DMA pages of one controller, in this order. */
enum { DMA_ASQ, DMA_ACQ, DMA_IOSQ, DMA_IOCQ, DMA_PRP_LIST, DMA_SCRATCH, DMA_PAGES };

struct nvme_disk {
    struct blockdev bd;            /* what the disk list holds [I] */
    struct nvme_dev *dev;          /* [I] */
    uint32_t nsid;                 /* [I] */
    uint32_t lba_shift;            /* [I] log2 of the block size */
    char name[16];                 /* "nvme0n1" [I] */
};

struct nvme_dev {
    struct nvme_ctrl hw;           /* hardware state (admin queue inside) */
    struct nvme_queue io;          /* the I/O pair every disk of this controller uses */
    const struct pci_device *pci;  /* [I] */
    char name[8];                  /* "nvme0" [I] */
    char where[48];                /* controller line for the disk list [I] */
    uint8_t vector;                /* [I] interrupt vector, 0 = polled */
    volatile uint64_t interrupts;  /* interrupts taken (handler only) */
    uint16_t pairs;                /* I/O queue pairs the controller granted [I] */
    uint64_t dump_state_phys;      /* state pages the dump queue pair was created on, 0 = none */
    struct nvme_disk disks[NVME_MAX_NS];
};

static struct nvme_dev devs[NVME_MAX_CTRL];
static unsigned ndevs;

/* Through the page tables: the direct map (2 MiB pages), the kernel image and its stack.
 * PTE_HUGE on a 4 KiB entry would be PAT, which the kernel never sets. */
static uint64_t env_virt_to_phys(const void *v)
{
    const uint64_t *pte = paging_lookup((uint64_t)v);
    if (!pte || !(*pte & PTE_PRESENT))
        return UINT64_MAX;
    if (*pte & PTE_HUGE)
        return (*pte & PTE_ADDR_MASK & ~(HUGE_PAGE_SIZE - 1)) | ((uint64_t)v & (HUGE_PAGE_SIZE - 1));
    return (*pte & PTE_ADDR_MASK) | ((uint64_t)v & (PAGE_SIZE - 1));
}

/* Halt until the next interrupt unless the completion is already there. Checked with
 * interrupts off so that an interrupt between the check and hlt still wakes us (sti takes
 * effect after the hlt has started). */
static void env_idle_irq(struct nvme_queue *q)
{
    if (!(read_rflags() & RFLAGS_IF)) {
        cpu_pause();
        return;
    }
    cpu_cli();
    if (nvme_cq_ready(q))
        cpu_sti();
    else
        cpu_idle();
}

static void env_idle_poll(struct nvme_queue *q)
{
    (void)q;
    cpu_pause();
}

static const struct nvme_env env_irq = { timer_ns, env_idle_irq, env_virt_to_phys };
static const struct nvme_env env_poll = { timer_ns, env_idle_poll, env_virt_to_phys };

/* Mark which queues have a completion waiting (the waiter re-checks the phase tag itself
 * after every wake-up, so a lost or shared interrupt only costs a timer tick). */
static void nvme_irq(struct trap_frame *f)
{
    for (unsigned i = 0; i < ndevs; i++) {
        struct nvme_dev *d = &devs[i];
        if (d->vector != f->vector)
            continue;
        d->interrupts++;
        if (nvme_cq_ready(&d->hw.admin))
            d->hw.admin.irq_seen++;
        if (d->io.depth && nvme_cq_ready(&d->io))
            d->io.irq_seen++;
    }
    lapic_eoi();
}

static int bd_rw(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf, bool write)
{
    struct nvme_disk *k = bd->ctx;
    if ((uintptr_t)buf & 3)          /* data pointers are dword-aligned (NVMe 1.4, 4.3) */
        return bounce_rw(bd, bd_rw, lba, count, buf, write);
    return nvme_rw(&k->dev->hw, &k->dev->io, k->nsid, k->lba_shift, write, lba, count, buf);
}

static int bd_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    return bd_rw(bd, lba, count, buf, false);
}

static int bd_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    return bd_rw(bd, lba, count, (void *)buf, true);
}

static int bd_flush(struct blockdev *bd)
{
    struct nvme_disk *k = bd->ctx;
    return nvme_flush(&k->dev->hw, &k->dev->io, k->nsid);
}

/* Interrupt vector for d: MSI-X, else MSI; 0 (polled) when neither works. */
static uint8_t setup_interrupt(struct nvme_dev *d)
{
    int v = pci_vector_alloc();
    if (v < 0 || trap_register((unsigned)v, nvme_irq)) {
        klog(KLOG_WARN, "%s: no interrupt vector, polling", d->name);
        return 0;
    }
    d->vector = (uint8_t)v;
    int kind = pci_irq_enable(d->pci, (uint8_t)v);
    if (kind < 0) {
        klog(KLOG_WARN, "%s: no MSI-X or MSI (%s), polling", d->name, err_str(kind));
        d->vector = 0;
        return 0;
    }
    klog(KLOG_INFO, "%s: %s vector 0x%x to APIC %u", d->name, pci_irq_kind_name(kind), v,
         lapic_id());
    return (uint8_t)v;
}

static const struct disk_dump nvme_disk_dump;

static int register_namespaces(struct nvme_dev *d)
{
    uint32_t ids[NVME_MAX_NS];
    int n = nvme_active_namespaces(&d->hw, ids, NVME_MAX_NS);
    if (n < 0)
        return n;
    int registered = 0;
    for (int i = 0; i < n; i++) {
        struct nvme_ns_info info;
        if (nvme_identify_ns(&d->hw, ids[i], &info) || info.blocks == 0)
            continue;
        struct nvme_disk *k = &d->disks[registered];
        k->dev = d;
        k->nsid = ids[i];
        k->lba_shift = info.lba_shift;
        fmt_snprintf(k->name, sizeof k->name, "%sn%u", d->name, ids[i]);
        k->bd = (struct blockdev){
            .name = k->name, .sector_size = 1u << info.lba_shift, .sectors = info.blocks,
            .ctx = k, .read = bd_read, .write = bd_write, .flush = bd_flush,
        };
        if (disk_register(&k->bd, d->hw.model, d->where, &nvme_disk_dump) < 0)
            break;
        registered++;
    }
    return registered;
}

static int start(struct nvme_dev *d)
{
    const struct pci_bar *bar = &d->pci->bar[0];
    if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || bar->size < NVME_BAR0_MIN) {
        klog(KLOG_ERR, "%s: BAR0 is not a register window", d->name);
        return ERR_NOT_SUPPORTED;
    }
    pci_enable_bus_master(d->pci);
    d->hw.regs = paging_map_mmio(bar->base, bar->size);
    if (!d->hw.regs)
        return ERR_NO_MEMORY;
    /* On a later failure these pages stay allocated: the controller may still point at them. */
    uint64_t dma;
    int rc = pfn_alloc_contig(DMA_PAGES, 1, UINT64_MAX, PFN_DMA, &dma);
    if (rc)
        return rc;
    bool irq = setup_interrupt(d) != 0;
    d->hw.env = irq ? &env_irq : &env_poll;
    uint64_t t0 = timer_ns();
    rc = nvme_ctrl_start(&d->hw, dma + DMA_ASQ * PAGE_SIZE, dma + DMA_ACQ * PAGE_SIZE,
                         dma + DMA_SCRATCH * PAGE_SIZE);
    if (rc)
        return rc;
    klog(KLOG_INFO, "%s: NVMe %u.%u, \"%s\" serial %s firmware %s, %u namespaces, max transfer %u KiB",
         d->name, NVME_VS_MJR(d->hw.vs), NVME_VS_MNR(d->hw.vs), d->hw.model, d->hw.serial,
         d->hw.firmware, d->hw.nn, d->hw.max_xfer >> 10);
    uint16_t pairs = 0;
    rc = nvme_request_queues(&d->hw, NVME_IO_PAIRS, &pairs);
    d->pairs = pairs;
    if (rc)
        return rc;
    uint16_t depth = NVME_IO_DEPTH;
    if (depth > NVME_CAP_MQES(d->hw.cap) + 1)
        depth = (uint16_t)(NVME_CAP_MQES(d->hw.cap) + 1);
    nvme_queue_init(&d->hw, &d->io, NVME_IO_QID, depth, dma + DMA_IOSQ * PAGE_SIZE,
                    dma + DMA_IOCQ * PAGE_SIZE, dma + DMA_PRP_LIST * PAGE_SIZE);
    rc = nvme_io_queue_create(&d->hw, &d->io, irq);
    if (rc) {
        d->io.depth = 0;
        return rc;
    }
    klog(KLOG_INFO, "%s: ready in %lu us, %u I/O queue pairs allocated, %lu interrupts so far",
         d->name, (unsigned long)((timer_ns() - t0) / 1000u), pairs,
         (unsigned long)d->interrupts);
    return register_namespaces(d);
}

/* Probe every PCI function of class 01/08/02 (after PCI enumeration, with interrupts
 * enabled). Returns the number of disks registered; failures are logged and skip that
 * controller. */
static int nvme_probe(void)
{
    int disks = 0;
    const struct pci_device *p;
    for (unsigned i = 0; (p = pci_device_at(i)) && ndevs < NVME_MAX_CTRL; i++) {
        if (p->class_code != PCI_CLASS_STORAGE || p->subclass != PCI_SUBCLASS_NVM ||
            p->prog_if != PCI_PROGIF_NVME)
            continue;
        struct nvme_dev *d = &devs[ndevs];
        memset(d, 0, sizeof *d);
        d->pci = p;
        fmt_snprintf(d->name, sizeof d->name, "nvme%u", ndevs);
        fmt_snprintf(d->where, sizeof d->where, "%s %02x:%02x.%x (%04x:%04x)", d->name, p->bus,
                     p->dev, p->fn, p->vendor_id, p->device_id);
        d->hw.name = d->name;
        ndevs++;
        int rc = start(d);
        if (rc < 0)
            klog(KLOG_ERR, "%s: not started: %s", d->name, err_str(rc));
        else
            disks += rc;
    }
    return disks;
}

static struct nvme_disk *disk_of(const struct blockdev *bd)
{
    for (unsigned i = 0; i < ndevs; i++)
        for (unsigned j = 0; j < NVME_MAX_NS; j++)
            if (&devs[i].disks[j].bd == bd)
                return &devs[i].disks[j];
    return NULL;
}

/* The dump parts (struct disk_dump). params: BAR0 mapping, namespace ID, geometry, the dump
 * queue's ID and depth, doorbell stride, largest transfer; ERR_NOT_SUPPORTED when the
 * controller gave no second I/O queue pair. */
static int dump_params(const struct blockdev *bd, struct clone_params *prm)
{
    struct nvme_disk *k = disk_of(bd);
    if (!k)
        return ERR_NOT_FOUND;
    struct nvme_dev *d = k->dev;
    if (d->pairs < NVME_DUMP_QID || !d->io.depth)
        return ERR_NOT_SUPPORTED;
    uint32_t depth = NVME_DUMP_DEPTH;
    if (depth > NVME_CAP_MQES(d->hw.cap) + 1)
        depth = NVME_CAP_MQES(d->hw.cap) + 1;
    prm->regs_virt = (uint64_t)d->hw.regs;
    prm->unit = k->nsid;
    prm->sector_size = k->bd.sector_size;
    prm->disk_sectors = k->bd.sectors;
    prm->queue_id = NVME_DUMP_QID;
    prm->queue_depth = depth;
    prm->doorbell_stride = 4u << NVME_CAP_DSTRD(d->hw.cap);
    prm->max_transfer = d->hw.max_xfer;
    prm->write_span = NVME_DUMP_INFLIGHT * d->hw.max_xfer;
    return 0;
}

/* Create the dump's own I/O queue pair (prm->queue_id, no interrupts) on the loaded clone's
 * state pages (prm->state_phys, layout in nvme_dump.h), through the live admin queue, and set
 * up its struct nvme_queue there. From then on the pair belongs to dump_nvme; the live
 * driver never submits on it. Once per controller: a second call with the same pages
 * returns 0, with other pages ERR_BUSY. */
static int dump_attach(const struct blockdev *bd, const struct clone_params *prm)
{
    struct nvme_disk *k = disk_of(bd);
    if (!k)
        return ERR_NOT_FOUND;
    struct nvme_dev *d = k->dev;
    if (d->dump_state_phys)
        return d->dump_state_phys == prm->state_phys ? 0 : ERR_BUSY;
    if (prm->state_size < NVME_DUMP_STATE_BYTES || prm->queue_id != NVME_DUMP_QID)
        return ERR_INVALID_ARGS;
    uint64_t base = prm->state_phys;
    struct nvme_queue *q = phys_to_virt(base + NVME_DUMP_QUEUE_OFF);
    nvme_queue_init(&d->hw, q, (uint16_t)prm->queue_id, (uint16_t)prm->queue_depth,
                    base + NVME_DUMP_PAGE_SQ * NVME_DUMP_PAGE, base + NVME_DUMP_PAGE_CQ * NVME_DUMP_PAGE,
                    base + NVME_DUMP_PAGE_PRP * NVME_DUMP_PAGE);
    int rc = nvme_io_queue_create(&d->hw, q, false);
    if (rc) {
        klog(KLOG_ERR, "%s: dump queue pair %u not created: %s", d->name, prm->queue_id, err_str(rc));
        return rc;
    }
    d->dump_state_phys = base;
    klog(KLOG_INFO, "%s: queue pair %u (depth %u, no interrupts) created for dump_nvme on its pages at 0x%lx",
         d->name, prm->queue_id, prm->queue_depth, (unsigned long)base);
    return 0;
}

/* One read command of up to `count` blocks, left in flight (`crash io`). */
static int dump_start_read(const struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct nvme_disk *k = disk_of(bd);
    if (!k)
        return ERR_NOT_FOUND;
    uint64_t per_cmd = k->dev->hw.max_xfer >> k->lba_shift;
    int rc = nvme_rw_queue(&k->dev->hw, &k->dev->io, k->nsid, k->lba_shift, false, lba,
                           count < per_cmd ? count : per_cmd, buf, NULL, 0);
    if (rc < 0)
        return rc;
    nvme_sq_ring(&k->dev->io);
    return 0;
}

static const struct disk_dump nvme_disk_dump = {
    .name = "dump_nvme",
    .image = nvme_clone_image,
    .image_end = nvme_clone_image_end,
    .state_bytes = NVME_DUMP_STATE_BYTES,
    .params = dump_params,
    .attach = dump_attach,
    .start_read = dump_start_read,
};

INITCALL(INIT_STORAGE, 20, nvme_probe);
