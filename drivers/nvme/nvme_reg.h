/* NVMe registers and data structures, named as in the NVM Express Base Specification 1.4
 * (sections cited per block). Only what Blackbox uses; sizes and offsets pinned with
 * _Static_assert. Shared by the live driver and its polled clone. */
#ifndef BB_NVME_REG_H
#define BB_NVME_REG_H

#include <stddef.h>
#include <stdint.h>

/* Controller registers, offsets in BAR0 (3.1) */
#define NVME_REG_CAP    0x00    /* u64 Controller Capabilities */
#define NVME_REG_VS     0x08    /* u32 Version */
#define NVME_REG_INTMS  0x0C    /* u32 Interrupt Mask Set (pin/MSI only) */
#define NVME_REG_INTMC  0x10    /* u32 Interrupt Mask Clear (pin/MSI only) */
#define NVME_REG_CC     0x14    /* u32 Controller Configuration */
#define NVME_REG_CSTS   0x1C    /* u32 Controller Status */
#define NVME_REG_AQA    0x24    /* u32 Admin Queue Attributes */
#define NVME_REG_ASQ    0x28    /* u64 Admin Submission Queue Base Address */
#define NVME_REG_ACQ    0x30    /* u64 Admin Completion Queue Base Address */
#define NVME_REG_DBS    0x1000  /* first doorbell: SQ 0 Tail */
#define NVME_BAR0_MIN   0x2000  /* registers plus a few doorbells */

/* CAP fields (3.1.1) */
#define NVME_CAP_MQES(c)    ((uint32_t)((c) & 0xFFFF))          /* max queue entries - 1 */
#define NVME_CAP_CQR(c)     ((uint32_t)((c) >> 16) & 1)         /* contiguous queues required */
#define NVME_CAP_TO(c)      ((uint32_t)((c) >> 24) & 0xFF)      /* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(c)   ((uint32_t)((c) >> 32) & 0xF)       /* doorbell stride: 4 << DSTRD bytes */
#define NVME_CAP_CSS(c)     ((uint32_t)((c) >> 37) & 0xFF)      /* command sets supported */
#define NVME_CAP_MPSMIN(c)  ((uint32_t)((c) >> 48) & 0xF)       /* min page size: 2^(12+MPSMIN) */
#define NVME_CAP_MPSMAX(c)  ((uint32_t)((c) >> 52) & 0xF)       /* max page size: 2^(12+MPSMAX) */
#define NVME_CAP_CSS_NVM    0x01                                /* CSS bit 0: NVM command set */
#define NVME_TO_UNIT_MS     500                                 /* CAP.TO unit */

/* VS fields (3.1.2) */
#define NVME_VS_MJR(v)      ((v) >> 16)                         /* major version */
#define NVME_VS_MNR(v)      (((v) >> 8) & 0xFF)                 /* minor version */

/* CC fields (3.1.5) */
#define NVME_CC_EN          (1u << 0)     /* Enable */
#define NVME_CC_CSS_NVM     (0u << 4)     /* I/O Command Set Selected: NVM */
#define NVME_CC_MPS_SHIFT   7             /* Memory Page Size: 2^(12+MPS) */
#define NVME_CC_AMS_RR      (0u << 11)    /* Arbitration Mechanism: round robin */
#define NVME_CC_SHN_MASK    (3u << 14)    /* Shutdown Notification */
#define NVME_CC_IOSQES_SHIFT 16           /* I/O SQ entry size: 2^n bytes */
#define NVME_CC_IOCQES_SHIFT 20           /* I/O CQ entry size: 2^n bytes */

/* CSTS fields (3.1.6) */
#define NVME_CSTS_RDY       (1u << 0)     /* Ready */
#define NVME_CSTS_CFS       (1u << 1)     /* Controller Fatal Status */
#define NVME_CSTS_SHST_MASK (3u << 2)     /* Shutdown Status */

