/* werfault -k -c: the WerFault stage of crash recovery (kernel report, convert to minidump),
 * run by the kernel at boot when smss left the volatile key MachineCrash. It puts the dump at
 * its final place (rename on the same volume, copy to another), records
 * FinalDumpFileLocation, writes the minidump, applies the retention policy and
 * MinidumpsCount, marks the dump recovered and deletes MachineCrash. Every step can be redone
 * from what is on disk after a reset. */
#include "bb.h"
#include "crashdump.h"
#include "werfault.h"
#include "dump/recovery/dump_names.h"

#define COPY_CHUNK SYS_IO_MAX

void wer_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("werfault: ");
    vdprintf(SYS_FD_CONSOLE_OUT, fmt, ap);
    printf("\n");
    va_end(ap);
}

static bool exists(const char *path)
{
    struct sys_stat st;
    return stat(path, &st) == 0;
}

/* Copy [from, to) of src to dst at the same offsets. */
static int copy_range(int in, int out, uint64_t from, uint64_t to)
{
    uint8_t *buf = crash_scratch;
    _Static_assert(COPY_CHUNK <= CRASH_SCRATCH_BYTES, "copy buffer");
    for (uint64_t off = from; off < to; ) {
        size_t n = to - off < COPY_CHUNK ? (size_t)(to - off) : COPY_CHUNK;
        if (seek(in, (int64_t)off, SYS_SEEK_SET) < 0 || seek(out, (int64_t)off, SYS_SEEK_SET) < 0)
            return ERR_IO;
        long got = read(in, buf, n);
        if (got != (long)n)
            return got < 0 ? (int)got : ERR_IO;
        long put = write_all(out, buf, n);
        if (put != (long)n)
            return put < 0 ? (int)put : ERR_IO;
        off += n;
    }
    return 0;
}

/* Copy the dump to another volume: the data first, the header last (as the kernel writes
 * it), so a copy cut short is never a valid dump. Then check the copy completely. */
