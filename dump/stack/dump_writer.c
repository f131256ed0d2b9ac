/* The dump writer. Everything it runs at bugcheck time is in .text.dumpwriter, in the crash
 * helpers linker.ld places beside it (tools/check-crash-path proves nothing else is reached)
 * or in the clone, all checksummed when armed and re-checked before use, as are the tables and
 * state it reads (enum dump_checked_part); it allocates nothing, takes no lock and keeps its changing
 * state on the stack. Memory that changes while the dump is written (the kernel's data, bss
 * and stacks, the clone's state pages) is snapshotted first and written from the snapshot, so
 * each chunk's CRC matches what reaches the disk; the writer's own buffers read as zeros in
 * the dump. Everything else goes to the disk straight from physical memory, in large
 * transfers. The disk never waits for a checksum: the data is written as fast as the clone
 * takes it, and checksummed (in file order, a step at a time) whenever the clone is busy, the
 * rest beside the final flush.
 * This file: the work area, the parts' checksums (taken when armed, re-checked at bugcheck
 * before anything is written), writes through the block map, progress, the dead-man's
 * abandon, and dump_write itself; the CRC choice (_crc), the snapshot (_snap), the walk
 * over the data (_walk) and the dump types (_mem, _small) have files of their own. */
#include <string.h>
#include "dump/stack/dump_writer.h"
#include "dump/stack/dump_writer_priv.h"
#include "dump/stack/dump_clone.h"
#include "dump/dump_cpu.h"
#include "bugcheck/cpu_state.h"
#include "bugcheck/bsod.h"
#include "mm/pfn.h"
#include "arch/timer.h"
#include "arch/rtc.h"
#include "arch/gdt.h"
#include "lib/fmt.h"
#include "klog.h"
#include "version.h"
#include "err.h"

extern char __kernel_phys_start[];
extern const char __dump_writer_start[], __dump_writer_end[];
extern const char __crash_helpers_start[], __crash_helpers_end[];
extern const char __rodata_start[], __rodata_end[];

struct dump_work dump_work;
static struct wr *volatile writing;      /* the dump being written, for the dead-man */
static volatile bool stall_requested;    /* `crash stall-dump` */

int dump_writer_prepare(void)
{
    const struct dump_stack *st = dump_stack_get();
    uint64_t span = st->clone.params->write_span & ~(uint64_t)(PAGE_SIZE - 1);
    dump_work.span = span == 0 ? SPAN_DEFAULT : span > SPAN_MAX ? SPAN_MAX : span;
    if (dump_work.phys)
        return 0;          /* a re-arm: the buffers only depend on RAM and the clone's state */
    uint64_t frames = pfn_ram_top() / PAGE_SIZE;
    uint64_t data_max = DUMP_HEADER_SIZE + 0x38 + frames / 8 + pfn_ram_top();
    writer_snap_ranges(st);
    dump_work.hdr_off = 0;
    dump_work.bmp_off = DUMP_HEADER_SIZE;
    dump_work.bmp_size = ALIGN4K(0x38 + (frames + 7) / 8);
    dump_work.crc_off = dump_work.bmp_off + dump_work.bmp_size;
    dump_work.crc_size = ALIGN4K((data_max / DUMP_CHUNK_DEFAULT + 2) * 4);
    dump_work.zero_off = dump_work.crc_off + dump_work.crc_size;
    dump_work.mini_off = dump_work.zero_off + ZERO_BLOCK;
    dump_work.wide_off = dump_work.mini_off + DUMP_SMALL_MAX;
    dump_work.team_off = ALIGN4K(dump_work.wide_off + CRC32C_WIDE_ENTRIES * sizeof(uint32_t));
    dump_work.done_off = dump_work.team_off + ALIGN4K(sizeof(struct crc_team));
    dump_work.cpu_off = dump_work.done_off + ALIGN4K(dump_work.crc_size / 4);
    dump_work.snap_off = dump_work.cpu_off + ALIGN4K(dump_cpu_block_bytes(MAX_CPUS));
    dump_work.snap_size = 0;
    for (int i = 0; i < SNAP_RANGES; i++)
        dump_work.snap_size += dump_work.snap_hi[i] - dump_work.snap_lo[i];
    dump_work.size = ALIGN4K(dump_work.snap_off + dump_work.snap_size);
    int rc = pfn_alloc_contig(dump_work.size / PAGE_SIZE, 1, 1ull << 32, PFN_DMA, &dump_work.phys);
    if (rc == 0) {
        ((struct crc_team *)dump_work_at(dump_work.team_off))->open = 0;
        writer_pick_crc(phys_to_virt((uint64_t)__kernel_phys_start));
    }
    return rc;
}

