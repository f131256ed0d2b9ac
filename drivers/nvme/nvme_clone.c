/* dump_nvme: the polled crash-dump entry points of the NVMe driver. Linked with nvme.c (the
 * same hardware ops as the live driver) and the clone run-time into a standalone
 * image (tools/mkclone); never part of the kernel. It drives only its own I/O queue pair,
 * created at boot by the live glue on the state pages (layout: nvme_dump.h), polled. Writes
 * are left in flight, up to NVME_DUMP_INFLIGHT commands, so that the disk works while the
 * dump writer checksums the next range; a FLUSH rides along every FLUSH_EVERY bytes, so
 * that a write-back cache drains during the dump rather than all at its end. */
#include <string.h>
#include "drivers/nvme/nvme_dump.h"
#include "dump/clone/clone_rt.h"
#include "arch/cpu.h"
#include "mm/layout.h"
#include "klog.h"
#include "err.h"

#define FLUSH_EVERY (128u << 20)   /* bytes written between the FLUSHes queued along the way */

_Static_assert(NVME_DUMP_QUEUE_OFF >= CLONE_LOG_SIZE, "dump queue struct after the message buffer");

static uint8_t *state(void)
{
    return (uint8_t *)(uintptr_t)clone_params.state_virt;
}

static struct nvme_queue *queue(void)
{
    return (struct nvme_queue *)(state() + NVME_DUMP_QUEUE_OFF);
}

static struct nvme_ctrl *ctrl(void)
{
    return (struct nvme_ctrl *)(state() + NVME_DUMP_CTRL_OFF);
}

static struct nvme_dump_batch *batch(void)
{
    return (struct nvme_dump_batch *)(state() + NVME_DUMP_BATCH_OFF);
}

static void idle_spin(struct nvme_queue *q)
{
    (void)q;
    clone_idle();
}

/* Everything the dump moves is in RAM, which the direct map covers. */
static uint64_t direct_virt_to_phys(const void *v)
{
    return (uint64_t)v >= DIRECT_MAP_BASE ? virt_to_phys_direct(v) : UINT64_MAX;
}

