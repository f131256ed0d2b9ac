/* dump_ahci: the polled crash-dump entry points of the AHCI driver. Linked with ahci.c (the
 * same hardware ops as the live driver) and the clone run-time into a standalone
 * image (tools/mkclone); never part of the kernel. One command at a time, in slot 0; a
 * write or a FLUSH CACHE may be left in flight for the next call. State pages: ahci_dump.h. */
#include <string.h>
#include "drivers/ahci/ahci.h"
#include "drivers/ahci/ahci_dump.h"
#include "dump/clone/clone_rt.h"
#include "arch/cpu.h"
#include "klog.h"
#include "err.h"

#define ATA_SECTORS_PER_CMD 65536u

/* The clone's state, at the start of the state pages past the message buffer. */
struct dump_ahci_state {
    struct ahci_port port;
    uint32_t pending;         /* a write or FLUSH CACHE is in flight in slot 0 */
};
_Static_assert(AHCI_DUMP_STATE_OFF + sizeof(struct dump_ahci_state) <= AHCI_DUMP_PAGE - CLONE_LOG_SIZE,
               "dump_ahci's state fits in its first page after the message buffer");

static struct dump_ahci_state *state(void)
{
    return (struct dump_ahci_state *)(clone_state() + AHCI_DUMP_STATE_OFF);
}

static struct ahci_port *port(void)
{
    return &state()->port;
}

/* Collect the status of the command left in flight, if any, once it has finished; without
 * `wait`, return 1 at once if it has not. 0 or the command's error. */
static int settle(bool wait)
{
    if (!state()->pending)
        return 0;
    if (!wait && ahci_port_busy(port()))
        return 1;
    state()->pending = 0;
    return ahci_wait(port());
}

static void idle_spin(struct ahci_port *p)
{
    (void)p;
    clone_idle();
}

__attribute__((used)) int clone_init(void)
{
    const volatile struct clone_params *prm = &clone_params;
    if (prm->state_size < AHCI_DUMP_STATE_BYTES || prm->unit >= 32 || !prm->regs_virt)
        return ERR_INVALID_ARGS;
    volatile uint8_t *abar = (volatile uint8_t *)(uintptr_t)prm->regs_virt;
    uint8_t *base = (uint8_t *)(uintptr_t)prm->state_virt;
    struct ahci_port *p = port();
    memset(state(), 0, sizeof *state());
    p->regs = abar + AHCI_PORT_BASE(prm->unit);
    p->index = prm->unit;
    p->cmd_list = (struct ahci_cmd_header *)(base + AHCI_DUMP_CMD_PAGE * AHCI_DUMP_PAGE);
    p->cmd_list_phys = prm->state_phys + AHCI_DUMP_CMD_PAGE * AHCI_DUMP_PAGE;
    p->rfis = (struct ahci_recv_fis *)(base + AHCI_DUMP_CMD_PAGE * AHCI_DUMP_PAGE + AHCI_DUMP_RFIS_OFF);
    p->rfis_phys = p->cmd_list_phys + AHCI_DUMP_RFIS_OFF;
    p->table = (struct ahci_cmd_table *)(base + AHCI_DUMP_TABLE_PAGE * AHCI_DUMP_PAGE);
    p->table_phys = prm->state_phys + AHCI_DUMP_TABLE_PAGE * AHCI_DUMP_PAGE;
    p->idle = idle_spin;
    p->now_ns = clone_now_ns;
    p->sector_size = prm->sector_size;
    p->sectors = prm->disk_sectors;
    memset(p->cmd_list, 0, AHCI_DUMP_PAGE);
    /* Polled from here on: no interrupt from the HBA or the port, whatever the live driver
     * had enabled; then take the port over with our own command list and FIS area. */
    *(volatile uint32_t *)(abar + AHCI_GHC) &= ~AHCI_GHC_IE;
    *(volatile uint32_t *)(p->regs + AHCI_PxIE) = 0;
    int rc = ahci_port_start(p);
    if (rc)
        klog(KLOG_ERR, "dump_ahci: port %u: start failed: %s", p->index, err_str(rc));
    return rc;
}

/* Move `sectors` sectors between the disk and physically contiguous memory at `phys`, in
 * commands of at most ATA_SECTORS_PER_CMD sectors and AHCI_PRDT_ENTRIES x 4 MiB. A read
 * completes before returning; the last command of a write is left in flight, so that the
 * caller's next step (the next chunk's checksum) overlaps with the disk's work. */
static int transfer(bool write, uint64_t lba, uint64_t phys, uint64_t sectors)
{
    struct ahci_port *p = port();
    uint64_t ss = p->sector_size;
    uint64_t per_cmd = (uint64_t)AHCI_PRDT_ENTRIES * AHCI_PRD_MAX_BYTES / ss;
    if (per_cmd > ATA_SECTORS_PER_CMD)
        per_cmd = ATA_SECTORS_PER_CMD;
    while (sectors > 0) {
        uint64_t n = sectors < per_cmd ? sectors : per_cmd;
        struct ahci_prd prds[AHCI_PRDT_ENTRIES];
        unsigned nprd = 0;
        for (uint64_t off = 0; off < n * ss; off += AHCI_PRD_MAX_BYTES) {
            uint64_t len = n * ss - off < AHCI_PRD_MAX_BYTES ? n * ss - off : AHCI_PRD_MAX_BYTES;
            uint64_t pa = phys + off;
            prds[nprd++] = (struct ahci_prd){ (uint32_t)pa, (uint32_t)(pa >> 32), 0, (uint32_t)(len - 1) };
        }
        int rc = settle(true);
        if (rc)
            return rc;
        if (write) {
            rc = ahci_rw_start(p, true, lba, (uint32_t)n, prds, nprd);
            state()->pending = rc == 0;
        } else {
            rc = ahci_rw_prds(p, false, lba, (uint32_t)n, prds, nprd);
        }
        if (rc)
            return rc;
        lba += n;
        phys += n * ss;
        sectors -= n;
    }
    return 0;
}

__attribute__((used)) int clone_write(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    int rc = clone_check_write(lba, sectors);
    return rc ? rc : transfer(true, lba, phys, sectors);
}

__attribute__((used)) int clone_read(uint64_t lba, uint64_t phys, uint64_t sectors)
{
    if (sectors == 0 || lba >= port()->sectors || sectors > port()->sectors - lba)
        return ERR_RANGE;
    return transfer(false, lba, phys, sectors);
}

__attribute__((used)) int clone_flush(void)
{
    int rc = settle(true);
    return rc ? rc : ahci_flush(port());
}

__attribute__((used)) int clone_flush_start(void)
{
    int rc = settle(true);
    if (!rc && (rc = ahci_flush_start(port())) == 0)
        state()->pending = 1;
    return rc;
}

__attribute__((used)) int clone_poll(void)
{
    return settle(false);
}
