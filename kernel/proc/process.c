/* Processes (process.h): build the address space from an ELF64 image (lib/elf64.c checks
 * it), map the stack, lay out argv, enter ring 3 through proc_switch.asm, and take everything
 * down again when the program exits or faults. */
#include <string.h>
#include "proc/process.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "lib/elf64.h"
#include "lib/fmt.h"
#include "mm/paging.h"
#include "mm/pfn.h"
#include "mm/heap.h"
#include "arch/gdt.h"
#include "arch/cpu.h"
#include "arch/timer.h"
#include "klog.h"
#include "err.h"

#define MSR_EFER  0xC0000080u
#define MSR_STAR  0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_FMASK 0xC0000084u
#define EFER_SCE  (1ull << 0)
/* Flags cleared on syscall entry: TF, IF, DF, AC. */
#define FMASK_BITS ((1ull << 8) | (1ull << 9) | (1ull << 10) | (1ull << 18))

extern void syscall_entry(void);
int proc_enter(struct proc_ctx *ctx, uint64_t rip, uint64_t rsp, uint64_t argc, uint64_t argv);
void proc_leave(struct proc_ctx *ctx, int status) __attribute__((noreturn));

/* Top of the running process's kernel stack, read by syscall_entry.asm. */
uint64_t proc_kernel_rsp;

static struct process *current;
static uint64_t deadline_ns;      /* timer_ns() past which the running process is killed, 0 = never */
static struct proc_status *current_status;
static int next_pid = 1;

/* Status values proc_leave hands back to process_run. */
#define LEAVE_EXIT 1
#define LEAVE_KILL 2

void process_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* sysret: CS = 0x10 + 16 | 3 = user code, SS = 0x10 + 8 | 3 = user data;
     * syscall: CS = 0x08, SS = 0x10. */
    wrmsr(MSR_STAR, ((uint64_t)(GDT_KERNEL_DATA) << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, FMASK_BITS);
}

struct process *process_current(void)
{
    return current;
}

bool process_crash_info(char *name, size_t cap, int *pid, uint64_t *user_rip)
{
    const struct process *p = current;
    if (!p)
        return false;
    fmt_snprintf(name, cap, "%s", p->name);
    *pid = p->pid;
    if (p->syscall) {
        *user_rip = p->syscall->user_rip;
    } else {
        /* Interrupted in ring 3: the CPU's frame (rip, cs, rflags, rsp, ss) ends at the top
         * of the kernel stack. */
        const uint64_t *top = (const uint64_t *)((uint64_t)p->kstack + PROC_KSTACK_SIZE);
        *user_rip = top[-5];
    }
    return true;
}

static uint64_t seg_pte_flags(uint32_t flags)
{
    uint64_t f = PTE_USER;
    if (flags & ELF64_SEG_W)
        f |= PTE_WRITE;
    if (!(flags & ELF64_SEG_X))
        f |= PTE_NX;
    return f;
}

/* Map one fresh zeroed user page at va; its kernel view through the direct map in *kva. */
static int map_user_page(uint64_t pml4, uint64_t va, uint64_t flags, uint8_t **kva)
{
    uint64_t pa = pfn_alloc(PFN_USER);
    if (!pa)
        return ERR_NO_MEMORY;
    int rc = paging_map_page(pml4, va, pa, flags);
    if (rc) {
        pfn_free(pa, 1);
        return rc;
    }
    *kva = phys_to_virt(pa);
    return 0;
}

static int load_segment(uint64_t pml4, const uint8_t *image, const struct elf64_segment *s)
{
    uint64_t start = s->vaddr & ~(PAGE_SIZE - 1);
    uint64_t file_end = s->vaddr + s->filesz;
    for (uint64_t va = start; va < s->vaddr + s->memsz; va += PAGE_SIZE) {
        uint8_t *kva;
        int rc = map_user_page(pml4, va, seg_pte_flags(s->flags), &kva);
        if (rc)
            return rc;
        uint64_t lo = va < s->vaddr ? s->vaddr : va;
        uint64_t hi = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
        if (lo < hi)
            memcpy(kva + (lo - va), image + s->offset + (lo - s->vaddr), hi - lo);
    }
    return 0;
}

