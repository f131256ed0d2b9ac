/* werfault -k -c: the WerFault stage of crash recovery (kernel report, convert to minidump),
 * run by the kernel at every boot after smss; without the volatile key MachineCrash it says
 * there is nothing to do and exits 0. Otherwise it puts the dump at
 * its final place (rename on the same volume, copy to another; a dump that cannot be placed
 * is left where it is for the next boot), records
 * FinalDumpFileLocation, writes the minidump, applies the retention policy and
 * MinidumpsCount, marks the dump recovered and deletes MachineCrash. A dump in a dump
 * partition is copied to the final file when one on that volume can hold it (and the
 * retention policy keeps it), else left in the partition, marked recovered by the kernel.
 * Every step can be redone from what is on disk after a reset. */
#include "bb.h"
#include "crashdump.h"
#include "werfault.h"
#include "dump/recovery/dump_names.h"

#define FAT32_FILE_MAX 0xFFFFFFFFull   /* bytes: the largest file FAT32 holds */

/* Rename `from` to the final name on its volume: renamed first, so that a final name that
 * is this very dump under a second name (a rename cut short) is finished, not deleted; a
 * final name taken by another file is replaced. */
static int rename_to_final(const struct crash *c, const char *from)
{
    int rc = rename(from, c->final);
    if (rc == ERR_EXISTS && (rc = unlink(c->final)) == 0)
        rc = rename(from, c->final);
    return rc;
}

/* A dump in a dump partition fits a file at c->final: FAT32's limit and the volume's free
 * space (with what the final file it replaces frees). Else false, c->why_not says why. */
static bool fits_final(struct crash *c)
{
    struct sys_volinfo vi;
    struct sys_stat st;
    int rc = volinfo(c->final, &vi);
    if (rc) {
        snprintf(c->why_not, sizeof c->why_not, "cannot read the volume of %s: %s", c->final,
                 err_str(rc));
        return false;
    }
    uint64_t room = vi.free_bytes + (stat(c->final, &st) == 0 ? st.size : 0);
    if (c->total > FAT32_FILE_MAX)
        snprintf(c->why_not, sizeof c->why_not, "%lu MiB is more than a FAT32 file holds",
                 (unsigned long)(c->total >> 20));
    else if (c->total > room)
        snprintf(c->why_not, sizeof c->why_not, "%lu MiB do not fit the %lu MiB free on %c:",
                 (unsigned long)(c->total >> 20), (unsigned long)(room >> 20), vi.letter);
    return c->total <= FAT32_FILE_MAX && c->total <= room;
}

/* Step 1: the dump at its final location (or the reason it is not kept there). */
/* Copy the dump to another volume: into DUMPxxxx.TMP beside the final name, checked, and
 * only then renamed over the final name, so the old final file stays until the new one is
 * proven good. A copy that fails is deleted (it was never a valid dump: the header goes
 * last); the source stays for the next boot. */
static int copy_to_final(const struct crash *c, uint8_t *buf, size_t cap)
{
    char stage[SYS_PATH_MAX], name[DUMP_TMP_NAME_LEN + 1];
    dump_tmp_name_format((uint16_t)c->seq, name, sizeof name);
    size_t dir = 0;
    for (size_t i = 0; c->final[i]; i++)
        if (c->final[i] == '\\' || c->final[i] == '/' || (i == 1 && c->final[i] == ':'))
            dir = i + 1;
    snprintf(stage, sizeof stage, "%.*s%s", (int)dir, c->final, name);
    wer_note("copying %s to %s (%lu MiB)", c->src, stage, (unsigned long)(c->total >> 20));
    int rc = wer_copy_dump(c->src, stage, c->total, buf, cap);
    if (rc) {
        int urc = unlink(stage);
        if (urc && urc != ERR_NOT_FOUND)
            wer_note("cannot delete the failed copy %s: %s", stage, err_str(urc));
        return rc;
    }
    return rename_to_final(c, stage);
}

/* Step 1: the dump at its final location (or the reason it is not kept there, and whether
 * to leave it where it is for the next boot: c->retry). */
