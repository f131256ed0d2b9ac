/* The system commands of the shell and the command table: help, ver, mem, lspci, log,
 * uptime, reboot, poweroff (both sync every volume first), and the table entries of the
 * crash, disk and file commands defined in the other shell_*.c files; `help` lists the
 * commands other parts registered (shell_register) after them. */
#include <stdint.h>
#include "shell/shell.h"
#include "console/console.h"
#include "mm/pfn.h"
#include "mm/heap.h"
#include "pci/pci.h"
#include "arch/acpi.h"
#include "arch/timer.h"
#include "block/volume.h"
#include "klog.h"
#include "version.h"
#include "err.h"

static int cmd_help(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    for (const struct shell_cmd *c = shell_commands; c->name; c++)
        kprintf("  %-9s %-10s %s\n", c->name, c->usage, c->help);
    const struct shell_cmd *r;
    for (unsigned i = 0; (r = shell_registered_at(i)); i++)
        kprintf("  %-9s %-10s %s\n", r->name, r->usage, r->help);
    return 0;
}

static int cmd_ver(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    char id[64];
    version_build_id_hex(id, sizeof id);
    kprintf("Blackbox %s (x86_64)\nbuild-id %s\n", BLACKBOX_VERSION, id);
    return 0;
}

static int cmd_mem(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    uint64_t counts[PFN_STATE_COUNT], frames;
    pfn_counts(counts, &frames);
    kprintf("physical memory: %lu frames of 4 KiB (%lu MiB up to the top of RAM)\n",
            (unsigned long)frames, (unsigned long)(pfn_ram_top() >> 20));
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        kprintf("  %-10s %8lu pages %8lu KiB\n", pfn_state_name((enum pfn_state)s),
                (unsigned long)counts[s], (unsigned long)counts[s] * 4);
    struct heap_stats hs;
    heap_stats(&hs);
    kprintf("kernel heap: %lu bytes in %lu blocks, %lu pages held\n", (unsigned long)hs.bytes_in_use,
            (unsigned long)hs.blocks_in_use, (unsigned long)hs.pages);
    return 0;
}

static int cmd_lspci(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    const struct pci_device *d;
    for (unsigned i = 0; (d = pci_device_at(i)); i++) {
        kprintf("%02x:%02x.%x %04x:%04x class %02x%02x%02x %s\n", d->bus, d->dev, d->fn,
                d->vendor_id, d->device_id, d->class_code, d->subclass, d->prog_if,
                pci_class_name(d->class_code, d->subclass));
        for (int b = 0; b < 6; b++) {
            const struct pci_bar *bar = &d->bar[b];
            if (bar->kind == PCI_BAR_NONE)
                continue;
            kprintf("        BAR%d %s 0x%lx size 0x%lx%s\n", b,
                    bar->kind == PCI_BAR_IO ? "io   " : bar->kind == PCI_BAR_MEM64 ? "mem64" : "mem32",
                    (unsigned long)bar->base, (unsigned long)bar->size, bar->prefetchable ? " prefetchable" : "");
        }
    }
    return 0;
}

static int cmd_log(int argc, char **argv)
{
    uint64_t n = 0;
    if (argc > 2 || (argc == 2 && num_parse(argv[1], UINT64_MAX, &n)))
        return ERR_INVALID_ARGS;
    klog_print(n);
    return 0;
}

static int cmd_uptime(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    uint64_t ns = timer_ns(), s = ns / 1000000000u;
    kprintf("up %lu:%02lu:%02lu.%03lu (%lu timer ticks at %d Hz, TSC %lu MHz)\n",
            (unsigned long)(s / 3600), (unsigned long)(s / 60 % 60), (unsigned long)(s % 60),
            (unsigned long)(ns / 1000000u % 1000u), (unsigned long)timer_ticks(), TIMER_HZ,
            (unsigned long)(timer_tsc_hz() / 1000000u));
    return 0;
}

