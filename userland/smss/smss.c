/* smss: the session manager's crash-dump part (the recovery at the next boot), run by the kernel
 * as the first user process at every boot. It finds a dump the last crash left in the dump
 * target (the pagefile or the dedicated dump file), checks it completely, has the kernel stop
 * writing there, moves it to the final name (same volume) or to DUMPxxxx.TMP (another
 * volume), records it in the volatile key MachineCrash for the WerFault stage, and has the
 * kernel re-arm the dump stack on a fresh target. Every step is restartable from the disk. A
 * dump in a dump partition is read through "\\.\NAME" (FreeBSD's savecore reading its dump
 * device): checked the same way, it stays where it is and MachineCrash names it for werfault,
 * which copies it or leaves it there and tells the kernel which.
 * Only a check that proves the dump invalid discards it; one it cannot check or move (a read
 * error, a limit) stays in the target, logged, for the next boot. */
#include "bb.h"
#include "crashdump.h"
#include "dump/recovery/dump_names.h"

#define SMSS_EVENT_DISCARDED 1100u     /* event id: a dump in the target failed its check */
#define SMSS_EVENT_LEFT      1101u     /* event id: a dump that could not be checked or moved
                                          is left where it is, tried again at the next boot */
#define SMSS_EVENT_DUMPFILE  1102u     /* event id: DumpFile names the dump target itself */
#define TRUNCATE_MIN (16ull << 20)     /* bytes past the dump below which the file is kept whole */

static char final_path[SYS_PATH_MAX];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("smss: ");
    vdprintf(SYS_FD_CONSOLE_OUT, fmt, ap);
    printf("\n");
    va_end(ap);
}

static int machine_crash(const char *dump_file, uint32_t temp)
{
    int rc = reg_create_volatile_key(CC_KEY_MACHINECRASH);
    if (rc == 0)
        rc = reg_set_sz(CC_KEY_MACHINECRASH, CC_MC_DUMP_FILE, dump_file);
    if (rc == 0)
        rc = reg_set_dword(CC_KEY_MACHINECRASH, CC_MC_TEMP_DESTINATION, temp);
    if (rc)
        note("cannot create MachineCrash: %s", err_str(rc));
    else
        note("MachineCrash: DumpFile %s, TempDestination %u", dump_file, temp);
    return rc;
}

static bool exists(const char *path)
{
    struct sys_stat st;
    return stat(path, &st) == 0;
}

/* Cut the moved file down to the dump it holds (the pagefile was sized for the worst case). */
static int truncate_to(const char *path, uint64_t bytes)
{
    int fd = open(path, SYS_O_READ | SYS_O_WRITE);
    if (fd < 0)
        return fd;
    int rc = ftruncate(fd, bytes);
    int crc = close(fd);
    return rc ? rc : crc;
}

/* A dump that is not proven invalid but could not be checked or moved: it stays where it
 * is (the stack keeps it: no new dump goes over it unless Overwrite is 1), an event says
 * why (rc and what fmt says), and the next boot tries again. */
