/* AHCI 1.3.1 registers and memory structures, named as in the Serial ATA AHCI specification
 * (section numbers in brackets), plus the ATA command set pieces the driver issues. One line
 * per register or bit; structure sizes pinned with _Static_assert. */
#ifndef BB_AHCI_REG_H
#define BB_AHCI_REG_H

#include <stdint.h>

/* Generic host control [3.1] — offsets from ABAR (PCI BAR5). */
#define AHCI_CAP      0x00   /* HBA capabilities */
#define AHCI_GHC      0x04   /* global HBA control */
#define AHCI_IS       0x08   /* interrupt status, one bit per port (RWC) */
#define AHCI_PI       0x0C   /* ports implemented */
#define AHCI_VS       0x10   /* AHCI version */
#define AHCI_CAP2     0x24   /* HBA capabilities extended */
#define AHCI_BOHC     0x28   /* BIOS/OS handoff control and status */
#define AHCI_ABAR_SIZE 0x1100 /* generic registers + 32 ports */

#define AHCI_CAP_NP_MASK   0x1Fu          /* number of ports - 1 */
#define AHCI_CAP_NCS_SHIFT 8              /* number of command slots - 1, 5 bits */
#define AHCI_CAP_S64A      (1u << 31)     /* 64-bit addressing supported */
#define AHCI_GHC_HR        (1u << 0)      /* HBA reset */
#define AHCI_GHC_IE        (1u << 1)      /* interrupt enable */
#define AHCI_GHC_AE        (1u << 31)     /* AHCI enable */
#define AHCI_CAP2_BOH      (1u << 0)      /* BIOS/OS handoff supported */
#define AHCI_BOHC_BOS      (1u << 0)      /* BIOS owned semaphore */
#define AHCI_BOHC_OOS      (1u << 1)      /* OS owned semaphore */
#define AHCI_BOHC_BB       (1u << 4)      /* BIOS busy */

/* Port registers [3.3] — at ABAR + 0x100 + port * 0x80. */
#define AHCI_PORT_BASE(p) (0x100u + (unsigned)(p) * 0x80u)
#define AHCI_PxCLB    0x00   /* command list base address (1 KiB aligned) */
#define AHCI_PxCLBU   0x04   /* command list base address, upper 32 bits */
#define AHCI_PxFB     0x08   /* FIS base address (256-byte aligned) */
#define AHCI_PxFBU    0x0C   /* FIS base address, upper 32 bits */
#define AHCI_PxIS     0x10   /* interrupt status (RWC) */
#define AHCI_PxIE     0x14   /* interrupt enable */
#define AHCI_PxCMD    0x18   /* command and status */
#define AHCI_PxTFD    0x20   /* task file data */
#define AHCI_PxSIG    0x24   /* signature of the attached device */
#define AHCI_PxSSTS   0x28   /* SATA status (SCR0: SStatus) */
#define AHCI_PxSCTL   0x2C   /* SATA control (SCR2: SControl) */
#define AHCI_PxSERR   0x30   /* SATA error (SCR1: SError, RWC) */
#define AHCI_PxSACT   0x34   /* SATA active (NCQ) */
#define AHCI_PxCI     0x38   /* command issue: one bit per slot */

#define AHCI_PxCMD_ST  (1u << 0)    /* start: process the command list */
#define AHCI_PxCMD_SUD (1u << 1)    /* spin-up device */
#define AHCI_PxCMD_POD (1u << 2)    /* power on device */
#define AHCI_PxCMD_FRE (1u << 4)    /* FIS receive enable */
#define AHCI_PxCMD_FR  (1u << 14)   /* FIS receive running */
#define AHCI_PxCMD_CR  (1u << 15)   /* command list running */

#define AHCI_PxIS_DHRS (1u << 0)    /* device to host register FIS received */
#define AHCI_PxIS_PSS  (1u << 1)    /* PIO setup FIS received */
#define AHCI_PxIS_DSS  (1u << 2)    /* DMA setup FIS received */
#define AHCI_PxIS_SDBS (1u << 3)    /* set device bits FIS received */
#define AHCI_PxIS_IFS  (1u << 27)   /* interface fatal error */
#define AHCI_PxIS_HBDS (1u << 28)   /* host bus data error */
#define AHCI_PxIS_HBFS (1u << 29)   /* host bus fatal error */
#define AHCI_PxIS_TFES (1u << 30)   /* task file error */
#define AHCI_PxIS_ERRORS (AHCI_PxIS_IFS | AHCI_PxIS_HBDS | AHCI_PxIS_HBFS | AHCI_PxIS_TFES)
#define AHCI_PxIE_DEFAULT (AHCI_PxIS_DHRS | AHCI_PxIS_PSS | AHCI_PxIS_DSS | AHCI_PxIS_SDBS | AHCI_PxIS_ERRORS)

#define AHCI_PxTFD_STS_ERR (1u << 0)  /* status: error */
#define AHCI_PxTFD_STS_DRQ (1u << 3)  /* status: data transfer requested */
#define AHCI_PxTFD_STS_BSY (1u << 7)  /* status: busy */
#define AHCI_PxTFD_ERR_SHIFT 8        /* error register in bits 15:8 */
#define AHCI_PxSSTS_DET_MASK 0xFu     /* device detection */
#define AHCI_PxSSTS_DET_PRESENT 0x3u  /* device present, PHY communication established */
#define AHCI_PxSCTL_DET_MASK 0xFu
#define AHCI_PxSCTL_DET_INIT 0x1u     /* COMRESET */
#define AHCI_SIG_ATA   0x00000101u    /* SATA drive */
#define AHCI_SIG_ATAPI 0xEB140101u    /* SATAPI (CD/DVD) */

