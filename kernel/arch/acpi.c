/* ACPI table walk (RSDP -> RSDT/XSDT -> FADT -> DSDT) for reset and S5, and the MADT for the
 * list of CPUs. Table layouts from the ACPI 6.x specification, section 5.2. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "arch/acpi.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "smp/smp.h"
#include "mm/layout.h"
#include "klog.h"
#include "err.h"

struct acpi_rsdp {
    char signature[8];      /* "RSD PTR " */
    uint8_t checksum;       /* first 20 bytes sum to 0 */
    char oem_id[6];
    uint8_t revision;       /* 0: ACPI 1.0, 2: 2.0+ */
    uint32_t rsdt_address;  /* physical address of the RSDT */
    uint32_t length;        /* 2.0+: whole structure */
    uint64_t xsdt_address;  /* 2.0+: physical address of the XSDT */
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

struct acpi_sdt {
    char signature[4];
    uint32_t length;        /* including this header */
    uint8_t revision;
    uint8_t checksum;       /* whole table sums to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt) == 36, "SDT header");

#define FADT_DSDT          40   /* u32 physical address of the DSDT */
#define FADT_PM1A_CNT_BLK  64   /* u32 I/O port of PM1a control */
#define FADT_PM1B_CNT_BLK  68   /* u32 I/O port of PM1b control (0 = none) */
#define FADT_FLAGS        112   /* u32 feature flags */
#define FADT_RESET_REG    116   /* 12-byte generic address structure */
#define FADT_RESET_VALUE  128   /* u8 value to write to the reset register */
#define FADT_X_DSDT       140   /* u64 (ACPI 2.0+) */
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define GAS_SPACE_IO 1          /* generic address: system I/O space */
#define PM1_SLP_EN (1u << 13)
#define PM1_SLP_TYP_SHIFT 10
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0A
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define PORT_RESET_CONTROL 0xCF9  /* chipset reset control */
#define RESET_CONTROL_FULL 0x06   /* system reset + CPU reset */
#define I8042_COMMAND 0x64
#define I8042_PULSE_RESET 0xFE
#define ACPI_MAX_TABLE (16u << 20)
#define MADT_ENTRIES       44   /* entries follow the header, LAPIC address and flags */
#define MADT_LOCAL_APIC     0   /* entry type: processor local APIC */
#define MADT_LAPIC_LEN      8
#define MADT_LAPIC_ENABLED  (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

static struct {
    bool reset_io;          /* reset register is an I/O port */
    uint16_t reset_port;
    uint8_t reset_value;
    uint16_t pm1a_cnt, pm1b_cnt;
    bool s5_known;
    uint8_t slp_typ_a, slp_typ_b;
    uint32_t cpu_apic_ids[MAX_CPUS];
    unsigned ncpus;
} acpi;

static bool checksum_ok(const void *p, uint64_t len)
{
    uint8_t sum = 0;
    for (uint64_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + ((const uint8_t *)p)[i]);
    return sum == 0;
}

static const struct acpi_sdt *table_at(uint64_t phys)
{
    if (!phys)
        return NULL;
    const struct acpi_sdt *t = phys_to_virt(phys);
    if (t->length < sizeof *t || t->length > ACPI_MAX_TABLE || !checksum_ok(t, t->length))
        return NULL;
    return t;
}

static uint32_t rd32(const void *base, unsigned off) { uint32_t v; memcpy(&v, (const uint8_t *)base + off, 4); return v; }
static uint64_t rd64(const void *base, unsigned off) { uint64_t v; memcpy(&v, (const uint8_t *)base + off, 8); return v; }

static int aml_small_int(const uint8_t *p, const uint8_t *end, uint8_t *v)
{
    if (p >= end)
        return -1;
    if (*p == AML_ZERO_OP || *p == AML_ONE_OP) {
        *v = *p;
        return 1;
    }
    if (*p == AML_BYTE_PREFIX && p + 1 < end) {
        *v = p[1];
        return 2;
    }
    return -1;
}

/* Find "Name(_S5_, Package(){a, b, ...})" in the DSDT's AML. */
static void find_s5(const struct acpi_sdt *dsdt)
{
    const uint8_t *p = (const uint8_t *)(dsdt + 1), *end = (const uint8_t *)dsdt + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != AML_PACKAGE_OP)
            continue;
        if (p[-1] != AML_NAME_OP && !(p[-2] == AML_NAME_OP && p[-1] == '\\'))
            continue;
        const uint8_t *q = p + 5;
        q += ((*q >> 6) & 3) + 1;   /* PkgLength: lead byte plus 0..3 following bytes */
        q++;                        /* NumElements */
        int n = aml_small_int(q, end, &acpi.slp_typ_a);
        if (n < 0)
            return;
        if (aml_small_int(q + n, end, &acpi.slp_typ_b) < 0)
            acpi.slp_typ_b = acpi.slp_typ_a;
        acpi.s5_known = true;
        return;
    }
}

