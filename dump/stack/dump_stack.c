/* Dump-stack initialisation: size and prepare the target file (never destroying an
 * unrecovered dump), take its block map, load the clone of its disk's driver,
 * checksum the pieces the bugcheck path will trust, and prove the path works with a one-block
 * write/read-back at boot. */
#include <string.h>
#include "dump/stack/dump_stack.h"
#include "dump/stack/dump_writer.h"
#include "dump/stack/dump_partition.h"
#include "dump/stack/dump_selftest.h"
#include "dump/stack/dump_writer_priv.h"
#include "dump/dump_validate.h"
#include "block/disk.h"
#include "mm/pfn.h"
#include "bugcheck/cpu_state.h"
#include "mm/layout.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "lib/crc32c.h"
#include "lib/fmt.h"
#include "lib/reg/crash_control.h"
#include "config/registry.h"
#include "klog.h"
#include "err.h"

#define DUMP_HEADER_BYTES 0x2000ull         /* the PAGEDU64 header */
#define MIB (1ull << 20)
#define TARGET_NEW_SUFFIX ".new"            /* a resized target is made under NAME.new first */

/* One kind of dump target: `prepare` opens or makes one for a dump of `type` needing `need`
 * bytes (`first`: the configured type's step, the only one that may resize a target that
 * already holds `need`), sets stack.target, .volume, .disk, .dedicated, .target_bytes, the
 * clone kind and the block map in *prm, and returns 0; or an error, with stack.reason
 * saying why. A target smaller than `need` is returned too: the chain moves on. */
struct target_kind {
    const char *name;
    int (*prepare)(uint32_t type, uint64_t need, bool first, struct clone_params *prm);
};

extern const char __dump_writer_start[], __dump_writer_end[];
#define DAMAGED_VECTOR 0xF0                 /* IDT gate `crash corrupt-dump-stack tables` damages */

static struct dump_stack stack;
static const struct disk_dump *kind;   /* the dump parts of the loaded clone's disk */
#define GUARD_FOLDERS 8
static uint32_t target_cluster;        /* first cluster of the target file (0: none) */
static uint32_t target_folders[GUARD_FOLDERS]; /* ... and of the folders on its path */
static unsigned ntarget_folders;

/* The volume's guard (fat_set_guard): the target is the kernel's while it is armed or holds a
 * dump not yet recovered, whoever asks (shell, system calls, the kernel itself); only
 * dump_stack_protect (smss's SYS_DUMP_CONTROL) hands a held dump over. The folders above it
 * may not be renamed either: the recovery finds the target by its path. */
static int guard(void *ctx, const struct fat_vol *vol, uint32_t first_cluster)
{
    (void)ctx;
    bool kernels = stack.state == DUMP_ARMED ||
                   (stack.holds_dump && stack.state != DUMP_RECOVERING);
    if (!kernels || !first_cluster || !stack.volume || vol != stack.volume->fat)
        return 0;
    if (first_cluster == target_cluster)
        return ERR_DUMP_TARGET;
    for (unsigned i = 0; i < ntarget_folders; i++)
        if (first_cluster == target_folders[i])
            return ERR_DUMP_TARGET;
    return 0;
}

/* Note the first clusters of the folders on the path `inner` (the root has no entry). */
static void guard_folders(struct fat_vol *fat, const char *inner)
{
    char dir[sizeof stack.target];
    struct fat_dirent *e = kmalloc(sizeof *e);
    ntarget_folders = 0;
    for (size_t i = 1; e && inner[i] && i < sizeof dir && ntarget_folders < GUARD_FOLDERS; i++) {
        if (inner[i] != '\\' && inner[i] != '/')
            continue;
        memcpy(dir, inner, i);
        dir[i] = 0;
        if (fat_stat(fat, dir, e) == 0 && e->first_cluster)
            target_folders[ntarget_folders++] = e->first_cluster;
    }
    kfree(e);
}

const struct dump_stack *dump_stack_get(void)
{
    return &stack;
}

static uint64_t ram_bytes(void)
{
    const struct pfn_range *runs;
    uint64_t total = 0;
    for (unsigned i = 0, n = pfn_ram_runs(&runs); i < n; i++)
        total += runs[i].hi - runs[i].lo;
    return total;
}

/* a + b, saturating: sizes that would wrap become UINT64_MAX, which no target holds. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

uint64_t dump_kernel_memory(void)
{
    uint64_t counts[PFN_STATE_COUNT], frames;
    pfn_counts(counts, &frames);
    /* the pages writer_build_bitmap keeps */
    return (counts[PFN_KERNEL] + counts[PFN_PAGETABLE] + counts[PFN_DMA]) * PAGE_SIZE;
}

