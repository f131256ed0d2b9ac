/* ACPI, the little Blackbox needs: find the FADT through the RSDP GRUB passed, learn the
 * reset register and the PM1 control ports, and the S5 sleep type from the DSDT, for
 * reboot and power-off; the CPUs' APIC IDs from the MADT, for starting them. */
#ifndef BB_ACPI_H
#define BB_ACPI_H

#include <stdint.h>
#include "arch/multiboot2.h"

/* Parse the tables. Returns 0, ERR_NOT_FOUND (no RSDP/FADT) or ERR_CORRUPT (bad checksum);
 * reboot still works without ACPI through the fallbacks. */
int acpi_init(const struct boot_info *bi);
/* APIC IDs of the usable CPUs the MADT lists (the boot CPU among them), at most MAX_CPUS;
 * returns their count (0 without a MADT) and points *ids at them. */
unsigned acpi_cpu_apic_ids(const uint32_t **ids);
/* Reset the machine: ACPI reset register, then port 0xCF9, then the 8042, then a triple
 * fault. Returns only if all of them failed. Safe at bugcheck time. */
void acpi_reboot(void);
/* Enter S5 (soft off). Returns ERR_NOT_SUPPORTED without ACPI, ERR_TIMED_OUT if the
 * machine is still running afterwards. */
int acpi_poweroff(void);

#endif