static const struct nvme_env env = { clone_now_ns, idle_spin, direct_virt_to_phys };

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
    const volatile struct clone_params *prm = &clone_params;
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
    const volatile struct clone_params *prm = &clone_params;
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
__attribute__((used)) int clone_init(void)
{
    const volatile struct clone_params *prm = &clone_params;
    if (prm->state_size < NVME_DUMP_STATE_BYTES || !prm->regs_virt || !prm->unit ||
        prm->queue_id != NVME_DUMP_QID || prm->queue_depth < 4 ||
        prm->queue_depth > NVME_DUMP_DEPTH || prm->max_transfer < prm->sector_size ||
        prm->sector_size < 512 || prm->sector_size > 4096 ||
        (prm->sector_size & (prm->sector_size - 1)))
        return ERR_INVALID_ARGS;
    struct nvme_ctrl *c = ctrl();
    memset(c, 0, sizeof *c);
    memset(batch(), 0, sizeof *batch());
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

/* The batch's command identifiers as nvme_wait takes them: the writes, then the FLUSH in
 * flight if any (bit b->count of b->done). Returns how many. */
static unsigned batch_cids(const struct nvme_dump_batch *b, uint16_t *cids)
{
    memcpy(cids, b->cids, b->count * sizeof cids[0]);
    if (!b->flush_pending)
        return b->count;
    cids[b->count] = b->flush_cid;
    return b->count + 1;
}

/* Start what is queued, then wait for the writes in flight, and for the FLUSH in flight too
 * if `with_flush` (else it is only noted if it completes meanwhile). The first failure is the
 * result. */
static int finish_batch(bool with_flush)
{
    struct nvme_dump_batch *b = batch();
    uint16_t cids[NVME_DUMP_INFLIGHT + 1];
    unsigned n = batch_cids(b, cids);
    uint64_t need = ((1ull << b->count) - 1) | (b->flush_pending && with_flush ? 1ull << b->count : 0);
    if (!n)
        return 0;
    nvme_sq_ring(queue());
    int rc = nvme_wait(ctrl(), queue(), cids, n, need, &b->done, NULL);
    if (b->flush_pending && (b->done >> b->count & 1)) {
        b->flush_pending = 0;
        b->flush_final = 0;
    }
    b->count = 0;
    b->done = 0;
    return rc;
}

/* No room for one more write beside a FLUSH in flight and a new FLUSH after it. */
static bool batch_full(void)
{
    const struct nvme_dump_batch *b = batch();
    return b->count >= NVME_DUMP_INFLIGHT || b->count + 3u >= queue()->depth;
}

/* `sectors` sectors from physical memory at `phys` to the disk, straight from memory, in
 * commands of at most the controller's max transfer, each with its own PRP list page. The
 * previous call's writes are waited for first; this call's are left in flight. */
static int write_batch(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    const volatile struct clone_params *prm = &clone_params;
    struct nvme_ctrl *c = ctrl();
    struct nvme_dump_batch *b = batch();
    uint32_t shift = log2_u32(prm->sector_size);
    uint64_t per_cmd = c->max_xfer >> shift;
    int rc = finish_batch(false);
    while (!rc && sectors) {
        if (batch_full() && (rc = finish_batch(false)) != 0)
            break;
        uint64_t n = sectors < per_cmd ? sectors : per_cmd;
        uint64_t list_off = (NVME_DUMP_PAGE_BATCH_PRP + b->count) * NVME_DUMP_PAGE;
        int cid = nvme_rw_queue(c, queue(), prm->unit, shift, true, lba, n, phys_to_virt(phys),
                                (uint64_t *)(uintptr_t)(prm->state_virt + list_off),
                                prm->state_phys + list_off);
        if (cid < 0) {
            rc = cid;
            break;
        }
        b->cids[b->count++] = (uint16_t)cid;
        b->since_flush += (uint32_t)(n << shift);
        if (b->since_flush >= FLUSH_EVERY && !b->flush_pending) {
            if ((cid = nvme_flush_queue(queue(), prm->unit)) < 0) {
                rc = cid;
                break;
            }
            b->flush_cid = (uint16_t)cid;
            b->flush_pending = 1;
            b->since_flush = 0;
        }
        lba += n;
        phys += n << shift;
        sectors -= n;
    }
    if (rc) {
        klog(KLOG_ERR, "dump_nvme: write at LBA %lu failed: %s", (unsigned long)lba, err_str(rc));
        finish_batch(true);
        return rc;
    }
    nvme_sq_ring(queue());
    return 0;
}

__attribute__((used)) int clone_write(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    int rc = clone_check_write(lba, sectors);
    return rc ? rc : write_batch(lba, phys, sectors);
}

__attribute__((used)) int clone_read(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    const volatile struct clone_params *prm = &clone_params;
    uint64_t n = prm->disk_sectors;
    if (sectors == 0 || lba >= n || sectors > n - lba)
        return ERR_RANGE;
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    int rc = finish_batch(true);
    return rc ? rc : nvme_rw(ctrl(), queue(), prm->unit, log2_u32(prm->sector_size), false, lba,
                             sectors, phys_to_virt(phys));
}

/* 1 while writes of the last call, or the FLUSH of flush_start, are still in flight; a FLUSH
 * queued along the way does not hold the next write back, so it does not count. */
__attribute__((used)) int clone_poll(void)
{
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    struct nvme_dump_batch *b = batch();
    uint16_t cids[NVME_DUMP_INFLIGHT + 1];
    int rc = nvme_reap(ctrl(), queue(), cids, batch_cids(b, cids), &b->done);
    if (rc)
        return rc;
    uint64_t writes = (1ull << b->count) - 1;
    bool flushing = b->flush_pending && b->flush_final && !(b->done >> b->count & 1);
    return (b->done & writes) != writes || flushing;
}

/* Wait for the writes in flight (and a FLUSH queued along the way), then queue the FLUSH that
 * covers them and return. */
__attribute__((used)) int clone_flush_start(void)
{
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    struct nvme_dump_batch *b = batch();
    int rc = finish_batch(true);
    b->since_flush = 0;
    if (rc)
        return rc;
    int cid = nvme_flush_queue(queue(), clone_params.unit);
    if (cid < 0)
        return cid;
    nvme_sq_ring(queue());
    b->flush_cid = (uint16_t)cid;
    b->flush_pending = 1;
    b->flush_final = 1;
    return 0;
}

__attribute__((used)) int clone_flush(void)
{
    if (!ctrl()->regs)
        return ERR_BAD_STATE;
    int rc = finish_batch(true);
    batch()->since_flush = 0;
    return rc ? rc : nvme_flush(ctrl(), queue(), clone_params.unit);
}