static int build_space(struct process *p, const void *image, size_t len, uint64_t *entry)
{
    struct elf64_image img;
    int rc = elf64_parse(image, len, PROC_IMAGE_LO, PROC_IMAGE_HI, &img);
    if (rc)
        return rc;
    for (unsigned i = 0; i < img.nseg; i++)
        if ((rc = load_segment(p->pml4, image, &img.seg[i])) != 0)
            return rc;
    for (uint64_t va = PROC_STACK_TOP - PROC_STACK_SIZE; va < PROC_STACK_TOP; va += PAGE_SIZE) {
        uint8_t *kva;
        if ((rc = map_user_page(p->pml4, va, PTE_USER | PTE_WRITE | PTE_NX, &kva)) != 0)
            return rc;
    }
    *entry = img.entry;
    return 0;
}

/* Copy argv onto the user stack (CR3 is the process's): strings at the top, then the
 * pointer block at a 16-byte aligned rsp: argc, argv[], NULL, NULL. */
static int push_args(int argc, char **argv, uint64_t *rsp, uint64_t *uargv)
{
    uint64_t sp = PROC_STACK_TOP, total = 0;
    uint64_t ptrs[PROC_ARGC_MAX];
    if (argc < 0 || (size_t)argc > sizeof ptrs / sizeof ptrs[0])
        return ERR_TOO_BIG;
    for (int i = argc - 1; i >= 0; i--) {
        size_t n = strlen(argv[i]) + 1;
        total += n + 8;
        if (total + 32 > PROC_ARGS_MAX)
            return ERR_TOO_BIG;
        sp -= n;
        if (uaccess_copy_out(sp, argv[i], n))
            return ERR_ACCESS;
        ptrs[i] = sp;
    }
    sp &= ~15ull;
    uint64_t words = (uint64_t)argc + 3;   /* argc, argv..., NULL, envp NULL */
    sp -= words * 8;
    sp &= ~15ull;
    uint64_t block[sizeof ptrs / sizeof ptrs[0] + 3];
    block[0] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        block[1 + i] = ptrs[i];
    block[1 + argc] = 0;
    block[2 + argc] = 0;
    if (uaccess_copy_out(sp, block, words * 8))
        return ERR_ACCESS;
    *rsp = sp;
    *uargv = sp + 8;
    return 0;
}

#define KSTACK_PAGES (PROC_KSTACK_SIZE / PAGE_SIZE)

/* p's kernel stack: pages of its own at KSTACK_WINDOW + one guard page. 0 or an ERR_*. */
static int kstack_create(struct process *p)
{
    uint64_t pa;
    if (pfn_alloc_contig(KSTACK_PAGES, 1, UINT64_MAX, PFN_KERNEL, &pa))
        return ERR_NO_MEMORY;
    int rc = paging_map_kernel(KSTACK_WINDOW + PAGE_SIZE, pa, KSTACK_PAGES);
    if (rc) {
        pfn_free(pa, KSTACK_PAGES);
        return rc;
    }
    p->kstack_phys = pa;
    p->kstack = (void *)(KSTACK_WINDOW + PAGE_SIZE);
    return 0;
}

static void destroy(struct process *p)
{
    syscall_close_all(p);
    if (p->pml4)
        paging_free_space(p->pml4);
    if (p->kstack_phys) {
        paging_unmap_kernel((uint64_t)p->kstack, KSTACK_PAGES);
        pfn_free(p->kstack_phys, KSTACK_PAGES);
    }
    kfree(p);
}

