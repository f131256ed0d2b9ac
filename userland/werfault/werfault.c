/* werfault -k -c: the WerFault stage of crash recovery (kernel report, convert to minidump),
 * run by the kernel at boot when smss left the volatile key MachineCrash. It puts the dump at
 * its final place (rename on the same volume, copy to another), records
 * FinalDumpFileLocation, marks the dump recovered and deletes MachineCrash. Every step can be
 * redone from what is on disk after a reset. */
#include "bb.h"
#include "crashdump.h"

#define COPY_CHUNK SYS_IO_MAX

struct crash {
    char src[SYS_PATH_MAX];       /* MachineCrash DumpFile: where the dump is now */
    uint32_t temp;                /* TempDestination */
    char final[SYS_PATH_MAX];     /* CrashControl DumpFile, expanded */
    bool overwrite;
    uint64_t seq, total;          /* the dump's sequence number and size */
    char saved[SYS_PATH_MAX];     /* FinalDumpFileLocation, "" when not saved */
    char why_not[120];            /* why not saved */
};

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
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
static int copy_dump(const char *src, const char *dst, uint64_t total)
{
    int in = open(src, SYS_O_READ);
    if (in < 0)
        return in;
    int out = open(dst, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (out < 0) {
        close(in);
        return out;
    }
    int rc = copy_range(in, out, DUMP_HEADER_SIZE, total);
    if (rc == 0)
        rc = copy_range(in, out, 0, DUMP_HEADER_SIZE);
    close(in);
    int crc = close(out);
    if (rc == 0)
        rc = crc;
    struct dump_verify v;
    if (rc == 0 && (rc = crash_verify(dst, &v)) != 0)
        note("the copy %s does not check: %s", dst, err_str(rc));
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
        note("copying %s to %s (%lu MiB)", c->src, c->final, (unsigned long)(c->total >> 20));
        rc = copy_dump(c->src, c->final, c->total);
    }
    if (rc) {
        snprintf(c->why_not, sizeof c->why_not, "cannot write %s: %s", c->final, err_str(rc));
        return;
    }
    snprintf(c->saved, sizeof c->saved, "%s", c->final);
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
        note("no MachineCrash: nothing to do");
        return 0;
    }
    crash_reg_path("DumpFile", "%SystemRoot%\\MEMORY.DMP", c.final, sizeof c.final);
    c.overwrite = crash_reg_dword("Overwrite", 1) != 0;
    struct dump_layout l;
    int rc = crash_header(c.src, &l);
    if (rc) {
        note("%s no longer holds a valid dump: %s", c.src, err_str(rc));
        reg_delete_key(MACHINECRASH);
        return 1;
    }
    c.seq = ((const struct dump_header *)crash_scratch)->bb.sequence;
    c.total = l.total;
    place_dump(&c);
    if (c.saved[0]) {
        reg_set_sz(MACHINECRASH, "FinalDumpFileLocation", c.saved);
        note("dump #%lu saved as %s", (unsigned long)c.seq, c.saved);
    } else {
        note("dump #%lu not saved: %s", (unsigned long)c.seq, c.why_not);
    }
    if (c.saved[0] && (rc = crash_mark_cleared(c.saved)) != 0)
        note("cannot mark %s recovered: %s", c.saved, err_str(rc));
    if (c.temp && exists(c.src) && strcmp(c.src, c.saved) != 0 && (rc = unlink(c.src)) != 0)
        note("cannot delete %s: %s", c.src, err_str(rc));
    if ((rc = reg_delete_key(MACHINECRASH)) != 0)
        note("cannot delete MachineCrash: %s", err_str(rc));
    return 0;
}
