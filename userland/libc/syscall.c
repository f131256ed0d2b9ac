/* System-call stubs: the `syscall` instruction with the convention of
 * kernel/proc/syscall_table.h (number in rax, arguments in rdi, rsi, rdx, r10). */
#include "bb.h"

long bb_syscall(long nr, long a0, long a1, long a2, long a3)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

#define SC0(n) bb_syscall((n), 0, 0, 0, 0)
#define SC1(n, a) bb_syscall((n), (long)(a), 0, 0, 0)
#define SC2(n, a, b) bb_syscall((n), (long)(a), (long)(b), 0, 0)
#define SC3(n, a, b, c) bb_syscall((n), (long)(a), (long)(b), (long)(c), 0)

void exit(int code)
{
    SC1(SYS_EXIT, code);
    __builtin_unreachable();
}

int getpid(void) { return (int)SC0(SYS_GETPID); }
int time_now(struct sys_time *out) { return (int)SC1(SYS_TIME, out); }
int open(const char *path, unsigned flags) { return (int)SC2(SYS_OPEN, path, flags); }
int close(int fd) { return (int)SC1(SYS_CLOSE, fd); }
long read(int fd, void *buf, size_t len) { return SC3(SYS_READ, fd, buf, len); }
long write(int fd, const void *buf, size_t len) { return SC3(SYS_WRITE, fd, buf, len); }
long seek(int fd, int64_t off, int whence) { return SC3(SYS_SEEK, fd, off, whence); }
int stat(const char *path, struct sys_stat *out) { return (int)SC2(SYS_STAT, path, out); }
int unlink(const char *path) { return (int)SC1(SYS_UNLINK, path); }
int rename(const char *from, const char *to) { return (int)SC2(SYS_RENAME, from, to); }
int mkdir(const char *path) { return (int)SC1(SYS_MKDIR, path); }
int rmdir(const char *path) { return (int)SC1(SYS_RMDIR, path); }
int opendir(const char *path) { return (int)SC1(SYS_OPENDIR, path); }
int readdir(int fd, struct sys_dirent *out) { return (int)SC2(SYS_READDIR, fd, out); }

int reg_get_dword(const char *key, const char *name, uint32_t *out)
{
    return (int)SC3(SYS_REG_GET_DWORD, key, name, out);
}

int reg_set_dword(const char *key, const char *name, uint32_t value)
{
    return (int)SC3(SYS_REG_SET_DWORD, key, name, value);
}

int reg_get_sz(const char *key, const char *name, char *buf, size_t cap)
{
    return (int)bb_syscall(SYS_REG_GET_SZ, (long)key, (long)name, (long)buf, (long)cap);
}

int reg_set_sz(const char *key, const char *name, const char *value)
{
    return (int)SC3(SYS_REG_SET_SZ, key, name, value);
}

int reg_delete_value(const char *key, const char *name)
{
    return (int)SC2(SYS_REG_DELETE, key, name);
}

int reg_create_volatile_key(const char *key)
{
    return (int)SC1(SYS_REG_VOLATILE, key);
}

long com2_write(const void *buf, size_t len) { return SC2(SYS_COM2_WRITE, buf, len); }

long com2_read(void *buf, size_t len, uint32_t timeout_ms)
{
    return SC3(SYS_COM2_READ, buf, len, timeout_ms);
}

int volinfo(const char *path, struct sys_volinfo *out)
{
    return (int)SC2(SYS_VOLINFO, path, out);
}

int dump_query(struct sys_dump_info *out)
{
    return (int)SC1(SYS_DUMP_QUERY, out);
}

int dump_control(unsigned op)
{
    return (int)SC1(SYS_DUMP_CONTROL, op);
}

int ftruncate(int fd, uint64_t size)
{
    return (int)SC2(SYS_FTRUNCATE, fd, size);
}

int reg_delete_key(const char *key)
{
    return (int)SC1(SYS_REG_DELETE_KEY, key);
}

int event_write(const char *source, uint32_t event_id, uint32_t level, const char *message)
{
    return (int)bb_syscall(SYS_EVENT_WRITE, (long)source, (long)event_id, (long)level,
                           (long)message);
}

uint64_t clock_ns(void)
{
    return (uint64_t)SC0(SYS_CLOCK);
}

int crash_machine(unsigned kind)
{
    return (int)SC1(SYS_CRASH, kind);
}
