/* bbdump extract: finds and copies out of the guest's disk images what a crash left behind —
 * the final dump (CrashControl DumpFile), every minidump (MinidumpDir\*.dmp), the event log
 * (C:\EVENTS\SYSTEM.EVT, raw), and a dump not yet recovered: in the paging file(s), in a
 * DUMPxxxx.TMP in a volume's root, or in the DedicatedDumpFile — and the dump in each dump
 * partition, recovered or not (a partition is never emptied: its dump stays until the next
 * crash replaces it). Each dump is validated while
 * it is copied (bbdump_copy.c); a table says what each source held. Only valid dumps are
 * written; an incomplete or corrupt one is reported with its reason and not copied. A name
 * from the image is made safe (bbdump_name.c) and every copy is created new inside the -o
 * folder, through no symbolic link, never over an existing file without --force. */
#define _GNU_SOURCE   /* renameat2 */
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
#define MINIDUMP_DIR "Minidump"   /* the output subfolder of the minidumps */

enum job_kind {
    JOB_DUMP,        /* must be a dump (MEMORY.DMP, a minidump) */
    JOB_MAYBE_DUMP,  /* may hold one (pagefile, DUMPxxxx.TMP, dedicated file) */
    JOB_RAW,         /* copied as it is (the event log) */
};

struct extract {
    struct disks disks;
    const char *dir;
    int dirfd;                           /* the -o folder: every copy is made relative to it */
    bool force;                          /* --force: a copy may replace an existing file */
    struct { const struct disk_volume *v; uint32_t cluster; } seen[SEEN_MAX];
    unsigned nseen;
    char used[SEEN_MAX][NAME_MAX_LEN];   /* output names taken, "Minidump/NAME" in the folder */
    unsigned nused;
    unsigned valid, bad, kept;           /* kept: not copied, a file of that name exists */
};

