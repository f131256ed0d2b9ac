/* File commands of the shell that change a volume: write, copy/cp (across volumes, in
 * chunks), ren/mv (within a volume), del/rm, mkdir, rmdir and mkfile (a file of a given size
 * with a known pattern, for tests and benchmarks). Each ends with fat_sync(), so the data is
 * on the disk, not in a cache, when the prompt comes back. */
#include <stdint.h>
#include <string.h>
#include "shell/shell.h"
#include "shell/shell_fs.h"
#include "console/console.h"
#include "fs/fat/fat.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "err.h"

#define MKFILE_MAX 0xFFFFFFFFull   /* FAT32's largest file */

/* Open path for writing, emptied: an existing file is truncated, a missing one created. */
static int open_empty(struct volume *v, const char *inner, struct fat_file *f)
{
    int rc = fat_open(v->fat, inner, f);
    if (rc == ERR_NOT_FOUND)
        return fat_create(v->fat, inner, f);
    if (rc == 0)
        rc = fat_truncate(f, 0);
    return rc;
}

/* Finish a write command: flush the volume; report a failure of either step. */
static int finish(const char *cmd, const char *path, struct volume *v, int rc)
{
    int sync_rc = fat_sync(v->fat);
    if (rc == 0)
        rc = sync_rc;
    if (rc)
        shell_fs_fail(cmd, path, rc);
    return rc;
}

int shell_cmd_write(int argc, char **argv)
{
    if (argc < 3)
        return ERR_INVALID_ARGS;
    size_t len = 0;
    for (int i = 2; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = kmalloc(len);
    if (!text)
        return ERR_NO_MEMORY;
    char *p = text;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        memcpy(p, argv[i], n);
        p += n;
        *p++ = i + 1 < argc ? ' ' : '\n';
    }
    struct volume *v;
    const char *inner;
    struct fat_file f;
    size_t done = 0;
    int rc = shell_fs_resolve(argv[0], argv[1], &v, &inner);
    if (rc == 0) {
        rc = open_empty(v, inner, &f);
        if (rc == 0)
            rc = fat_write(&f, 0, text, len, &done);
        finish(argv[0], argv[1], v, rc);
    }
    kfree(text);
    return 0;
}

/* If path names an existing directory, replace it (in buf) by path\name. */
static int into_dir(struct volume *v, const char *inner, const char **path, const char *name,
                    char *buf, size_t cap)
{
    struct fat_dirent *e = kmalloc(sizeof *e);
    if (!e)
        return ERR_NO_MEMORY;
    int rc = fat_stat(v->fat, inner, e);
    bool dir = rc == 0 && (e->attr & FAT_ATTR_DIRECTORY);
    kfree(e);
    if (!dir)
        return 0;
    rc = shell_fs_join(buf, cap, *path, name);
    if (rc == 0)
        *path = buf;
    return rc;
}

/* First cluster of the file at inner, or 0 if none (missing, empty, not a file). */
static uint32_t first_cluster(struct volume *v, const char *inner)
{
    struct fat_file f;
    return fat_open(v->fat, inner, &f) == 0 ? f.first_cluster : 0;
}

static int copy_data(struct fat_file *src, struct fat_file *dst, uint64_t *copied)
{
    uint8_t *buf = kmalloc(SHELL_FS_CHUNK);
    if (!buf)
        return ERR_NO_MEMORY;
    int rc;
    size_t got, done;
    while ((rc = fat_read(src, *copied, buf, SHELL_FS_CHUNK, &got)) == 0 && got > 0) {
        rc = fat_write(dst, *copied, buf, got, &done);
        if (rc)
            break;
        *copied += got;
    }
    kfree(buf);
    return rc;
}

int shell_cmd_copy(int argc, char **argv)
{
    if (argc != 3)
        return ERR_INVALID_ARGS;
    const char *src_path = argv[1], *dst_path = argv[2], *src_in, *dst_in;
    struct volume *sv, *dv;
    struct fat_file src, dst;
    char *buf = kmalloc(SHELL_FS_PATH_MAX);
    if (!buf)
        return ERR_NO_MEMORY;
    int rc = shell_fs_resolve(argv[0], src_path, &sv, &src_in);
    if (rc == 0 && (rc = fat_open(sv->fat, src_in, &src)) != 0)
        shell_fs_fail(argv[0], src_path, rc);
    if (rc == 0)
        rc = shell_fs_resolve(argv[0], dst_path, &dv, &dst_in);
    if (rc == 0) {
        rc = into_dir(dv, dst_in, &dst_path, shell_fs_basename(src_path), buf, SHELL_FS_PATH_MAX);
        if (rc == 0)
            rc = volume_resolve(dst_path, &dv, &dst_in);
        if (rc)
            shell_fs_fail(argv[0], dst_path, rc);
    }
    if (rc == 0 && sv == dv && src.first_cluster && first_cluster(dv, dst_in) == src.first_cluster) {
        kprintf("%s: %s: same file as %s\n", argv[0], dst_path, src_path);
        rc = ERR_EXISTS;
    }
    if (rc == 0) {
        uint64_t t0 = timer_ns(), copied = 0;
        rc = open_empty(dv, dst_in, &dst);
        if (rc == 0)
            rc = copy_data(&src, &dst, &copied);
        if (finish(argv[0], dst_path, dv, rc) == 0) {
            char rate[48];
            shell_fs_rate(rate, sizeof rate, copied, timer_ns() - t0);
            kprintf("copied %lu bytes to %s in %s\n", (unsigned long)copied, dst_path, rate);
        }
    }
    kfree(buf);
    return 0;
}

