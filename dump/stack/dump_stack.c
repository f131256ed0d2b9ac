/* Dump-stack initialisation: size and prepare the target file (never destroying an
 * unrecovered dump), take its block map, load the clone of its disk's driver,
 * checksum the pieces the bugcheck path will trust, and prove the path works with a one-block
 * write/read-back at boot. */
#include <string.h>
#include "dump/stack/dump_stack.h"
#include "dump/stack/dump_writer.h"
#include "dump/dump_validate.h"
#include "block/disk.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "lib/crc32c.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

#define DUMP_HEADER_BYTES 0x2000ull         /* the PAGEDU64 header */
#define MIB (1ull << 20)

extern const char __dump_writer_start[], __dump_writer_end[];

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

uint64_t dump_bytes_needed(uint32_t type)
{
    uint64_t ram = ram_bytes(), frames = pfn_ram_top() / PAGE_SIZE;
    switch (type) {
    case DUMP_CONFIG_COMPLETE:
        return DUMP_HEADER_BYTES + ram + MIB;
    case DUMP_CONFIG_KERNEL:
    case DUMP_CONFIG_AUTOMATIC:
        /* Windows' rule of thumb: kernel memory is about a third of RAM. */
        return DUMP_HEADER_BYTES + PAGE_SIZE + frames / 8 + ram / 3 + MIB;
    case DUMP_CONFIG_SMALL:
        return DUMP_SMALL_BYTES;
    default:
        return 0;
    }
}

static int fail(enum dump_arm_state st, int rc, const char *fmt, const char *arg)
{
    stack.state = st;
    fmt_snprintf(stack.reason, sizeof stack.reason, fmt, arg, err_str(rc));
    klog(KLOG_WARN, "dump: not armed: %s", stack.reason);
    return rc;
}

/* Look at what the target holds: an unrecovered dump (valid and not cleared by smss) is kept;
 * the next dump's sequence number follows the last one found. */
static int inspect_existing(struct fat_file *f)
{
    if (fat_file_size(f) < DUMP_HEADER_SIZE)
        return 0;
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return ERR_NO_MEMORY;
    size_t got = 0;
    int rc = fat_read(f, 0, h, DUMP_HEADER_SIZE, &got);
    if (rc == 0 && got == DUMP_HEADER_SIZE) {
        struct dump_layout l;
        int v = dump_validate(h, DUMP_HEADER_SIZE, fat_file_size(f), &l);
        bool header_ok = v == 0 || (v == ERR_RANGE && l.problem == DUMP_P_NEED_MORE);
        if (l.problem != DUMP_P_SIGNATURE && l.problem != DUMP_P_TRUNCATED &&
            l.problem != DUMP_P_NOT_BLACKBOX && l.problem != DUMP_P_VERSION &&
            h->bb.sequence + 1 > stack.sequence)
            stack.sequence = h->bb.sequence + 1;
        if (header_ok && !(l.flags & DUMP_BB_CLEARED)) {
            stack.holds_dump = true;
            klog(KLOG_NOTICE, "dump: %s holds crash dump #%lu, not yet recovered: kept as it is",
                 stack.target, (unsigned long)h->bb.sequence);
        }
    }
    kfree(h);
    return rc;
}

/* Bytes the target should have: as configured (PagingFiles' size or DumpFileSize, in MB),
 * or system-managed (0) = what the configured dump type needs. */
static uint64_t target_size(void)
{
    uint64_t mb = stack.dedicated ? stack.settings.dump_file_size_mb : stack.settings.paging_file_mb;
    return mb ? mb * MIB : stack.needed_bytes;
}

/* A new target begins with a header that is not a dump (flags CLEARED, never VALID) but
 * carries the last dump's sequence number, so numbering carries on across boots after smss
 * has moved the dump away. */