static void place_dump(struct crash *c, uint8_t *buf, size_t cap)
{
    struct dump_layout l;
    if (!c->temp) {
        snprintf(c->saved, sizeof c->saved, "%s", c->src);
        return;
    }
    int hrc = crash_header(c->final, buf, cap, &l);
    if (hrc == 0 && ((const struct dump_header *)buf)->bb.sequence == c->seq) {
        snprintf(c->saved, sizeof c->saved, "%s", c->final);   /* copied before a reset */
        return;
    }
    /* a final file that is no valid dump (a copy cut short) is always replaced */
    if (hrc == 0 && !c->overwrite) {
        snprintf(c->why_not, sizeof c->why_not, "%s exists and Overwrite is 0", c->final);
        return;
    }
    /* one that cannot be read is not known to be garbage: with Overwrite 0 both stay */
    if (hrc && hrc != ERR_NOT_FOUND && !c->overwrite && !dump_verify_proves_invalid(hrc, &l)) {
        c->retry = true;
        snprintf(c->why_not, sizeof c->why_not, "%s cannot be read (%s) and Overwrite is 0: "
                 "kept in %s, tried again at the next boot", c->final, err_str(hrc), c->src);
        return;
    }
    if (c->in_partition && !fits_final(c))
        return;
    int rc = crash_make_parents(c->final);
    if (rc == 0)
        rc = !c->in_partition && crash_drive(c->src) == crash_drive(c->final)
                 ? rename_to_final(c, c->src) : copy_to_final(c, buf, cap);
    if (rc && c->in_partition) {   /* the dump stays in its partition, marked recovered */
        snprintf(c->why_not, sizeof c->why_not, "cannot write %s: %s", c->final, err_str(rc));
        return;
    }
    if (rc) {
        c->retry = true;
        snprintf(c->why_not, sizeof c->why_not, "cannot write %s: %s; kept in %s, tried again "
                 "at the next boot", c->final, err_str(rc), c->src);
        return;
    }
    snprintf(c->saved, sizeof c->saved, "%s", c->final);
}

/* Delete `path`, another copy of the dump now saved as `saved` ("" if none is kept). If it
 * is the same file under a second name (a rename cut short left both names on one cluster
 * chain), deleting it would free the saved dump's clusters: renaming it onto the saved name
 * finishes the rename instead; a separate copy (ERR_EXISTS, or another volume) is deleted. */
static int remove_copy(const char *path, const char *saved)
{
    int rc = saved[0] ? rename(path, saved) : ERR_EXISTS;
    return rc == ERR_EXISTS || rc == ERR_NOT_SUPPORTED ? unlink(path) : rc;
}

/* A DUMPxxxx.TMP of this dump left by a run cut short after the copy (the next boot found
 * the final file first): deleted, on any volume it may be on. */
static void drop_stale_temp(const struct crash *c, uint8_t *buf, size_t cap)
{
    char name[DUMP_TMP_NAME_LEN + 1], path[SYS_PATH_MAX];
    const char drives[3] = { crash_drive(c->src), crash_drive(c->final), 'C' };
    dump_tmp_name_format((uint16_t)c->seq, name, sizeof name);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%c:\\%s", drives[i], name);
        if (strcmp(path, c->saved) == 0 || !wer_holds_dump(path, c->seq, buf, cap))
            continue;
        int rc = remove_copy(path, c->saved);
        wer_note("%s: a copy of dump #%lu left by an earlier run: %s", path,
                 (unsigned long)c->seq, rc ? err_str(rc) : "deleted");
    }
}