/* Command header [4.2.2]: 32 of them form the command list. */
struct ahci_cmd_header {
    uint16_t flags;      /* CFL (4:0) FIS length in dwords, A(5) ATAPI, W(6) write, P(7), R(8), B(9), C(10), PMP(15:12) */
    uint16_t prdtl;      /* physical region descriptor table length (entries) */
    uint32_t prdbc;      /* PRD byte count transferred (written by the HBA) */
    uint32_t ctba;       /* command table base address, 128-byte aligned */
    uint32_t ctbau;      /* command table base address, upper 32 bits */
    uint32_t reserved[4];
};
_Static_assert(sizeof(struct ahci_cmd_header) == 32, "AHCI command header");
#define AHCI_CMD_FLAGS_WRITE (1u << 6)   /* W: direction host to device */
#define AHCI_CMD_FLAGS_CLEAR_BUSY (1u << 10) /* C: clear busy upon R_OK */
#define AHCI_CMD_LIST_SLOTS 32

/* Physical region descriptor [4.2.3.3]. */
struct ahci_prd {
    uint32_t dba;        /* data base address (word aligned) */
    uint32_t dbau;       /* data base address, upper 32 bits */
    uint32_t reserved;
    uint32_t dbc_i;      /* DBC (21:0) byte count - 1 (even, at most 4 MiB), I (31) interrupt */
};
_Static_assert(sizeof(struct ahci_prd) == 16, "AHCI PRD entry");
#define AHCI_PRD_MAX_BYTES (4u << 20)
#define AHCI_PRD_I (1u << 31)

/* Command table [4.2.3]: command FIS, ATAPI command, then the PRDT. */
#define AHCI_PRDT_ENTRIES 56   /* ours: table is 0x80 + 56 * 16 = 1 KiB */
struct ahci_cmd_table {
    uint8_t cfis[64];    /* command FIS */
    uint8_t acmd[16];    /* ATAPI command */
    uint8_t reserved[48];
    struct ahci_prd prdt[AHCI_PRDT_ENTRIES];
};
_Static_assert(sizeof(struct ahci_cmd_table) == 1024, "AHCI command table");

/* Received FIS area [4.2.1]. */
struct ahci_recv_fis {
    uint8_t dsfis[0x1C];  /* DMA setup FIS */
    uint8_t pad0[4];
    uint8_t psfis[0x14];  /* PIO setup FIS */
    uint8_t pad1[12];
    uint8_t rfis[0x14];   /* D2H register FIS */
    uint8_t pad2[4];
    uint8_t sdbfis[8];    /* set device bits FIS */
    uint8_t ufis[64];     /* unknown FIS */
    uint8_t reserved[0x60];
};
_Static_assert(sizeof(struct ahci_recv_fis) == 256, "AHCI received FIS area");

/* Register FIS, host to device [SATA 3.x, 10.5.6]. */
struct fis_reg_h2d {
    uint8_t fis_type;    /* FIS_TYPE_REG_H2D */
    uint8_t pmport_c;    /* PM port (3:0), C (7): 1 = command register update */
    uint8_t command;     /* ATA command */
    uint8_t featurel;    /* features 7:0 */
    uint8_t lba0, lba1, lba2; /* LBA 23:0 */
    uint8_t device;      /* device register; bit 6 = LBA mode */
    uint8_t lba3, lba4, lba5; /* LBA 47:24 */
    uint8_t featureh;    /* features 15:8 */
    uint8_t countl, counth; /* sector count 15:0 */
    uint8_t icc;         /* isochronous command completion */
    uint8_t control;     /* device control */
    uint8_t reserved[4];
};
_Static_assert(sizeof(struct fis_reg_h2d) == 20, "H2D register FIS");
#define FIS_TYPE_REG_H2D 0x27
#define FIS_H2D_C        0x80
#define ATA_DEVICE_LBA   0x40

/* ATA commands (ACS-3) and IDENTIFY DEVICE words. */
#define ATA_CMD_READ_DMA_EXT    0x25
#define ATA_CMD_WRITE_DMA_EXT   0x35
#define ATA_CMD_FLUSH_CACHE_EXT 0xEA
#define ATA_CMD_IDENTIFY        0xEC
#define ATA_MAX_SECTORS_EXT     65536u  /* count 0 means 65536 */
#define ATA_ID_MODEL            27      /* words 27..46: model, byte-swapped ASCII */
#define ATA_ID_MODEL_WORDS      20
#define ATA_ID_CMDSET2          83      /* bit 10: 48-bit LBA supported */
#define ATA_ID_CMDSET2_LBA48    (1u << 10)
#define ATA_ID_LBA48_SECTORS    100     /* words 100..103: addressable sectors */
#define ATA_ID_SECTOR_SIZE      106     /* physical/logical sector size word */
#define ATA_ID_SS_VALID_MASK    0xC000u /* bits 15:14 == 01 when the word is valid */
#define ATA_ID_SS_VALID         0x4000u
#define ATA_ID_SS_LONG_LOGICAL  (1u << 12) /* logical sector longer than 256 words */
#define ATA_ID_LOGICAL_WORDS    117     /* words 117..118: logical sector size in words */

#endif
