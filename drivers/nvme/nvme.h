/* NVMe hardware operations over a controller and its queues, independent of interrupts and
 * of the kernel's allocators: the caller supplies DMA pages, a clock, a virtual-to-DMA
 * translation and an idle function. The live driver (nvme_pci.c) idles with sti;hlt until
 * its MSI-X handler fires; its polled clone (nvme_clone.c) spins on the TSC on its own queue
 * pair. Not reentrant: one caller at a time per queue (single CPU, no scheduler). Logs
 * through klog, which is safe at bugcheck time; nothing here allocates or takes a lock. */
#ifndef BB_NVME_H
#define BB_NVME_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/nvme/nvme_reg.h"

#define NVME_ADMIN_DEPTH   32          /* admin queue entries */
#define NVME_IO_DEPTH      64          /* I/O queue entries */
#define NVME_MAX_XFER      (1u << 20)  /* bytes per command at most, whatever MDTS allows */
#define NVME_CMD_TIMEOUT_MS 10000      /* limit for any one command */

struct nvme_queue;

/* What the hardware operations need from their host. */
struct nvme_env {
    uint64_t (*now_ns)(void);                 /* monotonic clock, nanoseconds */
    /* Wait a little for a completion on q (halt until an interrupt, or spin once). */
    void (*idle)(struct nvme_queue *q);
    /* DMA address of the byte at v, or UINT64_MAX if v is not mapped. */
    uint64_t (*virt_to_phys)(const void *v);
};

/* A submission/completion queue pair. [I] set by nvme_queue_init, then immutable; [Q] owned
 * by the one caller driving the queue; [H] written by the interrupt handler only. */
struct nvme_queue {
    uint16_t qid;                  /* [I] 0 = admin queue */
    uint16_t depth;                /* [I] entries per ring, <= CAP.MQES + 1 */
    struct nvme_sqe *sq;           /* [I] submission ring (one DMA page) */
    volatile struct nvme_cqe *cq;  /* [I] completion ring (one DMA page) */
    uint64_t sq_phys, cq_phys;     /* [I] their DMA addresses */
    uint64_t *prp_list;            /* [I] PRP list page for the command in flight, or NULL */
    uint64_t prp_list_phys;        /* [I] its DMA address */
    volatile uint32_t *sq_db;      /* [I] SQ tail doorbell */
    volatile uint32_t *cq_db;      /* [I] CQ head doorbell */
    uint16_t sq_tail;              /* [Q] next SQ slot to fill */
    uint16_t sq_head;              /* [Q] controller's SQ head, from the last completion */
    uint16_t cq_head;              /* [Q] next CQ slot to look at */
    uint8_t phase;                 /* [Q] phase tag a new completion at cq_head carries */
    uint16_t next_cid;             /* [Q] command identifier for the next submission */
    volatile uint64_t irq_seen;    /* [H] interrupts that found a completion posted here */
};

struct nvme_ctrl {
    const char *name;              /* [I] "nvme0": prefix of every log line */
    volatile uint8_t *regs;        /* [I] BAR0 mapping, uncached */
    const struct nvme_env *env;    /* [I] */
    uint64_t cap;                  /* [I] CAP register, read by nvme_ctrl_start */
    uint32_t vs;                   /* [I] VS register */
    uint32_t ready_timeout_ms;     /* [I] CAP.TO in ms: limit for CSTS.RDY to follow CC.EN */
    uint32_t max_xfer;             /* [I] bytes per command (MDTS, NVME_MAX_XFER) */
    uint32_t nn;                   /* [I] highest namespace ID */
    bool vwc;                      /* [I] a volatile write cache exists (FLUSH matters) */
    char model[41], serial[21], firmware[9];   /* [I] from Identify, NUL-terminated */
    void *scratch;                 /* [I] one DMA page for Identify data */
    uint64_t scratch_phys;         /* [I] */
    struct nvme_queue admin;       /* admin queue pair */
};

/* What Identify Namespace says about one namespace. */
struct nvme_ns_info {
    uint64_t blocks;               /* NSZE: size in logical blocks */
    uint32_t lba_shift;            /* log2 of the logical block size (9 = 512, 12 = 4096) */
};

/* Set up q over one zeroed DMA page for each ring (and one for a PRP list, or 0): doorbells,
 * phase 1. Does not tell the controller (see nvme_io_queue_create). */
void nvme_queue_init(struct nvme_ctrl *c, struct nvme_queue *q, uint16_t qid, uint16_t depth,
                     uint64_t sq_phys, uint64_t cq_phys, uint64_t prp_list_phys);
/* Bring the controller up: read CAP/VS, reset it (CC.EN=0, wait RDY=0), program the admin
 * queue on the given pages, enable (wait RDY=1; CFS is fatal), Identify Controller into
 * scratch. c->name, regs, env must be set. 0, ERR_TIMED_OUT, ERR_IO, ERR_NOT_SUPPORTED. */
