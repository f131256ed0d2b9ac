/* The kernel side of the system calls (numbers and structures: syscall_table.h): the
 * dispatcher, the descriptor set-up and teardown, and the per-area handlers it calls. Private
 * to kernel/proc. */
#ifndef BB_PROC_SYSCALL_H
#define BB_PROC_SYSCALL_H

#include <stdint.h>
#include "proc/process.h"

/* The argument registers as syscall_entry.asm pushed them (lowest address first), then
 * what it saved of the program's state above them. */
struct syscall_args {
    uint64_t r9, r8, r10, rdx, rsi, rdi;
    uint64_t rbp, user_rflags, user_rip, user_rsp;
};

/* Run system call nr for the current process; the return value goes to the program's rax. */
int64_t syscall_dispatch(uint64_t nr, const struct syscall_args *a);
/* Give a new process its console descriptors. */
void syscall_init_fds(struct process *p);
/* Close every descriptor of p (flushing volumes written through them). */
void syscall_close_all(struct process *p);

/* The handlers syscall_dispatch calls, by file. Arguments are the program's registers,
 * unchecked; each returns >= 0 or an ERR_* code. */
/* syscall_file.c */
int64_t sys_open(uint64_t path_va, uint64_t flags);
int64_t sys_read(uint64_t fd, uint64_t buf, uint64_t len);
int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len);
int64_t sys_ftruncate(uint64_t fd, uint64_t size);
int64_t sys_seek(uint64_t fd, int64_t off, uint64_t whence);
int64_t sys_stat(uint64_t path_va, uint64_t out);
int64_t sys_path_op(uint64_t nr, uint64_t path_va);
int64_t sys_rename(uint64_t from_va, uint64_t to_va);
int64_t sys_opendir(uint64_t path_va);
int64_t sys_readdir(uint64_t fd, uint64_t out);
int64_t sys_close(uint64_t fd);
int64_t sys_volinfo(uint64_t path_va, uint64_t out);
/* syscall_reg.c */
int64_t sys_registry(uint64_t nr, const struct syscall_args *a);
/* syscall_dump.c */
int64_t sys_dump_query(uint64_t out);
int64_t sys_dump_control(uint64_t op);
/* syscall_crash.c */
int64_t sys_crash(uint64_t kind);

#endif