/* One line of the table; the source (a path from the image) printed escaped. */
static void row(const char *source, const char *out, const char *type, uint64_t size,
                const char *code, const char *seq, const char *status)
{
    char sz[24] = "SIZE", src[NAME_MAX_LEN];
    if (size != UINT64_MAX)
        snprintf(sz, sizeof sz, "%" PRIu64, size);
    else if (strcmp(source, "SOURCE") != 0)
        snprintf(sz, sizeof sz, "-");
    out_name_escape(source, src, sizeof src);
    printf("%-26s %-28s %-9s %12s %-10s %4s  %s\n", src, out, type, sz, code, seq, status);
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

/* True if no copy took sub/name yet (case-insensitively: the copies may go to Windows). */
static bool name_free(const struct extract *x, const char *sub, const char *name)
{
    char key[NAME_MAX_LEN];
    snprintf(key, sizeof key, "%s%s%s", sub ? sub : "", sub ? "/" : "", name);
    for (unsigned i = 0; i < x->nused; i++)
        if (strcasecmp(x->used[i], key) == 0)
            return false;
    return true;
}

/* The copy's name in sub (NULL: the folder itself): `name`, "L-name" when a file of another
 * volume took it, else the first free "name~N.ext", so no two sources share one. */
static void claim(struct extract *x, const char *sub, const char *name, char letter, char *out,
                  size_t cap)
{
    const char *dot = strrchr(name, '.');
    int base = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
    snprintf(out, cap, "%s", name);
    if (!name_free(x, sub, out))
        snprintf(out, cap, "%c-%s", letter, name);
    for (unsigned n = 2; !name_free(x, sub, out) && n < SEEN_MAX + 2; n++)
        snprintf(out, cap, "%.*s~%u%s", base, name, n, name + base);
    if (x->nused < SEEN_MAX)
        snprintf(x->used[x->nused++], NAME_MAX_LEN, "%s%s%s", sub ? sub : "", sub ? "/" : "",
                 out);
}

/* The folder a copy goes in: the -o folder, or its subfolder sub (made if missing; a
 * symbolic link there is not followed). A descriptor, or -1 with errno set. */
static int out_folder(const struct extract *x, const char *sub)
{
    if (!sub)
        return dup(x->dirfd);
    if (mkdirat(x->dirfd, sub, 0755) != 0 && errno != EEXIST)
        return -1;
    return openat(x->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Gives the finished copy tmp its name in dfd: never over an existing file without --force.
 * 0, or -1 with errno set. */
static int place(const struct extract *x, int dfd, const char *tmp, const char *name)
{
    if (x->force)
        return renameat(dfd, tmp, dfd, name);
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* a file system without RENAME_NOREPLACE: a hard link fails alike on an existing name */
    if (linkat(dfd, tmp, dfd, name, 0) != 0)
        return -1;
    unlinkat(dfd, tmp, 0);
    return 0;
}

/* A copy being made: tmp in the folder dfd, renamed to name once it is good. */
struct out_file {
    int dfd, fd;
    char name[OUT_NAME_MAX + 16];   /* a sanitised name with claim's "L-" or "~N" */
    char tmp[OUT_NAME_MAX + 48];    /* name.PID.part */
    char shown[OUT_NAME_MAX + 32];  /* Minidump/name */
    char note[NAME_MAX_LEN + 32];   /* "; renamed from ..." when name is not the source's */
};

/* Opens the copy of the file the image calls `want` in sub: its name sanitised and made
 * unique, created new (O_EXCL, never through a symbolic link). Returns 0; 1 when a file of
 * that name exists (and no --force); -1 with errno set. */
static int out_open(struct extract *x, const char *sub, const char *want, char letter,
                    struct out_file *o)
{
    char safe[OUT_NAME_MAX + 1], from[NAME_MAX_LEN];
    struct stat st;

    out_name_sanitise(want, safe);
    claim(x, sub, safe, letter, o->name, sizeof o->name);
    snprintf(o->shown, sizeof o->shown, "%s%s%s", sub ? sub : "", sub ? "/" : "", o->name);
    out_name_escape(want, from, sizeof from);
    o->note[0] = 0;
    if (strcmp(o->name, want) != 0)
        snprintf(o->note, sizeof o->note, "; renamed from %s", from);
    snprintf(o->tmp, sizeof o->tmp, "%s.%ld.part", o->name, (long)getpid());
    o->fd = -1;
    if ((o->dfd = out_folder(x, sub)) < 0)
        return -1;
    if (!x->force && fstatat(o->dfd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 1;
    o->fd = openat(o->dfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    return o->fd < 0 ? -1 : 0;
}

/* Closes the copy and names it if good; else removes it. 0, or -1 with errno set. */
static int out_close(const struct extract *x, struct out_file *o, bool good)
{
    int rc = close(o->fd);
    if (good && rc == 0)
        rc = place(x, o->dfd, o->tmp, o->name);
    int e = errno;
    if (!good || rc != 0)
        unlinkat(o->dfd, o->tmp, 0);
    close(o->dfd);
    errno = e;
    return rc;
}

/* Copies src (named `source` in the table, on volume `letter`) to sub/want (sub NULL: the -o
 * folder); prints its row. */
static void copy_job(struct extract *x, const char *source, const struct copy_src *src,
                     char letter, enum job_kind kind, const char *sub, const char *want,
                     const char *type_hint)
{
    struct out_file o;
    int rc = out_open(x, sub, want, letter, &o);
    if (rc != 0) {
        char status[NAME_MAX_LEN + 64];
        if (rc > 0)
            snprintf(status, sizeof status, "not copied: %s exists (--force replaces it)",
                     o.shown);
        else
            snprintf(status, sizeof status, "cannot create %s: %s", o.shown, strerror(errno));
        row(source, "-", type_hint, src->size, "-", "-", status);
        if (o.dfd >= 0)
            close(o.dfd);
        if (rc > 0)
            x->kept++;
        else
            x->bad++;
        return;
    }
    if (kind == JOB_RAW) {
        char status[sizeof o.note + 16];
        rc = raw_copy(src, o.fd);
        if (out_close(x, &o, rc == 0) == 0 && rc == 0) {
            snprintf(status, sizeof status, "copied (raw)%s", o.note);
            row(source, o.shown, type_hint, src->size, "-", "-", status);
        } else {
            row(source, "-", type_hint, src->size, "-", "-", "copy failed");
        }
        return;
    }
    struct copy_result r;
    enum copy_status st = dump_copy(src, o.fd, kind == JOB_MAYBE_DUMP, &r);
    if (out_close(x, &o, st == COPY_VALID) != 0 && st == COPY_VALID) {
        st = COPY_ERROR;
        snprintf(r.reason, sizeof r.reason, "writing %s: %s", o.shown, strerror(errno));
    }
    char code[16] = "-", seq[24] = "-", status[sizeof r.reason + sizeof o.note + 32];
    if (r.have_header) {
        snprintf(code, sizeof code, "0x%08X", r.bugcheck);
        snprintf(seq, sizeof seq, "%" PRIu64, r.sequence);
    }
    if (st == COPY_VALID) {
        snprintf(status, sizeof status, "valid%s%s", r.cleared && kind == JOB_MAYBE_DUMP ?
                 " (cleared: already recovered)" : "", o.note);
        x->valid++;
    } else {
        snprintf(status, sizeof status, "%s%s", r.reason,
                 st == COPY_NO_DUMP ? "" : "; not copied");
        if (st != COPY_NO_DUMP)
            x->bad++;
    }
    row(source, st == COPY_VALID ? o.shown : "-", strcmp(r.kind, "-") ? r.kind : type_hint,
        st == COPY_VALID ? r.bytes : src->size, code, seq, status);
}

/* Copies one file of the images to sub/want (sub NULL: the -o folder); prints its row. */
static void job(struct extract *x, const char *source, enum job_kind kind, const char *sub,
                const char *want, const char *type_hint)
{
    struct disk_volume *v;
    const char *inner;
    struct fat_src f;
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
    if (first_sight(x, v, inner))
        copy_job(x, source, &f.src, v->letter, kind, sub, want, type_hint);
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

/* The file name of a path as the FAT core reads it: after the last '\\' or '/'. */
static const char *base_name(const char *winpath)
{
    const char *b = winpath[0] && winpath[1] == ':' ? winpath + 2 : winpath;
    for (const char *p = b; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

static void minidumps(struct extract *x, const char *dir)
{
    struct disk_volume *v;
    const char *inner;
    if (disks_resolve(&x->disks, dir, &v, &inner) != 0)
        return;
    char **names = list_dir(v, inner, is_minidump);
    for (size_t i = 0; names && names[i]; i++) {
        char src[NAME_MAX_LEN * 2];
        snprintf(src, sizeof src, "%s\\%s", dir, names[i]);
        job(x, src, JOB_DUMP, MINIDUMP_DIR, names[i], "small");
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
            job(x, src, JOB_MAYBE_DUMP, NULL, out, "-");
        }
        free_list(names);
    }
}

/* Each dump partition's dump, recovered (cleared) or not, to IMAGE-pN-dump.dmp (the image's
 * file name, through the sanitiser). */
static void dump_partitions(struct extract *x)
{
    for (unsigned i = 0; i < x->disks.npart; i++) {
        struct disk_dumppart *dp = &x->disks.part[i];
        char source[NAME_MAX_LEN], want[NAME_MAX_LEN];
        snprintf(source, sizeof source, "%s partition %u", base_name(dp->img->path),
                 dp->partition);
        snprintf(want, sizeof want, "%s-p%u-dump.dmp", base_name(dp->img->path), dp->partition);
        struct part_src p;
        if (part_src_open(&p, dp) != 0) {
            row(source, "-", "-", UINT64_MAX, "-", "-", "out of memory");
            x->bad++;
            continue;
        }
        copy_job(x, source, &p.src, '-', JOB_MAYBE_DUMP, NULL, want, "-");
        part_src_close(&p);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bbdump extract IMAGE [IMAGE...] [-o DIR] [--force]\n");
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
        else if (!strcmp(argv[i], "--force"))
            x.force = true;
        else if (argv[i][0] == '-' || n == DISK_IMAGES_MAX)
            return usage();
        else
            images[n++] = argv[i];
    }
    if (n == 0)
        return usage();
    if (disks_open(&x.disks, images, n) != 0)
        return 1;
    if ((mkdir(x.dir, 0755) != 0 && errno != EEXIST) ||
        (x.dirfd = open(x.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "bbdump: %s: %s\n", x.dir, strerror(errno));
        disks_close(&x.disks);
        return 1;
    }
    static struct crash_settings s;
    if (crash_settings_read(&x.disks, &s) != 0) {
        fprintf(stderr, "bbdump: out of memory reading the registry\n");
        close(x.dirfd);
        disks_close(&x.disks);
        return 1;
    }
    if (s.hive_note[0])
        fprintf(stderr, "bbdump: warning: %s\n", s.hive_note);
    for (unsigned i = 0; i < x.disks.nvol; i++)
        printf("%c: %s partition %u%s\n", x.disks.vol[i].letter, x.disks.vol[i].img->path,
               x.disks.vol[i].partition, x.disks.vol[i].fat ? "" : " (not mounted)");
    for (unsigned i = 0; i < x.disks.npart; i++)
        printf("dump partition: %s partition %u\n", x.disks.part[i].img->path,
               x.disks.part[i].partition);
    printf("\n");
    row("SOURCE", "OUTPUT", "TYPE", UINT64_MAX, "BUGCHECK", "SEQ", "STATUS");
    job(&x, s.dump_file, JOB_DUMP, NULL, base_name(s.dump_file), "memory");
    minidumps(&x, s.minidump_dir);
    job(&x, EVENT_LOG, JOB_RAW, NULL, "SYSTEM.EVT", "event log");
    for (unsigned i = 0; i < s.npaging; i++) {
        char out[64];
        snprintf(out, sizeof out, i ? "pagefile%u-dump.dmp" : "pagefile-dump.dmp", i + 1);
        job(&x, s.paging[i], JOB_MAYBE_DUMP, NULL, out, "-");
    }
    dump_tmps(&x);
    if (s.dedicated[0])
        job(&x, s.dedicated, JOB_MAYBE_DUMP, NULL, "dedicated-dump.dmp", "-");
    dump_partitions(&x);
    printf("\n%u valid dump%s copied to %s", x.valid, x.valid == 1 ? "" : "s", x.dir);
    if (x.bad)
        printf("; %u incomplete or corrupt, not copied", x.bad);
    if (x.kept)
        printf("; %u not copied over an existing file (--force replaces it)", x.kept);
    printf("\n");
    close(x.dirfd);
    disks_close(&x.disks);
    return x.valid ? 0 : 1;
}