int shell_cmd_ren(int argc, char **argv)
{
    if (argc != 3)
        return ERR_INVALID_ARGS;
    const char *dst_path = argv[2], *src_in, *dst_in;
    struct volume *sv, *dv;
    if (shell_fs_resolve(argv[0], argv[1], &sv, &src_in) ||
        shell_fs_resolve(argv[0], argv[2], &dv, &dst_in))
        return 0;
    if (sv != dv) {
        kprintf("%s: %s: not on the same volume as %s (use copy, then del)\n", argv[0], argv[2],
                argv[1]);
        return 0;
    }
    char *buf = kmalloc(SHELL_FS_PATH_MAX);
    if (!buf)
        return ERR_NO_MEMORY;
    int rc = into_dir(dv, dst_in, &dst_path, shell_fs_basename(argv[1]), buf, SHELL_FS_PATH_MAX);
    if (rc == 0 && dst_path != argv[2])
        rc = volume_resolve(dst_path, &dv, &dst_in);
    if (rc) {
        shell_fs_fail(argv[0], dst_path, rc);
    } else {
        rc = fat_rename(sv->fat, src_in, dst_in);
        /* name the side the error is about: a taken destination, else the source */
        finish(argv[0], rc == ERR_EXISTS ? dst_path : argv[1], sv, rc);
    }
    kfree(buf);
    return 0;
}

/* The commands taking one path and calling one core function. */
static int one_path(int argc, char **argv, int (*op)(struct fat_vol *, const char *))
{
    if (argc != 2)
        return ERR_INVALID_ARGS;
    struct volume *v;
    const char *inner;
    if (shell_fs_resolve(argv[0], argv[1], &v, &inner))
        return 0;
    finish(argv[0], argv[1], v, op(v->fat, inner));
    return 0;
}

int shell_cmd_del(int argc, char **argv)
{
    return one_path(argc, argv, fat_unlink);
}

int shell_cmd_mkdir(int argc, char **argv)
{
    return one_path(argc, argv, fat_mkdir);
}

int shell_cmd_rmdir(int argc, char **argv)
{
    return one_path(argc, argv, fat_rmdir);
}

/* SIZE with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
    char num[24];
    size_t n = strlen(s);
    unsigned shift = 0;
    if (n == 0 || n >= sizeof num)
        return ERR_INVALID_ARGS;
    memcpy(num, s, n + 1);
    switch (num[n - 1]) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: break;
    }
    if (shift)
        num[n - 1] = 0;
    uint64_t v;
    int rc = num_parse(num, MKFILE_MAX >> shift, &v);
    if (rc == 0)
        *out = v << shift;
    return rc;
}

/* Each 8-byte little-endian word of the file holds its own byte offset. */
static void fill_pattern(uint8_t *buf, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t word = off + i;
        memcpy(buf + i, &word, len - i < 8 ? len - i : 8);
    }
}

int shell_cmd_mkfile(int argc, char **argv)
{
    uint64_t size;
    if (argc != 3)
        return ERR_INVALID_ARGS;
    if (parse_size(argv[2], &size)) {
        kprintf("%s: SIZE '%s' is not a size below 4 GiB (suffix K, M or G)\n", argv[0], argv[2]);
        return 0;
    }
    struct volume *v;
    const char *inner;
    if (shell_fs_resolve(argv[0], argv[1], &v, &inner))
        return 0;
    uint8_t *buf = kmalloc(SHELL_FS_CHUNK);
    if (!buf)
        return ERR_NO_MEMORY;
    struct fat_file f;
    uint64_t off = 0, io_ns = 0;
    size_t done;
    int rc = open_empty(v, inner, &f);
    while (rc == 0 && off < size) {
        size_t n = size - off < SHELL_FS_CHUNK ? (size_t)(size - off) : SHELL_FS_CHUNK;
        fill_pattern(buf, off, n);
        uint64_t t0 = timer_ns();
        rc = fat_write(&f, off, buf, n, &done);
        io_ns += timer_ns() - t0;
        off += done;
    }
    uint64_t t0 = timer_ns();
    rc = finish(argv[0], argv[1], v, rc);
    io_ns += timer_ns() - t0;
    kfree(buf);
    if (rc == 0) {
        char rate[48];
        shell_fs_rate(rate, sizeof rate, off, io_ns);
        kprintf("wrote %lu bytes to %s in %s\n", (unsigned long)off, argv[1], rate);
    }
    return 0;
}