/* AQA fields (3.1.8) */
#define NVME_AQA_ASQS_SHIFT 0             /* Admin SQ size - 1 */
#define NVME_AQA_ACQS_SHIFT 16            /* Admin CQ size - 1 */

#define NVME_PAGE_SIZE      4096u         /* the memory page size we configure (MPS = 0) */
#define NVME_SQES_LOG2      6             /* 64-byte submission entries */
#define NVME_CQES_LOG2      4             /* 16-byte completion entries */

/* Submission queue entry (4.2) */
struct nvme_sqe {
    uint8_t opc;          /* Opcode */
    uint8_t flags;        /* FUSE (1:0), PSDT (7:6); 0 = PRPs, not fused */
    uint16_t cid;         /* Command Identifier */
    uint32_t nsid;        /* Namespace Identifier */
    uint32_t cdw2, cdw3;  /* command specific / reserved */
    uint64_t mptr;        /* Metadata Pointer */
    uint64_t prp1;        /* PRP Entry 1 */
    uint64_t prp2;        /* PRP Entry 2, or the PRP list pointer */
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;  /* command specific */
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(offsetof(struct nvme_sqe, prp1) == 24, "PRP1 at byte 24");
_Static_assert(offsetof(struct nvme_sqe, cdw10) == 40, "CDW10 at byte 40");

/* Completion queue entry (4.6) */
struct nvme_cqe {
    uint32_t dw0;         /* command specific */
    uint32_t dw1;         /* reserved */
    uint16_t sqhd;        /* SQ Head Pointer */
    uint16_t sqid;        /* SQ Identifier */
    uint16_t cid;         /* Command Identifier */
    uint16_t status;      /* Phase Tag (bit 0) and Status Field (15:1) */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");

/* Status field, within cqe.status (4.6.1) */
#define NVME_CQE_P          0x0001                   /* Phase Tag */
#define NVME_CQE_SC(s)      (((s) >> 1) & 0xFF)      /* Status Code */
#define NVME_CQE_SCT(s)     (((s) >> 9) & 0x7)       /* Status Code Type */
#define NVME_CQE_DNR        0x8000                   /* Do Not Retry */

/* Status code types (4.6.1.1) */
#define NVME_SCT_GENERIC    0x0   /* Generic Command Status */
#define NVME_SCT_CMD        0x1   /* Command Specific Status */
#define NVME_SCT_MEDIA      0x2   /* Media and Data Integrity Errors */
#define NVME_SCT_PATH       0x3   /* Path Related Status */

/* Generic command status codes (4.6.1.2.1) */
#define NVME_SC_SUCCESS             0x00  /* Successful Completion */
#define NVME_SC_INVALID_OPCODE      0x01  /* Invalid Command Opcode */
#define NVME_SC_INVALID_FIELD       0x02  /* Invalid Field in Command */
#define NVME_SC_CID_CONFLICT        0x03  /* Command ID Conflict */
#define NVME_SC_DATA_XFER_ERROR     0x04  /* Data Transfer Error */
#define NVME_SC_POWER_LOSS          0x05  /* Commands Aborted due to Power Loss Notification */
#define NVME_SC_INTERNAL            0x06  /* Internal Error */
#define NVME_SC_ABORT_REQ           0x07  /* Command Abort Requested */
#define NVME_SC_ABORT_SQ_DEL        0x08  /* Command Aborted due to SQ Deletion */
#define NVME_SC_INVALID_NS          0x0B  /* Invalid Namespace or Format */
#define NVME_SC_CMD_SEQ_ERROR       0x0C  /* Command Sequence Error */
#define NVME_SC_INVALID_PRP_OFFSET  0x13  /* PRP Offset Invalid */
#define NVME_SC_LBA_RANGE           0x80  /* LBA Out of Range */
#define NVME_SC_CAP_EXCEEDED        0x81  /* Capacity Exceeded */
#define NVME_SC_NS_NOT_READY        0x82  /* Namespace Not Ready */

/* Command specific status codes (4.6.1.2.2) */
#define NVME_SC_CQ_INVALID          0x00  /* Completion Queue Invalid */
#define NVME_SC_QID_INVALID         0x01  /* Invalid Queue Identifier */
#define NVME_SC_QUEUE_SIZE          0x02  /* Invalid Queue Size */
#define NVME_SC_INVALID_VECTOR      0x08  /* Invalid Interrupt Vector */

/* Media and data integrity errors (4.6.1.2.3) */
#define NVME_SC_WRITE_FAULT         0x80  /* Write Fault */
#define NVME_SC_UNRECOVERED_READ    0x81  /* Unrecovered Read Error */
#define NVME_SC_ACCESS_DENIED       0x86  /* Access Denied */

/* Admin command opcodes (5) */
#define NVME_ADMIN_DELETE_SQ        0x00  /* Delete I/O Submission Queue */
#define NVME_ADMIN_CREATE_SQ        0x01  /* Create I/O Submission Queue */
#define NVME_ADMIN_DELETE_CQ        0x04  /* Delete I/O Completion Queue */
#define NVME_ADMIN_CREATE_CQ        0x05  /* Create I/O Completion Queue */
#define NVME_ADMIN_IDENTIFY         0x06  /* Identify */
#define NVME_ADMIN_SET_FEATURES     0x09  /* Set Features */

/* NVM command set opcodes (6) */
#define NVME_CMD_FLUSH              0x00  /* Flush */
#define NVME_CMD_WRITE              0x01  /* Write */
#define NVME_CMD_READ               0x02  /* Read */

/* Create I/O CQ / SQ (5.3, 5.4): CDW10 = QSIZE-1 << 16 | QID; CDW11 as below */
#define NVME_CREATE_QSIZE_SHIFT     16    /* CDW10: queue size - 1 */
#define NVME_CQ_PC                  (1u << 0)   /* CDW11: physically contiguous */
#define NVME_CQ_IEN                 (1u << 1)   /* CDW11: interrupts enabled */
#define NVME_CQ_IV_SHIFT            16          /* CDW11: interrupt vector (MSI-X entry) */
#define NVME_SQ_PC                  (1u << 0)   /* CDW11: physically contiguous */
#define NVME_SQ_CQID_SHIFT          16          /* CDW11: completion queue to post to */

/* Identify (5.15): CDW10.CNS */
#define NVME_CNS_NS                 0x00  /* Identify Namespace data structure */
#define NVME_CNS_CTRL               0x01  /* Identify Controller data structure */
#define NVME_CNS_NS_ACTIVE_LIST     0x02  /* Active Namespace ID list (1024 NSIDs) */
#define NVME_NS_LIST_MAX            1024  /* entries in an Active Namespace ID list */

/* Set Features (5.21): feature identifiers in CDW10 */
#define NVME_FEAT_NUM_QUEUES        0x07  /* Number of Queues (5.21.1.7) */
#define NVME_FEAT_NSQR_SHIFT        0     /* CDW11 / DW0: I/O submission queues - 1 */
#define NVME_FEAT_NCQR_SHIFT        16    /* CDW11 / DW0: I/O completion queues - 1 */
#define NVME_FEAT_NQ_MASK           0xFFFF  /* width of each of those two fields */

/* Read / Write (6.9, 6.15): CDW10-11 = SLBA, CDW12 bits 15:0 = NLB (zero-based) */
#define NVME_RW_NLB_MAX             0x10000   /* blocks per command the field can express */

/* Identify Controller data structure (5.15.2.2), the fields we read */
struct nvme_id_ctrl {
    uint16_t vid;            /* PCI Vendor ID */
    uint16_t ssvid;          /* PCI Subsystem Vendor ID */
    char sn[20];             /* Serial Number, ASCII, space padded */
    char mn[40];             /* Model Number, ASCII, space padded */
    char fr[8];              /* Firmware Revision */
    uint8_t rab;             /* Recommended Arbitration Burst */
    uint8_t ieee[3];         /* IEEE OUI Identifier */
    uint8_t cmic;            /* Controller Multi-Path I/O and Namespace Sharing */
    uint8_t mdts;            /* Maximum Data Transfer Size: 2^n min pages, 0 = no limit */
    uint16_t cntlid;         /* Controller ID */
    uint32_t ver;            /* Version */
    uint8_t rsvd84[428];     /* RTD3R .. admin command set attributes we do not use */
    uint8_t sqes;            /* Submission Queue Entry Size: min (3:0), max (7:4), log2 */
    uint8_t cqes;            /* Completion Queue Entry Size: min (3:0), max (7:4), log2 */
    uint16_t maxcmd;         /* Maximum Outstanding Commands */
    uint32_t nn;             /* Number of Namespaces (highest NSID) */
    uint16_t oncs;           /* Optional NVM Command Support */
    uint16_t fuses;          /* Fused Operation Support */
    uint8_t fna;             /* Format NVM Attributes */
    uint8_t vwc;             /* Volatile Write Cache: bit 0 = present */
    uint8_t rsvd526[3570];   /* AWUN .. vendor specific */
};
_Static_assert(offsetof(struct nvme_id_ctrl, mn) == 24, "MN at byte 24");
_Static_assert(offsetof(struct nvme_id_ctrl, mdts) == 77, "MDTS at byte 77");
_Static_assert(offsetof(struct nvme_id_ctrl, sqes) == 512, "SQES at byte 512");
_Static_assert(offsetof(struct nvme_id_ctrl, nn) == 516, "NN at byte 516");
_Static_assert(offsetof(struct nvme_id_ctrl, vwc) == 525, "VWC at byte 525");
_Static_assert(sizeof(struct nvme_id_ctrl) == 4096, "Identify Controller is 4 KiB");

/* LBA Format data structure (5.15.2.1, figure 250) */
struct nvme_lbaf {
    uint16_t ms;             /* Metadata Size, bytes per LBA */
    uint8_t lbads;           /* LBA Data Size: 2^n bytes (0 = format not available) */
    uint8_t rp;              /* Relative Performance (1:0) */
};
_Static_assert(sizeof(struct nvme_lbaf) == 4, "LBA format is 4 bytes");

/* Identify Namespace data structure (5.15.2.1), the fields we read */
struct nvme_id_ns {
    uint64_t nsze;           /* Namespace Size, in logical blocks */
    uint64_t ncap;           /* Namespace Capacity */
    uint64_t nuse;           /* Namespace Utilization */
    uint8_t nsfeat;          /* Namespace Features */
    uint8_t nlbaf;           /* Number of LBA Formats, zero-based */
    uint8_t flbas;           /* Formatted LBA Size: format index (3:0), metadata at end (4) */
    uint8_t mc;              /* Metadata Capabilities */
    uint8_t dpc;             /* End-to-end Data Protection Capabilities */
    uint8_t dps;             /* End-to-end Data Protection Type Settings */
    uint8_t rsvd30[98];      /* NMIC .. NVMCAP, NPWG.. */
    struct nvme_lbaf lbaf[16]; /* LBA Format 0..15 Support */
    uint8_t rsvd192[3904];   /* reserved, vendor specific */
};
#define NVME_FLBAS_INDEX(f)  ((f) & 0xF)   /* the formatted LBA format index */
_Static_assert(offsetof(struct nvme_id_ns, flbas) == 26, "FLBAS at byte 26");
_Static_assert(offsetof(struct nvme_id_ns, lbaf) == 128, "LBAF0 at byte 128");
_Static_assert(sizeof(struct nvme_id_ns) == 4096, "Identify Namespace is 4 KiB");

#endif
