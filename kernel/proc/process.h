/* User processes: a static ELF64 program run in ring 3 in an address space of its own (a
 * fresh PML4 sharing the kernel half), with a kernel stack of its own (TSS rsp0 and the
 * syscall entry use it, mapped at KSTACK_WINDOW above an unmapped guard page, so an overflow
 * faults into a double fault). One process at a time, run to completion: process_run returns
 * when the program exits or is killed for a fault. Not for interrupt or bugcheck time, except
 * process_crash_info.
 *
 * User address space: the program's PT_LOAD segments anywhere in [PROC_IMAGE_LO,
 * PROC_IMAGE_HI); the stack below PROC_STACK_TOP (PROC_STACK_SIZE, mapped up front); at entry
 * rsp points at argc, then argv[0..argc-1], NULL, NULL (no environment); rdi = argc,
 * rsi = argv as well. Pages are PFN_USER, page tables PFN_PAGETABLE, all freed at the end. */
#ifndef BB_PROC_PROCESS_H
#define BB_PROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/trap.h"
#include "fs/fat/fat.h"
#include "block/volume.h"
#include "proc/syscall_table.h"

#define PROC_USER_LO     0x1000ull             /* lowest user address a pointer may name */
#define PROC_USER_HI     0x00007ffffffff000ull /* one past the highest (last page never mapped,
                                                  so a sysret rip is always canonical) */
#define PROC_IMAGE_LO    0x10000ull            /* where program segments may go ... */
#define PROC_IMAGE_HI    0x00007f0000000000ull /* ... up to here */
#define PROC_STACK_TOP   0x00007ffff0000000ull /* top of the user stack */
#define PROC_STACK_SIZE  (256u * 1024u)        /* bytes, mapped at start */
#define PROC_KSTACK_SIZE (32u * 1024u)         /* kernel stack per process (as the boot stack) */
#define PROC_ARGS_MAX    4096u                 /* bytes of argv strings + pointers */
#define PROC_ARGC_MAX    32                    /* arguments */
#define PROC_NAME_MAX    32

/* Callee-saved kernel registers of the caller of process_run; layout fixed by
 * proc_switch.asm. */
struct proc_ctx {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp;
};

enum proc_fd_kind { PROC_FD_FREE = 0, PROC_FD_CONSOLE, PROC_FD_FILE, PROC_FD_DIR,
                    PROC_FD_DUMPPART /* a dump partition, read-only (syscall_dumppart.c) */ };

/* One open descriptor (owned by its process; closed at exit). */
struct proc_fd {
    enum proc_fd_kind kind;
    unsigned flags;           /* SYS_O_* for files */
    bool written;             /* a write happened: flush the volume at close */
    uint64_t pos;             /* file position */
    struct volume *vol;
    union {
        struct fat_file file;
        struct fat_dir dir;
        const struct dump_part *part;
    } u;
};

struct syscall_args;

struct process {
    int pid;                          /* [I] */
    char name[PROC_NAME_MAX];         /* [I] */
    uint64_t pml4;                    /* address space root, physical [I] */
    void *kstack;                     /* kernel stack, PROC_KSTACK_SIZE bytes [I] */
    uint64_t kstack_phys;             /* its pages, physically contiguous; 0 = none [I] */
    const struct syscall_args *syscall; /* the system call running, else NULL */
    struct proc_ctx ctx;              /* where process_run resumes [I while running] */
    struct proc_fd fd[SYS_FD_MAX];    /* changed by syscalls only */
};

/* How a run ended. */
struct proc_status {
    int pid;
    bool killed;              /* true: killed for a fault, see vector; false: exited */
    int exit_code;            /* SYS_EXIT's argument when !killed */
    unsigned vector;          /* CPU exception vector when killed */
    uint64_t rip, addr;       /* faulting rip and address (CR2 for a page fault, else 0) */
};

/* Enable syscall/sysret (EFER.SCE, STAR, LSTAR, FMASK). Once, after the GDT. */
void process_init(void);
/* proc_status.vector of a process killed for running past its time limit. */
#define PROC_KILL_TIME_LIMIT 0x100u

/* Load the ELF64 image (len bytes at image, copied: the caller keeps it) as a new process
 * named name, run it with argv[0..argc-1] until it exits or faults, free everything it had.
 * Returns 0 with *st filled, or an ERR_* from loading (ERR_CORRUPT / ERR_NOT_SUPPORTED /
 * ERR_RANGE / ERR_TOO_BIG for a bad image or too many arguments, ERR_NO_MEMORY). */
int process_run(const char *name, const void *image, size_t len, int argc, char **argv,
                uint32_t time_limit_s, struct proc_status *st);
/* The running process, or NULL in kernel context. */
struct process *process_current(void);
/* End the running process with exit code `code` (from a syscall). */
void process_exit(int code) __attribute__((noreturn));
/* Timer interrupt: kills the running process when it interrupted ring 3 past its time
 * limit (process_run's time_limit_s, 0 = none). Interrupt context. */
void process_tick(const struct trap_frame *f);
/* For the bugcheck: the running process, if any, with its name (cap bytes, NUL-terminated),
 * pid and the user-mode RIP it was stopped at (in a system call: the instruction after the
 * `syscall`; interrupted in ring 3: the interrupted instruction). Returns false when no
 * process runs. Reads only: safe at bugcheck time. */
bool process_crash_info(char *name, size_t cap, int *pid, uint64_t *user_rip);
/* "page fault" for vector 14, "time limit exceeded" for PROC_KILL_TIME_LIMIT, etc. */
const char *process_vector_name(unsigned vector);
/* Called by trap_dispatch for a CPU exception raised in ring 3: log it, kill the process. */
void process_fault(const struct trap_frame *f) __attribute__((noreturn));

#endif