static void left(const struct sys_dump_info *di, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void left(const struct sys_dump_info *di, int rc, const char *fmt, ...)
{
    char why[SYS_PATH_MAX + 64], msg[SYS_EVENT_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    note("the dump in %s %s: %s; left there, tried again at the next boot", di->target, why,
         err_str(rc));
    snprintf(msg, sizeof msg, "The crash dump in %s %s: %s. It is left there and tried again "
             "at the next boot.", di->target, why, err_str(rc));
    if ((rc = event_write("smss", SMSS_EVENT_LEFT, SYS_EVENT_WARNING, msg)) != 0)
        note("event not logged: %s", err_str(rc));
}

/* Move the target to the final name on its own volume. Renamed first: the final name may be
 * this very dump under a second name, left by a rename cut short (the rename then finishes
 * it); only a final name taken by another file is deleted, and only with Overwrite. */
static int move_to_final(const struct sys_dump_info *di)
{
    int rc = crash_make_parents(final_path);
    if (rc)
        return rc;
    rc = rename(di->target, final_path);
    if (rc == ERR_EXISTS && (rc = unlink(final_path)) == 0)
        rc = rename(di->target, final_path);
    return rc;
}

/* The target holds a good dump: move it out of the dump stack's way. */
static int recover(const struct sys_dump_info *di, const struct dump_layout *l, uint64_t seq)
{
    char dest[SYS_PATH_MAX];
    uint32_t temp = 1;
    uint64_t t0 = clock_ns();
    int rc = dump_control(SYS_DUMP_PROTECT);
    if (rc) {
        note("the kernel would not protect %s: %s", di->target, err_str(rc));
        return rc;
    }
    if (di->flags & SYS_DUMP_PARTITION) {
        note("dump #%lu stays in %s for werfault", (unsigned long)seq, di->target);
        return machine_crash(di->target, 1);
    }
    bool overwrite = di->flags & SYS_DUMP_OVERWRITE;
    if (crash_drive(di->target) == crash_drive(final_path) &&
        (!exists(final_path) || overwrite)) {
        snprintf(dest, sizeof dest, "%s", final_path);
        temp = 0;
        rc = move_to_final(di);
    } else {
        /* another volume, or the final name is taken and Overwrite is 0 */
        char name[DUMP_TMP_NAME_LEN + 1];
        dump_tmp_name_format((uint16_t)seq, name, sizeof name);
        snprintf(dest, sizeof dest, "%c:\\%s", crash_drive(di->target), name);
        rc = rename(di->target, dest);
    }
    if (rc) {
        left(di, rc, "cannot be moved to %s", dest);
        return rc;
    }
    /* cutting a file walks its cluster chain: worth it only when it frees much (a kernel dump
     * in a pagefile sized for a third of RAM), not for the last MiB of a complete dump */
    if (di->target_bytes - l->total >= TRUNCATE_MIN && (rc = truncate_to(dest, l->total)) != 0)
        note("cannot truncate %s to %lu bytes: %s (the dump is intact)", dest,
             (unsigned long)l->total, err_str(rc));
    note("dump #%lu moved: %s -> %s", (unsigned long)seq, di->target, dest);
    note("file-system work of the move: %lu us", (unsigned long)((clock_ns() - t0) / 1000u));
    return machine_crash(dest, temp);
}

/* The target's dump failed its check: never recovered, its header marked CLEARED so that the
 * kernel reuses the file. */
static void discard(const struct sys_dump_info *di, int rc, const struct dump_verify *v,
                    uint8_t *buf, size_t cap)
{
    char why[120];
    crash_verify_text(rc, v, why, sizeof why);
    note("the dump in %s is not valid (%s): discarded", di->target, why);
    char msg[SYS_EVENT_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "The crash dump in %s is not valid and was discarded: %s.",
             di->target, why);
    if ((rc = event_write("smss", SMSS_EVENT_DISCARDED, SYS_EVENT_ERROR, msg)) != 0)
        note("event not logged: %s", err_str(rc));
    if (dump_control(SYS_DUMP_PROTECT) != 0)
        return;
    rc = di->flags & SYS_DUMP_PARTITION ? dump_control(SYS_DUMP_PART_FREE)
                                        : crash_mark_cleared(di->target, buf, cap);
    if (rc)
        note("cannot clear %s: %s", di->target, err_str(rc));
}

/* Is `path` a valid dump not yet CLEARED, newer than *best_seq? Then it becomes the best.
 * buf (cap bytes) is the scratch its header is read into. */
static void consider(const char *path, char *best, uint64_t *best_seq, uint8_t *buf, size_t cap)
{
    struct dump_layout l;
    if (crash_header(path, buf, cap, &l) != 0 || (l.flags & DUMP_BB_CLEARED))
        return;
    uint64_t seq = ((const struct dump_header *)buf)->bb.sequence;
    if (!best[0] || seq > *best_seq) {
        snprintf(best, SYS_PATH_MAX, "%s", path);
        *best_seq = seq;
    }
}

/* A recovery cut short by a reset: the dump already sits under its final or temporary name,
 * not yet CLEARED by the WerFault stage. The newest such file gets MachineCrash again. */
static void resume(const struct sys_dump_info *di, uint8_t *buf, size_t cap)
{
    char best[SYS_PATH_MAX] = "", path[SYS_PATH_MAX];
    uint64_t best_seq = 0;
    consider(final_path, best, &best_seq, buf, cap);
    const char drives[2] = { crash_drive(di->target), crash_drive(final_path) };
    for (int i = 0; i < 2 && (i == 0 || drives[1] != drives[0]); i++) {
        char dir[4] = { drives[i], ':', '\\', 0 };
        struct sys_dirent de;
        int fd = opendir(dir);
        if (fd < 0)
            continue;
        while (readdir(fd, &de) == 1) {
            if (!(de.attr & SYS_ATTR_DIR) && dump_tmp_name_parse(de.name, &(uint16_t){ 0 }) == 0) {
                snprintf(path, sizeof path, "%s%s", dir, de.name);
                consider(path, best, &best_seq, buf, cap);
            }
        }
        close(fd);
    }
    if (best[0]) {
        note("resuming the recovery of dump #%lu in %s", (unsigned long)best_seq, best);
        machine_crash(best, strcmp(best, final_path) != 0);
    }
}

int main(void)
{
    static uint8_t scratch[CRASH_SCRATCH_BYTES];   /* every dump read goes through it */
    struct sys_dump_info di;
    int rc = dump_query(&di);
    if (rc) {
        note("cannot query the dump stack: %s", err_str(rc));
        return 1;
    }
    if (crash_final_path(di.target, final_path, sizeof final_path) == 1) {
        char msg[SYS_EVENT_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "DumpFile names the dump target %s itself: dumps are saved "
                 "as %s instead.", di.target, final_path);
        note("%s", msg);
        if ((rc = event_write("smss", SMSS_EVENT_DUMPFILE, SYS_EVENT_WARNING, msg)) != 0)
            note("event not logged: %s", err_str(rc));
    }
    if (di.flags & SYS_DUMP_HOLDS_DUMP) {
        struct dump_verify v;
        uint64_t t0 = clock_ns();
        if (di.flags & SYS_DUMP_PARTITION) {   /* read through the partition's device path */
            char name[sizeof di.target];
            memcpy(name, di.target, sizeof name);
            snprintf(di.target, sizeof di.target, "%s%s", SYS_DUMPPART_PREFIX, name);
        }
        rc = crash_verify(di.target, scratch, sizeof scratch, &v);
        uint64_t us = (clock_ns() - t0) / 1000u;
        note("checked %s: %lu chunks in %lu ms (%lu MB/s)", di.target,
             (unsigned long)v.chunks_checked, (unsigned long)(us / 1000u),
             (unsigned long)(us ? v.layout.total / us : 0));
        uint64_t seq = ((const struct dump_header *)scratch)->bb.sequence;
        if (rc == 0) {
            recover(&di, &v.layout, seq);
        } else if (dump_verify_proves_invalid(rc, &v.layout)) {
            discard(&di, rc, &v, scratch, sizeof scratch);
        } else {
            left(&di, rc, "could not be checked");
        }
    } else {
        resume(&di, scratch, sizeof scratch);
    }
    if (dump_query(&di) == 0 && di.state == SYS_DUMP_STATE_RECOVERING) {
        rc = dump_control(SYS_DUMP_REARM);
        dump_query(&di);
        note("dump stack re-armed on %s: %s", di.target,
             rc ? di.reason : "ARMED");
    }
    return 0;
}
