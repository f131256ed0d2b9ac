/* NVMe hardware operations (NVM Express Base 1.4): controller reset and enable (7.6.1),
 * queue management, Identify, and READ/WRITE/FLUSH with PRP lists. Every wait is bounded
 * and returns ERR_TIMED_OUT; a command that fails returns ERR_IO with its status logged.
 * Knows nothing of interrupts: waiting goes through env->idle. */
#include <stddef.h>
#include <string.h>
#include "drivers/nvme/nvme.h"
#include "arch/cpu.h"
#include "mm/layout.h"
#include "klog.h"
#include "err.h"

#define PAGE_MASK       (NVME_PAGE_SIZE - 1)
#define NS_PER_MS       1000000ull
#define NVME_CSTS_POLL_NS 1000000ull   /* CSTS.CFS is read at most once a millisecond while waiting */

static uint32_t rd32(const struct nvme_ctrl *c, uint32_t off)
{
    return *(volatile uint32_t *)(c->regs + off);
}

static void wr32(const struct nvme_ctrl *c, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(c->regs + off) = v;
}

/* 64-bit registers as two dword accesses, low first (3.1: hosts may do so). */
static uint64_t rd64(const struct nvme_ctrl *c, uint32_t off)
{
    uint64_t lo = rd32(c, off), hi = rd32(c, off + 4);
    return hi << 32 | lo;
}

static void wr64(const struct nvme_ctrl *c, uint32_t off, uint64_t v)
{
    wr32(c, off, (uint32_t)v);
    wr32(c, off + 4, (uint32_t)(v >> 32));
}

/* Copy a space-padded identify string, trimmed and NUL-terminated (dst holds n + 1). */
static void copy_id_string(char *dst, const char *src, size_t n)
{
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == 0))
        n--;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Wait until (CSTS & mask) == want, CSTS.CFS or the ready timeout. */
static int wait_csts(struct nvme_ctrl *c, uint32_t mask, uint32_t want)
{
    uint64_t deadline = c->env->now_ns() + (uint64_t)c->ready_timeout_ms * NS_PER_MS;
    for (;;) {
        uint32_t csts = rd32(c, NVME_REG_CSTS);
        if (csts == 0xFFFFFFFFu) {
            klog(KLOG_ERR, "%s: controller not responding (CSTS all ones)", c->name);
            return ERR_IO;
        }
        if ((csts & mask) == want)
            return 0;
        if ((csts & NVME_CSTS_CFS) && want) {
            klog(KLOG_ERR, "%s: controller fatal status (CSTS 0x%x)", c->name, csts);
            return ERR_IO;
        }
        if (c->env->now_ns() > deadline) {
            klog(KLOG_ERR, "%s: CSTS.RDY did not become %u within %u ms (CSTS 0x%x)", c->name,
                 want ? 1u : 0u, c->ready_timeout_ms, csts);
            return ERR_TIMED_OUT;
        }
        cpu_pause();
    }
}

void nvme_queue_init(struct nvme_ctrl *c, struct nvme_queue *q, uint16_t qid, uint16_t depth,
                     uint64_t sq_phys, uint64_t cq_phys, uint64_t prp_list_phys)
{
    uint32_t stride = 4u << NVME_CAP_DSTRD(c->cap);
    memset(q, 0, sizeof *q);
    q->qid = qid;
    q->depth = depth;
    q->sq_phys = sq_phys;
    q->cq_phys = cq_phys;
    q->sq = (struct nvme_sqe *)phys_to_virt(sq_phys);
    q->cq = (volatile struct nvme_cqe *)phys_to_virt(cq_phys);
    q->prp_list_phys = prp_list_phys;
    q->prp_list = prp_list_phys ? (uint64_t *)phys_to_virt(prp_list_phys) : NULL;
    q->sq_db = (volatile uint32_t *)(c->regs + NVME_REG_DBS + (2u * qid) * stride);
    q->cq_db = (volatile uint32_t *)(c->regs + NVME_REG_DBS + (2u * qid + 1) * stride);
    q->phase = 1;
}