/* Write `bytes` (a multiple of the sector size) from physical `phys` at file offset `off`. */
WRITER int writer_file(struct wr *w, uint64_t off, uint64_t phys, uint64_t bytes)
{
    uint64_t ss = w->prm->sector_size;
    if (off % ss || bytes % ss)
        return ERR_INVALID_ARGS;
    uint64_t sector = off / ss, left = bytes / ss, base = 0;
    for (uint32_t i = 0; i < w->prm->extent_count && left; i++) {
        const struct clone_extent *e = &w->prm->extents[i];
        if (sector >= base + e->sectors) {
            base += e->sectors;
            continue;
        }
        uint64_t n = e->sectors - (sector - base);
        if (n > left)
            n = left;
        int rc = w->st->clone.write(e->lba + (sector - base), phys, n);
        if (rc)
            return rc;
        phys += n * ss;
        sector += n;
        left -= n;
        base += e->sectors;
    }
    return left ? ERR_NO_SPACE : 0;
}

void dump_writer_stall(void)
{
    stall_requested = true;
}

/* `crash stall-dump`: hang as a disk that never answers or a looping bug would, interrupts
 * off; only the dead-man's NMI gets out. */
static WRITER void __attribute__((noreturn, noinline)) writer_stall(void)
{
    bsod_status("Stalling the dump on purpose (crash stall-dump).");
    for (;;)
        __asm__ volatile("cli; pause");
}

WRITER int dump_abandon(void)
{
    struct wr *w = writing;
    if (!w || w->phase != WR_HEADER_OUT)
        return ERR_BAD_STATE;
    int rc = dump_header_seal(dump_work_at(dump_work.hdr_off), DUMP_BB_ABANDONED, 0);
    if (rc == 0)
        rc = w->st->clone.init();
    if (rc == 0)
        rc = writer_file(w, 0, dump_work.phys + dump_work.hdr_off, DUMP_HEADER_SIZE);
    return rc ? rc : w->st->clone.flush();
}

/* Count `bytes` done; redraw the percentage when it changed, at most every PROGRESS_VGA_NS
 * (a redraw costs about a millisecond under emulation), and print a COM1 line every
 * PROGRESS_SERIAL_STEP percent. */
WRITER void writer_progress(struct wr *w, uint64_t bytes)
{
    w->done += bytes;
    uint64_t now = timer_ns();
    w->last_progress_ns = now;
    unsigned pct = (unsigned)(w->total ? w->done * 100 / w->total : 100);
    if (pct >= 50)
        bugcheck_nested_fault_point();
    if (pct >= STALL_PCT && stall_requested)
        writer_stall();
    bool line = pct >= w->pct_serial + PROGRESS_SERIAL_STEP || pct == 100;
    if (pct != w->pct_vga && (line || now - w->last_vga_ns >= PROGRESS_VGA_NS)) {
        w->pct_vga = pct;
        w->last_vga_ns = now;
        bsod_progress(pct, line);
        if (line)
            w->pct_serial = pct - pct % PROGRESS_SERIAL_STEP;
    }
}

