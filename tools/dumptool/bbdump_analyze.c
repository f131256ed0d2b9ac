/* bbdump analyze: explains a crash the way WinDbg's `!analyze -v` does — the bugcheck with
 * its name, description and parameters, the faulting instruction as function+offset with
 * file:line (DWARF through libdwfl), the frame-pointer stack read from the dump's memory,
 * every CPU (which crashed, each one's state, what it ran, its stack), the registers, the klog tail, the modules, a bucket id and the blamed module. Refuses a
 * kernel ELF whose build-id is not the dump's, unless forced. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/dump_mini.h"
#include "lib/bugcodes.h"
#include "lib/klog_ring.h"
#include "tools/dumptool/bbdump.h"
#include "err.h"

#define KLOG_TAIL    20
#define KLOG_MAX     (64ull << 20)   /* a klog area bigger than this is not believed */

struct analysis {
    struct dumpfile *d;
    const struct dump_header *h;
    struct dumpmem mem;
    struct symtab *sym;
    char cwd[4096];
    const char *fault_fn;    /* the function blamed: first frame outside bugcheck itself */
    uint64_t fault_addr;
};

/* "function+0xoff (file:line)" for addr; `line_addr` is the address whose line to show (a
 * return address minus one gives the line of the call). */
static void print_where(struct analysis *a, uint64_t addr, uint64_t line_addr)
{
    struct sym_info si, li;
    if (!sym_lookup(a->sym, addr, &si) || !si.name) {
        printf("0x%016" PRIx64 "%s", addr, addr < SYM_KERNEL_HALF ? " (user mode)" : "");
        return;
    }
    printf("%s+0x%" PRIx64, si.name, si.offset);
    if (sym_lookup(a->sym, line_addr, &li) && li.file) {
        size_t n = strlen(a->cwd);
        const char *f = li.file;
        if (n && !strncmp(f, a->cwd, n) && f[n] == '/')
            f += n + 1;
        printf(" (%s:%d)", f, li.line);
    }
}

static void print_bugcheck(struct analysis *a)
{
    const struct dump_header *h = a->h;
    const char *name = bugcode_name(h->bug_check_code);
    const char *desc = bugcode_description(h->bug_check_code);

    printf("*******************************************************************************\n"
           "*                              Bugcheck Analysis                              *\n"
           "*******************************************************************************\n\n");
    printf("%s (%X)\n", name ? name : "UNKNOWN_BUGCHECK_CODE", h->bug_check_code);
    if (desc)
        printf("%s\n", desc);
    printf("Arguments:\n");
    for (unsigned i = 0; i < 4; i++) {
        const char *p = bugcode_param_description(h->bug_check_code, i);
        printf("Arg%u: %016" PRIx64 ", %s\n", i + 1, h->bug_check_parameter[i],
               p ? p : "(not used)");
    }
    if (h->bug_check_code == BUGCODE_KMODE_EXCEPTION_NOT_HANDLED &&
        h->bug_check_parameter[0] == STATUS_ASSERTION_FAILURE) {
        char expr[161];
        size_t n = 0;
        for (; n < sizeof expr - 1; n++)
            if (dumpmem_read_virt(&a->mem, h->bug_check_parameter[2] + n, &expr[n], 1) != 0 ||
                expr[n] == 0)
                break;
        expr[n] = 0;
        if (n)
            printf("ASSERTION: KASSERT(%s) failed at line %" PRIu64 "\n", expr,
                   h->bug_check_parameter[3]);
    }
}

/* The frame-pointer stack of context `c` under the title `what` ("STACK_TEXT"). */
static void print_frames(struct analysis *a, const struct dump_context *c, const char *what,
                         struct stack *st)
{
    stack_walk(&a->mem, c, st);
    printf("\n%s (frame pointers; memory via %s):\n", what, a->mem.virt_source);
    printf(" #  frame            return address   call site\n");
    for (int i = 0; i < st->n; i++) {
        const struct stack_frame *f = &st->f[i];
        printf(" %02d %016" PRIx64 " %016" PRIx64 " ", i, f->rbp, f->addr);
        print_where(a, f->addr, i ? f->addr - 1 : f->addr);
        printf("\n");
    }
    if (st->end == STACK_END_MISSING)
        printf("    (frame at 0x%016" PRIx64 " is not in the dump)\n", st->missing_rbp);
    else if (st->end == STACK_END_MORE)
        printf("    ... (more frames)\n");
}

