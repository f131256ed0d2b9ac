/* The file and directory system calls: descriptors (the console's, FAT files' and
 * directories', and dump partitions' through syscall_dumppart.c), open/read/write/seek/
 * truncate/close, stat, unlink/mkdir/rmdir/rename, directory
 * listing and volume information. A volume changed by a call is flushed before the call
 * returns (files: at close). */
#include <string.h>
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "proc/syscall_dumppart.h"
#include "console/console.h"
#include "mm/heap.h"
#include "err.h"

#define FILE_POS_MAX 0xFFFFFFFFull

#define OPEN_FLAGS (SYS_O_READ | SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC | SYS_O_APPEND)

void syscall_init_fds(struct process *p)
{
    p->fd[SYS_FD_CONSOLE_OUT].kind = PROC_FD_CONSOLE;
    p->fd[SYS_FD_CONSOLE_ERR].kind = PROC_FD_CONSOLE;
}

static int fd_close(struct proc_fd *d)
{
    int rc = 0;
    if (d->kind == PROC_FD_FILE && d->written)
        rc = fat_sync(d->vol->fat);
    memset(d, 0, sizeof *d);
    return rc;
}

void syscall_close_all(struct process *p)
{
    for (unsigned i = 0; i < SYS_FD_MAX; i++)
        fd_close(&p->fd[i]);
}

static struct proc_fd *fd_get(uint64_t fd, enum proc_fd_kind kind)
{
    struct process *p = process_current();
    if (fd >= SYS_FD_MAX || p->fd[fd].kind != kind)
        return NULL;
    return &p->fd[fd];
}

static int fd_alloc(void)
{
    struct process *p = process_current();
    for (int i = SYS_FD_CONSOLE_ERR + 1; i < SYS_FD_MAX; i++)
        if (p->fd[i].kind == PROC_FD_FREE)
            return i;
    return ERR_NO_SPACE;
}

/* Copy the user path at va into buf (SYS_PATH_MAX) and resolve its volume. */
static int user_path(uint64_t va, char *buf, struct volume **v, const char **inner)
{
    int rc = uaccess_copy_str(buf, va, SYS_PATH_MAX);
    if (rc < 0)
        return rc;
    return volume_resolve(buf, v, inner);
}

/* True if another descriptor may change the file f names. */
static bool open_for_write(const struct fat_file *f)
{
    struct process *p = process_current();
    for (unsigned i = 0; i < SYS_FD_MAX; i++) {
        const struct proc_fd *d = &p->fd[i];
        if (d->kind == PROC_FD_FILE && (d->flags & SYS_O_WRITE) && d->u.file.vol == f->vol &&
            d->u.file.ent_lba == f->ent_lba && d->u.file.ent_off == f->ent_off)
            return true;
    }
    return false;
}

/* The path of an open call resolved, and a free descriptor for it: the descriptor number
 * (still free until the caller fills it) or an ERR_* code. */
static int open_prologue(uint64_t path_va, char *path, struct volume **v, const char **inner)
{
    int rc = user_path(path_va, path, v, inner);
    return rc ? rc : fd_alloc();
}

int64_t sys_open(uint64_t path_va, uint64_t flags)
{
    if ((flags & ~(uint64_t)OPEN_FLAGS) || !(flags & (SYS_O_READ | SYS_O_WRITE)) ||
        ((flags & (SYS_O_CREATE | SYS_O_TRUNC | SYS_O_APPEND)) && !(flags & SYS_O_WRITE)))
        return ERR_INVALID_ARGS;
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc = uaccess_copy_str(path, path_va, SYS_PATH_MAX);
    if (rc < 0)
        return rc;
    if (dumppart_is_path(path)) {
        int fd = fd_alloc();
        if (fd >= 0 && (rc = dumppart_open(&process_current()->fd[fd], path, flags)) != 0)
            return rc;
        return fd;
    }
    int fd = open_prologue(path_va, path, &v, &inner);
    if (fd < 0)
        return fd;
    struct proc_fd *d = &process_current()->fd[fd];
    struct fat_file f;
    bool created = false;
    rc = fat_open(v->fat, inner, &f);
    if (rc == ERR_NOT_FOUND && (flags & SYS_O_CREATE)) {
        rc = fat_create(v->fat, inner, &f);
        created = rc == 0;
    }
    if (rc)
        return rc;
    if ((flags & SYS_O_WRITE) && open_for_write(&f))
        return ERR_BUSY;
    if ((flags & SYS_O_WRITE) && !created && (rc = fat_may_change(&f)) != 0)
        return rc;
    if ((flags & SYS_O_TRUNC) && !created && (rc = fat_truncate(&f, 0)) != 0)
        return rc;
    *d = (struct proc_fd){ .kind = PROC_FD_FILE, .flags = (unsigned)flags, .vol = v,
                           .written = created || (flags & SYS_O_TRUNC) };
    d->u.file = f;
    if (created)
        fat_sync(v->fat);
    return fd;
}

