/* `cpus`: every CPU with its APIC ID, state and what it is doing; `cpus run N` hands CPU N a
 * piece of work (a CRC32C of the kernel's code, allocating and freeing heap memory on the
 * way) and checks its answer against the calling CPU's. */
#include <string.h>
#include "shell/shell.h"
#include "smp/smp.h"
#include "console/console.h"
#include "lib/crc32c.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "klog.h"
#include "err.h"

#define CPUS_RUN_TIMEOUT_MS 2000u

extern const char __text_start[], __text_end[];

struct crc_work {
    unsigned ran_on;   /* CPU index the work saw itself running on */
    uint32_t crc;
};

static int crc_text(void *arg)
{
    struct crc_work *w = arg;
    w->ran_on = smp_this_cpu();
    char *scratch = kmalloc(4096);
    if (!scratch)
        return ERR_NO_MEMORY;
    uint32_t crc = 0;
    for (const char *p = __text_start; p < __text_end; p += 4096) {
        size_t n = (size_t)(__text_end - p) < 4096 ? (size_t)(__text_end - p) : 4096;
        memcpy(scratch, p, n);
        crc = crc32c(crc, scratch, n);
    }
    kfree(scratch);
    w->crc = crc;
    klog(KLOG_INFO, "cpus: CPU %u computed crc32c 0x%08x over the kernel code", w->ran_on, crc);
    return 0;
}

static int cpus_run(unsigned index)
{
    struct crc_work there = { 0 }, here = { 0 };
    int result, rc = smp_run_on(index, "cpus run: crc32c of kernel code", crc_text, &there,
                                CPUS_RUN_TIMEOUT_MS, &result);
    if (rc) {
        kprintf("cpus: CPU %u: %s\n", index, err_str(rc));
        return rc;
    }
    if (result)
        return result;
    crc_text(&here);
    kprintf("CPU %u ran the work: crc32c of the kernel code 0x%08x, CPU %u got 0x%08x: %s\n",
            there.ran_on, there.crc, here.ran_on, here.crc, there.crc == here.crc ? "same" : "DIFFERENT");
    return there.crc == here.crc && there.ran_on == index ? 0 : ERR_CORRUPT;
}

int shell_cmd_cpus(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "run") == 0) {
        uint64_t n;
        if (num_parse(argv[2], UINT32_MAX, &n) || n >= smp_cpu_count()) {
            kprintf("cpus: no CPU %s (there are %u)\n", argv[2], smp_cpu_count());
            return ERR_INVALID_ARGS;
        }
        return cpus_run((unsigned)n);
    }
    if (argc != 1)
        return ERR_INVALID_ARGS;
    kprintf("CPU  APIC  STATE     DOING\n");
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        const struct cpu *c = smp_cpu(i);
        kprintf("%3u  %4u  %-8s  %s%s\n", i, c->apic_id, smp_state_name((enum cpu_state)c->state),
                c->doing ? c->doing : "", i == smp_this_cpu() ? " (this CPU)" : "");
    }
    return 0;
}
