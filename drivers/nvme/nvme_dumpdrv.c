/* dump_nvme: the polled crash-dump entry points of the NVMe driver. Linked with nvme.c (the
 * same hardware ops as the live driver) and the dump-driver run-time into a standalone
 * image (tools/mkdrvblob); never part of the kernel. It drives only its own I/O queue pair,
 * created at boot by the live glue on the state pages (layout: nvme_dump.h), polled. */
#include <string.h>
#include "drivers/nvme/nvme_dump.h"
#include "dump/drv/drv_rt.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "mm/layout.h"
#include "klog.h"
#include "err.h"

_Static_assert(NVME_DUMP_QUEUE_OFF >= DRV_LOG_SIZE, "dump queue struct after the message buffer");

static uint8_t *state(void)
{
    return (uint8_t *)(uintptr_t)dump_drv_params.state_virt;
}

static struct nvme_queue *queue(void)
{
    return (struct nvme_queue *)(state() + NVME_DUMP_QUEUE_OFF);
}

static struct nvme_ctrl *ctrl(void)
{
    return (struct nvme_ctrl *)(state() + NVME_DUMP_CTRL_OFF);
}

static void idle_spin(struct nvme_queue *q)
{
    (void)q;
    cpu_pause();
}

/* Everything the dump moves is in RAM, which the direct map covers. */
static uint64_t direct_virt_to_phys(const void *v)
{
    return (uint64_t)v >= DIRECT_MAP_BASE ? virt_to_phys_direct(v) : UINT64_MAX;
}

static const struct nvme_env env = { timer_ns, idle_spin, direct_virt_to_phys };

static uint32_t rd_csts(const struct nvme_ctrl *c)
{
    return *(volatile uint32_t *)(c->regs + NVME_REG_CSTS);
}

static uint32_t log2_u32(uint32_t v)
{
    uint32_t s = 0;
    while ((1u << s) < v)
        s++;
    return s;
}

static void init_queue(struct nvme_ctrl *c, struct nvme_queue *q)
{
    const volatile struct dump_drv_params *prm = &dump_drv_params;
    uint64_t base = prm->state_phys;
    nvme_queue_init(c, q, (uint16_t)prm->queue_id, (uint16_t)prm->queue_depth,
                    base + NVME_DUMP_PAGE_SQ * NVME_DUMP_PAGE, base + NVME_DUMP_PAGE_CQ * NVME_DUMP_PAGE,
                    base + NVME_DUMP_PAGE_PRP * NVME_DUMP_PAGE);
}

/* The controller is not usable as the live driver left it (fatal status, or disabled):
 * reset it onto an admin queue of our own and create our I/O queue pair again, polled.
 * Only ever at bugcheck time: the live driver's queues do not survive this. */
static int reset_onto_own_queues(struct nvme_ctrl *c)
{
    const volatile struct dump_drv_params *prm = &dump_drv_params;
    uint64_t base = prm->state_phys;
    klog(KLOG_WARN, "dump_nvme: resetting the controller onto the dump's own queues");
    int rc = nvme_ctrl_start(c, base + NVME_DUMP_PAGE_ASQ * NVME_DUMP_PAGE,
                             base + NVME_DUMP_PAGE_ACQ * NVME_DUMP_PAGE,
                             base + NVME_DUMP_PAGE_SCRATCH * NVME_DUMP_PAGE);
    uint16_t granted = 0;
    if (!rc)
        rc = nvme_request_queues(c, (uint16_t)prm->queue_id, &granted);
    if (!rc && granted < prm->queue_id)
        rc = ERR_NOT_SUPPORTED;
    if (rc)
        return rc;
    if (c->max_xfer > prm->max_transfer)
        c->max_xfer = prm->max_transfer;
    c->vwc = true;
    struct nvme_queue *q = queue();
    memset((void *)(uintptr_t)(prm->state_virt + NVME_DUMP_PAGE_CQ * NVME_DUMP_PAGE), 0, NVME_DUMP_PAGE);
    init_queue(c, q);
    return nvme_io_queue_create(c, q, false);
}

