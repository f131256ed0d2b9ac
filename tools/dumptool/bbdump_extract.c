/* bbdump extract: finds and copies out of the guest's disk images what a crash left behind —
 * the final dump (CrashControl DumpFile), every minidump (MinidumpDir\*.dmp), the event log
 * (C:\EVENTS\SYSTEM.EVT, raw), and a dump not yet recovered: in the paging file(s), in a
 * DUMPxxxx.TMP in a volume's root, or in the DedicatedDumpFile. Each dump is validated while
 * it is copied (bbdump_copy.c); a table says what each source held. Only valid dumps are
 * written; an incomplete or corrupt one is reported with its reason and not copied. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/recovery/dump_names.h"
#include "tools/dumptool/bbdump_extract.h"
#include "err.h"

#define EVENT_LOG "C:\\EVENTS\\SYSTEM.EVT"
#define NAME_MAX_LEN 300
#define SEEN_MAX 512

enum job_kind {
    JOB_DUMP,        /* must be a dump (MEMORY.DMP, a minidump) */
    JOB_MAYBE_DUMP,  /* may hold one (pagefile, DUMPxxxx.TMP, dedicated file) */
    JOB_RAW,         /* copied as it is (the event log) */
};

struct extract {
    struct disks disks;
    const char *dir;
    struct { const struct disk_volume *v; uint32_t cluster; } seen[SEEN_MAX];
    unsigned nseen;
    char used[SEEN_MAX][NAME_MAX_LEN];   /* output names taken */
    unsigned nused;
    unsigned valid, bad;
};

static void row(const char *source, const char *out, const char *type, uint64_t size,
                const char *code, const char *seq, const char *status)
{
    char sz[24] = "SIZE";
    if (size != UINT64_MAX)
        snprintf(sz, sizeof sz, "%" PRIu64, size);
    else if (strcmp(source, "SOURCE") != 0)
        snprintf(sz, sizeof sz, "-");
    printf("%-26s %-28s %-9s %12s %-10s %4s  %s\n", source, out, type, sz, code, seq, status);
}

/* True the first time a file (volume, first cluster) is met: one file is reported once. */
static bool first_sight(struct extract *x, const struct disk_volume *v, const char *inner)
{
    struct fat_dirent de;
    if (fat_stat(v->fat, inner, &de) != 0 || de.first_cluster == 0)
        return true;
    for (unsigned i = 0; i < x->nseen; i++)
        if (x->seen[i].v == v && x->seen[i].cluster == de.first_cluster)
            return false;
    if (x->nseen < SEEN_MAX)
        x->seen[x->nseen++] = (typeof(x->seen[0])){ v, de.first_cluster };
    return true;
}

/* `name`, or "L-name" when a file of another volume already took it. */
static void claim(struct extract *x, const char *name, char letter, char *out, size_t cap)
{
    snprintf(out, cap, "%s", name);
    for (unsigned i = 0; i < x->nused; i++)
        if (strcasecmp(x->used[i], out) == 0) {
            snprintf(out, cap, "%c-%s", letter, name);
            break;
        }
    if (x->nused < SEEN_MAX)
        snprintf(x->used[x->nused++], NAME_MAX_LEN, "%s", out);
}

