/* The system calls (syscall_table.h): argument checking, then the console, FAT volumes,
 * the registry and the RTC. Every user pointer goes through uaccess before use; a volume
 * changed by a call is flushed before the call returns (files: at close). */
#include <string.h>
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "console/console.h"
#include "console/com2.h"
#include "config/registry.h"
#include "eventlog/eventlog.h"
#include "arch/rtc.h"
#include "arch/timer.h"
#include "bugcheck/dumper.h"
#include "mm/heap.h"
#include "err.h"

#define REG_SZ_MAX 4096u   /* largest string SYS_REG_GET_SZ returns */
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

static int64_t sys_open(uint64_t path_va, uint64_t flags)
{
    if ((flags & ~(uint64_t)OPEN_FLAGS) || !(flags & (SYS_O_READ | SYS_O_WRITE)) ||
        ((flags & (SYS_O_CREATE | SYS_O_TRUNC | SYS_O_APPEND)) && !(flags & SYS_O_WRITE)))
        return ERR_INVALID_ARGS;
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc, fd = open_prologue(path_va, path, &v, &inner);
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
    if ((flags & SYS_O_TRUNC) && !created && (rc = fat_truncate(&f, 0)) != 0)
        return rc;
    *d = (struct proc_fd){ .kind = PROC_FD_FILE, .flags = (unsigned)flags, .vol = v,
                           .written = created || (flags & SYS_O_TRUNC) };
    d->u.file = f;
    if (created)
        fat_sync(v->fat);
    return fd;
}

static int64_t sys_read(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_FILE);
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

static int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
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

static int64_t sys_ftruncate(uint64_t fd, uint64_t size)
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

static int64_t sys_seek(uint64_t fd, int64_t off, uint64_t whence)
{
    struct proc_fd *d = fd_get(fd, PROC_FD_FILE);
    if (!d)
        return ERR_INVALID_ARGS;
    int64_t base;
    switch (whence) {
    case SYS_SEEK_SET: base = 0; break;
    case SYS_SEEK_CUR: base = (int64_t)d->pos; break;
    case SYS_SEEK_END: base = fat_file_size(&d->u.file); break;
    default: return ERR_INVALID_ARGS;
    }
    if ((off < 0 && -off > base) || (off > 0 && (uint64_t)off > FILE_POS_MAX - (uint64_t)base))
        return ERR_RANGE;
    d->pos = (uint64_t)(base + off);
    return (int64_t)d->pos;
}

static int64_t sys_stat(uint64_t path_va, uint64_t out)
{
    char path[SYS_PATH_MAX];
    struct volume *v;
    const char *inner;
    int rc = uaccess_check(out, sizeof(struct sys_stat), true);
    if (rc || (rc = user_path(path_va, path, &v, &inner)) != 0)
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
static int64_t sys_path_op(uint64_t nr, uint64_t path_va)
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

static int64_t sys_rename(uint64_t from_va, uint64_t to_va)
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

static int64_t sys_opendir(uint64_t path_va)
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

static int64_t sys_readdir(uint64_t fd, uint64_t out)
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

static int64_t sys_close(uint64_t fd)
{
    struct process *p = process_current();
    if (fd >= SYS_FD_MAX || (p->fd[fd].kind != PROC_FD_FILE && p->fd[fd].kind != PROC_FD_DIR))
        return ERR_INVALID_ARGS;
    return fd_close(&p->fd[fd]);
}

/* The report channel: lengths bounded by SYS_IO_MAX, the buffer checked first. */
static int64_t sys_com2(uint64_t nr, uint64_t buf, uint64_t len, uint64_t timeout_ms)
{
    if (len > SYS_IO_MAX)
        len = SYS_IO_MAX;
    int rc = uaccess_check(buf, len, nr == SYS_COM2_READ);
    if (rc)
        return rc;
    if (nr == SYS_COM2_WRITE)
        return com2_write((const void *)buf, len);
    uint32_t ms = timeout_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)timeout_ms;
    return com2_read((void *)buf, len, ms);
}

static int64_t sys_time(uint64_t out)
{
    int rc = uaccess_check(out, sizeof(struct sys_time), true);
    if (rc)
        return rc;
    struct rtc_time t;
    if ((rc = rtc_read(&t)) != 0)
        return rc;
    struct sys_time st = { t.year, t.month, t.day, t.hour, t.minute, t.second, 0 };
    return uaccess_copy_out(out, &st, sizeof st);
}