/* The controller may be mid-I/O on the live queue with interrupts pending: none of that is
 * ours. Check that it is still enabled and sane (CSTS), then take up our queue pair where
 * the last call left it: the ring positions live in the state pages, everything else is
 * derived again from the read-only parameters. A controller in fatal status or disabled is
 * reset onto queues of our own. */
__attribute__((used)) int dump_drv_init(void)
{
    const volatile struct dump_drv_params *prm = &dump_drv_params;
    if (prm->state_size < NVME_DUMP_STATE_BYTES || !prm->regs_virt || !prm->unit ||
        prm->queue_id != NVME_DUMP_QID || prm->queue_depth < 2 ||
        prm->queue_depth > NVME_DUMP_DEPTH || prm->max_transfer < prm->sector_size ||
        prm->sector_size < 512 || prm->sector_size > 4096 ||
        (prm->sector_size & (prm->sector_size - 1)))
        return ERR_INVALID_ARGS;
    struct nvme_ctrl *c = ctrl();
    memset(c, 0, sizeof *c);
    c->name = "dump_nvme";
    c->regs = (volatile uint8_t *)(uintptr_t)prm->regs_virt;
    c->env = &env;
    c->max_xfer = prm->max_transfer;
    c->vwc = true;              /* FLUSH completes as a no-op on a controller without a cache */
    int rc = nvme_ctrl_attach(c);
    if (rc == ERR_IO && rd_csts(c) == 0xFFFFFFFFu)
        return rc;                       /* gone from the bus: nothing to reset */
    if ((4u << NVME_CAP_DSTRD(c->cap)) != prm->doorbell_stride) {
        klog(KLOG_ERR, "dump_nvme: doorbell stride changed since boot (CAP 0x%lx)", (unsigned long)c->cap);
        return ERR_BAD_STATE;
    }
    if (rc)
        return reset_onto_own_queues(c);
    struct nvme_queue *q = queue(), saved = *q;
    if (saved.qid != prm->queue_id || saved.depth != prm->queue_depth || saved.sq_tail >= saved.depth ||
        saved.sq_head >= saved.depth || saved.cq_head >= saved.depth || saved.phase > 1) {
        klog(KLOG_ERR, "dump_nvme: queue %u state damaged (qid %u depth %u)", prm->queue_id,
             saved.qid, saved.depth);
        return ERR_CORRUPT;
    }
    init_queue(c, q);
    q->sq_tail = saved.sq_tail;
    q->sq_head = saved.sq_head;
    q->cq_head = saved.cq_head;
    q->phase = saved.phase;
    q->next_cid = saved.next_cid;
    return 0;
}

/* `sectors` sectors between the disk and physical memory at `phys`, straight from memory:
 * nvme_rw splits at the controller's max transfer and builds PRP lists in our PRP page. */
static int transfer(bool write, uint64_t lba, uint64_t phys, uint64_t sectors)
{
    const volatile struct dump_drv_params *prm = &dump_drv_params;
    struct nvme_ctrl *c = ctrl();
    if (!c->regs)
        return ERR_BAD_STATE;
    return nvme_rw(c, queue(), prm->unit, log2_u32(prm->sector_size), write, lba, sectors,
                   phys_to_virt(phys));
}

__attribute__((used)) int dump_drv_write(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    int rc = drv_check_write(lba, sectors);
    return rc ? rc : transfer(true, lba, phys, sectors);
}

__attribute__((used)) int dump_drv_read(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    uint64_t n = dump_drv_params.disk_sectors;
    if (sectors == 0 || lba >= n || sectors > n - lba)
        return ERR_RANGE;
    return transfer(false, lba, phys, sectors);
}

__attribute__((used)) int dump_drv_flush(void)
{
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    return nvme_flush(ctrl(), queue(), dump_drv_params.unit);
}