static int open_out(const struct extract *x, const char *name, char *tmp, size_t cap)
{
    if (strchr(name, '/')) {   /* Minidump/NAME: its folder */
        char sub[NAME_MAX_LEN * 2];
        snprintf(sub, sizeof sub, "%s/%.*s", x->dir, (int)(strchr(name, '/') - name), name);
        if (mkdir(sub, 0755) != 0 && errno != EEXIST)
            return -1;
    }
    snprintf(tmp, cap, "%s/%s.part", x->dir, name);
    return open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

/* Copies one source; prints its row. */
static void job(struct extract *x, const char *source, enum job_kind kind, const char *outname,
                const char *type_hint)
{
    struct disk_volume *v;
    const char *inner;
    struct fat_src f;
    char out[NAME_MAX_LEN], tmp[NAME_MAX_LEN * 2], final[NAME_MAX_LEN * 2];
    int rc;

    if (disks_resolve(&x->disks, source, &v, &inner) != 0) {
        row(source, "-", type_hint, UINT64_MAX, "-", "-", "no such volume");
        return;
    }
    if ((rc = fat_src_open(&f, v, inner)) != 0) {
        row(source, "-", type_hint, UINT64_MAX, "-", "-",
            rc == ERR_NOT_FOUND ? "absent" : err_str(rc));
        return;
    }
    if (!first_sight(x, v, inner)) {
        fat_src_close(&f);
        return;
    }
    claim(x, outname, v->letter, out, sizeof out);
    int fd = open_out(x, out, tmp, sizeof tmp);
    if (fd < 0) {
        fprintf(stderr, "bbdump: %s: %s\n", tmp, strerror(errno));
        row(source, "-", type_hint, f.src.size, "-", "-", "cannot create the copy");
        x->bad++;
        fat_src_close(&f);
        return;
    }
    snprintf(final, sizeof final, "%s/%s", x->dir, out);
    if (kind == JOB_RAW) {
        rc = raw_copy(&f.src, fd);
        if (close(fd) != 0 && rc == 0)
            rc = ERR_IO;
        if (rc == 0 && rename(tmp, final) == 0) {
            row(source, out, type_hint, f.src.size, "-", "-", "copied (raw)");
        } else {
            unlink(tmp);
            row(source, "-", type_hint, f.src.size, "-", "-", "copy failed");
        }
        fat_src_close(&f);
        return;
    }
    struct copy_result r;
    enum copy_status st = dump_copy(&f.src, fd, kind == JOB_MAYBE_DUMP, &r);
    if (close(fd) != 0 && st == COPY_VALID) {
        st = COPY_ERROR;
        snprintf(r.reason, sizeof r.reason, "write error: %s", strerror(errno));
    }
    if (st == COPY_VALID && rename(tmp, final) != 0) {
        st = COPY_ERROR;
        snprintf(r.reason, sizeof r.reason, "rename: %s", strerror(errno));
    }
    if (st != COPY_VALID)
        unlink(tmp);
    char code[16] = "-", seq[24] = "-", status[sizeof r.reason + 32];
    if (r.have_header) {
        snprintf(code, sizeof code, "0x%08X", r.bugcheck);
        snprintf(seq, sizeof seq, "%" PRIu64, r.sequence);
    }
    if (st == COPY_VALID) {
        snprintf(status, sizeof status, "valid%s", r.cleared && kind == JOB_MAYBE_DUMP ?
                 " (cleared: already recovered)" : "");
        x->valid++;
    } else {
        snprintf(status, sizeof status, "%s%s", r.reason,
                 st == COPY_NO_DUMP ? "" : "; not copied");
        if (st != COPY_NO_DUMP)
            x->bad++;
    }
    row(source, st == COPY_VALID ? out : "-", strcmp(r.kind, "-") ? r.kind : type_hint,
        st == COPY_VALID ? r.bytes : f.src.size, code, seq, status);
    fat_src_close(&f);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* DUMPxxxx.TMP, as smss names a dump it could not move to its final place yet. */
static bool is_dump_tmp(const char *name)
{
    uint16_t number;
    return dump_tmp_name_parse(name, &number) == 0;
}

/* The names in a directory that `want` accepts (files only), as a NULL-ended array. */
static char **list_dir(struct disk_volume *v, const char *inner, bool (*want)(const char *))
{
    struct fat_dir dir;
    struct fat_dirent de;
    char **names = calloc(1, sizeof *names);
    size_t n = 0;

    if (!names || fat_opendir(v->fat, inner, &dir) != 0)
        return names;
    while (fat_readdir(&dir, &de) == 1) {
        if ((de.attr & FAT_ATTR_DIRECTORY) || !want(de.name))
            continue;
        char **more = realloc(names, (n + 2) * sizeof *names);
        if (!more)
            break;
        names = more;
        names[n] = strdup(de.name);
        names[n + 1] = NULL;
        if (names[n])
            n++;
    }
    return names;
}

static void free_list(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

static bool is_minidump(const char *name)
{
    return ends_with(name, ".dmp");
}

static const char *base_name(const char *winpath)
{
    const char *b = strrchr(winpath, '\\');
    b = b ? b + 1 : winpath;
    return b[0] && b[1] == ':' ? b + 2 : b;
}

static void minidumps(struct extract *x, const char *dir)
{
    struct disk_volume *v;
    const char *inner;
    if (disks_resolve(&x->disks, dir, &v, &inner) != 0)
        return;
    char **names = list_dir(v, inner, is_minidump);
    for (size_t i = 0; names && names[i]; i++) {
        char src[NAME_MAX_LEN * 2], out[NAME_MAX_LEN];
        snprintf(src, sizeof src, "%s\\%s", dir, names[i]);
        snprintf(out, sizeof out, "Minidump/%s", names[i]);
        job(x, src, JOB_DUMP, out, "small");
    }
    free_list(names);
}

static void dump_tmps(struct extract *x)
{
    for (unsigned i = 0; i < x->disks.nvol; i++) {
        struct disk_volume *v = &x->disks.vol[i];
        if (!v->fat)
            continue;
        char **names = list_dir(v, "\\", is_dump_tmp);
        for (size_t j = 0; names && names[j]; j++) {
            char src[NAME_MAX_LEN], out[NAME_MAX_LEN];
            snprintf(src, sizeof src, "%c:\\%s", v->letter, names[j]);
            snprintf(out, sizeof out, "%.8s.dmp", names[j]);
            job(x, src, JOB_MAYBE_DUMP, out, "-");
        }
        free_list(names);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bbdump extract IMAGE [IMAGE...] [-o DIR]\n");
    return 2;
}

int cmd_extract(int argc, char **argv)
{
    static struct extract x;
    char *images[DISK_IMAGES_MAX + 1];
    unsigned n = 0;

    x.dir = ".";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            x.dir = argv[++i];
        else if (argv[i][0] == '-' || n == DISK_IMAGES_MAX)
            return usage();
        else
            images[n++] = argv[i];
    }
    if (n == 0)
        return usage();
    if (disks_open(&x.disks, images, n) != 0)
        return 1;
    if (mkdir(x.dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bbdump: %s: %s\n", x.dir, strerror(errno));
        disks_close(&x.disks);
        return 1;
    }
    static struct crash_settings s;
    if (crash_settings_read(&x.disks, &s) != 0) {
        fprintf(stderr, "bbdump: out of memory reading the registry\n");
        disks_close(&x.disks);
        return 1;
    }
    if (s.hive_note[0])
        fprintf(stderr, "bbdump: warning: %s\n", s.hive_note);
    for (unsigned i = 0; i < x.disks.nvol; i++)
        printf("%c: %s partition %u%s\n", x.disks.vol[i].letter, x.disks.vol[i].img->path,
               x.disks.vol[i].partition, x.disks.vol[i].fat ? "" : " (not mounted)");
    printf("\n");
    row("SOURCE", "OUTPUT", "TYPE", UINT64_MAX, "BUGCHECK", "SEQ", "STATUS");
    job(&x, s.dump_file, JOB_DUMP, base_name(s.dump_file), "memory");
    minidumps(&x, s.minidump_dir);
    job(&x, EVENT_LOG, JOB_RAW, "SYSTEM.EVT", "event log");
    for (unsigned i = 0; i < s.npaging; i++) {
        char out[64];
        snprintf(out, sizeof out, i ? "pagefile%u-dump.dmp" : "pagefile-dump.dmp", i + 1);
        job(&x, s.paging[i], JOB_MAYBE_DUMP, out, "-");
    }
    dump_tmps(&x);
    if (s.dedicated[0])
        job(&x, s.dedicated, JOB_MAYBE_DUMP, "dedicated-dump.dmp", "-");
    printf("\n%u valid dump%s copied to %s", x.valid, x.valid == 1 ? "" : "s", x.dir);
    if (x.bad)
        printf("; %u incomplete or corrupt, not copied", x.bad);
    printf("\n");
    disks_close(&x.disks);
    return x.valid ? 0 : 1;
}