int process_run(const char *name, const void *image, size_t len, int argc, char **argv,
                uint32_t time_limit_s, struct proc_status *st)
{
    if (current)
        return ERR_BUSY;
    struct process *p = kzalloc(sizeof *p);
    if (!p)
        return ERR_NO_MEMORY;
    p->pid = ++next_pid;
    fmt_snprintf(p->name, sizeof p->name, "%s", name);
    int rc = kstack_create(p);   /* first: the window's tables are shared by the new space */
    if (rc) {
        destroy(p);
        return rc;
    }
    p->pml4 = paging_new_space();
    if (!p->pml4) {
        destroy(p);
        return ERR_NO_MEMORY;
    }
    uint64_t entry;
    rc = build_space(p, image, len, &entry);
    if (rc) {
        destroy(p);
        return rc;
    }
    syscall_init_fds(p);

    write_cr3(p->pml4);
    uint64_t rsp, uargv;
    rc = push_args(argc, argv, &rsp, &uargv);
    if (rc) {
        write_cr3(paging_kernel_pml4());
        destroy(p);
        return rc;
    }
    memset(st, 0, sizeof *st);
    st->pid = p->pid;
    deadline_ns = time_limit_s ? timer_ns() + time_limit_s * 1000000000ull : 0;
    current = p;
    current_status = st;
    proc_kernel_rsp = (uint64_t)p->kstack + PROC_KSTACK_SIZE;
    gdt_set_kernel_stack((uint64_t)p->kstack, proc_kernel_rsp);
    klog(KLOG_DEBUG, "proc: %s started as pid %d, entry %p", p->name, p->pid, (void *)entry);
    st->killed = proc_enter(&p->ctx, entry, rsp, (uint64_t)argc, uargv) == LEAVE_KILL;

    /* Back from proc_leave, on the caller's stack, interrupts possibly off. */
    write_cr3(paging_kernel_pml4());
    gdt_set_kernel_stack(0, 0);
    current = NULL;
    current_status = NULL;
    proc_kernel_rsp = 0;
    cpu_sti();
    destroy(p);
    return 0;
}

void process_exit(int code)
{
    struct process *p = current;
    current_status->exit_code = code;
    klog(KLOG_DEBUG, "proc: %s (pid %d) exited with code %d", p->name, p->pid, code);
    cpu_cli();
    proc_leave(&p->ctx, LEAVE_EXIT);
}

const char *process_vector_name(unsigned v)
{
    static const char *const names[32] = {
        [0] = "divide error", [1] = "debug", [3] = "breakpoint", [4] = "overflow",
        [5] = "bound range", [6] = "invalid opcode", [7] = "device not available",
        [10] = "invalid TSS", [11] = "segment not present", [12] = "stack fault",
        [13] = "general protection", [14] = "page fault", [16] = "x87 error",
        [17] = "alignment check", [19] = "SIMD error",
    };
    if (v == PROC_KILL_TIME_LIMIT)
        return "time limit exceeded";
    return v < 32 && names[v] ? names[v] : "exception";
}

void process_fault(const struct trap_frame *f)
{
    struct process *p = current;
    uint64_t addr = f->vector == VEC_PAGE_FAULT ? read_cr2() : 0;
    current_status->vector = (unsigned)f->vector;
    current_status->rip = f->rip;
    current_status->addr = addr;
    klog(KLOG_ERR, "proc: %s (pid %d) killed: %s (vector %lu) at rip %p, address %p, error %#lx",
         p->name, p->pid, process_vector_name((unsigned)f->vector), (unsigned long)f->vector,
         (void *)f->rip, (void *)addr, (unsigned long)f->error_code);
    proc_leave(&p->ctx, LEAVE_KILL);
}

void process_tick(const struct trap_frame *f)
{
    struct process *p = current;
    if (!p || !deadline_ns || (f->cs & 3) != 3 || timer_ns() < deadline_ns)
        return;
    current_status->vector = PROC_KILL_TIME_LIMIT;
    current_status->rip = f->rip;
    klog(KLOG_ERR, "proc: %s (pid %d) killed: still running after its time limit, at rip %p",
         p->name, p->pid, (void *)f->rip);
    proc_leave(&p->ctx, LEAVE_KILL);
}