bool nvme_cq_ready(const struct nvme_queue *q)
{
    return (q->cq[q->cq_head].status & NVME_CQE_P) == q->phase;
}

/* Take the completion at the head: copy it out, advance (flipping the phase on wrap) and
 * ring the head doorbell so the controller may reuse the slot. */
static void cq_pop(struct nvme_queue *q, struct nvme_cqe *out)
{
    __asm__ volatile("" ::: "memory");
    out->dw0 = q->cq[q->cq_head].dw0;
    out->sqhd = q->cq[q->cq_head].sqhd;
    out->cid = q->cq[q->cq_head].cid;
    out->status = q->cq[q->cq_head].status;
    if (++q->cq_head == q->depth) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
    q->sq_head = out->sqhd;
    *q->cq_db = q->cq_head;
}

const char *nvme_status_str(uint16_t status)
{
    unsigned sct = NVME_CQE_SCT(status), sc = NVME_CQE_SC(status);
    if (sct == NVME_SCT_GENERIC) {
        switch (sc) {
        case NVME_SC_SUCCESS: return "Successful Completion";
        case NVME_SC_INVALID_OPCODE: return "Invalid Command Opcode";
        case NVME_SC_INVALID_FIELD: return "Invalid Field in Command";
        case NVME_SC_CID_CONFLICT: return "Command ID Conflict";
        case NVME_SC_DATA_XFER_ERROR: return "Data Transfer Error";
        case NVME_SC_POWER_LOSS: return "Aborted due to Power Loss";
        case NVME_SC_INTERNAL: return "Internal Error";
        case NVME_SC_ABORT_REQ: return "Command Abort Requested";
        case NVME_SC_ABORT_SQ_DEL: return "Aborted due to SQ Deletion";
        case NVME_SC_INVALID_NS: return "Invalid Namespace or Format";
        case NVME_SC_CMD_SEQ_ERROR: return "Command Sequence Error";
        case NVME_SC_INVALID_PRP_OFFSET: return "PRP Offset Invalid";
        case NVME_SC_LBA_RANGE: return "LBA Out of Range";
        case NVME_SC_CAP_EXCEEDED: return "Capacity Exceeded";
        case NVME_SC_NS_NOT_READY: return "Namespace Not Ready";
        default: return "generic error";
        }
    }
    if (sct == NVME_SCT_CMD) {
        switch (sc) {
        case NVME_SC_CQ_INVALID: return "Completion Queue Invalid";
        case NVME_SC_QID_INVALID: return "Invalid Queue Identifier";
        case NVME_SC_QUEUE_SIZE: return "Invalid Queue Size";
        case NVME_SC_INVALID_VECTOR: return "Invalid Interrupt Vector";
        default: return "command specific error";
        }
    }
    if (sct == NVME_SCT_MEDIA) {
        switch (sc) {
        case NVME_SC_WRITE_FAULT: return "Write Fault";
        case NVME_SC_UNRECOVERED_READ: return "Unrecovered Read Error";
        case NVME_SC_ACCESS_DENIED: return "Access Denied";
        default: return "media error";
        }
    }
    return sct == NVME_SCT_PATH ? "path error" : "vendor specific error";
}

/* Put cmd on q without telling the controller (nvme_sq_ring does). Returns its command
 * identifier, or ERR_BUSY when the ring is full. */
static int enqueue(struct nvme_queue *q, struct nvme_sqe *cmd)
{
    uint16_t next_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
    if (next_tail == q->sq_head)
        return ERR_BUSY;
    uint16_t cid = q->next_cid++;
    cmd->cid = cid;
    q->sq[q->sq_tail] = *cmd;
    q->sq_tail = next_tail;
    return cid;
}

void nvme_sq_ring(struct nvme_queue *q)
{
    __asm__ volatile("mfence" ::: "memory");
    *q->sq_db = q->sq_tail;
}

/* The opcode of the command `cid` as it still sits in q's submission ring (for log lines). */
static unsigned opcode_of(const struct nvme_queue *q, uint16_t cid)
{
    for (uint16_t i = 0; i < q->depth; i++)
        if (q->sq[i].cid == cid)
            return q->sq[i].opc;
    return 0xFFu;
}

