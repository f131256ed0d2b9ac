/* Helpers shared by the FAT32 unit tests: scratch images made with mkfs.fat in a mkdtemp
 * directory (removed at exit), mounting through imgdev, fsck.fat -n and mtools checks, a
 * fixed clock, deterministic data patterns and raw access to the image's BPB and FAT. */
#ifndef BB_TESTS_FAT_UTIL_H
#define BB_TESTS_FAT_UTIL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fs/fat/fat.h"
#include "tools/lib/imgdev.h"

/* The fixed clock: 2024-05-17 12:34:56.50. */
#define FX_DATE ((uint16_t)((44 << 9) | (5 << 5) | 17))
#define FX_TIME ((uint16_t)((12 << 11) | (34 << 5) | 28))

static char fx_dir[64];

static void fx_cleanup(void)
{
    char cmd[128];
    if (fx_dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", fx_dir);
    }
}

/* Path of a file in the scratch directory (made on first use). */
static inline const char *fx_path(const char *name)
{
    static char buf[4][160];
    static int next;
    if (!fx_dir[0]) {
        strcpy(fx_dir, "/tmp/bbfat-XXXXXX");
        if (!mkdtemp(fx_dir))
            abort();
        atexit(fx_cleanup);
        setenv("MTOOLS_SKIP_CHECK", "1", 1);
    }
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", fx_dir, name);
    return p;
}

static inline int fx_sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void *fx_alloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void fx_free(void *ctx, void *p) { (void)ctx; free(p); }
static uint16_t fx_date = FX_DATE;   /* tests may move the clock to another day */
static void fx_now(void *ctx, struct fat_time *t)
{
    (void)ctx;
    t->date = fx_date;
    t->time = FX_TIME;
    t->tenths = 150;
}
static const struct fat_env fx_env = { NULL, fx_alloc, fx_free, fx_now };

/* An image file and, while mounted, its device and volume. */
struct fx {
    char path[160];
    uint32_t ss;
    struct imgdev dev;
    struct fat_vol *vol;
};

/* Make a sparse image of mb MiB with mkfs.fat -F 32 and the given sector size. */
static inline bool fx_make(struct fx *x, const char *name, unsigned mb, uint32_t ss,
                           const char *extra)
{
    snprintf(x->path, sizeof(x->path), "%s", fx_path(name));
    x->ss = ss;
    x->vol = NULL;
    return fx_sh("rm -f '%s' && truncate -s %uM '%s' && mkfs.fat -F 32 -S %u %s '%s' >/dev/null",
                 x->path, mb, x->path, ss, extra ? extra : "", x->path) == 0;
}

static inline int fx_mount(struct fx *x)
{
    int rc = imgdev_open(&x->dev, x->path, x->ss, true);
    if (rc)
        return rc;
    rc = fat_mount(&x->dev.bd, &fx_env, &x->vol);
    if (rc) {
        imgdev_close(&x->dev);
        x->vol = NULL;
    }
    return rc;
}

static inline int fx_unmount(struct fx *x)
{
    int rc = fat_unmount(x->vol);
    x->vol = NULL;
    imgdev_close(&x->dev);
    return rc;
}

/* fsck.fat -n must exit 0 and print nothing but its banner and the summary line. */
static inline bool fx_fsck(struct fx *x)
{
    char cmd[512], line[512], out[8192] = "";
    snprintf(cmd, sizeof(cmd), "fsck.fat -n '%s' 2>&1", x->path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    size_t used = 0;
    int lines = 0;
    bool clean = true;
    while (fgets(line, sizeof(line), p)) {
        size_t n = strlen(line);
        lines++;
        if (!(lines == 1 && strncmp(line, "fsck.fat", 8) == 0) && !strstr(line, " files, "))
            clean = false;
        if (used + n < sizeof(out)) {
            memcpy(out + used, line, n + 1);
            used += n;
        }
    }
    int rc = pclose(p);
    if (rc != 0 || !clean || lines != 2) {
        printf("fsck.fat -n %s:\n%s", x->path, out);
        return false;
    }
    return true;
}

/* Run a command and return all of its standard output (malloc'd), *len bytes. */
static inline uint8_t *fx_capture(size_t *len, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, p);
        if (got == 0)
            break;
        n += got;
    }
    if (pclose(p) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The file's bytes as mtype sees them. */
static inline uint8_t *fx_mtype(struct fx *x, const char *path, size_t *len)
{
    return fx_capture(len, "mtype -i '%s' '::%s'", x->path, path);
}

/* Deterministic content: byte at absolute offset off of stream seed. */
static inline uint8_t fx_byte(uint32_t seed, uint64_t off)
{
    uint64_t h = (off + seed) * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(h >> 56);
}

static inline void fx_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = fx_byte(seed, off + i);
}

