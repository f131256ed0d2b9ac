/* The kernel side of the system calls (numbers and structures: syscall_table.h). Private to
 * kernel/proc. */
#ifndef BB_PROC_SYSCALL_H
#define BB_PROC_SYSCALL_H

#include <stdint.h>
#include "proc/process.h"

/* The argument registers as syscall_entry.asm pushed them (lowest address first). */
struct syscall_args {
    uint64_t r9, r8, r10, rdx, rsi, rdi;
};

/* Run system call nr for the current process; the return value goes to the program's rax. */
int64_t syscall_dispatch(uint64_t nr, const struct syscall_args *a);
/* Give a new process its console descriptors. */
void syscall_init_fds(struct process *p);
/* Close every descriptor of p (flushing volumes written through them). */
void syscall_close_all(struct process *p);

#endif
