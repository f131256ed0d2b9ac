/* kmain: the boot sequence from the first C instruction to the shell: console and klog,
 * GDT/IDT, PFN database and paging, ACPI, LAPIC and timer, the application processors, PCI,
 * the storage drivers (INIT_STORAGE boot steps), volumes, registry, the dump stack (INIT_DUMP), the event log,
 * COM2, the recovery programs, the shell. Each step logs what it found; a step the system
 * cannot live without bugchecks. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "arch/multiboot2.h"
#include "arch/gdt.h"
#include "arch/trap.h"
#include "arch/timer.h"
#include "arch/lapic.h"
#include "arch/acpi.h"
#include "arch/cpu.h"
#include "smp/smp.h"
#include "console/console.h"
#include "console/com2.h"
#include "mm/pfn.h"
#include "mm/paging.h"
#include "mm/layout.h"
#include "pci/pci.h"
#include "block/volume.h"
#include "initcall.h"
#include "proc/boot_programs.h"
#include "bugcheck/bugcheck.h"
#include "bugcheck/cpu_state.h"
#include "config/registry.h"
#include "shell/shell.h"
#include "proc/process.h"
#include "eventlog/eventlog.h"
#include "klog.h"
#include "version.h"
#include "err.h"

#define GIB (1ull << 30)

extern char __kernel_phys_start[], __kernel_phys_end[];

static struct boot_info boot_info;

/* True if the space-separated command line contains `word`. */
static bool cmdline_has(const char *cmdline, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) == n && memcmp(p, word, n) == 0)
            return true;
        p = end;
    }
    return false;
}

static void check(int rc, const char *what)
{
    if (rc < 0) {
        klog(KLOG_CRIT, "boot: %s failed: %s", what, err_str(rc));
        bugcheck(BUGCODE_PHASE1_INITIALIZATION_FAILED, (uint64_t)-rc, (uint64_t)what, 0, 0);
    }
}

void kmain(uint32_t magic, uint64_t mbi_phys, uint64_t entry_tsc)
{
    console_init();
    int tsc_rc = timer_calibrate_tsc(entry_tsc);
    int mb_rc = mb2_parse(magic, mbi_phys, &boot_info);

    uint64_t kept = klog_init(KLOG_AREA_PHYS);
    char id[64];
    version_build_id_hex(id, sizeof id);
    klog(KLOG_NOTICE, "Blackbox %s starting, build-id %s", BLACKBOX_VERSION, id);
    if (kept)
        klog(KLOG_INFO, "klog: %lu records kept from before the last reset", (unsigned long)kept);
    if (tsc_rc)
        klog(KLOG_WARN, "timer: PIT calibration failed (%s), assuming a 1 GHz TSC", err_str(tsc_rc));
    klog(KLOG_INFO, "timer: TSC %lu kHz", (unsigned long)(timer_tsc_hz() / 1000u));
    check(mb_rc, "multiboot2 information");
    klog(KLOG_INFO, "boot: loader '%s', command line '%s', boot info at 0x%lx",
         boot_info.loader, boot_info.cmdline, (unsigned long)boot_info.mbi_phys);
    if (cmdline_has(boot_info.cmdline, "autoreboot=0"))
        bugcheck_set_auto_reboot(false);

    gdt_init();
    idt_init();
    process_init();

    const struct pfn_range taken[] = {
        { (uint64_t)__kernel_phys_start, (uint64_t)__kernel_phys_end },
        { KLOG_AREA_PHYS, KLOG_AREA_PHYS + KLOG_AREA_SIZE },
    };
    check(pfn_init(&boot_info, taken, 2), "PFN database");
    uint64_t top = (pfn_ram_top() + GIB - 1) & ~(GIB - 1);
    check(paging_init(top > 4 * GIB ? top : 4 * GIB), "paging");
    uint64_t counts[PFN_STATE_COUNT], frames;
    pfn_counts(counts, &frames);
    const struct pfn_range *runs;
    klog(KLOG_INFO, "mm: %lu MiB RAM in %u runs, %lu MiB free, kernel image %lu KiB",
         (unsigned long)(pfn_ram_top() >> 20), pfn_ram_runs(&runs),
         (unsigned long)(counts[PFN_FREE] >> 8),
         (unsigned long)((__kernel_phys_end - __kernel_phys_start) >> 10));

    int acpi_rc = acpi_init(&boot_info);
    if (acpi_rc)
        klog(KLOG_WARN, "acpi: %s; power off unavailable", err_str(acpi_rc));
    check(lapic_init(), "local APIC");
    check(bugcheck_cpu_online(0, lapic_id()), "bootstrap CPU slot");
    check(timer_start(), "timer");
    cpu_sti();
    smp_init();
    pci_init();
    initcall_run(INIT_STORAGE);
    volume_mount_all();
    registry_init();
    uint32_t auto_reboot;
    if (!cmdline_has(boot_info.cmdline, "autoreboot=0") &&
        cc_get_dword(&registry_cc, CC_AUTO_REBOOT, &auto_reboot) == 0)
        bugcheck_set_auto_reboot(auto_reboot != 0);
    initcall_run(INIT_DUMP);
    evlog_log_boot();
    com2_init();
    proc_run_boot_programs();

    uint64_t ns = timer_ns();
    klog(KLOG_NOTICE, "boot: shell ready %lu us after kernel entry", (unsigned long)(ns / 1000u));
    kprintf("\nBlackbox %s. Type 'help' for commands.\n", BLACKBOX_VERSION);
    shell_run();
}
