/* File commands of the shell that only read: dir/ls, type/cat, hexdump, crc (checksum and
 * read throughput of a file) and vol/df; plus the helpers shared with shell_fs_write.c.
 * Paths name a volume like "C:\Minidump\file.dmp" or "D:/x/y"; without a drive, C:. */
#include <stdint.h>
#include <string.h>
#include "shell/shell.h"
#include "shell/shell_fs.h"
#include "console/console.h"
#include "fs/fat/fat.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "lib/crc32.h"
#include "lib/fmt.h"
#include "err.h"

#define TYPE_CHUNK        4096u              /* bytes read per call by `type` */
#define HEXDUMP_DEFAULT   256u               /* bytes `hexdump` shows without a length */
#define HEXDUMP_MAX       (64u * 1024u)      /* most bytes one `hexdump` shows */
#define HEX_WIDTH         16                 /* bytes per hexdump line */
#define FAT_YEAR0         1980

int shell_fs_fail(const char *cmd, const char *path, int rc)
{
    const char *why = rc == ERR_INVALID_ARGS ? "invalid path" : err_str(rc);
    kprintf("%s: %s: %s\n", cmd, path, why);
    return 0;
}

int shell_fs_resolve(const char *cmd, const char *path, struct volume **v, const char **inner)
{
    int rc = volume_resolve(path, v, inner);
    if (rc == ERR_NOT_FOUND)
        kprintf("%s: %s: no such drive (see 'vol')\n", cmd, path);
    else if (rc)
        shell_fs_fail(cmd, path, rc);
    return rc;
}