int64_t sys_read(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_DUMPPART);
    if (d)
        return dumppart_read(d, buf, len);
    d = fd_get(fd, PROC_FD_FILE);
    if (!d || !(d->flags & SYS_O_READ))
        return ERR_INVALID_ARGS;
    if (len > SYS_IO_MAX)
        len = SYS_IO_MAX;
    int rc = uaccess_check(buf, len, true);
    if (rc)
        return rc;
    size_t done = 0;
    rc = fat_read(&d->u.file, d->pos, (void *)buf, len, &done);
    d->pos += done;
    return rc ? rc : (int64_t)done;
}

int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct process *p = process_current();
    if (fd >= SYS_FD_MAX)
        return ERR_INVALID_ARGS;
    struct proc_fd *d = &p->fd[fd];
    if (len > SYS_IO_MAX)
        len = SYS_IO_MAX;
    int rc = uaccess_check(buf, len, false);
    if (rc)
        return rc;
    if (d->kind == PROC_FD_CONSOLE) {
        console_write((const char *)buf, len);
        return (int64_t)len;
    }
    if (d->kind != PROC_FD_FILE || !(d->flags & SYS_O_WRITE))
        return ERR_INVALID_ARGS;
    if (d->flags & SYS_O_APPEND)
        d->pos = fat_file_size(&d->u.file);
    size_t done = 0;
    rc = fat_write(&d->u.file, d->pos, (const void *)buf, len, &done);
    d->pos += done;
    d->written = true;
    return rc ? rc : (int64_t)done;
}

int64_t sys_ftruncate(uint64_t fd, uint64_t size)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_FILE);
    if (!d || !(d->flags & SYS_O_WRITE))
        return ERR_INVALID_ARGS;
    if (size > FILE_POS_MAX)
        return ERR_TOO_BIG;
    int rc = fat_truncate(&d->u.file, (uint32_t)size);
    if (rc == 0)
        d->written = true;
    return rc;
}

int64_t sys_seek(uint64_t fd, int64_t off, uint64_t whence)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_FILE);
    if (!d)
        d = fd_get(fd, PROC_FD_DUMPPART);
    if (!d)
        return ERR_INVALID_ARGS;
    /* a dump partition's end may lie past 4 GiB; a FAT file's never does */
    uint64_t size = d->kind == PROC_FD_FILE ? fat_file_size(&d->u.file) : dumppart_size(d);
    uint64_t max = d->kind == PROC_FD_FILE ? FILE_POS_MAX : size;
    uint64_t base;
    switch (whence) {
    case SYS_SEEK_SET: base = 0; break;
    case SYS_SEEK_CUR: base = d->pos; break;
    case SYS_SEEK_END: base = size; break;
    default: return ERR_INVALID_ARGS;
    }
    if (base > max)
        return ERR_RANGE;
    /* In unsigned arithmetic: the magnitude of INT64_MIN has no int64_t, and base is at most
     * max, so neither sum nor difference can wrap once checked. */
    uint64_t mag = off < 0 ? 0 - (uint64_t)off : (uint64_t)off;
    if (off < 0 ? mag > base : mag > max - base)
        return ERR_RANGE;
    d->pos = off < 0 ? base - mag : base + mag;
    return (int64_t)d->pos;
}