/* Consume the completions q has posted: each marks its command's bit in *done (see
 * nvme_wait). Returns 0, or ERR_IO when one of them failed (each failure logged). */
static int consume(struct nvme_ctrl *c, struct nvme_queue *q, const uint16_t *cids, unsigned n,
                   uint64_t *done, uint32_t *dw0, uint64_t *deadline)
{
    int rc = 0;
    while (nvme_cq_ready(q)) {
        struct nvme_cqe e;
        cq_pop(q, &e);
        unsigned i = 0;
        while (i < n && !(cids[i] == e.cid && !(*done >> i & 1)))
            i++;
        if (i == n) {
            klog(KLOG_WARN, "%s: queue %u: late completion of command %u dropped", c->name,
                 q->qid, e.cid);
            continue;
        }
        *done |= 1ull << i;
        if (deadline)
            *deadline = c->env->now_ns() + (uint64_t)NVME_CMD_TIMEOUT_MS * NS_PER_MS;
        if (i == 0 && dw0)
            *dw0 = e.dw0;
        uint16_t st = e.status & (uint16_t)~NVME_CQE_P;
        if (NVME_CQE_SC(st) == NVME_SC_SUCCESS && NVME_CQE_SCT(st) == NVME_SCT_GENERIC)
            continue;
        klog(KLOG_ERR, "%s: queue %u: opcode 0x%02x failed: status 0x%04x (sct %u sc 0x%02x: %s)",
             c->name, q->qid, opcode_of(q, e.cid), st, NVME_CQE_SCT(st), NVME_CQE_SC(st),
             nvme_status_str(st));
        rc = ERR_IO;
    }
    return rc;
}

int nvme_reap(struct nvme_ctrl *c, struct nvme_queue *q, const uint16_t *cids, unsigned n,
              uint64_t *done)
{
    if (n > 64)
        return ERR_INVALID_ARGS;
    return consume(c, q, cids, n, done, NULL, NULL);
}

int nvme_wait(struct nvme_ctrl *c, struct nvme_queue *q, const uint16_t *cids, unsigned n,
              uint64_t need, uint64_t *done, uint32_t *dw0)
{
    if (n > 64 || (n < 64 && need >> n))
        return ERR_INVALID_ARGS;
    uint64_t deadline = c->env->now_ns() + (uint64_t)NVME_CMD_TIMEOUT_MS * NS_PER_MS;
    uint64_t next_csts = 0;
    int rc = 0;
    while ((*done & need) != need) {
        int failed = consume(c, q, cids, n, done, dw0, &deadline);
        if (!rc)
            rc = failed;
        if ((*done & need) == need)
            break;
        uint64_t now = c->env->now_ns();
        if (now >= next_csts) {
            next_csts = now + NVME_CSTS_POLL_NS;
            if (rd32(c, NVME_REG_CSTS) & NVME_CSTS_CFS) {
                klog(KLOG_ERR, "%s: controller fatal status while waiting on queue %u", c->name, q->qid);
                return ERR_IO;
            }
        }
        if (now > deadline) {
            unsigned first = (unsigned)__builtin_ctzll(need & ~*done);
            klog(KLOG_ERR, "%s: queue %u: opcode 0x%02x timed out after %u ms (%lu interrupts "
                 "with a completion on this queue so far)", c->name, q->qid,
                 opcode_of(q, cids[first]), NVME_CMD_TIMEOUT_MS, (unsigned long)q->irq_seen);
            return ERR_TIMED_OUT;
        }
        c->env->idle(q);
    }
    return rc;
}

/* Ring the doorbell for the command just queued as `cid` (or pass its queueing error on)
 * and wait for it; *dw0 (if not NULL) gets its result. */
static int run(struct nvme_ctrl *c, struct nvme_queue *q, int cid, uint32_t *dw0)
{
    if (cid < 0)
        return cid;
    nvme_sq_ring(q);
    uint16_t id = (uint16_t)cid;
    uint64_t done = 0;
    return nvme_wait(c, q, &id, 1, 1, &done, dw0);
}

