/* The dump stack's shell commands, registered at its boot step: `dumpcfg`, what would happen
 * at a crash before it happens (dump type, target file and its sector runs, disk, clone and
 * checksums, space needed against available, the boot-time self-test, and whether
 * the stack is armed or why not); `lsmod`, the images a dump records (the kernel with its
 * build-id, and the clone). */
#include "dump/stack/dump_shell.h"
#include "dump/stack/dump_stack.h"
#include "shell/shell.h"
#include "console/console.h"
#include "mm/layout.h"
#include "version.h"
#include "err.h"

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

int dump_shell_dumpcfg(int argc, char **argv)
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
    if (d->settings.warning[0])
        kprintf("settings:     %s\n", d->settings.warning);
    kprintf("dump type:    %s (CrashDumpEnabled=%u)\n", type_name(d->settings.crash_dump_enabled),
            d->settings.crash_dump_enabled);
    if (d->planned_type != d->settings.crash_dump_enabled)
        kprintf("will write:   %s\n", type_name(d->planned_type));
    if (d->state == DUMP_OFF)
        return 0;
    kprintf("target:       %s%s%s\n", d->target, d->holds_dump ? " (holds an unrecovered dump)" : "",
            d->dedicated ? " (DedicatedDumpFile)" : d->partition ? "" : d->target_kind ? " (pagefile)" : "");
    if (d->dedicated)
        kprintf("dedicated:    DedicatedDumpFile, DumpFileSize %lu MB%s\n",
                (unsigned long)d->settings.dump_file_size_mb,
                d->settings.dump_file_size_mb ? "" : " (system-managed)");
    if (d->volume)
        kprintf("volume:       %c: = %s on disk %s (%s, %s)\n", d->volume->letter, d->volume->name,
                d->disk->bd->name, d->disk->model, d->disk->controller);
    if (d->partition)
        kprintf("partition:    dump partition %u of disk %s (%s, %s)%s\n", d->partition->partition,
                d->disk->bd->name, d->disk->model, d->disk->controller,
                d->settings.dump_partition[0] ? ", CrashControl\\DumpPartition" : "");
    shell_format_size(need, sizeof need, d->needed_bytes);
    shell_format_size(have, sizeof have, d->target_bytes);
    kprintf("space:        needed %s (%lu bytes), available %s (%lu bytes)\n", need,
            (unsigned long)d->needed_bytes, have, (unsigned long)d->target_bytes);
    char kmem[24], armed[24], room[24], ram[24];
    uint64_t now = dump_kernel_memory();
    shell_format_size(kmem, sizeof kmem, now);
    shell_format_size(armed, sizeof armed, d->kernel_bytes);
    shell_format_size(room, sizeof room, dump_kernel_headroom(now));
    shell_format_size(ram, sizeof ram, dump_bytes_needed(DUMP_CONFIG_COMPLETE));
    kprintf("sizing:       kernel memory now %s (%s when armed) + headroom %s; a complete dump %s%s\n", kmem,
            armed, room, ram, d->grown ? "; grown for all of RAM: an automatic dump fell back (LastCrashTime)" : "");
    if (d->kept[0])
        kprintf("kept:         %s\n", d->kept);
    if (!d->clone.params)
        return 0;
    const struct clone_params *p = d->clone.params;
    kprintf("sector runs:  %u run(s) on %s, %u-byte sectors\n", p->extent_count, d->disk->bd->name, p->sector_size);
    for (uint32_t i = 0; i < p->extent_count; i++)
        kprintf("              LBA %lu..%lu (%lu sectors)\n", (unsigned long)p->extents[i].lba,
                (unsigned long)(p->extents[i].lba + p->extents[i].sectors - 1), (unsigned long)p->extents[i].sectors);
    kprintf("clone:        %s, %u bytes at %p (read-only), state %lu KiB at phys 0x%lx\n", d->clone.name,
            d->clone.image_size, (void *)d->clone.image_virt, (unsigned long)(d->clone.state_size / 1024),
            (unsigned long)d->clone.state_phys);
    if (d->state == DUMP_ARMED) {
        kprintf("checksums:    CRC32C, checked again at bugcheck:");
        for (unsigned i = 0; dump_part_name(i); i++)
            kprintf(" %s 0x%08x", dump_part_name(i), d->crc[i]);
        kprintf("\n");
        kprintf("dead-man:     a dump still unfinished after %lu s is abandoned (", (unsigned long)(d->time_limit_ms / 1000u));
        if (d->settings.dump_timeout_s)
            kprintf("DumpTimeout)\n");
        else
            kprintf("%u s + 1 s per %u MiB it may write)\n", DEADMAN_BASE_S, DEADMAN_MIB_PER_S);
    }
    if (d->selftest_rc)
        kprintf("self-test:    FAILED: %s\n", err_str(d->selftest_rc));
    else
        kprintf("self-test:    passed (one sector written, read back and restored in %lu us)\n",
                (unsigned long)d->selftest_us);
    return 0;
}

/* `lsmod`: the loaded images — the kernel with its build-id, and the clone. */
int dump_shell_lsmod(int argc, char **argv)
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
    if (d->clone.image_size)
        kprintf("%-12s %p %10u  crash-dump clone for %s, read-only, CRC32C 0x%08x\n", d->clone.name,
                (void *)d->clone.image_virt, d->clone.image_size, d->disk ? d->disk->bd->name : "?",
                d->crc[DUMP_PART_CLONE]);
    return 0;
}