/* The registry calls: key and name strings first, then the call's own arguments. */
static int64_t sys_registry(uint64_t nr, const struct syscall_args *a)
{
    char key[SYS_PATH_MAX], name[SYS_PATH_MAX];
    int rc = uaccess_copy_str(key, a->rdi, sizeof key);
    if (rc < 0)
        return rc;
    if (nr == SYS_REG_VOLATILE)
        return reg_create_volatile_key(key);
    if (nr == SYS_REG_DELETE_KEY)
        return reg_delete_key(key);
    if ((rc = uaccess_copy_str(name, a->rsi, sizeof name)) < 0)
        return rc;
    switch (nr) {
    case SYS_REG_GET_DWORD: {
        uint32_t val;
        if ((rc = uaccess_check(a->rdx, sizeof val, true)) != 0 ||
            (rc = reg_get_dword(key, name, &val)) != 0)
            return rc;
        return uaccess_copy_out(a->rdx, &val, sizeof val);
    }
    case SYS_REG_SET_DWORD:
        return reg_set_dword(key, name, (uint32_t)a->rdx);
    case SYS_REG_GET_SZ: {
        uint64_t cap = a->r10 > REG_SZ_MAX ? REG_SZ_MAX : a->r10;
        if (cap == 0)
            return ERR_INVALID_ARGS;
        if ((rc = uaccess_check(a->rdx, cap, true)) != 0)
            return rc;
        char *buf = kmalloc(cap);
        if (!buf)
            return ERR_NO_MEMORY;
        rc = reg_get_string(key, name, buf, cap);
        if (rc == 0)
            rc = uaccess_copy_out(a->rdx, buf, strlen(buf) + 1);
        kfree(buf);
        return rc;
    }
    case SYS_REG_SET_SZ: {
        char *val = kmalloc(REG_SZ_MAX);
        if (!val)
            return ERR_NO_MEMORY;
        rc = uaccess_copy_str(val, a->rdx, REG_SZ_MAX);
        if (rc >= 0)
            rc = reg_set_string(key, name, REG_SZ, val);
        kfree(val);
        return rc;
    }
    default:
        return reg_delete_value(key, name);
    }
}

static int64_t sys_volinfo(uint64_t path_va, uint64_t out)
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

/* The dump stack, through the bugcheck's dumper; ERR_NOT_SUPPORTED when none registered. */
static int64_t sys_dump_query(uint64_t out)
{
    int rc = uaccess_check(out, sizeof(struct sys_dump_info), true);
    if (rc)
        return rc;
    const struct dumper *d = bugcheck_dumper();
    if (!d)
        return ERR_NOT_SUPPORTED;
    struct sys_dump_info di;
    d->query(&di);
    return uaccess_copy_out(out, &di, sizeof di);
}

static int64_t sys_dump_control(uint64_t op)
{
    const struct dumper *d = bugcheck_dumper();
    if (!d)
        return ERR_NOT_SUPPORTED;
    switch (op) {
    case SYS_DUMP_PROTECT: return d->protect();
    case SYS_DUMP_REARM: return d->rearm();
    default: return ERR_INVALID_ARGS;
    }
}

_Static_assert(SYS_EVENT_SOURCE_MAX == EVLOG_SOURCE_MAX &&
               SYS_EVENT_MESSAGE_MAX == EVLOG_MESSAGE_MAX &&
               SYS_EVENT_ERROR == EVLOG_ERROR && SYS_EVENT_WARNING == EVLOG_WARNING,
               "event log limits and levels");

/* SYS_EVENT_WRITE: both strings copied in, the rest checked by the event log. */
static int64_t sys_event_write(const struct syscall_args *a)
{
    char source[SYS_EVENT_SOURCE_MAX], message[SYS_EVENT_MESSAGE_MAX];
    int rc = uaccess_copy_str(source, a->rdi, sizeof source);
    if (rc >= 0)
        rc = uaccess_copy_str(message, a->r10, sizeof message);
    if (rc < 0)
        return rc;
    if (a->rsi > UINT32_MAX || a->rdx > UINT32_MAX)
        return ERR_INVALID_ARGS;
    return evlog_write(source, (uint32_t)a->rsi, (uint32_t)a->rdx, message);
}

int64_t syscall_dispatch(uint64_t nr, const struct syscall_args *a)
{
    switch (nr) {
    case SYS_EXIT: process_exit((int)a->rdi);
    case SYS_GETPID: return process_current()->pid;
    case SYS_TIME: return sys_time(a->rdi);
    case SYS_OPEN: return sys_open(a->rdi, a->rsi);
    case SYS_CLOSE: return sys_close(a->rdi);
    case SYS_READ: return sys_read(a->rdi, a->rsi, a->rdx);
    case SYS_WRITE: return sys_write(a->rdi, a->rsi, a->rdx);
    case SYS_SEEK: return sys_seek(a->rdi, (int64_t)a->rsi, a->rdx);
    case SYS_STAT: return sys_stat(a->rdi, a->rsi);
    case SYS_UNLINK:
    case SYS_MKDIR:
    case SYS_RMDIR: return sys_path_op(nr, a->rdi);
    case SYS_RENAME: return sys_rename(a->rdi, a->rsi);
    case SYS_OPENDIR: return sys_opendir(a->rdi);
    case SYS_READDIR: return sys_readdir(a->rdi, a->rsi);
    case SYS_REG_GET_DWORD:
    case SYS_REG_SET_DWORD:
    case SYS_REG_GET_SZ:
    case SYS_REG_SET_SZ:
    case SYS_REG_DELETE:
    case SYS_REG_VOLATILE:
    case SYS_REG_DELETE_KEY: return sys_registry(nr, a);
    case SYS_COM2_WRITE:
    case SYS_COM2_READ: return sys_com2(nr, a->rdi, a->rsi, a->rdx);
    case SYS_FTRUNCATE: return sys_ftruncate(a->rdi, a->rsi);
    case SYS_VOLINFO: return sys_volinfo(a->rdi, a->rsi);
    case SYS_DUMP_QUERY: return sys_dump_query(a->rdi);
    case SYS_DUMP_CONTROL: return sys_dump_control(a->rdi);
    case SYS_EVENT_WRITE: return sys_event_write(a);
    case SYS_CLOCK: return (int64_t)timer_ns();
    default: return ERR_NOT_SUPPORTED;
    }
}