static inline bool fx_check(const uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != fx_byte(seed, off + i))
            return false;
    return true;
}

/* Write a host file of len pattern bytes. */
static inline bool fx_host_file(const char *path, size_t len, uint32_t seed)
{
    uint8_t *buf = malloc(len ? len : 1);
    fx_fill(buf, len, seed, 0);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(buf, 1, len, f) == len;
    if (f)
        fclose(f);
    free(buf);
    return ok;
}

/* Raw geometry of an image, read straight from its boot sector. */
struct fx_geo {
    uint32_t bps, spc, rsvd, nfats, fatsz, root;
    uint64_t data;
};

static inline void fx_raw(const char *path, uint64_t off, void *buf, size_t len, bool write)
{
    int fd = open(path, write ? O_RDWR : O_RDONLY);
    if (fd < 0)
        abort();
    ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
    close(fd);
    if (n != (ssize_t)len)
        abort();
}

static inline struct fx_geo fx_geo(const char *path)
{
    uint8_t b[512];
    struct fx_geo g;
    fx_raw(path, 0, b, sizeof(b), false);
    g.bps = b[11] | b[12] << 8;
    g.spc = b[13];
    g.rsvd = b[14] | b[15] << 8;
    g.nfats = b[16];
    g.fatsz = (uint32_t)b[36] | (uint32_t)b[37] << 8 | (uint32_t)b[38] << 16 | (uint32_t)b[39] << 24;
    g.root = (uint32_t)b[44] | (uint32_t)b[45] << 8 | (uint32_t)b[46] << 16 | (uint32_t)b[47] << 24;
    g.data = (uint64_t)g.rsvd + (uint64_t)g.nfats * g.fatsz;
    return g;
}

/* FAT entry c of copy `copy`, read from the image file. */
static inline uint32_t fx_fat_get(const char *path, uint32_t copy, uint32_t c)
{
    struct fx_geo g = fx_geo(path);
    uint8_t b[4];
    fx_raw(path, ((uint64_t)g.rsvd + (uint64_t)copy * g.fatsz) * g.bps + (uint64_t)c * 4, b, 4,
           false);
    return ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) &
           0x0FFFFFFF;
}

static inline void fx_fat_set(const char *path, uint32_t c, uint32_t val)
{
    struct fx_geo g = fx_geo(path);
    uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24) };
    for (uint32_t copy = 0; copy < g.nfats; copy++)
        fx_raw(path, ((uint64_t)g.rsvd + (uint64_t)copy * g.fatsz) * g.bps + (uint64_t)c * 4, b, 4,
               true);
}

/* A device that writes `budget` more sectors, then fails every write (a call may stop
 * part-way): a power cut. A negative budget never cuts. It counts read calls. */
struct cutdev {
    struct blockdev bd;
    struct blockdev *inner;
    long budget;
    long reads;
    long writes;
};

static inline int cut_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    struct cutdev *c = bd->ctx;
    c->reads++;
    return blockdev_read(c->inner, lba, count, buf);
}

static inline int cut_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    struct cutdev *c = bd->ctx;
    c->writes++;
    if (c->budget < 0)
        return blockdev_write(c->inner, lba, count, buf);
    uint64_t ok = (uint64_t)c->budget < count ? (uint64_t)c->budget : count;
    if (ok && blockdev_write(c->inner, lba, ok, buf) != 0)
        return ERR_IO;
    c->budget -= (long)ok;
    return ok == count ? 0 : ERR_IO;
}

static inline int cut_flush(struct blockdev *bd)
{
    struct cutdev *c = bd->ctx;
    return c->budget == 0 ? ERR_IO : blockdev_flush(c->inner);
}

static inline void cut_init(struct cutdev *c, struct blockdev *inner, long budget)
{
    c->bd = *inner;
    c->bd.ctx = c;
    c->bd.read = cut_read;
    c->bd.write = cut_write;
    c->bd.flush = cut_flush;
    c->inner = inner;
    c->budget = budget;
    c->reads = 0;
    c->writes = 0;
}

/* Mount x's image through a counting cutdev (no write budget), to count device commands. */
static inline int fx_mount_counted(struct fx *x, struct cutdev *cnt, bool writable)
{
    int rc = imgdev_open(&x->dev, x->path, 512, writable);
    if (rc)
        return rc;
    cut_init(cnt, &x->dev.bd, -1);
    return fat_mount(&cnt->bd, &fx_env, &x->vol);
}

#endif