/* The crash's stack, from the header's CONTEXT, and the function blamed. */
static void print_stack(struct analysis *a)
{
    struct stack st;
    print_frames(a, &a->h->context, "STACK_TEXT", &st);
    a->fault_fn = stack_fault_function(a->sym, &st, &a->fault_addr);
}

/* What a CPU record says it was running. */
static void print_running(const struct dump_cpu_record *r)
{
    char line[64];
    if (r->state == DUMP_CPU_OFFLINE || r->state == DUMP_CPU_NO_ANSWER)
        snprintf(line, sizeof line, "-");
    else if (r->running == DUMP_RUN_IDLE)
        snprintf(line, sizeof line, "idle");
    else if (r->running == DUMP_RUN_PROCESS)
        snprintf(line, sizeof line, "%.*s (pid %u)", (int)strnlen(r->process, sizeof r->process),
                 r->process, r->pid);
    else
        snprintf(line, sizeof line, "kernel");
    for (char *p = line; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            *p = '?';
    printf("%-26s", line);
}

/* Every CPU of the CPU block: which one crashed, each one's state, what it ran, where it
 * stopped; then the stack of each other CPU that left its registers. */
static void print_cpus(struct analysis *a)
{
    const uint8_t *blk;
    struct dump_cpu_block cb;
    int rc = dumpfile_cpus(a->d, &blk, &cb);
    if (rc) {
        printf("\nCPUS:           %u, but the CPU block is damaged (%s): only the crashing "
               "CPU's CONTEXT above\n", a->d->l.cpu_count, err_str(rc));
        return;
    }
    struct dump_cpu_record r;
    dump_cpu_record_get(blk, cb.crashed, &r);
    printf("\nCPUS:           %u; CPU %u crashed (APIC id %u)\n", cb.count, cb.crashed, r.apic_id);
    printf("CPU  APIC state                          running                   where\n");
    for (uint32_t i = 0; i < cb.count; i++) {
        dump_cpu_record_get(blk, i, &r);
        printf("%3u %5u %-30s ", i, r.apic_id, dump_cpu_state_name(r.state));
        print_running(&r);
        if (r.state == DUMP_CPU_OFFLINE || r.state == DUMP_CPU_NO_ANSWER)
            printf("(no registers)");
        else
            print_where(a, r.rip, r.rip);
        printf("\n");
    }
    for (uint32_t i = 0; i < cb.count; i++) {
        dump_cpu_record_get(blk, i, &r);
        if (i == cb.crashed || r.state == DUMP_CPU_OFFLINE || r.state == DUMP_CPU_NO_ANSWER)
            continue;
        struct dump_context c;
        struct stack st;
        char what[160];
        int n = snprintf(what, sizeof what, "CPU %u STACK_TEXT, %s", i, dump_cpu_state_name(r.state));
        if (r.state == DUMP_CPU_PARKED)
            snprintf(what + n, sizeof what - (size_t)n, " 0x%X", r.bugcheck_code);
        dump_context_from_cpu(&c, &r);
        print_frames(a, &c, what, &st);
        if (r.stack_hi)
            printf("    (kernel stack %016" PRIx64 "..%016" PRIx64 ")\n", r.stack_lo, r.stack_hi);
    }
}

static void print_registers(const struct dump_header *h)
{
    const struct dump_context *c = &h->context;
    const struct dump_bb_fields *bb = &h->bb;
    printf("\nREGISTERS:\n");
    printf("rax=%016" PRIx64 " rbx=%016" PRIx64 " rcx=%016" PRIx64 "\n", c->rax, c->rbx, c->rcx);
    printf("rdx=%016" PRIx64 " rsi=%016" PRIx64 " rdi=%016" PRIx64 "\n", c->rdx, c->rsi, c->rdi);
    printf("rip=%016" PRIx64 " rsp=%016" PRIx64 " rbp=%016" PRIx64 "\n", c->rip, c->rsp, c->rbp);
    printf(" r8=%016" PRIx64 "  r9=%016" PRIx64 " r10=%016" PRIx64 "\n", c->r8, c->r9, c->r10);
    printf("r11=%016" PRIx64 " r12=%016" PRIx64 " r13=%016" PRIx64 "\n", c->r11, c->r12, c->r13);
    printf("r14=%016" PRIx64 " r15=%016" PRIx64 " efl=%08x\n", c->r14, c->r15, c->eflags);
    printf("cs=%04x ss=%04x ds=%04x es=%04x fs=%04x gs=%04x\n", c->seg_cs, c->seg_ss,
           c->seg_ds, c->seg_es, c->seg_fs, c->seg_gs);
    printf("cr0=%016" PRIx64 " cr2=%016" PRIx64 " cr3=%016" PRIx64 " cr4=%016" PRIx64 "\n",
           bb->cr0, bb->cr2, h->directory_table_base, bb->cr4);
    if (bb->bugcheck_vector == BUGCHECK_NO_VECTOR)
        printf("vector: none (bugcheck called)\n");
    else
        printf("vector: %u, error code 0x%" PRIx64 "\n", bb->bugcheck_vector, bb->error_code);
}

/* The klog ring: from RAM (complete, kernel dumps) or the KLOG stream (small dumps). */
static void print_klog(struct analysis *a)
{
    const struct dump_bb_fields *bb = &a->h->bb;
    const uint8_t *area = NULL;
    uint64_t size = 0;
    uint8_t *copy = NULL;

    printf("\nKLOG (last %u records):\n", KLOG_TAIL);
    if (a->d->l.dump_type == DUMP_TYPE_SMALL) {
        const uint8_t *dir = a->d->map + DUMP_HEADER_SIZE;
        for (uint32_t i = 0; i < a->d->l.stream_count; i++) {
            struct dump_mini_stream s;
            if (dump_mini_stream_get(dir, (size_t)(a->d->l.prefix - DUMP_HEADER_SIZE), i,
                                     &s) == 0 && s.type == DUMP_STREAM_KLOG) {
                area = a->d->map + s.offset;
                size = s.size;
            }
        }
    } else if (bb->klog_size && bb->klog_size <= KLOG_MAX && (copy = malloc(bb->klog_size))) {
        if (dumpmem_read_phys(&a->mem, bb->klog_phys, copy, bb->klog_size) == 0) {
            area = copy;
            size = bb->klog_size;
        }
    }
    struct klog_ring r;
    if (!area || klog_ring_open_readonly(&r, area, size) != 0) {
        printf("    (no readable klog in the dump)\n");
        free(copy);
        return;
    }
    struct klog_record tail[KLOG_TAIL], rec;
    uint64_t cursor = 0, n = 0;
    while (klog_ring_next(&r, &cursor, &rec) == 0)
        tail[n++ % KLOG_TAIL] = rec;
    uint64_t first = n > KLOG_TAIL ? n - KLOG_TAIL : 0;
    for (uint64_t i = first; i < n; i++) {
        const struct klog_record *x = &tail[i % KLOG_TAIL];
        printf("%6" PRIu64 " [%5" PRIu64 ".%06" PRIu64 "] %-7s ", x->seq,
               x->ts_ns / 1000000000u, x->ts_ns / 1000u % 1000000u,
               klog_ring_level_name(x->level));
        for (size_t j = 0; j < x->len; j++)
            putchar(x->text[j] >= 0x20 && x->text[j] < 0x7f ? x->text[j] : '.');
        printf("%s\n", x->crc_ok ? "" : "  (damaged)");
    }
    free(copy);
}

static void print_id(const uint8_t *id, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", id[i]);
}

/* Modules: the kernel (from the header and the ELF), and a small dump's MODULES stream.
 * Returns the name of the module holding the faulting address. */
static const char *print_modules(struct analysis *a)
{
    const struct dump_bb_fields *bb = &a->h->bb;
    const char *blamed = "unknown";
    uint64_t lo, hi;
    sym_image_range(a->sym, &lo, &hi);
    if (bb->kernel_vma + bb->kernel_phys_base > lo && bb->kernel_vma + bb->kernel_phys_base < hi)
        lo = bb->kernel_vma + bb->kernel_phys_base;
    printf("\nMODULES:\nstart            end              name         build-id\n");
    printf("%016" PRIx64 " %016" PRIx64 " %-12s ", lo, hi, "blackbox");
    print_id(bb->build_id, bb->build_id_len);
    printf("\n");
    if (a->fault_addr >= lo && a->fault_addr < hi)
        blamed = "blackbox";
    if (a->d->l.dump_type != DUMP_TYPE_SMALL)
        return blamed;
    const uint8_t *dir = a->d->map + DUMP_HEADER_SIZE;
    for (uint32_t i = 0; i < a->d->l.stream_count; i++) {
        struct dump_mini_stream s;
        if (dump_mini_stream_get(dir, (size_t)(a->d->l.prefix - DUMP_HEADER_SIZE), i, &s) ||
            s.type != DUMP_STREAM_MODULES)
            continue;
        for (uint64_t k = 0; k + sizeof(struct dump_mini_module) <= s.size;
             k += sizeof(struct dump_mini_module)) {
            struct dump_mini_module m;
            memcpy(&m, a->d->map + s.offset + k, sizeof m);
            int len = (int)strnlen(m.name, sizeof m.name);
            if (!strncmp(m.name, "blackbox", sizeof m.name))
                continue;
            printf("%016" PRIx64 " %016" PRIx64 " %-12.*s ", m.base, m.base + m.size, len,
                   m.name);
            print_id(m.build_id, m.build_id_len <= DUMP_BUILD_ID_MAX ? m.build_id_len : 0);
            printf("\n");
            if (a->fault_addr - m.base < m.size) {
                static char name[DUMP_MODULE_NAME_MAX + 1];
                snprintf(name, sizeof name, "%.*s", len, m.name);
                blamed = name;
            }
        }
    }
    return blamed;
}

/* Refuses an ELF whose build-id is not the dump's (a warning with --force). */
static int check_build_id(struct analysis *a, const char *elf, bool force)
{
    const struct dump_bb_fields *bb = &a->h->bb;
    const uint8_t *id;
    int n = sym_build_id(a->sym, &id);
    if (n == bb->build_id_len && n > 0 && !memcmp(id, bb->build_id, (size_t)n))
        return 0;
    char want[2 * DUMP_BUILD_ID_MAX + 1] = "none", have[2 * 64 + 1] = "none";
    for (unsigned i = 0; i < bb->build_id_len && i < DUMP_BUILD_ID_MAX; i++)
        snprintf(want + 2 * i, 3, "%02x", bb->build_id[i]);
    for (int i = 0; i < n && i < 64; i++)
        snprintf(have + 2 * i, 3, "%02x", id[i]);
    if (!force)
        return die(a->d, "build-id mismatch: the dump is from kernel %s, %s is %s "
                   "(pass --kernel with the matching ELF, or --force)", want, elf, have);
    fprintf(stderr, "bbdump: warning: %s: build-id mismatch (dump %s, %s %s): symbols may "
            "be wrong\n", a->d->path, want, elf, have);
    return 0;
}

int cmd_analyze(struct dumpfile *d, const char *elf, bool force)
{
    struct analysis a = { .d = d, .h = (const struct dump_header *)d->map };
    if (d->rc != 0)
        return problem(d);
    if (!(a.sym = sym_open(elf)))
        return 1;
    int rc = check_build_id(&a, elf, force);
    if (rc || (rc = dumpmem_open(&a.mem, d)) != 0) {
        sym_close(a.sym);
        return rc;
    }
    if (!getcwd(a.cwd, sizeof a.cwd))
        a.cwd[0] = 0;
    const struct dump_header *h = a.h;
    print_bugcheck(&a);
    printf("\nDUMP:           %s (%s%s, sequence %" PRIu64 ")\n", d->path,
           dump_type_name(h->dump_type), d->l.complete ? ", complete" : ", partial",
           h->bb.sequence);
    if (h->bb.flags & DUMP_BB_FALLBACK)
        printf("DUMP_FALLBACK:  %s dump written instead of the configured %s one: %s\n",
               dump_type_name(h->dump_type), config_name(h->bb.config_type),
               dump_fallback_name(h->bb.fallback_reason));
    printf("KERNEL:         %s\n", elf);
    printf("FAULTING_IP:    %016" PRIx64 " ", h->context.rip);
    print_where(&a, h->context.rip, h->context.rip);
    printf("\n");
    print_stack(&a);
    print_cpus(&a);
    print_registers(h);
    print_klog(&a);
    const char *blamed = print_modules(&a);
    printf("\n");
    struct sym_info si = { 0 };
    if (a.fault_fn) {
        sym_lookup(a.sym, a.fault_addr, &si);
        printf("SYMBOL_NAME:    %s+0x%" PRIx64 "\n", si.name, si.offset);
    }
    printf("MODULE_NAME:    %s (blamed)\n", blamed);
    char bucket[160];
    bucket_id(bucket, sizeof bucket, h->bug_check_code, a.fault_fn);
    printf("FAILURE_BUCKET_ID: %s\n", bucket);
    dumpmem_close(&a.mem);
    sym_close(a.sym);
    return 0;
}