static int write_stub(struct fat_file *f)
{
    struct dump_header *h = kmalloc(DUMP_HEADER_SIZE);
    if (!h)
        return ERR_NO_MEMORY;
    memset(h, 0, DUMP_HEADER_SIZE);
    h->signature = DUMP_SIGNATURE;
    h->valid_dump = DUMP_VALID_DUMP64;
    memcpy(h->bb.magic, DUMP_BB_MAGIC, sizeof h->bb.magic);
    h->bb.version = DUMP_BB_VERSION;
    h->bb.size = sizeof h->bb;
    h->bb.sequence = stack.sequence - 1;
    h->bb.flags = DUMP_BB_CLEARED;
    h->bb.header_crc = dump_header_crc(h);
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

/* Open the target, or create it contiguous and sized for the dump type. A target that
 * begins with a dump is kept exactly as it is. */
static int prepare_target(struct fat_file *f, const char *inner)
{
    struct fat_vol *fat = stack.volume->fat;
    int rc = fat_open(fat, inner, f);
    if (rc == 0) {
        rc = inspect_existing(f);
        if (rc)
            return rc;
        if (stack.holds_dump)
            return 0;
        uint64_t want = target_size();
        size_t runs = 0;
        struct fat_extent one;
        if (fat_file_size(f) == want && fat_extents(f, &one, 1, &runs) == 0 && runs == 1)
            return 0;
        if ((rc = fat_unlink(fat, inner)) != 0)
            return rc;
    } else if (rc != ERR_NOT_FOUND) {
        return rc;
    }
    uint64_t bytes = target_size();
    if (bytes > 0xFFFFFFFFull)
        return ERR_TOO_BIG;
    rc = fat_create_contiguous(fat, inner, (uint32_t)bytes, f);
    if (rc == 0)
        rc = back_target(f, bytes);
    if (rc == 0)
        rc = write_stub(f);
    if (rc == 0)
        rc = fat_sync(fat);
    if (rc == 0)
        klog(KLOG_INFO, "dump: created %s, %lu MiB, contiguous", stack.target, (unsigned long)(bytes / MIB));
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

/* Write a pattern to the target's last sector through the clone, read it back, restore the
 * original, then give the port back to the live driver. Only what was read is put back: if
 * the clone could not start or read the sector, nothing is written (the buffer holds none of
 * the target's data). No QEMU test makes that read fail: the sector is inside the target
 * file, which the live driver has just written or checked on the same healthy disk. */
static int self_test(void)
{
    const struct clone_params *prm = stack.clone.params;
    const struct clone_extent *last = &prm->extents[prm->extent_count - 1];
    uint64_t lba = last->lba + last->sectors - 1, ss = prm->sector_size, phys;
    int rc = pfn_alloc_contig(3, 1, 1ull << 32, PFN_DMA, &phys);
    if (rc)
        return rc;
    uint8_t *orig = phys_to_virt(phys), *pattern = orig + PAGE_SIZE, *back = pattern + PAGE_SIZE;
    for (uint64_t i = 0; i < ss; i++)
        pattern[i] = (uint8_t)(0xA5 ^ i ^ (i >> 8));
    uint64_t t0 = timer_ns();
    rc = stack.clone.init();
    if (!rc)
        rc = stack.clone.read(lba, phys, 1);
    if (!rc) {
        rc = stack.clone.write(lba, phys + PAGE_SIZE, 1);
        if (!rc)
            rc = stack.clone.read(lba, phys + 2 * PAGE_SIZE, 1);
        if (!rc && memcmp(pattern, back, ss) != 0)
            rc = ERR_CORRUPT;
        int restore = stack.clone.write(lba, phys, 1);
        if (!restore)
            restore = stack.clone.flush();
        if (!rc)
            rc = restore;
    }
    stack.selftest_us = (timer_ns() - t0) / 1000u;
    int release = kind->release ? kind->release(stack.disk->bd) : 0;
    if (release)
        klog(KLOG_ERR, "dump: %s: live driver did not get its port back: %s", stack.disk->bd->name,
             err_str(release));
    pfn_free(phys, 3);
    return rc;
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
    stack.needed_bytes = dump_bytes_needed(s->crash_dump_enabled);
    if (!stack.needed_bytes)
        return fail(DUMP_UNARMED, ERR_INVALID_ARGS, "CrashDumpEnabled=%s is not a dump type (%s)", "?");
    stack.dedicated = s->dedicated_dump_file[0] != 0;
    fmt_snprintf(stack.target, sizeof stack.target, "%s", stack.dedicated ? s->dedicated_dump_file : s->paging_file);
    const char *inner;
    int rc = volume_resolve(stack.target, &stack.volume, &inner);
    if (rc)
        return fail(DUMP_UNARMED, rc, "target %s: %s", stack.target);
    stack.disk = stack.volume->disk;
    struct clone_params prm;
    memset(&prm, 0, sizeof prm);
    kind = stack.disk->dump;
    if (!kind)
        return fail(DUMP_UNARMED, ERR_NOT_SUPPORTED, "no clone for disk %s (%s)", stack.disk->bd->name);
    if ((rc = kind->params(stack.disk->bd, &prm)) != 0)
        return fail(DUMP_UNARMED, rc, "disk %s cannot take a dump (%s)", stack.disk->bd->name);
    struct fat_file f;
    target_cluster = 0;
    rc = prepare_target(&f, inner);
    if (rc)
        return fail(DUMP_UNARMED, rc, "cannot prepare %s: %s", stack.target);
    target_cluster = f.first_cluster;
    guard_folders(stack.volume->fat, inner);
    fat_set_guard(stack.volume->fat, guard, NULL);
    stack.target_bytes = fat_file_size(&f);
    if (stack.target_bytes < stack.needed_bytes) {
        if (stack.target_bytes < DUMP_SMALL_BYTES)
            return fail(DUMP_UNARMED, ERR_NO_SPACE, "%s is too small even for a minidump (%s)", stack.target);
        stack.planned_type = DUMP_CONFIG_SMALL;
        fmt_snprintf(stack.reason, sizeof stack.reason, "%s holds %lu MiB, the configured dump needs %lu MiB: a minidump will be written",
                     stack.target, (unsigned long)(stack.target_bytes / MIB), (unsigned long)(stack.needed_bytes / MIB));
        klog(KLOG_WARN, "dump: %s", stack.reason);
    }
    rc = block_map(&f, &prm);
    if (rc)
        return fail(DUMP_UNARMED, rc, "block map of %s: %s", stack.target);
    prm.tsc_hz = timer_tsc_hz();
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
    stack.crc_clone = stack.clone.image_crc;
    stack.crc_blockmap = crc32c(0, (const void *)lp->extents, sizeof(lp->extents[0]) * lp->extent_count);
    stack.crc_params = crc32c(0, (const void *)lp, offsetof(struct clone_params, extents));
    stack.crc_writer = crc32c(0, __dump_writer_start, (size_t)(__dump_writer_end - __dump_writer_start));
    /* only now: the clone is loaded (mapped into the kernel half every process shares) at
     * boot, so that the re-arm after the recovery, in smss's system call, only changes its
     * block map */
    if (stack.holds_dump && !s->overwrite)
        return fail(DUMP_UNARMED, ERR_BUSY, "%s holds an unrecovered dump and Overwrite is 0 (%s)", stack.target);
    rc = dump_writer_prepare();
    if (rc)
        return fail(DUMP_UNARMED, rc, "dump writer buffers for %s: %s", stack.target);
    stack.selftest_rc = self_test();
    if (stack.selftest_rc)
        return fail(DUMP_UNARMED, stack.selftest_rc, "self-test of %s failed: %s", stack.clone.name);
    stack.state = DUMP_ARMED;
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

int dump_stack_damage_clone(void)
{
    if (!stack.clone.image_size)
        return ERR_BAD_STATE;
    uint8_t *alias = phys_to_virt(stack.clone.image_phys);
    alias[stack.clone.image_size / 2] ^= 0x40;
    return 0;
}