/* Event 1001, source BugCheck, as Windows words it. */
static void log_bugcheck(const struct crash *c)
{
    char msg[SYS_EVENT_MESSAGE_MAX], where[sizeof ((struct crash *)0)->why_not + 32];
    if (c->saved[0])
        snprintf(where, sizeof where, "A dump was saved in: %s.", c->saved);
    else if (c->in_partition)
        snprintf(where, sizeof where, "The dump was left in dump partition %s, marked "
                 "recovered: %s.", c->src + strlen(SYS_DUMPPART_PREFIX), c->why_not);
    else
        snprintf(where, sizeof where, "The dump was not kept: %s.", c->why_not);
    snprintf(msg, sizeof msg, "The computer has rebooted from a bugcheck. The bugcheck was: "
             "0x%08x (0x%lx, 0x%lx, 0x%lx, 0x%lx). %s Minidump: %s. Dump #%lu.", c->code,
             (unsigned long)c->param[0], (unsigned long)c->param[1], (unsigned long)c->param[2],
             (unsigned long)c->param[3], where, c->minidump[0] ? c->minidump : "none",
             (unsigned long)c->seq);
    wer_event(1001, SYS_EVENT_ERROR, msg);
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "-k") != 0 || strcmp(argv[2], "-c") != 0) {
        dprintf(SYS_FD_CONSOLE_ERR, "usage: werfault -k -c\n");
        return 2;
    }
    static struct crash c;
    static uint8_t scratch[CRASH_SCRATCH_BYTES];   /* every dump read and copy goes through it */
    if (reg_get_sz(CC_KEY_MACHINECRASH, CC_MC_DUMP_FILE, c.src, sizeof c.src) != 0 ||
        reg_get_dword(CC_KEY_MACHINECRASH, CC_MC_TEMP_DESTINATION, &c.temp) != 0) {
        wer_note("no MachineCrash: nothing to do");
        return 0;
    }
    c.in_partition = strncmp(c.src, SYS_DUMPPART_PREFIX, strlen(SYS_DUMPPART_PREFIX)) == 0;
    time_now(&c.now);
    struct sys_dump_info di;
    crash_final_path(dump_query(&di) == 0 ? di.target : "", c.final, sizeof c.final);
    c.overwrite = crash_reg_dword(CC_OVERWRITE) != 0;
    struct dump_layout l;
    int rc = crash_header(c.src, scratch, sizeof scratch, &l);
    if (rc == ERR_TOO_BIG) {
        wer_note("%s holds a dump too big for werfault: its header and bitmap need %lu KiB, "
                 "werfault has %lu KiB (machines up to %lu GiB)", c.src,
                 (unsigned long)(l.prefix >> 10), (unsigned long)(sizeof scratch >> 10),
                 (unsigned long)(CRASH_MAX_PHYS >> 30));
        return 1;
    }
    if (rc) {
        wer_note("%s no longer holds a valid dump: %s", c.src, err_str(rc));
        reg_delete_key(CC_KEY_MACHINECRASH);
        return 1;
    }
    const struct dump_header *h = (const void *)scratch;
    c.seq = h->bb.sequence;
    c.code = h->bug_check_code;
    memcpy(c.param, h->bug_check_parameter, sizeof c.param);
    c.total = l.total;

    /* 1. the dump at its final location; a small dump's place is the minidump folder */
    bool small = l.dump_type == DUMP_TYPE_SMALL;
    if (small)
        snprintf(c.why_not, sizeof c.why_not, "a small memory dump is kept as the minidump");
    else
        place_dump(&c, scratch, sizeof scratch);
    if (c.saved[0]) {
        reg_set_sz(CC_KEY_MACHINECRASH, CC_MC_FINAL_LOCATION, c.saved);
        wer_note("dump #%lu saved as %s", (unsigned long)c.seq, c.saved);
    } else if (c.in_partition) {
        reg_set_sz(CC_KEY_MACHINECRASH, CC_MC_FINAL_LOCATION, c.src);
        wer_note("dump #%lu left in %s: %s", (unsigned long)c.seq, c.src, c.why_not);
    } else {
        wer_note("dump #%lu not saved: %s", (unsigned long)c.seq, c.why_not);
    }
    /* 2. the minidump, converted from wherever the dump is now (or the small dump itself) */
    if ((rc = wer_write_minidump(&c, c.saved[0] ? c.saved : c.src, scratch, sizeof scratch)) != 0)
        wer_note("no minidump: %s", err_str(rc));
    else if (small)
        reg_set_sz(CC_KEY_MACHINECRASH, CC_MC_FINAL_LOCATION, c.minidump);
    /* 3. retention: report the fault first, then keep or delete MEMORY.DMP */
    int report_rc = wer_queue_report(&c);
    if (report_rc)
        wer_note("no crash report queued: %s", err_str(report_rc));
    unsigned rule = 0;
    if (c.saved[0]) {
        rc = wer_keep_or_delete(&c, true, report_rc == 0, &rule);
        if (rc == 1)
            c.saved[0] = 0;
        else if (rc < 0)
            wer_note("retention not applied: %s", err_str(rc));
    }
    if (rule && !c.saved[0]) {
        char msg[SYS_EVENT_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "The dump file at location: %s was deleted: %s.", c.final,
                 c.why_not);
        wer_event(1018, SYS_EVENT_WARNING, msg);
    }
    /* 4. MinidumpsCount */
    wer_prune_minidumps(&c);
    /* 5. event 1001: what happened and where the dump is */
    log_bugcheck(&c);
    /* done: the dump recovered, the temporary file and MachineCrash gone */
    if (c.saved[0] && (rc = crash_mark_cleared(c.saved, scratch, sizeof scratch)) != 0)
        wer_note("cannot mark %s recovered: %s", c.saved, err_str(rc));
    if (c.in_partition) {
        /* the kernel marks it: freed when a copy is kept (MEMORY.DMP, or the small dump's
         * minidump), else recovered in place */
        bool copied = c.saved[0] || (small && c.minidump[0]);
        if ((rc = dump_control(copied ? SYS_DUMP_PART_FREE : SYS_DUMP_PART_KEEP)) != 0)
            wer_note("the kernel did not mark %s: %s", c.src, err_str(rc));
        else
            wer_note("%s: %s", c.src, copied ? "freed for the next dump"
                                           : "marked recovered, the dump stays there");
    } else if (!c.retry && (c.temp || (small && c.minidump[0])) && strcmp(c.src, c.saved) != 0 &&
               (rc = remove_copy(c.src, c.saved)) != 0 && rc != ERR_NOT_FOUND) {
        wer_note("cannot delete %s: %s", c.src, err_str(rc));
    }
    if (!c.retry)
        drop_stale_temp(&c, scratch, sizeof scratch);
    if ((rc = reg_delete_key(CC_KEY_MACHINECRASH)) != 0)
        wer_note("cannot delete MachineCrash: %s", err_str(rc));
    return 0;
}