static int exec(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_sqe *cmd, uint32_t *dw0)
{
    return run(c, q, enqueue(q, cmd), dw0);
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid)
{
    struct nvme_sqe cmd = {
        .opc = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = c->scratch_phys, .cdw10 = cns,
    };
    return exec(c, &c->admin, &cmd, NULL);
}

int nvme_ctrl_start(struct nvme_ctrl *c, uint64_t asq_phys, uint64_t acq_phys,
                    uint64_t scratch_phys)
{
    c->cap = rd64(c, NVME_REG_CAP);
    c->vs = rd32(c, NVME_REG_VS);
    uint32_t to = NVME_CAP_TO(c->cap);
    c->ready_timeout_ms = (to ? to : 1) * NVME_TO_UNIT_MS;
    if (!(NVME_CAP_CSS(c->cap) & NVME_CAP_CSS_NVM) || NVME_CAP_MPSMIN(c->cap) > 0) {
        klog(KLOG_ERR, "%s: unsupported controller (CAP 0x%lx)", c->name, (unsigned long)c->cap);
        return ERR_NOT_SUPPORTED;
    }
    /* Reset: clear CC.EN and wait for RDY to follow. */
    uint32_t cc = rd32(c, NVME_REG_CC);
    if (cc & NVME_CC_EN)
        wr32(c, NVME_REG_CC, cc & ~NVME_CC_EN);
    int rc = wait_csts(c, NVME_CSTS_RDY, 0);
    if (rc)
        return rc;

    uint16_t depth = NVME_ADMIN_DEPTH;
    if (depth > NVME_CAP_MQES(c->cap) + 1)
        depth = (uint16_t)(NVME_CAP_MQES(c->cap) + 1);
    nvme_queue_init(c, &c->admin, 0, depth, asq_phys, acq_phys, 0);
    c->scratch_phys = scratch_phys;
    c->scratch = phys_to_virt(scratch_phys);
    wr32(c, NVME_REG_AQA, (uint32_t)(depth - 1) << NVME_AQA_ACQS_SHIFT |
                          (uint32_t)(depth - 1) << NVME_AQA_ASQS_SHIFT);
    wr64(c, NVME_REG_ASQ, asq_phys);
    wr64(c, NVME_REG_ACQ, acq_phys);
    wr32(c, NVME_REG_CC, NVME_CC_CSS_NVM | 0u << NVME_CC_MPS_SHIFT | NVME_CC_AMS_RR |
                         NVME_SQES_LOG2 << NVME_CC_IOSQES_SHIFT |
                         NVME_CQES_LOG2 << NVME_CC_IOCQES_SHIFT | NVME_CC_EN);
    rc = wait_csts(c, NVME_CSTS_RDY, NVME_CSTS_RDY);
    if (rc)
        return rc;

    rc = identify(c, NVME_CNS_CTRL, 0);
    if (rc)
        return rc;
    const struct nvme_id_ctrl *id = c->scratch;
    copy_id_string(c->model, id->mn, sizeof id->mn);
    copy_id_string(c->serial, id->sn, sizeof id->sn);
    copy_id_string(c->firmware, id->fr, sizeof id->fr);
    c->nn = id->nn;
    c->vwc = id->vwc & 1;
    uint64_t max = NVME_MAX_XFER;
    if (id->mdts && id->mdts < 32 && ((uint64_t)NVME_PAGE_SIZE << id->mdts) < max)
        max = (uint64_t)NVME_PAGE_SIZE << id->mdts;
    c->max_xfer = (uint32_t)max;
    return 0;
}