uint64_t dump_kernel_headroom(uint64_t kernel_bytes)
{
    return DUMP_HEADROOM_BYTES + kernel_bytes / 4;
}

/* dump_bytes_needed with the kernel memory given (`kernel`: dump_kernel_memory(), measured
 * once per arm: it scans the whole PFN database). */
static uint64_t needed(uint32_t type, uint64_t kernel)
{
    uint64_t frames = pfn_ram_top() / PAGE_SIZE;
    switch (type) {
    case DUMP_CONFIG_COMPLETE: {
        /* the layout's exact size (a bitmap block when RAM has more runs than the header
         * lists, the CPU block), and the megabyte of headroom Windows asks for */
        const struct pfn_range *runs;
        return add_sat(dump_complete_bytes(pfn_ram_runs(&runs), ram_bytes() / PAGE_SIZE, frames,
                                           0, bugcheck_cpu_count()), MIB);
    }
    case DUMP_CONFIG_KERNEL:
    case DUMP_CONFIG_AUTOMATIC: {
        /* header, bitmap block, the pages kept now, the CRC table, headroom for growth */
        uint64_t bitmap = (0x38 + (frames + 7) / 8 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        uint64_t crcs = ((kernel / MIB + 2) * 4 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        return add_sat(add_sat(add_sat(DUMP_HEADER_BYTES, bitmap), add_sat(kernel, crcs)),
                       dump_kernel_headroom(kernel));
    }
    case DUMP_CONFIG_SMALL:
        return DUMP_SMALL_BYTES;
    default:
        return 0;
    }
}

uint64_t dump_bytes_needed(uint32_t type)
{
    bool kernel = type == DUMP_CONFIG_KERNEL || type == DUMP_CONFIG_AUTOMATIC;
    return needed(type, kernel ? dump_kernel_memory() : 0);
}

static int fail(enum dump_arm_state st, int rc, const char *fmt, const char *arg)
{
    stack.state = st;
    fmt_snprintf(stack.reason, sizeof stack.reason, fmt, arg, err_str(rc));
    klog(KLOG_WARN, "dump: not armed: %s", stack.reason);
    return rc;
}

/* Say why a step of the chain failed (fmt takes `arg`, then the error's text): returns rc. */
static int note(int rc, const char *fmt, const char *arg)
{
    fmt_snprintf(stack.reason, sizeof stack.reason, fmt, arg, err_str(rc));
    return rc;
}

static bool skipped;   /* the chain's last prepare did not apply to this step (not a failure) */

/* A target kind that does not apply to this step of the chain: says why, returns rc. */
static int skip(int rc, const char *fmt, const char *arg)
{
    skipped = true;
    return note(rc, fmt, arg);
}

/* The crash the target's dump records had an automatic dump fall back for want of space:
 * say so in CrashControl\LastCrashTime (Windows 8's value), so that the target is sized for
 * all of RAM from the next re-arm on. */
static void note_automatic_fallback(const struct dump_header *h)
{
    if (h->bb.config_type != DUMP_CONFIG_AUTOMATIC || h->bb.fallback_reason != DUMP_FALLBACK_TOO_SMALL)
        return;
    const struct cc_setting *v = &cc_settings[CC_LAST_CRASH_TIME];
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(h->system_time >> (8 * i));
    int rc = reg_set_value(v->key, v->name, REG_QWORD, b, sizeof b);
    stack.settings.last_crash_time = true;
    klog(rc ? KLOG_WARN : KLOG_NOTICE, "dump: dump #%lu: the automatic dump did not fit and fell back: "
         "%s set%s%s; the target grows to hold all of RAM once it is re-armed", (unsigned long)h->bb.sequence,
         v->name, rc ? ", but not saved: " : "", rc ? err_str(rc) : "");
}

/* Look at the header the target begins with (h, DUMP_HEADER_SIZE bytes; the target holds
 * `bytes`): an unrecovered dump (valid and not cleared by smss) is kept; a valid one the
 * recovery left there (a dump partition's kept dump) is noted; the next dump's sequence
 * number follows the last one found. */
static void inspect_header(const struct dump_header *h, uint64_t bytes)
{
    struct dump_layout l;
    int v = dump_validate(h, DUMP_HEADER_SIZE, bytes, &l);
    bool header_ok = v == 0 || (v == ERR_RANGE && l.problem == DUMP_P_NEED_MORE);
    if (l.problem != DUMP_P_SIGNATURE && l.problem != DUMP_P_TRUNCATED &&
        l.problem != DUMP_P_NOT_BLACKBOX && l.problem != DUMP_P_VERSION &&
        h->bb.sequence + 1 > stack.sequence)
        stack.sequence = h->bb.sequence + 1;
    if (header_ok && (l.flags & DUMP_BB_CLEARED) && (l.flags & DUMP_BB_VALID))
        stack.kept_dump = true;
    if (header_ok && !(l.flags & DUMP_BB_CLEARED) && !stack.holds_dump) {
        stack.holds_dump = true;
        klog(KLOG_NOTICE, "dump: %s holds crash dump #%lu, not yet recovered: kept as it is",
             stack.target, (unsigned long)h->bb.sequence);
        note_automatic_fallback(h);
    } else if (l.problem == DUMP_P_INCOMPLETE && (l.flags & DUMP_BB_ABANDONED)) {
        klog(KLOG_WARN, "dump: %s holds crash dump #%lu, abandoned at the crash by the dead-man "
             "(past its time limit): incomplete, not recovered", stack.target,
             (unsigned long)h->bb.sequence);
    }
}

/* inspect_header on the header of the target file `f`. */
static int inspect_existing(struct fat_file *f)
{
    if (fat_file_size(f) < DUMP_HEADER_SIZE)
        return 0;
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return ERR_NO_MEMORY;
    size_t got = 0;
    int rc = fat_read(f, 0, h, DUMP_HEADER_SIZE, &got);
    if (rc == 0 && got == DUMP_HEADER_SIZE)
        inspect_header(h, fat_file_size(f));
    kfree(h);
    return rc;
}

/* Bytes the target should have for a dump of `type` needing `need` bytes: as configured
 * (PagingFiles' size or DumpFileSize, in MB), or system-managed (0): `need`, or for an
 * automatic dump after a crash that fell back (LastCrashTime) all of RAM, as far as a FAT32
 * file goes. */
static uint64_t target_size(uint32_t type, uint64_t need)
{
    uint64_t mb = stack.dedicated ? stack.settings.dump_file_size_mb : stack.settings.paging_file_mb;
    if (mb)
        return mb * MIB;   /* at most CC_FILE_MB_MAX (dump_settings_load) */
    if (type == DUMP_CONFIG_AUTOMATIC && stack.settings.last_crash_time) {
        uint64_t all = needed(DUMP_CONFIG_COMPLETE, 0);
        stack.grown = true;
        return all > DUMP_FILE_MAX ? DUMP_FILE_MAX : all > need ? all : need;
    }
    return need;
}

/* Whether a target of `have` bytes stays as it is where `want` is asked for: exactly, for a
 * size the registry sets; for a system-managed one, anything from `want` to twice that, so
 * that the kernel's memory changing a little from boot to boot does not remake it. */
static bool keeps_size(uint64_t have, uint64_t want)
{
    uint64_t mb = stack.dedicated ? stack.settings.dump_file_size_mb : stack.settings.paging_file_mb;
    return mb ? have == want : have >= want && have / 2 <= want;
}

/* A new target begins with a header that is not a dump (flags CLEARED, never VALID) but
 * carries the last dump's sequence number, so numbering carries on across boots after smss
 * has moved the dump away. */
static void build_blank_header(struct dump_header *h, uint64_t sequence)
{
    memset(h, 0, DUMP_HEADER_SIZE);
    h->signature = DUMP_SIGNATURE;
    h->valid_dump = DUMP_VALID_DUMP64;
    memcpy(h->bb.magic, DUMP_BB_MAGIC, sizeof h->bb.magic);
    h->bb.version = DUMP_BB_VERSION;
    h->bb.size = sizeof h->bb;
    h->bb.sequence = sequence;
    h->bb.flags = DUMP_BB_CLEARED;
    h->bb.header_crc = dump_header_crc(h);
}

static int write_blank_header(struct fat_file *f)
{
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return ERR_NO_MEMORY;
    build_blank_header(h, stack.sequence - 1);
    size_t done = 0;
    int rc = fat_write(f, 0, h, DUMP_HEADER_SIZE, &done);
    kfree(h);
    return rc ? rc : done == DUMP_HEADER_SIZE ? 0 : ERR_IO;
}

/* Write zeros over all of a new target, once, at its creation. A file system hands out
 * clusters without writing them, and below it a virtual disk or a thin-provisioned volume
 * allocates its blocks on the first write: left for the crash, that allocation would run
 * inside the dump (measured: a 1 GiB dump into a fresh sparse QEMU image wrote its last
 * 128 MiB 20x slower than the rest) and could fail there if the host ran out of space. */
static int back_target(struct fat_file *f, uint64_t bytes)
{
    uint64_t t0 = timer_ns();
    int rc = fat_zero_fill(f);
    if (!rc)
        klog(KLOG_INFO, "dump: wrote %s through once (%lu MiB in %lu ms)", stack.target,
             (unsigned long)(bytes / MIB), (unsigned long)((timer_ns() - t0) / 1000000u));
    return rc;
}

/* Create `path` contiguous, `bytes` long, written through, with the blank header (no dump, the sequence number carried on). */
static int create_target(const char *path, uint64_t bytes, struct fat_file *f)
{
    struct fat_vol *fat = stack.volume->fat;
    int rc = fat_create_contiguous(fat, path, (uint32_t)bytes, f);
    if (rc == 0)
        rc = back_target(f, bytes);
    if (rc == 0)
        rc = write_blank_header(f);
    if (rc == 0)
        rc = fat_sync(fat);
    if (rc == 0)
        klog(KLOG_INFO, "dump: created %s, %lu MiB, contiguous%s", stack.target, (unsigned long)(bytes / MIB),
             stack.grown ? ", sized for all of RAM: an automatic dump fell back at a crash (LastCrashTime)" : "");
    else if (rc != ERR_NO_SPACE)
        fat_unlink(fat, path);
    return rc;
}

/* Give the existing target `f` (not holding a dump) `bytes`: a contiguous one that shrinks
 * is cut in place; otherwise a new one is made beside it under TARGET_NEW_SUFFIX and only
 * then takes the old one's place, so the old one is kept whenever the new size is out of
 * reach. 0 when resized; else why not, with `f` still the old target unless *replaced (the
 * old one was deleted and the new one could not take its name). */
static int resize_target(struct fat_file *f, const char *inner, uint64_t bytes, bool contiguous,
                         bool *replaced)
{
    struct fat_vol *fat = stack.volume->fat;
    if (contiguous && bytes < fat_file_size(f)) {
        int rc = fat_truncate(f, (uint32_t)bytes);
        return rc ? rc : fat_sync(fat);
    }
    char tmp[sizeof stack.target + sizeof TARGET_NEW_SUFFIX];
    fmt_snprintf(tmp, sizeof tmp, "%s%s", inner, TARGET_NEW_SUFFIX);
    fat_unlink(fat, tmp);   /* what a reset in the middle of the last swap left */
    struct fat_file nf;
    int rc = create_target(tmp, bytes, &nf);
    if (rc || (rc = fat_unlink(fat, inner)) != 0)
        return rc;
    *replaced = true;   /* from here on the old target is gone: an error is the caller's */
    if ((rc = fat_rename(fat, tmp, inner)) == 0)
        rc = fat_open(fat, inner, f);
    return rc;
}

/* Open the target, or create it contiguous and sized for a dump of `type` needing `need`
 * bytes. A target that begins with a dump is kept exactly as it is; one that cannot be
 * given the new size is kept at its old size (the note says so). In a fallback step
 * (`first` false) a target that already holds `need` is not resized. */
static int prepare_target(struct fat_file *f, const char *inner, uint32_t type, uint64_t need, bool first)
{
    struct fat_vol *fat = stack.volume->fat;
    uint64_t want = target_size(type, need);
    int rc = fat_open(fat, inner, f);
    if (rc == 0) {
        rc = inspect_existing(f);
        if (rc)
            return rc;
        if (stack.holds_dump)
            return 0;
        size_t runs = 0;
        struct fat_extent one;
        bool contiguous = fat_extents(f, &one, 1, &runs) == 0 && runs == 1;
        uint64_t have = fat_file_size(f);
        if (contiguous && (first ? keeps_size(have, want) : have >= need))
            return 0;
        if (want > DUMP_FILE_MAX)
            return ERR_TOO_BIG;
        bool replaced = false;
        rc = resize_target(f, inner, want, contiguous, &replaced);
        if (rc && replaced)
            return rc;
        if (rc == 0) {
            klog(KLOG_INFO, "dump: %s resized from %lu to %lu MiB", stack.target,
                 (unsigned long)(have / MIB), (unsigned long)(want / MIB));
            return 0;
        }
        fmt_snprintf(stack.kept, sizeof stack.kept, "%s kept at %lu MiB: %lu MiB %s", stack.target,
                     (unsigned long)(have / MIB), (unsigned long)(want / MIB), err_str(rc));
        klog(KLOG_WARN, "dump: %s", stack.kept);
        return 0;
    } else if (rc != ERR_NOT_FOUND) {
        return rc;
    }
    if (want > DUMP_FILE_MAX)
        return ERR_TOO_BIG;
    rc = create_target(inner, want, f);
    if (rc == ERR_NO_SPACE && stack.grown && want > need) {
        klog(KLOG_WARN, "dump: no room for %s at %lu MiB (all of RAM): made at the kernel dump's %lu MiB",
             stack.target, (unsigned long)(want / MIB), (unsigned long)(need / MIB));
        stack.grown = false;
        rc = create_target(inner, need, f);
    }
    return rc;
}

static int block_map(struct fat_file *f, struct clone_params *prm)
{
    struct fat_extent ext[CLONE_MAX_EXTENTS];
    size_t n = 0;
    int rc = fat_extents(f, ext, CLONE_MAX_EXTENTS, &n);
    if (rc)
        return rc;
    uint64_t per_sector = stack.volume->slice.bd.sector_size / stack.disk->bd->sector_size;
    for (size_t i = 0; i < n; i++) {
        prm->extents[i].lba = stack.volume->slice.first_lba + ext[i].lba * per_sector;
        prm->extents[i].sectors = ext[i].sectors * per_sector;
    }
    prm->extent_count = (uint32_t)n;
    return 0;
}

static const char *type_word(uint32_t type)
{
    return type == DUMP_CONFIG_COMPLETE ? "complete" : type == DUMP_CONFIG_SMALL ? "small" : "kernel";
}

/* The file target (DedicatedDumpFile, or else the pagefile) for a dump of `type` needing
 * `need` bytes: a target_kind's prepare. */
static int file_target(uint32_t type, uint64_t need, bool first, struct clone_params *prm)
{
    const struct dump_settings *s = &stack.settings;
    if (s->dump_partition[0])
        return skip(ERR_NOT_SUPPORTED, "DumpPartition %s names the target (%s)", s->dump_partition);
    stack.partition = NULL;
    stack.kept_dump = false;
    stack.dedicated = s->dedicated_dump_file[0] != 0;
    fmt_snprintf(stack.target, sizeof stack.target, "%s", stack.dedicated ? s->dedicated_dump_file : s->paging_file);
    const char *inner;
    int rc = volume_resolve(stack.target, &stack.volume, &inner);
    if (rc)
        return note(rc, "target %s: %s", stack.target);
    stack.disk = stack.volume->disk;
    kind = stack.disk->dump;
    if (!kind)
        return note(ERR_NOT_SUPPORTED, "no clone for disk %s (%s)", stack.disk->bd->name);
    memset(prm, 0, sizeof *prm);
    if ((rc = kind->params(stack.disk->bd, prm)) != 0)
        return note(rc, "disk %s cannot take a dump (%s)", stack.disk->bd->name);
    struct fat_file f;
    target_cluster = 0;
    rc = prepare_target(&f, inner, type, need, first);
    if (rc == ERR_TOO_BIG) {
        fmt_snprintf(stack.reason, sizeof stack.reason, "a %s dump needs %lu MiB, a FAT32 file holds %u MiB",
                     type_word(type), (unsigned long)((target_size(type, need) + MIB - 1) / MIB), CC_FILE_MB_MAX);
        return rc;
    }
    if (rc)
        return note(rc, "cannot prepare %s: %s", stack.target);
    target_cluster = f.first_cluster;
    guard_folders(stack.volume->fat, inner);
    fat_set_guard(stack.volume->fat, guard, NULL);
    stack.target_bytes = fat_file_size(&f);
    rc = block_map(&f, prm);
    return rc ? note(rc, "block map of %s: %s", stack.target) : 0;
}

/* True when dump partition p holds a dump the recovery left there (valid, CLEARED). */
static bool keeps_recovered_dump(const struct dump_part *p)
{
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    bool kept = false;
    if (h && dump_partition_bytes(p) >= DUMP_HEADER_SIZE &&
        dump_partition_read(p, h, DUMP_HEADER_SIZE) == 0) {
        struct dump_layout l;
        int v = dump_validate(h, DUMP_HEADER_SIZE, dump_partition_bytes(p), &l);
        kept = (v == 0 || (v == ERR_RANGE && l.problem == DUMP_P_NEED_MORE)) &&
               (l.flags & DUMP_BB_CLEARED) && (l.flags & DUMP_BB_VALID);
    }
    kfree(h);
    return kept;
}

/* A dump partition as the target: CrashControl\DumpPartition when set (for any dump type);
 * else, for a complete or kernel dump the file target did not take, the first dump
 * partition that holds `need` bytes, unless the file holds an unrecovered dump (it stays
 * the target) or, with Overwrite 0, the partition keeps a recovered dump. Its header is
 * looked at like a file's; its block map is the partition. A target_kind's prepare. */
static int partition_target(uint32_t type, uint64_t need, bool first, struct clone_params *prm)
{
    (void)first;
    const struct dump_settings *s = &stack.settings;
    const struct dump_part *p;
    if (s->dump_partition[0]) {
        if (!(p = dump_partition_find(s->dump_partition, 0)))
            return note(ERR_NOT_FOUND, "DumpPartition %s: no such dump partition (%s)", s->dump_partition);
    } else {
        if (type == DUMP_CONFIG_SMALL || stack.holds_dump)
            return skip(ERR_NOT_SUPPORTED, "%s: no dump partition for it (%s)",
                        type == DUMP_CONFIG_SMALL ? "a minidump goes to the file" : "the file holds a dump");
        if (!(p = dump_partition_find("", need)))
            return skip(ERR_NOT_FOUND, "%s (%s)", "no dump partition holds it");
        if (!s->overwrite && keeps_recovered_dump(p))
            return note(ERR_BUSY, "dump partition %s keeps a recovered dump and Overwrite is 0 (%s)", p->name);
    }
    stack.partition = p;
    stack.volume = NULL;
    stack.disk = p->disk;
    stack.dedicated = false;
    stack.holds_dump = false;
    stack.kept_dump = false;
    stack.target_bytes = dump_partition_bytes(p);
    fmt_snprintf(stack.target, sizeof stack.target, "%s", p->name);
    kind = stack.disk->dump;
    if (!kind)
        return note(ERR_NOT_SUPPORTED, "no clone for disk %s (%s)", stack.disk->bd->name);
    memset(prm, 0, sizeof *prm);
    int rc = kind->params(stack.disk->bd, prm);
    if (rc)
        return note(rc, "disk %s cannot take a dump (%s)", stack.disk->bd->name);
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return note(ERR_NO_MEMORY, "%s: %s", p->name);
    rc = stack.target_bytes < DUMP_HEADER_SIZE ? ERR_NO_SPACE : dump_partition_read(p, h, DUMP_HEADER_SIZE);
    if (!rc)
        inspect_header(h, stack.target_bytes);
    kfree(h);
    if (rc)
        return note(rc, "cannot read dump partition %s: %s", p->name);
    if (stack.kept_dump && !s->overwrite)
        return note(ERR_BUSY, "%s keeps the recovered dump and Overwrite is 0 (%s)", p->name);
    dump_partition_block_map(p, prm);
    if (!stack.holds_dump)
        klog(KLOG_NOTICE, "dump: a %s dump of %lu MiB goes to dump partition %s", type_word(type),
             (unsigned long)(need / MIB), p->name);
    return 0;
}

/* The kinds of target, in order of preference: each step of the fallback chain tries them
 * all before the next, smaller dump type. A further kind is one more line here. */
static const struct target_kind target_kinds[] = {
    { "file", file_target },
    { "partition", partition_target },
};

/* The fallback chain: the configured type, then a kernel dump (after a complete one), then
 * a minidump; for each, every kind of target. The first target that holds the dump is
 * taken, with stack.reason saying why the configured type was not. */
static int arm_chain(struct clone_params *prm)
{
    uint32_t steps[3], n = 0, conf = stack.settings.crash_dump_enabled;
    steps[n++] = conf;
    if (conf == DUMP_CONFIG_COMPLETE)
        steps[n++] = DUMP_CONFIG_KERNEL;
    if (conf != DUMP_CONFIG_SMALL)
        steps[n++] = DUMP_CONFIG_SMALL;
    char first_why[sizeof stack.reason] = "";
    char last_why[sizeof stack.reason] = "";   /* the last failure that was not a skip */
    int rc = ERR_NO_SPACE, last_rc = ERR_NO_SPACE;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t need = needed(steps[i], stack.kernel_bytes);
        for (size_t k = 0; k < sizeof target_kinds / sizeof target_kinds[0]; k++) {
            stack.reason[0] = 0;
            skipped = false;
            rc = target_kinds[k].prepare(steps[i], need, i == 0, prm);
            /* a held dump with Overwrite 0 keeps its target (unarmed once the clone is
               loaded, dump_stack_init); otherwise a target that holds the dump */
            if (rc == 0 && (stack.target_bytes >= need || (stack.holds_dump && !stack.settings.overwrite))) {
                stack.planned_type = steps[i];
                stack.needed_bytes = need;
                stack.target_kind = target_kinds[k].name;
                if (i > 0) {
                    stack.fallback = DUMP_FALLBACK_TOO_SMALL;
                    fmt_snprintf(stack.reason, sizeof stack.reason, "%s: a %s dump will be written",
                                 first_why, type_word(steps[i]));
                    klog(KLOG_WARN, "dump: %s", stack.reason);
                }
                return 0;
            }
            if (rc == 0) {
                rc = ERR_NO_SPACE;
                fmt_snprintf(stack.reason, sizeof stack.reason, "%s holds %lu MiB, a %s dump needs %lu MiB",
                             stack.target, (unsigned long)(stack.target_bytes / MIB), type_word(steps[i]),
                             (unsigned long)((need + MIB - 1) / MIB));
            }
            if (!first_why[0])
                memcpy(first_why, stack.reason, sizeof first_why);
            if (!skipped) {
                memcpy(last_why, stack.reason, sizeof last_why);
                last_rc = rc;
            }
            klog(KLOG_INFO, "dump: %s dump, %s target: %s", type_word(steps[i]), target_kinds[k].name, stack.reason);
        }
    }
    if (last_why[0])   /* nothing armed: say why the last target that was tried failed */
        memcpy(stack.reason, last_why, sizeof stack.reason);
    return last_why[0] ? last_rc : rc;
}

int dump_stack_init(const struct dump_settings *s)
{
    struct dump_clone loaded = stack.clone;           /* a clone loaded by an earlier call */
    const struct disk_dump *loaded_kind = kind;
    uint64_t last_sequence = stack.sequence;
    memset(&stack, 0, sizeof stack);
    stack.clone = loaded;
    stack.settings = *s;
    stack.sequence = last_sequence ? last_sequence : 1;
    stack.planned_type = s->crash_dump_enabled;
    if (s->crash_dump_enabled == DUMP_CONFIG_NONE) {
        stack.state = DUMP_OFF;
        fmt_snprintf(stack.reason, sizeof stack.reason, "CrashDumpEnabled is 0");
        return 0;
    }
    stack.kernel_bytes = dump_kernel_memory();
    stack.needed_bytes = needed(s->crash_dump_enabled, stack.kernel_bytes);
    if (!stack.needed_bytes)
        return fail(DUMP_UNARMED, ERR_INVALID_ARGS, "CrashDumpEnabled=%s is not a dump type (%s)", "?");
    struct clone_params prm;
    int rc = arm_chain(&prm);
    if (rc) {
        stack.state = DUMP_UNARMED;
        klog(KLOG_WARN, "dump: not armed: %s", stack.reason);
        return rc;
    }
    prm.tsc_hz = timer_tsc_hz();
    uint64_t most = stack.planned_type == DUMP_CONFIG_SMALL ? DUMP_SMALL_BYTES : stack.target_bytes;
    stack.time_limit_ms = s->dump_timeout_s ? s->dump_timeout_s * 1000ull
                        : (DEADMAN_BASE_S + most / (DEADMAN_MIB_PER_S * MIB)) * 1000ull;
    if (loaded.image_size && kind == loaded_kind) {
        rc = dump_clone_set_extents(&stack.clone, &prm);
        if (rc)
            return fail(DUMP_UNARMED, rc, "new block map for %s: %s", kind->name);
    } else {
        rc = dump_clone_load(kind->image, (size_t)(kind->image_end - kind->image), &prm,
                              kind->state_bytes, &stack.clone);
        if (rc)
            return fail(DUMP_UNARMED, rc, "loading %s: %s", kind->name);
        if (kind->attach && (rc = kind->attach(stack.disk->bd, stack.clone.params)) != 0)
            return fail(DUMP_UNARMED, rc, "%s: live driver could not set it up: %s", kind->name);
    }
    const struct clone_params *lp = stack.clone.params;
    /* only now: the clone is loaded (mapped into the kernel half every process shares) at
     * boot, so that the re-arm after the recovery, in smss's system call, only changes its
     * block map */
    if (stack.holds_dump && !s->overwrite)
        return fail(DUMP_UNARMED, ERR_BUSY, "%s holds an unrecovered dump and Overwrite is 0 (%s)", stack.target);
    rc = dump_writer_prepare();
    if (rc)
        return fail(DUMP_UNARMED, rc, "dump writer buffers for %s: %s", stack.target);
    stack.selftest_rc = dump_selftest(&stack.clone, kind, stack.disk->bd, &stack.selftest_us);
    if (stack.selftest_rc)
        return fail(DUMP_UNARMED, stack.selftest_rc, "self-test of %s failed: %s", stack.clone.name);
    stack.state = DUMP_ARMED;
    dump_parts_crc(&stack, stack.crc);
    klog(KLOG_INFO, "dump: armed: %s on %s via %s, %u run(s), self-test %lu us", stack.target,
         stack.disk->bd->name, stack.clone.name, lp->extent_count, (unsigned long)stack.selftest_us);
    return 0;
}

int dump_stack_protect(void)
{
    if (!stack.holds_dump)
        return ERR_BAD_STATE;
    stack.state = DUMP_RECOVERING;
    fmt_snprintf(stack.reason, sizeof stack.reason,
                 "%s holds dump #%lu, being recovered: nothing is written until it is re-armed",
                 stack.target, (unsigned long)(stack.sequence - 1));
    klog(KLOG_NOTICE, "dump: %s", stack.reason);
    return 0;
}

int dump_stack_rearm(void)
{
    struct dump_settings s = stack.settings;
    return dump_stack_init(&s);
}

int dump_stack_release_partition(bool kept)
{
    const struct dump_part *p = stack.partition;
    if (!p || !stack.holds_dump)
        return ERR_BAD_STATE;
    uint8_t *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return ERR_NO_MEMORY;
    int rc = dump_partition_read(p, h, DUMP_HEADER_SIZE);
    const struct dump_bb_fields *bb = (const void *)(h + DUMP_BB_OFFSET);
    uint32_t ss = p->disk->bd->sector_size;
    if (rc == 0 && kept) {
        /* flags and header_crc share one sector (as in smss's mark): only it is rewritten,
         * so a reset leaves the old flags or the new, never a broken header */
        _Static_assert(DUMP_BB_OFFSET >= 0x1000 && DUMP_BB_OFFSET + 0x14 <= 0x1200, "bb sector");
        uint64_t at = 0x1000 / ss * ss;
        rc = dump_header_seal(h, bb->flags | DUMP_BB_CLEARED, bb->crc_table_crc);
        if (rc == 0)
            rc = dump_partition_write(p, at, h + at, ss);
    } else if (rc == 0) {
        build_blank_header((struct dump_header *)h, bb->sequence);
        rc = dump_partition_write(p, 0, h, DUMP_HEADER_SIZE);
    }
    kfree(h);
    if (rc) {
        klog(KLOG_ERR, "dump: cannot mark the dump in %s recovered: %s", p->name, err_str(rc));
        return rc;
    }
    klog(KLOG_NOTICE, "dump: %s: %s", p->name,
         kept ? "its dump is recovered and kept there" : "freed for the next dump");
    return dump_stack_rearm();
}

static const char *const part_names[DUMP_PARTS] = {
    [DUMP_PART_PARAMS] = "params", [DUMP_PART_BLOCKMAP] = "blockmap", [DUMP_PART_CLONE] = "clone",
    [DUMP_PART_WRITER] = "writer", [DUMP_PART_HELPERS] = "helper", [DUMP_PART_TABLES] = "tables",
    [DUMP_PART_STATE] = "state",
};

const char *dump_part_name(unsigned part)
{
    return part < DUMP_PARTS ? part_names[part] : NULL;
}

/* Flip bit 4 of the byte at kernel-image address `va` through the direct map (the image's
 * own mapping of code is not writable). */
static void flip_kernel_byte(const void *va)
{
    *(volatile uint8_t *)phys_to_virt((uint64_t)va - KERNEL_VMA) ^= 0x10;
}

int dump_stack_damage(const char *part)
{
    unsigned i = 0;
    while (i < DUMP_PARTS && part && strcmp(part, part_names[i]) != 0)
        i++;
    if (i == DUMP_PARTS)
        return ERR_INVALID_ARGS;
    if (!stack.clone.image_size)
        return ERR_BAD_STATE;
    uint8_t *image = phys_to_virt(stack.clone.image_phys);
    uint64_t params = (uint64_t)stack.clone.params - stack.clone.image_virt;
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idt;
    switch (part ? i : DUMP_PART_CLONE) {
    case DUMP_PART_PARAMS:    /* the sector size the clone checks every transfer against */
        image[params + offsetof(struct clone_params, sector_size)] ^= 0x10;
        break;
    case DUMP_PART_BLOCKMAP:  /* where the first run starts: the dump would land elsewhere */
        image[params + offsetof(struct clone_params, extents)] ^= 0x10;
        break;
    case DUMP_PART_CLONE:     /* the clone's write entry point */
        image[(uint64_t)stack.clone.write - stack.clone.image_virt] ^= 0x10;
        break;
    case DUMP_PART_WRITER:
        flip_kernel_byte((const uint8_t *)writer_full + 16);
        break;
    case DUMP_PART_HELPERS:
        flip_kernel_byte((const uint8_t *)dump_header_build + 16);
        break;
    case DUMP_PART_TABLES:    /* the gate of a vector nothing raises */
        __asm__ volatile("sidt %0" : "=m"(idt));
        ((volatile uint8_t *)idt.base)[DAMAGED_VECTOR * 16] ^= 0x10;
        break;
    default:                  /* the pointer the writer calls the clone's write through */
        stack.clone.write = (clone_io_fn)((uint64_t)stack.clone.write ^ 0x10);
        break;
    }
    klog(KLOG_WARN, "dump: %s damaged on purpose (crash corrupt-dump-stack)", part_names[part ? i : DUMP_PART_CLONE]);
    return 0;
}