static WRITER uint64_t writer_filetime_now(void)
{
    struct rtc_time t;
    if (rtc_read(&t))
        return 0;
    /* days from 1970-01-01 (civil-from-days inverse, proleptic Gregorian) */
    int64_t y = t.year - (t.month <= 2), era = y / 400;
    int64_t yoe = y - era * 400, mp = (t.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + t.day - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    uint64_t secs = (uint64_t)days * 86400 + t.hour * 3600u + t.minute * 60u + t.second;
    return FILETIME_UNIX_EPOCH + secs * 10000000ull;
}

struct descriptor_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

WRITER void dump_parts_crc(const struct dump_stack *st, uint32_t crc[DUMP_PARTS])
{
    const struct clone_params *p = st->clone.params;
    crc[DUMP_PART_PARAMS] = crc32c(0, p, offsetof(struct clone_params, extents));
    crc[DUMP_PART_BLOCKMAP] = crc32c(0, p->extents, sizeof(p->extents[0]) * p->extent_count);
    crc[DUMP_PART_CLONE] = dump_clone_crc(&st->clone);
    crc[DUMP_PART_WRITER] = crc32c(0, __dump_writer_start, (size_t)(__dump_writer_end - __dump_writer_start));
    crc[DUMP_PART_HELPERS] = crc32c(0, __crash_helpers_start, (size_t)(__crash_helpers_end - __crash_helpers_start));
    struct descriptor_ptr idt, gdt;
    __asm__ volatile("sidt %0" : "=m"(idt));
    __asm__ volatile("sgdt %0" : "=m"(gdt));
    uint32_t t = crc32c(0, __rodata_start, (size_t)(__rodata_end - __rodata_start));
    t = crc32c(t, &idt, sizeof idt);
    t = crc32c(t, (const void *)idt.base, (size_t)idt.limit + 1);
    crc[DUMP_PART_TABLES] = crc32c(t, (const void *)gdt.base, GDT_TSS);
    crc[DUMP_PART_STATE] = crc32c(crc32c(0, st, offsetof(struct dump_stack, crc)), &dump_work, sizeof dump_work);
}

/* Each part's label on the blue screen, in enum dump_checked_part order; "%s" is the clone's name. */
static const char *const part_label[DUMP_PARTS] = {
    "%s controller parameters", "block map", "%s image", "dump writer code",
    "crash-path helper code", "read-only data and descriptor tables", "dump stack state",
};

static WRITER int writer_verify(const struct dump_stack *st)
{
    uint32_t now[DUMP_PARTS];
    dump_parts_crc(st, now);
    for (unsigned i = 0; i < DUMP_PARTS; i++) {
        if (now[i] == st->crc[i])
            continue;
        char label[64];
        fmt_snprintf(label, sizeof label, part_label[i], st->clone.name);
        bsod_status("Crash dump not written: %s checksum failed (0x%08x, expected 0x%08x).",
                    label, now[i], st->crc[i]);
        return ERR_CHECKSUM;
    }
    return 0;
}

/* The header inputs every dump type shares. `runs` must hold DUMP_MAX_RUNS entries: it gets
 * the first runs of RAM (all of them when they fit), p->ram_pages all of RAM. */
WRITER int writer_common_params(struct wr *w, const struct bugcheck_data *bd, uint32_t type,
                                struct dump_run *runs, struct dump_params *p)
{
    const struct pfn_range *pr;
    unsigned nruns = pfn_ram_runs(&pr);
    uint64_t ram = 0;
    for (unsigned i = 0; i < nruns; i++) {
        if (i < DUMP_MAX_RUNS)
            runs[i] = (struct dump_run){ pr[i].lo / PAGE_SIZE, (pr[i].hi - pr[i].lo) / PAGE_SIZE };
        ram += pr[i].hi - pr[i].lo;
    }
    const uint8_t *id;
    size_t idlen = version_build_id(&id);
    *p = (struct dump_params){
        .dump_type = type, .bugcheck_code = bd->code, .ctx = &bd->ctx, .runs = runs,
        .run_count = nruns, .ram_pages = ram / PAGE_SIZE, .processors = w->cpus,
        .sequence = w->st->sequence, .build_id = id,
        .build_id_len = idlen, .config_type = w->st->settings.crash_dump_enabled,
        .dump_time_ns = timer_ns(), .system_time = writer_filetime_now(), .ram_bytes = ram,
        .klog_phys = klog_area_phys(), .klog_size = KLOG_AREA_SIZE,
        .direct_map_base = DIRECT_MAP_BASE, .kernel_phys_base = (uint64_t)__kernel_phys_start,
        .kernel_vma = KERNEL_VMA, .comment = "Blackbox " BLACKBOX_VERSION,
    };
    for (int i = 0; i < 4; i++)
        p->bugcheck_params[i] = bd->params[i];
    return 0;
}

_Static_assert(CPU_STATE_CRASHED == DUMP_CPU_CRASHED && CPU_STATE_NMI_STOPPED == DUMP_CPU_NMI_STOPPED &&
               CPU_STATE_PARKED == DUMP_CPU_PARKED && CPU_STATE_OFFLINE == DUMP_CPU_OFFLINE &&
               CPU_STATE_NO_ANSWER == DUMP_CPU_NO_ANSWER, "slot states are the dump's");
_Static_assert(CPU_RUN_KERNEL == DUMP_RUN_KERNEL && CPU_RUN_IDLE == DUMP_RUN_IDLE &&
               CPU_RUN_PROCESS == DUMP_RUN_PROCESS, "slot running values are the dump's");
_Static_assert(MAX_CPUS <= DUMP_CPU_MAX && CPU_NAME_MAX == DUMP_CPU_NAME_MAX, "slots fit a CPU block");

/* The CPU block in the work area from every CPU's slot, sealed; a CPU that saved nothing by
 * now did not answer. Returns the records. */
WRITER uint32_t writer_cpu_block(const struct bugcheck_data *bd)
{
    uint8_t *blk = dump_work_at(dump_work.cpu_off);
    struct dump_cpu_record *r = (struct dump_cpu_record *)(blk + sizeof(struct dump_cpu_block));
    uint32_t n = bugcheck_cpu_count();
    memset(blk, 0, ALIGN4K(dump_cpu_block_bytes(MAX_CPUS)));
    for (uint32_t i = 0; i < n; i++) {
        const struct cpu_crash_state *s = bugcheck_cpu_slot(i);
        uint32_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        r[i].index = i;
        r[i].apic_id = s->apic_id;
        r[i].state = state == CPU_STATE_NONE ? DUMP_CPU_NO_ANSWER : state;
        if (r[i].state == DUMP_CPU_OFFLINE || r[i].state == DUMP_CPU_NO_ANSWER)
            continue;
        r[i].running = s->running;
        r[i].pid = (uint32_t)s->pid;
        memcpy(r[i].process, s->process, sizeof r[i].process);
        dump_cpu_from_regs(&r[i], &s->ctx);
        r[i].bugcheck_code = s->bugcheck_code;
        r[i].stack_lo = s->stack_lo;
        r[i].stack_hi = s->stack_hi;
    }
    dump_cpu_block_seal(blk, n, bd->crash_cpu);
    return n;
}

/* After a complete or kernel dump: where its time went on this CPU, then how much of the
 * data each CPU that took part checksummed. */
static WRITER void writer_split(const struct wr *w)
{
    const struct crc_team *t = dump_work_at(dump_work.team_off);
    uint64_t zero = 0;
    char line[40 + MAX_CPUS * 24];
    int n = fmt_snprintf(line, sizeof line, "Checksums by CPU:");
    const char *sep = "";
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        zero += t->cpu[i].zero_pages;
        if (i != w->cpu && !t->cpu[i].bytes)
            continue;   /* took no part */
        n += fmt_snprintf(line + n, sizeof line - (size_t)n, "%s CPU %u %lu MiB", sep, i,
                          (unsigned long)(t->cpu[i].bytes >> 20));
        sep = ",";
    }
    bsod_status("Of which: checksums %lu ms (%lu MiB of zero pages), waiting for the disk %lu ms; "
                "the flush took %lu ms, beside the last checksums.", (unsigned long)(t->cpu[w->cpu].ns / 1000000u),
                (unsigned long)(zero >> 8), (unsigned long)(w->disk_ns / 1000000u),
                (unsigned long)(w->flush_ns / 1000000u));
    bsod_status("%s.", line);
    if (t->redone)
        bsod_status("Chunks redone by CPU %u for a CPU that stopped helping: %lu.", w->cpu,
                    (unsigned long)t->redone);
}