int64_t sys_stat(uint64_t path_va, uint64_t out)
{
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc = uaccess_check(out, sizeof(struct sys_stat), true);
    if (rc || (rc = uaccess_copy_str(path, path_va, SYS_PATH_MAX)) < 0)
        return rc;
    if (dumppart_is_path(path)) {
        struct sys_stat st;
        rc = dumppart_stat(path, &st);
        return rc ? rc : uaccess_copy_out(out, &st, sizeof st);
    }
    if ((rc = volume_resolve(path, &v, &inner)) != 0)
        return rc;
    struct fat_dirent *e = kmalloc(sizeof *e);
    if (!e)
        return ERR_NO_MEMORY;
    rc = fat_stat(v->fat, inner, e);
    if (rc == 0) {
        struct sys_stat st = { e->size, e->attr, e->modified.date, e->modified.time };
        rc = uaccess_copy_out(out, &st, sizeof st);
    }
    kfree(e);
    return rc;
}

/* unlink, mkdir, rmdir: one path, the volume flushed after. */
int64_t sys_path_op(uint64_t nr, uint64_t path_va)
{
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc = user_path(path_va, path, &v, &inner);
    if (rc)
        return rc;
    if (nr == SYS_UNLINK)
        rc = fat_unlink(v->fat, inner);
    else if (nr == SYS_MKDIR)
        rc = fat_mkdir(v->fat, inner);
    else
        rc = fat_rmdir(v->fat, inner);
    int sync_rc = fat_sync(v->fat);
    return rc ? rc : sync_rc;
}

int64_t sys_rename(uint64_t from_va, uint64_t to_va)
{
    char from[SYS_PATH_MAX], to[SYS_PATH_MAX];
    struct volume *fv, *tv;
    const char *fin, *tin;
    int rc = user_path(from_va, from, &fv, &fin);
    if (rc || (rc = user_path(to_va, to, &tv, &tin)) != 0)
        return rc;
    if (fv != tv)
        return ERR_NOT_SUPPORTED;
    rc = fat_rename(fv->fat, fin, tin);
    int sync_rc = fat_sync(fv->fat);
    return rc ? rc : sync_rc;
}

int64_t sys_opendir(uint64_t path_va)
{
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc, fd = open_prologue(path_va, path, &v, &inner);
    if (fd < 0)
        return fd;
    struct proc_fd *d = &process_current()->fd[fd];
    struct fat_dir dir;
    if ((rc = fat_opendir(v->fat, inner, &dir)) != 0)
        return rc;
    *d = (struct proc_fd){ .kind = PROC_FD_DIR, .vol = v };
    d->u.dir = dir;
    return fd;
}

int64_t sys_readdir(uint64_t fd, uint64_t out)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_DIR);
    if (!d)
        return ERR_INVALID_ARGS;
    int rc = uaccess_check(out, sizeof(struct sys_dirent), true);
    if (rc)
        return rc;
    struct fat_dirent *e = kmalloc(sizeof *e);
    struct sys_dirent *u = kzalloc(sizeof *u);
    if (!e || !u) {
        kfree(e);
        kfree(u);
        return ERR_NO_MEMORY;
    }
    rc = fat_readdir(&d->u.dir, e);
    if (rc == 1) {
        memcpy(u->name, e->name, sizeof u->name);
        u->size = e->size;
        u->attr = e->attr;
        int crc = uaccess_copy_out(out, u, sizeof *u);
        if (crc)
            rc = crc;
    }
    kfree(e);
    kfree(u);
    return rc;
}

int64_t sys_close(uint64_t fd)
{
    struct process *p = process_current();
    if (fd >= SYS_FD_MAX || (p->fd[fd].kind != PROC_FD_FILE && p->fd[fd].kind != PROC_FD_DIR &&
                             p->fd[fd].kind != PROC_FD_DUMPPART))
        return ERR_INVALID_ARGS;
    return fd_close(&p->fd[fd]);
}

int64_t sys_volinfo(uint64_t path_va, uint64_t out)
{
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc = user_path(path_va, path, &v, &inner);
    if (rc == 0)
        rc = uaccess_check(out, sizeof(struct sys_volinfo), true);
    if (rc)
        return rc;
    struct fat_info fi;
    fat_info(v->fat, &fi);
    struct sys_volinfo vi = {
        .total_bytes = (uint64_t)fi.clusters * fi.cluster_size,
        .free_bytes = (uint64_t)fi.free_clusters * fi.cluster_size,
        .sector_size = fi.sector_size,
        .cluster_size = fi.cluster_size,
        .letter = v->letter,
    };
    memcpy(vi.label, fi.label, sizeof fi.label);
    return uaccess_copy_out(out, &vi, sizeof vi);
}
