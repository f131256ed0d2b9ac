/* AHCI hardware operations, over one port's command memory. The live driver (ahci_pci.c) and
 * the crash-dump clone (ahci_clone.c) each own a struct ahci_port with their own command
 * list, received-FIS area, command table and clock; nothing here locks, allocates or needs
 * interrupts, so the same code serves the polled dump path. All waits are bounded. */
#ifndef BB_AHCI_H
#define BB_AHCI_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/ahci/ahci_reg.h"

#define AHCI_TIMEOUT_RESET_NS   (1000ull * 1000 * 1000)  /* HBA reset: 1 s (spec) */
#define AHCI_TIMEOUT_PORT_NS    (500ull * 1000 * 1000)   /* CR/FR to clear: 500 ms (spec) */
#define AHCI_TIMEOUT_CMD_NS     (5000ull * 1000 * 1000)  /* one command */
struct ahci_port;
/* The caller's monotonic clock, nanoseconds: the kernel's timer for the live driver, the TSC
 * against the loader's frequency for the clone. */
typedef uint64_t (*ahci_clock_fn)(void);
/* How a waiting command passes time between checks: spin (polled, dump path) or sleep
 * until an interrupt (live driver; must not sleep if slot 0 already completed). */
typedef void (*ahci_idle_fn)(struct ahci_port *p);

/* One port and the memory its commands use. [I] = set at init, then read-only. */
struct ahci_port {
    volatile uint8_t *regs;          /* port registers (ABAR + AHCI_PORT_BASE(n)) [I] */
    unsigned index;                  /* port number [I] */
    struct ahci_cmd_header *cmd_list;/* 32 headers, 1 KiB aligned, DMA memory [I] */
    uint64_t cmd_list_phys;          /* [I] */
    struct ahci_recv_fis *rfis;      /* received FIS area, 256-byte aligned [I] */
    uint64_t rfis_phys;              /* [I] */
    struct ahci_cmd_table *table;    /* command table for slot 0 [I] */
    uint64_t table_phys;             /* [I] */
    ahci_idle_fn idle;               /* called while waiting (spin, or sti;hlt) */
    ahci_clock_fn now_ns;            /* the clock every wait is bounded by [I] */
    volatile uint32_t irq_is;        /* PxIS bits an interrupt handler read and cleared;
                                        issue() clears it, handler ORs in (0 when polled) */
    uint32_t sector_size;            /* logical sector size, from IDENTIFY */
    uint64_t sectors;                /* capacity in logical sectors, from IDENTIFY */
    char model[41];                  /* from IDENTIFY, NUL-terminated */
    uint64_t errors;                 /* commands that failed and were recovered */
};

/* Take the HBA from the BIOS if CAP2.BOH, reset it and enable AHCI mode, timing the waits
 * with now_ns. 0 or ERR_TIMED_OUT. */
int ahci_hba_reset(volatile uint8_t *abar, ahci_clock_fn now_ns);
/* True if a device is attached and the link is up (PxSSTS.DET = 3). */
bool ahci_port_link_up(volatile uint8_t *port_regs);
/* PxSIG: AHCI_SIG_ATA for a disk, AHCI_SIG_ATAPI for a CD; valid once the port has been
 * started (FIS receive on) and the device has sent its first register FIS. */
uint32_t ahci_port_signature(volatile uint8_t *port_regs);
/* Stop the port, point it at p's command list and FIS area, clear errors, start it.
 * 0, ERR_TIMED_OUT (port did not stop or the device stayed busy). */
int ahci_port_start(struct ahci_port *p);
/* Stop command processing and FIS receive. 0 or ERR_TIMED_OUT. */
int ahci_port_stop(struct ahci_port *p);
/* IDENTIFY DEVICE into `buf` (512 bytes, DMA-reachable, at buf_phys); fills sector_size,
 * sectors and model. 0, ERR_IO, ERR_TIMED_OUT, ERR_NOT_SUPPORTED (no 48-bit LBA). */
int ahci_identify(struct ahci_port *p, void *buf, uint64_t buf_phys);
/* Transfer `count` sectors at `lba` to or from the physically contiguous or page-scattered
 * buffer described by the PRD list (phys, len) pairs. Used by ahci_rw. */
int ahci_rw_prds(struct ahci_port *p, bool write, uint64_t lba, uint32_t count,
                 const struct ahci_prd *prds, unsigned nprd);
/* True while command slot 0 is still outstanding and no error has been reported. */
bool ahci_port_busy(const struct ahci_port *p);
/* Interrupt handler work for one port: collect and clear PxIS into p->irq_status. */
void ahci_port_ack_irq(struct ahci_port *p);
/* Enable the port's interrupt sources (PxIE). */
void ahci_port_enable_irq(struct ahci_port *p);
/* Wait (bounded) for the command in slot 0 to finish; on an error or time-out the port is
 * recovered. 0, ERR_IO, ERR_TIMED_OUT. */
int ahci_wait(struct ahci_port *p);
/* Start a READ/WRITE DMA EXT in slot 0 and return at once, without waiting for it: the
 * command is left outstanding: the dump path overlaps it with its next checksum; `crash io`
 * bugchecks with it in flight. Finish it with ahci_wait(). 0, ERR_BUSY, ERR_INVALID_ARGS. */
int ahci_rw_start(struct ahci_port *p, bool write, uint64_t lba, uint32_t count,
                  const struct ahci_prd *prds, unsigned nprd);
/* FLUSH CACHE EXT. 0, ERR_IO, ERR_TIMED_OUT. */
int ahci_flush(struct ahci_port *p);
/* Start a FLUSH CACHE EXT in slot 0 and return at once (the dump path checksums ahead while
 * the disk drains its cache). Finish it with ahci_wait(). 0 or ERR_BUSY. */
int ahci_flush_start(struct ahci_port *p);

#endif