WRITER int dump_write(const struct bugcheck_data *bd)
{
    const struct dump_stack *st = dump_stack_get();
    if (st->state != DUMP_ARMED) {
        bsod_status("No crash dump: %s.", st->reason[0] ? st->reason : "dump stack not configured");
        return ERR_BAD_STATE;
    }
    uint32_t type = st->planned_type == DUMP_CONFIG_COMPLETE ? DUMP_TYPE_FULL
                  : st->planned_type == DUMP_CONFIG_SMALL ? DUMP_TYPE_SMALL : DUMP_TYPE_BITMAP;
    uint32_t fallback = st->fallback;
    if (fallback)
        bsod_status("A %s dump instead of the configured one: %s.", type == DUMP_TYPE_FULL ? "complete"
                    : type == DUMP_TYPE_SMALL ? "small" : "kernel", st->reason);
    bsod_status("Collecting data for crash dump...");
    int rc = writer_verify(st);
    if (rc)
        return rc;
    writer_snapshot();
    bsod_status("Initializing disk for crash dump...");
    uint64_t t0 = timer_ns();
    rc = st->clone.init();
    if (rc) {
        bsod_status("Crash dump not written: %s could not take the disk: %s.", st->clone.name, err_str(rc));
        return rc;
    }
    bsod_status("Beginning dump of physical memory.");
    struct wr w = { .st = st, .prm = st->clone.params, .pct_vga = ~0u, .last_progress_ns = timer_ns(),
                    .cpus = writer_cpu_block(bd), .cpu = bd->crash_cpu };
    writing = &w;
    rc = type == DUMP_TYPE_SMALL ? writer_small(&w, bd, fallback) : writer_full(&w, bd, type, fallback);
    if (rc == ERR_NO_SPACE && type != DUMP_TYPE_SMALL && w.done == 0) {
        bsod_status("The %s does not fit in %s: writing a minidump instead.",
                    type == DUMP_TYPE_FULL ? "complete dump" : "kernel dump", st->target);
        type = DUMP_TYPE_SMALL;
        rc = writer_small(&w, bd, DUMP_FALLBACK_TOO_SMALL);
    }
    if (rc == ERR_TIMED_OUT && timer_ns() - w.last_progress_ns > DEADMAN_NS)
        bsod_status("Crash dump abandoned: no progress for 10 seconds.");
    else if (rc)
        bsod_status("Crash dump failed: %s. The partial dump is marked incomplete.", err_str(rc));
    if (rc) {
        bsod_status("%s says: %s", st->clone.name, st->clone.log());
        return rc;
    }
    uint64_t ms = (timer_ns() - t0) / 1000000u;
    bsod_status("Physical memory dump complete.");
    bsod_status("Dump #%lu: %s, %lu MiB in %lu ms (%lu MB/s) to %s.", (unsigned long)st->sequence,
                type == DUMP_TYPE_FULL ? "complete" : type == DUMP_TYPE_SMALL ? "small" : "kernel",
                (unsigned long)(w.total >> 20),
                (unsigned long)ms, (unsigned long)(ms ? w.total / 1000u / ms : 0), st->target);
    if (type != DUMP_TYPE_SMALL)
        writer_split(&w);
    return 0;
}