int nvme_ctrl_start(struct nvme_ctrl *c, uint64_t asq_phys, uint64_t acq_phys,
                    uint64_t scratch_phys);
/* Take a controller someone else started, as it is: read CAP/VS (and the ready timeout)
 * without resetting it, then check CSTS: 0 when enabled and ready, ERR_IO when it does not
 * respond or reports a fatal status (CFS), ERR_BAD_STATE when not enabled. Touches no
 * queue. Safe at bugcheck time (the clone's init). */
int nvme_ctrl_attach(struct nvme_ctrl *c);
/* Set Features / Number of Queues: ask for `pairs` I/O queue pairs (once, before creating
 * any). *granted = pairs the controller allocated. 0 or ERR_*. */
int nvme_request_queues(struct nvme_ctrl *c, uint16_t pairs, uint16_t *granted);
/* Create q (already nvme_queue_init'ed, qid >= 1) on the controller: completion queue
 * (interrupt vector 0 if irq, else no interrupts), then submission queue. 0 or ERR_*. */
int nvme_io_queue_create(struct nvme_ctrl *c, struct nvme_queue *q, bool irq);
/* Active namespace IDs, ascending, at most max. Returns the count or ERR_*. */
int nvme_active_namespaces(struct nvme_ctrl *c, uint32_t *ids, unsigned max);
/* Identify namespace nsid. ERR_NOT_SUPPORTED if its formatted LBA size is outside 512..4096
 * bytes or carries metadata. */
int nvme_identify_ns(struct nvme_ctrl *c, uint32_t nsid, struct nvme_ns_info *out);
/* Read or write count blocks at lba of namespace nsid through q, split at c->max_xfer.
 * buf must be 4-byte aligned and mapped. 0, ERR_IO (status logged), ERR_TIMED_OUT,
 * ERR_INVALID_ARGS. */
int nvme_rw(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid, uint32_t lba_shift,
            bool write, uint64_t lba, uint64_t count, void *buf);
/* FLUSH namespace nsid through q (no-op without a volatile write cache). 0 or ERR_*. */
int nvme_flush(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid);
/* Queue one READ or WRITE of `count` blocks at lba (at most one command's worth, c->max_xfer)
 * between the disk and buf, without ringing the doorbell (nvme_sq_ring starts what is
 * queued, so that a batch costs one doorbell write) or waiting. A PRP list, when the
 * transfer needs one, goes in the page `list` (DMA address list_phys), or in q's own list
 * page when list is NULL; it and buf stay in use until the command completes. Returns the
 * command identifier (>= 0) for nvme_wait, or ERR_INVALID_ARGS, ERR_TOO_BIG, ERR_BUSY (ring
 * full). A command nobody waits for (`crash io`) has its completion dropped, as a late one,
 * by a later wait. */
int nvme_rw_queue(struct nvme_ctrl *c, struct nvme_queue *q, uint32_t nsid, uint32_t lba_shift,
                  bool write, uint64_t lba, uint64_t count, void *buf, uint64_t *list,
                  uint64_t list_phys);
/* Queue a FLUSH of namespace nsid, likewise. Command identifier or ERR_BUSY. */
int nvme_flush_queue(struct nvme_queue *q, uint32_t nsid);
/* Ring q's submission doorbell: the controller starts on everything queued. */
void nvme_sq_ring(struct nvme_queue *q);
/* Wait on q for the commands cids[0..n) (n <= 64) whose bits are set in `need` (bit i for
 * cids[i]). *done holds the bits of those already completed, and gains a bit for each
 * completion consumed here, needed or not, so that a caller may leave some commands (a FLUSH)
 * running across several waits; completions of commands not in cids[] are dropped with a
 * warning. *dw0 (if not NULL) gets cids[0]'s result. 0 when every completion consumed
 * succeeded; ERR_IO when one failed (each failure logged) or the controller reports fatal
 * status; ERR_TIMED_OUT when none arrives for NVME_CMD_TIMEOUT_MS; ERR_INVALID_ARGS. */
int nvme_wait(struct nvme_ctrl *c, struct nvme_queue *q, const uint16_t *cids, unsigned n,
              uint64_t need, uint64_t *done, uint32_t *dw0);
/* Consume the completions q has posted so far for cids[0..n) into *done, as nvme_wait does,
 * without waiting for any. 0, ERR_IO (one of them failed), ERR_INVALID_ARGS. Safe at bugcheck
 * time on the dump's own queue. */
int nvme_reap(struct nvme_ctrl *c, struct nvme_queue *q, const uint16_t *cids, unsigned n,
              uint64_t *done);

/* True if a completion is posted at q's head (phase tag matches). Safe in interrupts. */
bool nvme_cq_ready(const struct nvme_queue *q);
/* English name of a completion status field ("LBA Out of Range"). */
const char *nvme_status_str(uint16_t status);

#endif