/* Write back every volume before the machine goes away; a failure is reported, not fatal. */
static void sync_volumes(void)
{
    int rc = volume_sync_all();
    if (rc)
        kprintf("warning: syncing the volumes failed: %s\n", err_str(rc));
}

static int cmd_reboot(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    sync_volumes();
    klog(KLOG_NOTICE, "shell: reboot");
    acpi_reboot();
    return ERR_GENERIC;
}

static int cmd_poweroff(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    sync_volumes();
    klog(KLOG_NOTICE, "shell: power off");
    return acpi_poweroff();
}

const struct shell_cmd shell_commands[] = {
    { "help", "", "list the commands", cmd_help },
    { "ver", "", "version and build-id", cmd_ver },
    { "mem", "", "physical memory by state, heap usage", cmd_mem },
    { "lspci", "", "PCI functions: vendor:device, class, BARs", cmd_lspci },
    { "log", "[N]", "kernel log (last N records)", cmd_log },
    { "eventlog", "[N]", "system event log C:\\EVENTS\\SYSTEM.EVT (last N records, default 20)",
      shell_cmd_eventlog },
    { "uptime", "", "time since boot", cmd_uptime },
    { "reboot", "", "reset the machine", cmd_reboot },
    { "poweroff", "", "power the machine off", cmd_poweroff },
    { "disks", "", "registered disks: size, sector size, model, controller", shell_cmd_disks },
    { "blk", "DISK read LBA [COUNT] | DISK fill LBA COUNT BYTE",
      "hex dump sectors, or fill them with a byte and flush", shell_cmd_blk },
    { "vol", "", "volumes: letter, label, partition, disk, size, free", shell_cmd_vol },
    { "df", "", "same as vol", shell_cmd_vol },
    { "dir", "[PATH]", "list a directory (default C:\\)", shell_cmd_dir },
    { "ls", "[PATH]", "same as dir", shell_cmd_dir },
    { "type", "PATH", "print a file", shell_cmd_type },
    { "cat", "PATH", "same as type", shell_cmd_type },
    { "hexdump", "PATH [OFFSET] [LEN]", "hex dump of a file (default 256 bytes)", shell_cmd_hexdump },
    { "crc", "PATH", "CRC-32 of a file and its read speed", shell_cmd_crc },
    { "write", "PATH TEXT...", "create or replace a file with TEXT and a newline", shell_cmd_write },
    { "copy", "SRC DST", "copy a file (any volumes; DST may be a directory)", shell_cmd_copy },
    { "cp", "SRC DST", "same as copy", shell_cmd_copy },
    { "ren", "SRC DST", "rename or move within a volume", shell_cmd_ren },
    { "mv", "SRC DST", "same as ren", shell_cmd_ren },
    { "del", "PATH", "delete a file", shell_cmd_del },
    { "rm", "PATH", "same as del", shell_cmd_del },
    { "mkdir", "PATH", "make a directory", shell_cmd_mkdir },
    { "rmdir", "PATH", "remove an empty directory", shell_cmd_rmdir },
    { "mkfile", "PATH SIZE", "write a file of SIZE bytes (K/M/G) of a test pattern, timed",
      shell_cmd_mkfile },
    { "reg", "query|add|delete KEY ...", "registry, reg.exe syntax (reg query HKLM\\SYSTEM /s)",
      shell_cmd_reg },
    { "run", "[-t SECONDS] PROGRAM [ARGS]", "run a user program (embedded, or an ELF file path) with a time limit (600 s); run alone lists them",
      shell_cmd_run },
    { "mark", "TEXT [PAGES]", "fill kernel pages (default 1) with TEXT and print the first one's physical address",
      shell_cmd_mark },
    { "cpus", "[run N]", "CPUs: APIC ID, state, what each is doing; run N hands CPU N a test job",
      shell_cmd_cpus },
    { "crash", "[-c N|all] KIND", "crash on purpose: on the shell's CPU, on CPU N, or on all at once (no KIND lists the kinds)",
      shell_cmd_crash },
    { 0, 0, 0, 0 },
};
