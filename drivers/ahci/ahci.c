/* AHCI hardware operations: HBA reset and BIOS handoff, port start/stop, command issue on
 * slot 0 with a bounded wait, task-file error recovery, IDENTIFY, READ/WRITE DMA EXT, FLUSH
 * CACHE EXT. Register access only; memory comes from the caller. */
#include <string.h>
#include "drivers/ahci/ahci.h"
#include "arch/cpu.h"
#include "klog.h"
#include "err.h"

#define SLOT 0
#define BOHC_BIOS_BUSY_WAIT_MS 25   /* spec: BIOS gets 25 ms to set BB, then up to 2 s */
#define BOHC_TIMEOUT_NS (2000ull * 1000 * 1000)
#define COMRESET_HOLD_MS 2

static inline uint32_t rd(volatile uint8_t *base, unsigned off) { return *(volatile uint32_t *)(base + off); }
static inline void wr(volatile uint8_t *base, unsigned off, uint32_t v) { *(volatile uint32_t *)(base + off) = v; }

/* Spin for ms milliseconds of the caller's clock. */
static void delay_ms(ahci_clock_fn now_ns, uint64_t ms)
{
    uint64_t end = now_ns() + ms * 1000000u;
    while (now_ns() < end)
        cpu_pause();
}

/* Wait until (reg & mask) == want, or the timeout passes. */
static int wait_reg(ahci_clock_fn now_ns, volatile uint8_t *base, unsigned off, uint32_t mask,
                    uint32_t want, uint64_t timeout_ns)
{
    uint64_t end = now_ns() + timeout_ns;
    while ((rd(base, off) & mask) != want) {
        if (now_ns() > end)
            return ERR_TIMED_OUT;
        cpu_pause();
    }
    return 0;
}

int ahci_hba_reset(volatile uint8_t *abar, ahci_clock_fn now_ns)
{
    if (rd(abar, AHCI_CAP2) & AHCI_CAP2_BOH) {
        wr(abar, AHCI_BOHC, rd(abar, AHCI_BOHC) | AHCI_BOHC_OOS);
        if (wait_reg(now_ns, abar, AHCI_BOHC, AHCI_BOHC_BOS, 0, BOHC_TIMEOUT_NS))
            klog(KLOG_WARN, "ahci: BIOS did not release the HBA; taking it anyway");
        delay_ms(now_ns, BOHC_BIOS_BUSY_WAIT_MS);
        if (wait_reg(now_ns, abar, AHCI_BOHC, AHCI_BOHC_BB, 0, BOHC_TIMEOUT_NS))
            klog(KLOG_WARN, "ahci: BIOS still busy after handoff");
    }
    wr(abar, AHCI_GHC, rd(abar, AHCI_GHC) | AHCI_GHC_AE);
    wr(abar, AHCI_GHC, rd(abar, AHCI_GHC) | AHCI_GHC_HR);
    int rc = wait_reg(now_ns, abar, AHCI_GHC, AHCI_GHC_HR, 0, AHCI_TIMEOUT_RESET_NS);
    if (rc)
        return rc;
    wr(abar, AHCI_GHC, rd(abar, AHCI_GHC) | AHCI_GHC_AE);
    return 0;
}

bool ahci_port_link_up(volatile uint8_t *port_regs)
{
    return (rd(port_regs, AHCI_PxSSTS) & AHCI_PxSSTS_DET_MASK) == AHCI_PxSSTS_DET_PRESENT;
}

uint32_t ahci_port_signature(volatile uint8_t *port_regs)
{
    return rd(port_regs, AHCI_PxSIG);
}