int nvme_ctrl_attach(struct nvme_ctrl *c)
{
    c->cap = rd64(c, NVME_REG_CAP);
    c->vs = rd32(c, NVME_REG_VS);
    uint32_t to = NVME_CAP_TO(c->cap);
    c->ready_timeout_ms = (to ? to : 1) * NVME_TO_UNIT_MS;
    uint32_t csts = rd32(c, NVME_REG_CSTS);
    if (csts == 0xFFFFFFFFu || (csts & NVME_CSTS_CFS)) {
        klog(KLOG_ERR, "%s: controller %s (CSTS 0x%x)", c->name,
             csts == 0xFFFFFFFFu ? "not responding" : "in fatal status", csts);
        return ERR_IO;
    }
    if (!(csts & NVME_CSTS_RDY) || !(rd32(c, NVME_REG_CC) & NVME_CC_EN)) {
        klog(KLOG_ERR, "%s: controller not enabled and ready (CSTS 0x%x)", c->name, csts);
        return ERR_BAD_STATE;
    }
    return 0;
}

int nvme_request_queues(struct nvme_ctrl *c, uint16_t pairs, uint16_t *granted)
{
    if (pairs == 0)
        return ERR_INVALID_ARGS;
    uint32_t n = (uint32_t)(pairs - 1);
    struct nvme_sqe cmd = {
        .opc = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
        .cdw11 = n << NVME_FEAT_NCQR_SHIFT | n << NVME_FEAT_NSQR_SHIFT,
    };
    uint32_t dw0 = 0;
    int rc = exec(c, &c->admin, &cmd, &dw0);
    if (rc)
        return rc;
    uint32_t sqa = (dw0 >> NVME_FEAT_NSQR_SHIFT & NVME_FEAT_NQ_MASK) + 1;
    uint32_t cqa = (dw0 >> NVME_FEAT_NCQR_SHIFT & NVME_FEAT_NQ_MASK) + 1;
    *granted = (uint16_t)(sqa < cqa ? sqa : cqa);
    return 0;
}

int nvme_io_queue_create(struct nvme_ctrl *c, struct nvme_queue *q, bool irq)
{
    if (q->depth > NVME_CAP_MQES(c->cap) + 1)
        return ERR_NOT_SUPPORTED;
    uint32_t qsize = (uint32_t)(q->depth - 1) << NVME_CREATE_QSIZE_SHIFT;
    struct nvme_sqe cmd = {
        .opc = NVME_ADMIN_CREATE_CQ, .prp1 = q->cq_phys, .cdw10 = qsize | q->qid,
        .cdw11 = NVME_CQ_PC | (irq ? NVME_CQ_IEN : 0) | 0u << NVME_CQ_IV_SHIFT,
    };
    int rc = exec(c, &c->admin, &cmd, NULL);
    if (rc)
        return rc;
    cmd = (struct nvme_sqe){
        .opc = NVME_ADMIN_CREATE_SQ, .prp1 = q->sq_phys, .cdw10 = qsize | q->qid,
        .cdw11 = NVME_SQ_PC | (uint32_t)q->qid << NVME_SQ_CQID_SHIFT,
    };
    return exec(c, &c->admin, &cmd, NULL);
}

int nvme_active_namespaces(struct nvme_ctrl *c, uint32_t *ids, unsigned max)
{
    int rc = identify(c, NVME_CNS_NS_ACTIVE_LIST, 0);
    if (rc)
        return rc;
    const uint32_t *list = c->scratch;
    unsigned n = 0;
    for (unsigned i = 0; i < NVME_NS_LIST_MAX && list[i] && n < max; i++)
        ids[n++] = list[i];
    return (int)n;
}

int nvme_identify_ns(struct nvme_ctrl *c, uint32_t nsid, struct nvme_ns_info *out)
{
    int rc = identify(c, NVME_CNS_NS, nsid);
    if (rc)
        return rc;
    const struct nvme_id_ns *ns = c->scratch;
    unsigned fmt = NVME_FLBAS_INDEX(ns->flbas);
    if (fmt > ns->nlbaf || fmt >= 16)
        return ERR_CORRUPT;
    const struct nvme_lbaf *f = &ns->lbaf[fmt];
    if (f->lbads < 9 || f->lbads > 12 || f->ms != 0) {
        klog(KLOG_WARN, "%s: namespace %u: LBA format %u (2^%u bytes, %u metadata) unsupported",
             c->name, nsid, fmt, f->lbads, f->ms);
        return ERR_NOT_SUPPORTED;
    }
    out->blocks = ns->nsze;
    out->lba_shift = f->lbads;
    return 0;
}

