/* The Blackbox user-mode C library: system-call wrappers (kernel/proc/syscall_table.h says
 * what each call does and returns), formatted output and the <string.h> subset. Every call
 * returns >= 0 on success or a negative ERR_* code (err.h); there is no errno. */
#ifndef BB_USER_BB_H
#define BB_USER_BB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "err.h"
#include "lib/fmt.h"
#include "proc/syscall_table.h"

/* The raw system call: number and up to four arguments, result as the kernel returned it. */
long bb_syscall(long nr, long a0, long a1, long a2, long a3);

void exit(int code) __attribute__((noreturn));
int getpid(void);
int time_now(struct sys_time *out);
/* Nanoseconds since boot (the kernel's TSC clock). */
uint64_t clock_ns(void);

int open(const char *path, unsigned flags);
int close(int fd);
long read(int fd, void *buf, size_t len);
long write(int fd, const void *buf, size_t len);
long seek(int fd, int64_t off, int whence);
int stat(const char *path, struct sys_stat *out);
int unlink(const char *path);
int rename(const char *from, const char *to);
int ftruncate(int fd, uint64_t size);
int mkdir(const char *path);
int rmdir(const char *path);
/* opendir returns a descriptor for readdir (1 = *out filled, 0 = end); close it. */
int opendir(const char *path);
int readdir(int fd, struct sys_dirent *out);

int reg_get_dword(const char *key, const char *name, uint32_t *out);
int reg_set_dword(const char *key, const char *name, uint32_t value);
int reg_get_sz(const char *key, const char *name, char *buf, size_t cap);
int reg_set_sz(const char *key, const char *name, const char *value);
int reg_delete_value(const char *key, const char *name);
int reg_create_volatile_key(const char *key);
int reg_delete_key(const char *key);

int volinfo(const char *path, struct sys_volinfo *out);
int dump_query(struct sys_dump_info *out);
int dump_control(unsigned op);
/* SYS_CRASH: returns only when refused (ERR_ACCESS), for an unknown kind, or 0 for
 * SYS_CRASH_IRQ (the crash follows at the next timer interrupt). */
int crash_machine(unsigned kind);

/* Append a record to the system event log (SYS_EVENT_WRITE): level 1 critical, 2 error,
 * 3 warning, 4 information. 0 once it is on disk, or an ERR_* code. */
int event_write(const char *source, uint32_t event_id, uint32_t level, const char *message);

/* The COM2 report channel: com2_write returns the bytes sent; com2_read waits up to
 * timeout_ms for data and returns the bytes read, 0 on time-out. ERR_NOT_FOUND: no COM2. */
long com2_write(const void *buf, size_t len);
long com2_read(void *buf, size_t len, uint32_t timeout_ms);

/* Formatted output (kernel/lib/fmt.h conversions) to the console or a descriptor. Return
 * the number of bytes written or an ERR_* code. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap);
int puts(const char *s);
#define snprintf fmt_snprintf
#define vsnprintf fmt_vsnprintf

/* Write all len bytes (looping over short writes): len or an ERR_* code. */
long write_all(int fd, const void *buf, size_t len);

#endif