void shell_fs_rate(char *buf, size_t cap, uint64_t bytes, uint64_t ns)
{
    uint64_t tenths = ns ? bytes * 10000u / ns : 0;   /* MB/s * 10 = bytes * 10^4 / ns */
    fmt_snprintf(buf, cap, "%lu ms (%lu.%lu MB/s)", (unsigned long)(ns / 1000000u),
                 (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

const char *shell_fs_basename(const char *path)
{
    const char *base = path;
    if (path[0] && path[1] == ':')
        base = path + 2;
    for (const char *p = base; *p; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    return base;
}

int shell_fs_join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    bool sep = n > 0 && (dir[n - 1] == '\\' || dir[n - 1] == '/' || dir[n - 1] == ':');
    int len = fmt_snprintf(out, cap, "%s%s%s", dir, sep ? "" : "\\", name);
    return len < 0 || (size_t)len >= cap ? ERR_TOO_BIG : 0;
}

/* "2026-11-21  22:11" from a FAT date and time. */
static void format_time(char *buf, size_t cap, const struct fat_time *t)
{
    fmt_snprintf(buf, cap, "%04u-%02u-%02u  %02u:%02u", (unsigned)(t->date >> 9) + FAT_YEAR0,
                 (unsigned)(t->date >> 5 & 15), (unsigned)(t->date & 31),
                 (unsigned)(t->time >> 11), (unsigned)(t->time >> 5 & 63));
}

static void print_entry(const struct fat_dirent *e)
{
    char when[24];
    format_time(when, sizeof when, &e->modified);
    if (e->attr & FAT_ATTR_DIRECTORY)
        kprintf("%s    %-14s %s\n", when, "<DIR>", e->name);
    else
        kprintf("%s    %14lu %s\n", when, (unsigned long)e->size, e->name);
}

int shell_cmd_dir(int argc, char **argv)
{
    if (argc > 2)
        return ERR_INVALID_ARGS;
    const char *path = argc == 2 ? argv[1] : "C:\\";
    struct volume *v;
    const char *inner;
    if (shell_fs_resolve(argv[0], path, &v, &inner))
        return 0;
    struct fat_dirent *e = kmalloc(sizeof *e);
    if (!e)
        return ERR_NO_MEMORY;
    int rc = fat_stat(v->fat, inner, e);
    if (rc) {
        kfree(e);
        return shell_fs_fail(argv[0], path, rc);
    }
    unsigned files = 0, dirs = 0;
    uint64_t bytes = 0;
    if (!(e->attr & FAT_ATTR_DIRECTORY)) {
        print_entry(e);
        files = 1;
        bytes = e->size;
    } else {
        struct fat_dir d;
        rc = fat_opendir(v->fat, inner, &d);
        kprintf(" Directory of %s\n\n", path);
        while (rc == 0 && (rc = fat_readdir(&d, e)) == 1) {
            print_entry(e);
            rc = 0;
            if (e->attr & FAT_ATTR_DIRECTORY) {
                dirs++;
            } else {
                files++;
                bytes += e->size;
            }
        }
    }
    kfree(e);
    if (rc < 0)
        return shell_fs_fail(argv[0], path, rc);
    struct fat_info fi;
    fat_info(v->fat, &fi);
    kprintf("%u file(s), %lu bytes; %u dir(s); %lu bytes free\n", files, (unsigned long)bytes,
            dirs, (unsigned long)((uint64_t)fi.free_clusters * fi.cluster_size));
    return 0;
}

/* Open an existing file for reading, printing the error. */
static int open_file(const char *cmd, const char *path, struct fat_file *f)
{
    struct volume *v;
    const char *inner;
    int rc = shell_fs_resolve(cmd, path, &v, &inner);
    if (rc)
        return rc;
    rc = fat_open(v->fat, inner, f);
    if (rc)
        shell_fs_fail(cmd, path, rc);
    return rc;
}

int shell_cmd_type(int argc, char **argv)
{
    if (argc != 2)
        return ERR_INVALID_ARGS;
    struct fat_file f;
    if (open_file(argv[0], argv[1], &f))
        return 0;
    char *buf = kmalloc(TYPE_CHUNK);
    if (!buf)
        return ERR_NO_MEMORY;
    uint64_t off = 0;
    size_t got;
    int rc;
    while ((rc = fat_read(&f, off, buf, TYPE_CHUNK, &got)) == 0 && got > 0) {
        console_write(buf, got);
        off += got;
    }
    kfree(buf);
    if (rc)
        return shell_fs_fail(argv[0], argv[1], rc);
    return 0;
}

static void hex_line(uint64_t off, const uint8_t *p, size_t n)
{
    char hex[HEX_WIDTH * 3 + 1], text[HEX_WIDTH + 1];
    for (size_t i = 0; i < HEX_WIDTH; i++) {
        if (i < n) {
            fmt_snprintf(hex + i * 3, 4, " %02x", p[i]);
            text[i] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '.';
        } else {
            memcpy(hex + i * 3, "   ", 4);
            text[i] = ' ';
        }
    }
    text[HEX_WIDTH] = 0;
    kprintf("%08lx:%s  |%s|\n", (unsigned long)off, hex, text);
}

int shell_cmd_hexdump(int argc, char **argv)
{
    uint64_t off = 0, len = HEXDUMP_DEFAULT;
    if (argc < 2 || argc > 4)
        return ERR_INVALID_ARGS;
    if ((argc >= 3 && num_parse(argv[2], UINT32_MAX, &off)) ||
        (argc == 4 && num_parse(argv[3], HEXDUMP_MAX, &len))) {
        kprintf("hexdump: offset is a number below 4 GiB, length at most %u\n", HEXDUMP_MAX);
        return 0;
    }
    struct fat_file f;
    if (open_file(argv[0], argv[1], &f))
        return 0;
    uint8_t *buf = kmalloc(len ? len : 1);
    if (!buf)
        return ERR_NO_MEMORY;
    size_t got = 0;
    int rc = fat_read(&f, off, buf, len, &got);
    if (rc == 0)
        for (size_t i = 0; i < got; i += HEX_WIDTH)
            hex_line(off + i, buf + i, got - i < HEX_WIDTH ? got - i : HEX_WIDTH);
    kfree(buf);
    if (rc)
        return shell_fs_fail(argv[0], argv[1], rc);
    if (got == 0)
        kprintf("hexdump: %s: nothing at offset %lu (file is %lu bytes)\n", argv[1],
                (unsigned long)off, (unsigned long)fat_file_size(&f));
    return 0;
}

int shell_cmd_crc(int argc, char **argv)
{
    if (argc != 2)
        return ERR_INVALID_ARGS;
    struct fat_file f;
    if (open_file(argv[0], argv[1], &f))
        return 0;
    uint8_t *buf = kmalloc(SHELL_FS_CHUNK);
    if (!buf)
        return ERR_NO_MEMORY;
    uint64_t off = 0, io_ns = 0;
    uint32_t crc = 0;
    size_t got;
    int rc;
    for (;;) {
        uint64_t t0 = timer_ns();
        rc = fat_read(&f, off, buf, SHELL_FS_CHUNK, &got);
        io_ns += timer_ns() - t0;
        if (rc || got == 0)
            break;
        crc = crc32(crc, buf, got);
        off += got;
    }
    kfree(buf);
    if (rc)
        return shell_fs_fail(argv[0], argv[1], rc);
    char rate[48];
    shell_fs_rate(rate, sizeof rate, off, io_ns);
    kprintf("%s: %lu bytes, crc32 %08x, read in %s\n", argv[1], (unsigned long)off, crc, rate);
    return 0;
}

int shell_cmd_vol(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    struct volume *v = volume_at(0);
    if (!v) {
        kprintf("no volumes\n");
        return 0;
    }
    kprintf("%-4s %-11s %-10s %-8s %10s %10s\n", "VOL", "LABEL", "PARTITION", "DISK", "SIZE",
            "FREE");
    for (unsigned i = 0; (v = volume_at(i)); i++) {
        if (!v->fat) {
            kprintf("%c:   %-11s %-10s %-8s not mounted: %s\n", v->letter, "", v->name,
                    v->disk->bd->name, err_str(v->mount_err));
            continue;
        }
        struct fat_info fi;
        fat_info(v->fat, &fi);
        char size[24], free[24];
        shell_format_size(size, sizeof size, (uint64_t)fi.clusters * fi.cluster_size);
        shell_format_size(free, sizeof free, (uint64_t)fi.free_clusters * fi.cluster_size);
        kprintf("%c:   %-11s %-10s %-8s %10s %10s\n", v->letter, fi.label[0] ? fi.label : "(none)",
                v->name, v->disk->bd->name, size, free);
    }
    return 0;
}
