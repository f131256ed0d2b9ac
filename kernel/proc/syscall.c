/* The system calls (syscall_table.h): the dispatcher, and the process, clock, report-channel
 * and event-log calls. Files and directories are in syscall_file.c, the registry in
 * syscall_reg.c, the dump stack in syscall_dump.c, SYS_CRASH in syscall_crash.c. Every user
 * pointer goes through uaccess before use. */
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "console/com2.h"
#include "eventlog/eventlog.h"
#include "arch/rtc.h"
#include "arch/timer.h"
#include "err.h"

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

static int64_t dispatch(uint64_t nr, const struct syscall_args *a)
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
    case SYS_CRASH: return sys_crash(a->rdi);
    default: return ERR_NOT_SUPPORTED;
    }
}

/* The call runs with the process knowing it (process_crash_info: the user RIP). */
int64_t syscall_dispatch(uint64_t nr, const struct syscall_args *a)
{
    struct process *p = process_current();
    p->syscall = a;
    int64_t rc = dispatch(nr, a);
    p->syscall = NULL;
    return rc;
}