int wer_copy_dump(const char *src, const char *dst, uint64_t total)
{
    int in = open(src, SYS_O_READ);
    if (in < 0)
        return in;
    int out = open(dst, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (out < 0) {
        close(in);
        return out;
    }
    uint64_t t0 = clock_ns();
    int rc = copy_range(in, out, DUMP_HEADER_SIZE, total);
    if (rc == 0)
        rc = copy_range(in, out, 0, DUMP_HEADER_SIZE);
    close(in);
    int crc = close(out);
    if (rc == 0)
        rc = crc;
    uint64_t t1 = clock_ns();
    struct dump_verify v;
    if (rc == 0 && (rc = crash_verify(dst, &v)) != 0)
        wer_note("the copy %s does not check: %s", dst, err_str(rc));
    uint64_t copy_us = (t1 - t0) / 1000u, check_us = (clock_ns() - t1) / 1000u;
    if (rc == 0)
        wer_note("copied %lu KiB in %lu ms (%lu MB/s), checked in %lu ms", (unsigned long)(total >> 10),
                 (unsigned long)(copy_us / 1000u), (unsigned long)(copy_us ? total / copy_us : 0),
                 (unsigned long)(check_us / 1000u));
    return rc;
}

/* Step 1: the dump at its final location (or the reason it is not kept there). */
static void place_dump(struct crash *c)
{
    struct dump_layout l;
    if (!c->temp) {
        snprintf(c->saved, sizeof c->saved, "%s", c->src);
        return;
    }
    bool final_valid = crash_header(c->final, &l) == 0;
    if (final_valid && ((const struct dump_header *)crash_scratch)->bb.sequence == c->seq) {
        snprintf(c->saved, sizeof c->saved, "%s", c->final);   /* copied before a reset */
        return;
    }
    /* a final file that is no valid dump (a copy cut short) is always replaced */
    if (final_valid && !c->overwrite) {
        snprintf(c->why_not, sizeof c->why_not, "%s exists and Overwrite is 0", c->final);
        return;
    }
    int rc = 0;
    if (exists(c->final))
        rc = unlink(c->final);
    if (rc == 0 && crash_drive(c->src) == crash_drive(c->final))
        rc = rename(c->src, c->final);
    else if (rc == 0) {
        wer_note("copying %s to %s (%lu MiB)", c->src, c->final, (unsigned long)(c->total >> 20));
        rc = wer_copy_dump(c->src, c->final, c->total);
    }
    if (rc) {
        snprintf(c->why_not, sizeof c->why_not, "cannot write %s: %s", c->final, err_str(rc));
        return;
    }
    snprintf(c->saved, sizeof c->saved, "%s", c->final);
}

/* A DUMPxxxx.TMP of this dump left by a run cut short after the copy (the next boot found
 * the final file first): deleted, on any volume it may be on. */
static void drop_stale_temp(const struct crash *c)
{
    char name[DUMP_TMP_NAME_LEN + 1], path[SYS_PATH_MAX];
    const char drives[3] = { crash_drive(c->src), crash_drive(c->final), 'C' };
    dump_tmp_name_format((uint16_t)c->seq, name, sizeof name);
    for (int i = 0; i < 3; i++) {
        struct dump_layout l;
        snprintf(path, sizeof path, "%c:\\%s", drives[i], name);
        if (strcmp(path, c->saved) == 0 || crash_header(path, &l) != 0 ||
            ((const struct dump_header *)crash_scratch)->bb.sequence != c->seq)
            continue;
        int rc = unlink(path);
        wer_note("%s: a copy of dump #%lu left by an earlier run: %s", path,
                 (unsigned long)c->seq, rc ? err_str(rc) : "deleted");
    }
}

void wer_event(uint32_t id, uint32_t level, const char *msg)
{
    int rc = event_write("BugCheck", id, level, msg);
    if (rc)
        wer_note("event %u not logged: %s", id, err_str(rc));
}

/* Event 1001, source BugCheck, as Windows words it. */
static void log_bugcheck(const struct crash *c)
{
    char msg[SYS_EVENT_MESSAGE_MAX], where[SYS_PATH_MAX + 64];
    if (c->saved[0])
        snprintf(where, sizeof where, "A dump was saved in: %s.", c->saved);
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
    if (reg_get_sz(MACHINECRASH, "DumpFile", c.src, sizeof c.src) != 0 ||
        reg_get_dword(MACHINECRASH, "TempDestination", &c.temp) != 0) {
        wer_note("no MachineCrash: nothing to do");
        return 0;
    }
    time_now(&c.now);
    crash_reg_path(CC_DUMP_FILE, c.final, sizeof c.final);
    c.overwrite = crash_reg_dword(CC_OVERWRITE) != 0;
    struct dump_layout l;
    int rc = crash_header(c.src, &l);
    if (rc) {
        wer_note("%s no longer holds a valid dump: %s", c.src, err_str(rc));
        reg_delete_key(MACHINECRASH);
        return 1;
    }
    const struct dump_header *h = (const void *)crash_scratch;
    c.seq = h->bb.sequence;
    c.code = h->bug_check_code;
    memcpy(c.param, h->bug_check_parameter, sizeof c.param);
    c.total = l.total;

    /* 1. the dump at its final location; a small dump's place is the minidump folder */
    bool small = l.dump_type == DUMP_TYPE_SMALL;
    if (small)
        snprintf(c.why_not, sizeof c.why_not, "a small memory dump is kept as the minidump");
    else
        place_dump(&c);
    if (c.saved[0]) {
        reg_set_sz(MACHINECRASH, "FinalDumpFileLocation", c.saved);
        wer_note("dump #%lu saved as %s", (unsigned long)c.seq, c.saved);
    } else {
        wer_note("dump #%lu not saved: %s", (unsigned long)c.seq, c.why_not);
    }
    /* 2. the minidump, converted from wherever the dump is now (or the small dump itself) */
    if ((rc = wer_write_minidump(&c, c.saved[0] ? c.saved : c.src)) != 0)
        wer_note("no minidump: %s", err_str(rc));
    else if (small)
        reg_set_sz(MACHINECRASH, "FinalDumpFileLocation", c.minidump);
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
    if (c.saved[0] && (rc = crash_mark_cleared(c.saved)) != 0)
        wer_note("cannot mark %s recovered: %s", c.saved, err_str(rc));
    if ((c.temp || (small && c.minidump[0])) && strcmp(c.src, c.saved) != 0 &&
        (rc = unlink(c.src)) != 0 && rc != ERR_NOT_FOUND)
        wer_note("cannot delete %s: %s", c.src, err_str(rc));
    drop_stale_temp(&c);
    if ((rc = reg_delete_key(MACHINECRASH)) != 0)
        wer_note("cannot delete MachineCrash: %s", err_str(rc));
    return 0;
}
