/* What the NVMe glue (nvme_pci.c) and its crash-dump clone (nvme_clone.c, "dump_nvme")
 * both know: the layout of the clone's state pages (the glue creates the dump's own I/O queue
 * pair on them at boot; the clone drives that pair, polled, at bugcheck time; the live queue
 * pair and the admin queue are never touched by the clone) and the embedded clone image. */
#ifndef BB_NVME_DUMP_H
#define BB_NVME_DUMP_H

#include "drivers/nvme/nvme.h"

#define NVME_DUMP_QID        2u        /* the dump's I/O queue pair (the live one is 1) */
#define NVME_DUMP_DEPTH      64u       /* its entries (polled) */
#define NVME_DUMP_INFLIGHT   32u       /* writes the dump keeps in flight at most: its write span */
#define NVME_DUMP_PAGE       4096u
#define NVME_DUMP_QUEUE_OFF  2048u     /* struct nvme_queue, after the clone's message buffer */
#define NVME_DUMP_CTRL_OFF   (NVME_DUMP_QUEUE_OFF + 256u)   /* the clone's struct nvme_ctrl */
#define NVME_DUMP_BATCH_OFF  3584u     /* struct nvme_dump_batch, after the controller struct */

/* The commands dump_nvme has in flight: the writes of the last call, in submission order,
 * and at most one FLUSH, which may stay in flight across calls. */
struct nvme_dump_batch {
    uint64_t done;                           /* completed so far: bit i for cids[i], bit count
                                                for the FLUSH (see finish_batch) */
    uint32_t count;                          /* writes in cids[] */
    uint32_t since_flush;                    /* bytes written since the last FLUSH was queued */
    uint16_t cids[NVME_DUMP_INFLIGHT];
    uint16_t flush_cid;                      /* the FLUSH in flight, if flush_pending */
    uint16_t flush_pending;
    uint16_t flush_final;                    /* that FLUSH is flush_start's: poll waits on it */
};

/* Pages of the state, in this order: page 0 holds the message buffer, the queue, the
 * controller and the batch structs; then the submission ring, the completion ring, the PRP
 * list of one-at-a-time commands; then an admin queue pair and an Identify page, used only
 * when the clone finds the controller failed or disabled and must reset it (the live
 * queues are then gone); then one PRP list page per write in flight. */
enum { NVME_DUMP_PAGE_MISC, NVME_DUMP_PAGE_SQ, NVME_DUMP_PAGE_CQ, NVME_DUMP_PAGE_PRP,
       NVME_DUMP_PAGE_ASQ, NVME_DUMP_PAGE_ACQ, NVME_DUMP_PAGE_SCRATCH, NVME_DUMP_PAGE_BATCH_PRP,
       NVME_DUMP_PAGES = NVME_DUMP_PAGE_BATCH_PRP + NVME_DUMP_INFLIGHT };
#define NVME_DUMP_STATE_BYTES ((uint64_t)NVME_DUMP_PAGES * NVME_DUMP_PAGE)

/* The packed dump_nvme image (tools/mkclone), embedded by nvme_clone_image.asm. */
extern const unsigned char nvme_clone_image[], nvme_clone_image_end[];

_Static_assert(sizeof(struct nvme_queue) <= NVME_DUMP_CTRL_OFF - NVME_DUMP_QUEUE_OFF,
               "dump queue struct fits before the controller struct");
_Static_assert(NVME_DUMP_CTRL_OFF + sizeof(struct nvme_ctrl) <= NVME_DUMP_BATCH_OFF,
               "dump controller struct fits before the batch struct");
_Static_assert(NVME_DUMP_BATCH_OFF + sizeof(struct nvme_dump_batch) <= NVME_DUMP_PAGE,
               "dump_nvme's structs fit in its first state page");
_Static_assert(NVME_DUMP_INFLIGHT + 2u < NVME_DUMP_DEPTH, "a full batch, two FLUSHes and a free ring slot");
_Static_assert(NVME_DUMP_DEPTH * 64u <= NVME_DUMP_PAGE, "dump submission ring fits a page");

#endif