static const struct acpi_sdt *find_table(const struct acpi_rsdp *rsdp, const char sig[4])
{
    const struct acpi_sdt *root = NULL;
    unsigned entry = 4;
    if (rsdp->revision >= 2 && rsdp->xsdt_address) {
        root = table_at(rsdp->xsdt_address);
        entry = 8;
    }
    if (!root) {
        root = table_at(rsdp->rsdt_address);
        entry = 4;
    }
    if (!root)
        return NULL;
    unsigned n = (root->length - sizeof *root) / entry;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * entry;
        uint64_t phys = entry == 8 ? rd64(e, 0) : rd32(e, 0);
        const struct acpi_sdt *t = table_at(phys);
        if (t && memcmp(t->signature, sig, 4) == 0)
            return t;
    }
    return NULL;
}

/* The enabled (or online-capable) processor local APICs of the MADT, in table order. */
static void parse_madt(const struct acpi_sdt *madt)
{
    const uint8_t *p = (const uint8_t *)madt + MADT_ENTRIES, *end = (const uint8_t *)madt + madt->length;
    unsigned skipped = 0;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        if (p[0] == MADT_LOCAL_APIC && p[1] >= MADT_LAPIC_LEN &&
            (rd32(p, 4) & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE))) {
            if (acpi.ncpus < MAX_CPUS)
                acpi.cpu_apic_ids[acpi.ncpus++] = p[3];
            else
                skipped++;
        }
        p += p[1];
    }
    if (skipped)
        klog(KLOG_WARN, "acpi: %u CPUs beyond MAX_CPUS (%u) left offline", skipped, MAX_CPUS);
}

int acpi_init(const struct boot_info *bi)
{
    if (bi->rsdp_len < 20)
        return ERR_NOT_FOUND;
    const struct acpi_rsdp *rsdp = (const struct acpi_rsdp *)bi->rsdp;
    if (memcmp(rsdp->signature, "RSD PTR ", 8) != 0 || !checksum_ok(rsdp, 20))
        return ERR_CORRUPT;
    const struct acpi_sdt *madt = find_table(rsdp, "APIC");
    if (madt && madt->length >= MADT_ENTRIES)
        parse_madt(madt);
    const struct acpi_sdt *fadt = find_table(rsdp, "FACP");
    if (!fadt)
        return ERR_NOT_FOUND;
    acpi.pm1a_cnt = (uint16_t)rd32(fadt, FADT_PM1A_CNT_BLK);
    acpi.pm1b_cnt = (uint16_t)rd32(fadt, FADT_PM1B_CNT_BLK);
    if (fadt->length >= FADT_RESET_VALUE + 1 && (rd32(fadt, FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP)) {
        const uint8_t *gas = (const uint8_t *)fadt + FADT_RESET_REG;
        acpi.reset_io = gas[0] == GAS_SPACE_IO;
        acpi.reset_port = (uint16_t)rd64(gas, 4);
        acpi.reset_value = ((const uint8_t *)fadt)[FADT_RESET_VALUE];
    }
    uint64_t dsdt_phys = fadt->length >= FADT_X_DSDT + 8 ? rd64(fadt, FADT_X_DSDT) : 0;
    if (!dsdt_phys)
        dsdt_phys = rd32(fadt, FADT_DSDT);
    const struct acpi_sdt *dsdt = table_at(dsdt_phys);
    if (dsdt)
        find_s5(dsdt);
    klog(KLOG_INFO, "acpi: PM1a_CNT 0x%x, reset %s 0x%x=0x%x, S5 %s, %u CPUs in the MADT",
         acpi.pm1a_cnt, acpi.reset_io ? "port" : "none", acpi.reset_port, acpi.reset_value,
         acpi.s5_known ? "found" : "not found", acpi.ncpus);
    return 0;
}

unsigned acpi_cpu_apic_ids(const uint32_t **ids)
{
    *ids = acpi.cpu_apic_ids;
    return acpi.ncpus;
}

void acpi_reboot(void)
{
    if (acpi.reset_io) {
        outb(acpi.reset_port, acpi.reset_value);
        timer_delay_ms(50);
    }
    outb(PORT_RESET_CONTROL, RESET_CONTROL_FULL);
    timer_delay_ms(50);
    outb(I8042_COMMAND, I8042_PULSE_RESET);
    timer_delay_ms(50);
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) null_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(null_idt));
}

int acpi_poweroff(void)
{
    if (!acpi.pm1a_cnt || !acpi.s5_known)
        return ERR_NOT_SUPPORTED;
    outw(acpi.pm1a_cnt, (uint16_t)((acpi.slp_typ_a << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN));
    if (acpi.pm1b_cnt)
        outw(acpi.pm1b_cnt, (uint16_t)((acpi.slp_typ_b << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN));
    timer_delay_ms(500);
    return ERR_TIMED_OUT;
}