/* Fill PRP1/PRP2 for len bytes at buf (4.3): PRP1 may start inside a page; the other pages
 * go in PRP2 directly when there is one, else in the PRP list page `list` (DMA address
 * list_phys; NULL when there is none). */
static int build_prps(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint8_t *buf, uint32_t len,
                      uint64_t *list, uint64_t list_phys)
{
    uint64_t p1 = c->env->virt_to_phys(buf);
    if (p1 == UINT64_MAX || (p1 & 3))
        return ERR_INVALID_ARGS;
    cmd->prp1 = p1;
    uint32_t first = NVME_PAGE_SIZE - (uint32_t)(p1 & PAGE_MASK);
    if (len <= first)
        return 0;
    uint8_t *rest = buf + first;
    uint32_t pages = (len - first + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE;
    if (pages == 1) {
        cmd->prp2 = c->env->virt_to_phys(rest);
        return cmd->prp2 == UINT64_MAX ? ERR_INVALID_ARGS : 0;
    }
    if (!list || pages > NVME_PAGE_SIZE / sizeof(uint64_t))
        return ERR_TOO_BIG;
    for (uint32_t i = 0; i < pages; i++) {
        uint64_t p = c->env->virt_to_phys(rest + (uint64_t)i * NVME_PAGE_SIZE);
        if (p == UINT64_MAX)
            return ERR_INVALID_ARGS;
        list[i] = p;
    }
    cmd->prp2 = list_phys;
    return 0;
}

int nvme_rw(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid, uint32_t lba_shift,
            bool write, uint64_t lba, uint64_t count, void *buf)
{
    uint64_t per_cmd = c->max_xfer >> lba_shift;
    if (per_cmd > NVME_RW_NLB_MAX)
        per_cmd = NVME_RW_NLB_MAX;
    if (!per_cmd || ((uintptr_t)buf & 3))
        return ERR_INVALID_ARGS;
    uint8_t *p = buf;
    while (count) {
        uint64_t n = count < per_cmd ? count : per_cmd;
        int rc = run(c, q, nvme_rw_queue(c, q, nsid, lba_shift, write, lba, n, p, NULL, 0), NULL);
        if (rc) {
            klog(KLOG_ERR, "%s: ns %u: %s of %lu blocks at LBA %lu failed: %s", c->name, nsid,
                 write ? "write" : "read", (unsigned long)n, (unsigned long)lba, err_str(rc));
            return rc;
        }
        lba += n;
        count -= n;
        p += n << lba_shift;
    }
    return 0;
}

int nvme_rw_queue(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid, uint32_t lba_shift,
                   bool write, uint64_t lba, uint64_t count, void *buf, uint64_t *list,
                   uint64_t list_phys)
{
    uint64_t per_cmd = c->max_xfer >> lba_shift;
    if (count == 0 || count > per_cmd || count > NVME_RW_NLB_MAX || ((uintptr_t)buf & 3))
        return ERR_INVALID_ARGS;
    struct nvme_sqe cmd = {
        .opc = write ? NVME_CMD_WRITE : NVME_CMD_READ, .nsid = nsid,
        .cdw10 = (uint32_t)lba, .cdw11 = (uint32_t)(lba >> 32), .cdw12 = (uint32_t)(count - 1),
    };
    if (!list) {
        list = q->prp_list;
        list_phys = q->prp_list_phys;
    }
    int rc = build_prps(c, &cmd, buf, (uint32_t)(count << lba_shift), list, list_phys);
    return rc ? rc : enqueue(q, &cmd);
}

int nvme_flush_queue(struct nvme_queue *q, uint32_t nsid)
{
    struct nvme_sqe cmd = { .opc = NVME_CMD_FLUSH, .nsid = nsid };
    return enqueue(q, &cmd);
}

int nvme_flush(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid)
{
    if (!c->vwc)
        return 0;
    return run(c, q, nvme_flush_queue(q, nsid), NULL);
}
