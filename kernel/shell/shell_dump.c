/* `dumpcfg`: what would happen at a crash, before it happens — dump type, target file and its
 * sector runs, disk, cloned driver and checksums, space needed against available, the
 * boot-time self-test, and whether the stack is armed (or why not). */
#include "shell/shell.h"
#include "dump/stack/dump_stack.h"
#include "console/console.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "klog.h"
#include "version.h"
#include "err.h"
#include <string.h>

static const char *type_name(uint32_t t)
{
    switch (t) {
    case DUMP_CONFIG_NONE: return "none";
    case DUMP_CONFIG_COMPLETE: return "complete memory dump";
    case DUMP_CONFIG_KERNEL: return "kernel memory dump";
    case DUMP_CONFIG_SMALL: return "small memory dump (minidump)";
    case DUMP_CONFIG_AUTOMATIC: return "automatic memory dump (kernel memory)";
    default: return "unknown";
    }
}

int shell_cmd_dumpcfg(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    const struct dump_stack *d = dump_stack_get();
    char need[24], have[24];
    static const char *const states[] = { [DUMP_OFF] = "OFF", [DUMP_UNARMED] = "NOT ARMED",
                                          [DUMP_ARMED] = "ARMED", [DUMP_RECOVERING] = "RECOVERING" };
    kprintf("state:        %s\n", states[d->state]);
    if (d->reason[0])
        kprintf("note:         %s\n", d->reason);
    kprintf("dump type:    %s (CrashDumpEnabled=%u)\n", type_name(d->settings.crash_dump_enabled),
            d->settings.crash_dump_enabled);
    if (d->planned_type != d->settings.crash_dump_enabled)
        kprintf("will write:   %s\n", type_name(d->planned_type));
    if (d->state == DUMP_OFF)
        return 0;
    kprintf("target:       %s%s\n", d->target, d->holds_dump ? " (holds an unrecovered dump)" : "");
    if (d->dedicated)
        kprintf("dedicated:    DedicatedDumpFile, DumpFileSize %lu MB%s\n",
                (unsigned long)d->settings.dump_file_size_mb,
                d->settings.dump_file_size_mb ? "" : " (system-managed)");
    if (d->volume)
        kprintf("volume:       %c: = %s on disk %s (%s, %s)\n", d->volume->letter, d->volume->name,
                d->disk->bd->name, d->disk->model, d->disk->controller);
    shell_format_size(need, sizeof need, d->needed_bytes);
    shell_format_size(have, sizeof have, d->target_bytes);
    kprintf("space:        needed %s (%lu bytes), available %s (%lu bytes)\n", need,
            (unsigned long)d->needed_bytes, have, (unsigned long)d->target_bytes);
    if (!d->driver.params)
        return 0;
    const struct dump_drv_params *p = d->driver.params;
    kprintf("sector runs:  %u run(s) on %s, %u-byte sectors\n", p->extent_count, d->disk->bd->name, p->sector_size);
    for (uint32_t i = 0; i < p->extent_count; i++)
        kprintf("              LBA %lu..%lu (%lu sectors)\n", (unsigned long)p->extents[i].lba,
                (unsigned long)(p->extents[i].lba + p->extents[i].sectors - 1), (unsigned long)p->extents[i].sectors);
    kprintf("driver:       %s, %u bytes at %p (read-only), state %lu KiB at phys 0x%lx\n", d->driver.name,
            d->driver.image_size, (void *)d->driver.image_virt, (unsigned long)(d->driver.state_size / 1024),
            (unsigned long)d->driver.state_phys);
    kprintf("checksums:    driver image 0x%08x, block map 0x%08x, controller parameters 0x%08x, dump writer 0x%08x (CRC32C)\n",
            d->crc_driver, d->crc_blockmap, d->crc_params, d->crc_writer);
    if (d->selftest_rc)
        kprintf("self-test:    FAILED: %s\n", err_str(d->selftest_rc));
    else
        kprintf("self-test:    passed (one sector written, read back and restored in %lu us)\n",
                (unsigned long)d->selftest_us);
    return 0;
}

/* `mark TEXT [PAGES]`: fill fresh kernel pages with TEXT repeated and say where the first
 * is, so that the page can be found in a crash dump (bbdump read DUMP PHYS LEN) and its
 * bytes checked; many pages make a machine whose memory is mostly data (bench/dump.py). */
int shell_cmd_mark(int argc, char **argv)
{
    uint64_t pages = 1;
    if (argc < 2 || argc > 3 || !argv[1][0] ||
        (argc == 3 && (num_parse(argv[2], UINT32_MAX, &pages) || pages == 0)))
        return ERR_INVALID_ARGS;
    uint64_t first = 0;
    size_t n = strlen(argv[1]);
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t phys = pfn_alloc(PFN_KERNEL);
        if (!phys) {
            kprintf("mark: out of memory after %lu pages\n", (unsigned long)k);
            return ERR_NO_MEMORY;
        }
        uint8_t *page = phys_to_virt(phys);
        if (k == 0) {
            first = phys;
            for (uint64_t i = 0; i < PAGE_SIZE; i++)
                page[i] = (uint8_t)argv[1][i % n];
        } else {
            memcpy(page, phys_to_virt(first), PAGE_SIZE);
        }
    }
    klog(KLOG_INFO, "mark: %lu bytes of '%s', the first page at phys 0x%lx", (unsigned long)(pages * PAGE_SIZE),
         argv[1], (unsigned long)first);
    kprintf("marked %lu bytes in %lu page(s), the first at phys 0x%lx virt %p\n", (unsigned long)(pages * PAGE_SIZE),
            (unsigned long)pages, (unsigned long)first, phys_to_virt(first));
    return 0;
}

/* `lsmod`: the loaded images — the kernel with its build-id, and the cloned dump driver. */
int shell_cmd_lsmod(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    extern char __kernel_phys_start[], __kernel_end[];
    uint64_t base = KERNEL_VMA + (uint64_t)__kernel_phys_start;
    char id[64];
    version_build_id_hex(id, sizeof id);
    kprintf("%-12s %-18s %10s  %s\n", "MODULE", "BASE", "SIZE", "NOTES");
    kprintf("%-12s %p %10lu  build-id %s\n", "blackbox", (void *)base,
            (unsigned long)((uint64_t)__kernel_end - base), id);
    const struct dump_stack *d = dump_stack_get();
    if (d->driver.image_size)
        kprintf("%-12s %p %10u  crash-dump clone for %s, read-only, CRC32C 0x%08x\n", d->driver.name,
                (void *)d->driver.image_virt, d->driver.image_size, d->disk ? d->disk->bd->name : "?",
                d->crc_driver);
    return 0;
}