int ahci_port_stop(struct ahci_port *p)
{
    wr(p->regs, AHCI_PxCMD, rd(p->regs, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
    int rc = wait_reg(p->now_ns, p->regs, AHCI_PxCMD, AHCI_PxCMD_CR, 0, AHCI_TIMEOUT_PORT_NS);
    if (rc)
        return rc;
    wr(p->regs, AHCI_PxCMD, rd(p->regs, AHCI_PxCMD) & ~AHCI_PxCMD_FRE);
    return wait_reg(p->now_ns, p->regs, AHCI_PxCMD, AHCI_PxCMD_FR, 0, AHCI_TIMEOUT_PORT_NS);
}

/* COMRESET: the last resort when the device stays busy [10.4.2]. */
static int port_comreset(struct ahci_port *p)
{
    uint32_t sctl = rd(p->regs, AHCI_PxSCTL) & ~AHCI_PxSCTL_DET_MASK;
    wr(p->regs, AHCI_PxSCTL, sctl | AHCI_PxSCTL_DET_INIT);
    delay_ms(p->now_ns, COMRESET_HOLD_MS);
    wr(p->regs, AHCI_PxSCTL, sctl);
    int rc = wait_reg(p->now_ns, p->regs, AHCI_PxSSTS, AHCI_PxSSTS_DET_MASK, AHCI_PxSSTS_DET_PRESENT,
                      AHCI_TIMEOUT_RESET_NS);
    wr(p->regs, AHCI_PxSERR, 0xFFFFFFFFu);
    return rc;
}

int ahci_port_start(struct ahci_port *p)
{
    int rc = ahci_port_stop(p);
    if (rc)
        return rc;
    wr(p->regs, AHCI_PxCLB, (uint32_t)p->cmd_list_phys);
    wr(p->regs, AHCI_PxCLBU, (uint32_t)(p->cmd_list_phys >> 32));
    wr(p->regs, AHCI_PxFB, (uint32_t)p->rfis_phys);
    wr(p->regs, AHCI_PxFBU, (uint32_t)(p->rfis_phys >> 32));
    wr(p->regs, AHCI_PxSERR, 0xFFFFFFFFu);
    wr(p->regs, AHCI_PxIS, 0xFFFFFFFFu);
    wr(p->regs, AHCI_PxCMD, rd(p->regs, AHCI_PxCMD) | AHCI_PxCMD_SUD | AHCI_PxCMD_POD | AHCI_PxCMD_FRE);
    uint32_t busy = AHCI_PxTFD_STS_BSY | AHCI_PxTFD_STS_DRQ;
    if (wait_reg(p->now_ns, p->regs, AHCI_PxTFD, busy, 0, AHCI_TIMEOUT_PORT_NS)) {
        rc = port_comreset(p);
        if (!rc)
            rc = wait_reg(p->now_ns, p->regs, AHCI_PxTFD, busy, 0, AHCI_TIMEOUT_RESET_NS);
        if (rc)
            return rc;
    }
    wr(p->regs, AHCI_PxCMD, rd(p->regs, AHCI_PxCMD) | AHCI_PxCMD_ST);
    return 0;
}

/* After a task-file or fatal error: stop the port (which clears PxCI), clear the error
 * registers and start again [6.2.2.1]. */
static void port_recover(struct ahci_port *p, uint32_t is, uint32_t tfd)
{
    p->errors++;
    klog(KLOG_ERR, "ahci: port %u: command failed: PxIS 0x%x, status 0x%x, error 0x%x; restarting port",
         p->index, is, tfd & 0xFF, (tfd >> AHCI_PxTFD_ERR_SHIFT) & 0xFF);
    int rc = ahci_port_start(p);
    if (rc)
        klog(KLOG_ERR, "ahci: port %u: restart failed: %s", p->index, err_str(rc));
}

/* Build the command in slot 0 and hand it to the HBA. */
static void kick(struct ahci_port *p, const struct fis_reg_h2d *fis, bool write,
                 const struct ahci_prd *prds, unsigned nprd)
{
    struct ahci_cmd_header *h = &p->cmd_list[SLOT];
    memset(p->table, 0, sizeof(struct ahci_cmd_table) - sizeof p->table->prdt);
    memcpy(p->table->cfis, fis, sizeof *fis);
    for (unsigned i = 0; i < nprd; i++)
        p->table->prdt[i] = prds[i];
    h->flags = (uint16_t)(sizeof *fis / 4) | (write ? AHCI_CMD_FLAGS_WRITE : 0) | AHCI_CMD_FLAGS_CLEAR_BUSY;
    h->prdtl = (uint16_t)nprd;
    h->prdbc = 0;
    h->ctba = (uint32_t)p->table_phys;
    h->ctbau = (uint32_t)(p->table_phys >> 32);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wr(p->regs, AHCI_PxIS, 0xFFFFFFFFu);
    p->irq_is = 0;
    wr(p->regs, AHCI_PxCI, 1u << SLOT);
}

int ahci_wait(struct ahci_port *p)
{
    uint64_t end = p->now_ns() + AHCI_TIMEOUT_CMD_NS;
    for (;;) {
        uint32_t is = rd(p->regs, AHCI_PxIS) | p->irq_is;
        if (is & AHCI_PxIS_ERRORS) {
            port_recover(p, is, rd(p->regs, AHCI_PxTFD));
            return ERR_IO;
        }
        if (!(rd(p->regs, AHCI_PxCI) & (1u << SLOT)))
            break;
        if (p->now_ns() > end) {
            klog(KLOG_ERR, "ahci: port %u: command 0x%02x timed out", p->index, p->table->cfis[2]);
            port_recover(p, is, rd(p->regs, AHCI_PxTFD));
            return ERR_TIMED_OUT;
        }
        p->idle(p);
    }
    uint32_t tfd = rd(p->regs, AHCI_PxTFD);
    if (tfd & AHCI_PxTFD_STS_ERR) {
        port_recover(p, rd(p->regs, AHCI_PxIS), tfd);
        return ERR_IO;
    }
    return 0;
}

static int issue(struct ahci_port *p, const struct fis_reg_h2d *fis, bool write,
                 const struct ahci_prd *prds, unsigned nprd)
{
    kick(p, fis, write, prds, nprd);
    return ahci_wait(p);
}

bool ahci_port_busy(const struct ahci_port *p)
{
    return (rd(p->regs, AHCI_PxCI) & (1u << SLOT)) &&
           !((rd(p->regs, AHCI_PxIS) | p->irq_is) & AHCI_PxIS_ERRORS);
}

void ahci_port_ack_irq(struct ahci_port *p)
{
    uint32_t is = rd(p->regs, AHCI_PxIS);
    p->irq_is |= is;
    wr(p->regs, AHCI_PxIS, is);
}

void ahci_port_enable_irq(struct ahci_port *p)
{
    wr(p->regs, AHCI_PxIE, AHCI_PxIE_DEFAULT);
}

static void fis_init(struct fis_reg_h2d *f, uint8_t command, uint64_t lba, uint32_t count)
{
    memset(f, 0, sizeof *f);
    f->fis_type = FIS_TYPE_REG_H2D;
    f->pmport_c = FIS_H2D_C;
    f->command = command;
    f->device = ATA_DEVICE_LBA;
    f->lba0 = (uint8_t)lba;
    f->lba1 = (uint8_t)(lba >> 8);
    f->lba2 = (uint8_t)(lba >> 16);
    f->lba3 = (uint8_t)(lba >> 24);
    f->lba4 = (uint8_t)(lba >> 32);
    f->lba5 = (uint8_t)(lba >> 40);
    f->countl = (uint8_t)count;
    f->counth = (uint8_t)(count >> 8);
}

int ahci_identify(struct ahci_port *p, void *buf, uint64_t buf_phys)
{
    struct fis_reg_h2d f;
    fis_init(&f, ATA_CMD_IDENTIFY, 0, 0);
    f.device = 0;
    struct ahci_prd prd = { (uint32_t)buf_phys, (uint32_t)(buf_phys >> 32), 0, 512 - 1 };
    int rc = issue(p, &f, false, &prd, 1);
    if (rc)
        return rc;
    const uint16_t *id = buf;
    if (!(id[ATA_ID_CMDSET2] & ATA_ID_CMDSET2_LBA48))
        return ERR_NOT_SUPPORTED;
    p->sectors = (uint64_t)id[ATA_ID_LBA48_SECTORS] | (uint64_t)id[ATA_ID_LBA48_SECTORS + 1] << 16 |
                 (uint64_t)id[ATA_ID_LBA48_SECTORS + 2] << 32 | (uint64_t)id[ATA_ID_LBA48_SECTORS + 3] << 48;
    p->sector_size = 512;
    uint16_t ss = id[ATA_ID_SECTOR_SIZE];
    if ((ss & ATA_ID_SS_VALID_MASK) == ATA_ID_SS_VALID && (ss & ATA_ID_SS_LONG_LOGICAL))
        p->sector_size = 2 * ((uint32_t)id[ATA_ID_LOGICAL_WORDS] | (uint32_t)id[ATA_ID_LOGICAL_WORDS + 1] << 16);
    for (int i = 0; i < ATA_ID_MODEL_WORDS; i++) {
        p->model[2 * i] = (char)(id[ATA_ID_MODEL + i] >> 8);
        p->model[2 * i + 1] = (char)id[ATA_ID_MODEL + i];
    }
    p->model[2 * ATA_ID_MODEL_WORDS] = 0;
    if (p->sectors == 0 || (p->sector_size != 512 && p->sector_size != 4096))
        return ERR_NOT_SUPPORTED;
    return 0;
}

int ahci_rw_prds(struct ahci_port *p, bool write, uint64_t lba, uint32_t count,
                 const struct ahci_prd *prds, unsigned nprd)
{
    if (count == 0 || count > ATA_MAX_SECTORS_EXT || nprd == 0 || nprd > AHCI_PRDT_ENTRIES)
        return ERR_INVALID_ARGS;
    struct fis_reg_h2d f;
    fis_init(&f, write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT, lba, count);
    return issue(p, &f, write, prds, nprd);
}

int ahci_rw_start(struct ahci_port *p, bool write, uint64_t lba, uint32_t count,
                  const struct ahci_prd *prds, unsigned nprd)
{
    if (count == 0 || count > ATA_MAX_SECTORS_EXT || nprd == 0 || nprd > AHCI_PRDT_ENTRIES)
        return ERR_INVALID_ARGS;
    if (ahci_port_busy(p))
        return ERR_BUSY;
    struct fis_reg_h2d f;
    fis_init(&f, write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT, lba, count);
    kick(p, &f, write, prds, nprd);
    return 0;
}

int ahci_flush(struct ahci_port *p)
{
    struct fis_reg_h2d f;
    fis_init(&f, ATA_CMD_FLUSH_CACHE_EXT, 0, 0);
    return issue(p, &f, false, NULL, 0);
}

int ahci_flush_start(struct ahci_port *p)
{
    if (ahci_port_busy(p))
        return ERR_BUSY;
    struct fis_reg_h2d f;
    fis_init(&f, ATA_CMD_FLUSH_CACHE_EXT, 0, 0);
    kick(p, &f, false, NULL, 0);
    return 0;
}
