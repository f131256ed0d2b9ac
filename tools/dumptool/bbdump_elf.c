/* bbdump elf: writes an ELF64 core file of a dump for stock gdb. PT_LOAD segments cover the
 * kernel virtual ranges the dump holds (the page tables' view: kernel image and direct map;
 * a small dump's streams), each byte of the dump stored once however many virtual ranges
 * alias it; a PT_NOTE holds one NT_PRSTATUS per CPU that left its registers (user_regs_struct
 * order; the crashing CPU first, so it is gdb's current thread; pr_pid = CPU index + 1, as
 * QEMU's dump-guest-memory numbers them) and NT_PRPSINFO. A dump whose CPU block is damaged
 * gets the header's CONTEXT alone. Nothing is written for memory the dump does not hold. For a small
 * dump an NT_FILE note also maps the kernel ELF's read-only segments (text, rodata: constant)
 * to that file, which makes gdb take memory only from the core and those mappings: a global
 * the minidump lacks is "Cannot access memory", not the ELF's initial value or zeros. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/dumptool/bbdump.h"
#include "err.h"

#define PRSTATUS_SIZE   336u   /* struct elf_prstatus on x86_64 */
#define PRSTATUS_CURSIG 12u
#define PRSTATUS_PID    32u
#define PRSTATUS_REGS   112u   /* pr_reg: 27 u64 in user_regs_struct order */
#define PRPSINFO_SIZE   136u   /* struct elf_prpsinfo on x86_64 */
#define PRPSINFO_SNAME  1u
#define PRPSINFO_PID    24u
#define PRPSINFO_FNAME  40u
#define PRPSINFO_ARGS   56u
#define PRSTATUS_NOTE   (12 + 8 + PRSTATUS_SIZE)
#define PRPSINFO_NOTE   (12 + 8 + PRPSINFO_SIZE)
#define SIGSTOP_NUM     19     /* a CPU another CPU's NMI stopped */
#define DATA_ALIGN      4096u
#define MAP_PAGE        4096u  /* NT_FILE's page size: file offsets are in these units */
#define NT_FILE_TYPE    0x46494c45u

/* A file range of the dump copied into the core, once. */
struct source {
    uint64_t off, len;       /* in the dump */
    uint64_t core_off;       /* in the core */
};

static int by_off(const void *a, const void *b)
{
    const struct source *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static int signal_of(uint32_t vector)
{
    switch (vector) {
    case 0: return 8;        /* #DE: SIGFPE */
    case 3: return 5;        /* #BP: SIGTRAP */
    case 6: return 4;        /* #UD: SIGILL */
    case 0xFFFFFFFFu: return 6;  /* bugcheck called: SIGABRT */
    default: return 11;      /* faults: SIGSEGV */
    }
}

/* One NT_PRSTATUS at n: registers of `c`, signal `sig`, thread id `pid`. */
static void prstatus_note(uint8_t *n, const struct dump_context *c, int sig, uint32_t pid)
{
    const uint64_t regs[27] = {
        c->r15, c->r14, c->r13, c->r12, c->rbp, c->rbx, c->r11, c->r10, c->r9, c->r8,
        c->rax, c->rcx, c->rdx, c->rsi, c->rdi, UINT64_MAX /* orig_rax */, c->rip,
        c->seg_cs, c->eflags, c->rsp, c->seg_ss, 0 /* fs_base */, 0 /* gs_base */,
        c->seg_ds, c->seg_es, c->seg_fs, c->seg_gs,
    };
    memset(n, 0, PRSTATUS_NOTE);
    Elf64_Nhdr nh = { .n_namesz = 5, .n_descsz = PRSTATUS_SIZE, .n_type = NT_PRSTATUS };
    memcpy(n, &nh, sizeof nh);
    memcpy(n + 12, "CORE", 5);
    uint8_t *d = n + 20;
    uint16_t s16 = (uint16_t)sig;
    memcpy(d + PRSTATUS_CURSIG, &s16, 2);
    memcpy(d + PRSTATUS_PID, &pid, 4);
    for (int i = 0; i < 27; i++)
        put64(d + PRSTATUS_REGS + 8 * i, regs[i]);
}

/* The threads of the core: the crashing CPU first, then every other CPU with registers, in
 * index order; without a readable CPU block, the header's CONTEXT alone. Returns the note
 * segment (NT_PRSTATUS each, then NT_PRPSINFO; "CORE"), *len its bytes, *threads how many
 * CPUs it holds; NULL without memory. */
static uint8_t *build_notes(const struct dumpfile *df, size_t *len, uint32_t *threads)
{
    const struct dump_header *h = (const struct dump_header *)df->map;
    const uint8_t *blk;
    struct dump_cpu_block cb;
    bool cpus = dumpfile_cpus(df, &blk, &cb) == 0;
    uint32_t count = cpus ? cb.count : 1;
    uint8_t *n = calloc(1, (size_t)count * PRSTATUS_NOTE + PRPSINFO_NOTE);
    if (!n)
        return NULL;
    uint8_t *p = n;
    uint32_t crashed = cpus ? cb.crashed : 0;
    prstatus_note(p, &h->context, signal_of(h->bb.bugcheck_vector), crashed + 1);
    p += PRSTATUS_NOTE;
    for (uint32_t i = 0; cpus && i < count; i++) {
        struct dump_cpu_record r;
        dump_cpu_record_get(blk, i, &r);
        if (i == crashed || r.state == DUMP_CPU_OFFLINE || r.state == DUMP_CPU_NO_ANSWER)
            continue;
        struct dump_context c;
        dump_context_from_cpu(&c, &r);
        prstatus_note(p, &c, r.state == DUMP_CPU_PARKED ? signal_of(r.vector) : SIGSTOP_NUM, i + 1);
        p += PRSTATUS_NOTE;
    }
    *threads = (uint32_t)((p - n) / PRSTATUS_NOTE);
    Elf64_Nhdr nh = { .n_namesz = 5, .n_descsz = PRPSINFO_SIZE, .n_type = NT_PRPSINFO };
    memcpy(p, &nh, sizeof nh);
    memcpy(p + 12, "CORE", 5);
    uint8_t *d = p + 20;
    d[PRPSINFO_SNAME] = 'R';
    d[PRPSINFO_PID] = (uint8_t)(crashed + 1);
    memcpy(d + PRPSINFO_FNAME, "blackbox", 8);
    snprintf((char *)d + PRPSINFO_ARGS, 80, "blackbox: bugcheck 0x%X", h->bug_check_code);
    *len = (size_t)(p + PRPSINFO_NOTE - n);
    return n;
}

/* The read-only PT_LOAD segments of the kernel ELF at `path` above the kernel's base, as
 * NT_FILE entries (start, end, offset in MAP_PAGE units). Returns how many (0..max), or -1. */
static int ro_segments(const char *path, uint64_t kernel_vma, uint64_t (*seg)[3], int max)
{
    int fd = open(path, O_RDONLY), n = 0;
    Elf *e = NULL;
    size_t phnum = 0;
    if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE ||
        !(e = elf_begin(fd, ELF_C_READ, NULL)) || elf_getphdrnum(e, &phnum) != 0) {
        n = -1;
        goto out;
    }
    Elf64_Phdr *ph = elf64_getphdr(e);
    for (size_t i = 0; ph && i < phnum && n < max; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || (p->p_flags & PF_W) || p->p_filesz == 0 ||
            p->p_vaddr < kernel_vma || p->p_vaddr % MAP_PAGE || p->p_offset % MAP_PAGE)
            continue;
        seg[n][0] = p->p_vaddr;
        seg[n][1] = p->p_vaddr + p->p_filesz;
        seg[n][2] = p->p_offset / MAP_PAGE;
        n++;
    }
    n = ph ? n : -1;
out:
    if (e)
        elf_end(e);
    if (fd >= 0)
        close(fd);
    return n;
}

/* The NT_FILE note for a small dump's core (see the top), or NULL with a warning printed
 * when the kernel ELF is missing, unreadable or of another build. *len: its bytes. */
static uint8_t *file_note(const struct dumpfile *d, const char *kernel, size_t *len)
{
    const struct dump_header *h = (const struct dump_header *)d->map;
    char path[PATH_MAX];
    uint64_t seg[8][3];
    const uint8_t *id = NULL;
    struct symtab *sym;
    int n = 0, idlen = 0;

    if (!realpath(kernel, path) || !(sym = sym_open(path))) {
        fprintf(stderr, "bbdump: warning: %s: no kernel ELF, so gdb may show its initial "
                "data for memory the minidump lacks\n", kernel);
        return NULL;
    }
    idlen = sym_build_id(sym, &id);
    bool same = idlen == h->bb.build_id_len && idlen > 0 && !memcmp(id, h->bb.build_id, idlen);
    sym_close(sym);
    if (!same || (n = ro_segments(path, h->bb.kernel_vma, seg, 8)) <= 0) {
        fprintf(stderr, "bbdump: warning: %s: %s; the core does not map its code\n", kernel,
                same ? "no read-only kernel segments" : "build-id differs from the dump's");
        return NULL;
    }
    size_t name = strlen(path) + 1, desc = 16 + 24 * (size_t)n + name * (size_t)n;
    *len = 12 + 8 + ((desc + 3) & ~(size_t)3);
    uint8_t *b = calloc(1, *len);
    if (!b)
        return NULL;
    Elf64_Nhdr nh = { .n_namesz = 5, .n_descsz = (Elf64_Word)desc, .n_type = NT_FILE_TYPE };
    memcpy(b, &nh, sizeof nh);
    memcpy(b + 12, "CORE", 5);
    put64(b + 20, (uint64_t)n);
    put64(b + 28, MAP_PAGE);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 3; j++)
            put64(b + 36 + 24 * i + 8 * j, seg[i][j]);
    for (int i = 0; i < n; i++)   /* one file name per mapping */
        memcpy(b + 36 + 24 * n + name * (size_t)i, path, name);
    return b;
}

static int write_all(int fd, const void *buf, uint64_t len, uint64_t at)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t k = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : (size_t)len, (off_t)at);
        if (k <= 0)
            return -1;
        p += k;
        at += (uint64_t)k;
        len -= (uint64_t)k;
    }
    return 0;
}

/* The dump ranges behind the virtual pieces, sorted and merged. */
static struct source *sources(const struct dumpmem *m, size_t *count, uint64_t data_start)
{
    struct source *s = malloc((m->nvirt ? m->nvirt : 1) * sizeof(*s));
    if (!s)
        return NULL;
    for (size_t i = 0; i < m->nvirt; i++)
        s[i] = (struct source){ m->virt[i].off, m->virt[i].len, 0 };
    qsort(s, m->nvirt, sizeof(*s), by_off);
    size_t n = 0;
    for (size_t i = 0; i < m->nvirt; i++) {
        if (n && s[i].off <= s[n - 1].off + s[n - 1].len) {
            uint64_t end = s[i].off + s[i].len;
            if (end > s[n - 1].off + s[n - 1].len)
                s[n - 1].len = end - s[n - 1].off;
            continue;
        }
        s[n++] = s[i];
    }
    uint64_t at = data_start;
    for (size_t i = 0; i < n; i++) {
        at = (at + DATA_ALIGN - 1) & ~(uint64_t)(DATA_ALIGN - 1);
        s[i].core_off = at;
        at += s[i].len;
    }
    *count = n;
    return s;
}

static const struct source *source_of(const struct source *s, size_t n, uint64_t off)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (off < s[mid].off)
            hi = mid;
        else if (off - s[mid].off >= s[mid].len)
            lo = mid + 1;
        else
            return &s[mid];
    }
    return NULL;
}

static int write_core(const struct dumpmem *m, int fd, const uint8_t *notes, size_t notes_len,
                      const uint8_t *fnote, size_t fnote_len)
{
    uint64_t phnum = 1 + m->nvirt;
    bool xnum = phnum >= PN_XNUM;
    uint64_t ph_off = sizeof(Elf64_Ehdr);
    uint64_t sh_off = ph_off + phnum * sizeof(Elf64_Phdr);
    uint64_t note_off = sh_off + (xnum ? sizeof(Elf64_Shdr) : 0);
    size_t nsrc = 0;
    struct source *src = sources(m, &nsrc, note_off + notes_len + fnote_len);
    Elf64_Phdr *ph = calloc(phnum, sizeof(*ph));
    int rc = -1;
    if (!src || !ph)
        goto out;

    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
                     ELFOSABI_NONE },
        .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_phoff = ph_off, .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = xnum ? PN_XNUM : (Elf64_Half)phnum,
    };
    if (xnum) {
        eh.e_shoff = sh_off;
        eh.e_shentsize = sizeof(Elf64_Shdr);
        eh.e_shnum = 1;
    }
    ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = notes_len + fnote_len,
                          .p_align = 4 };
    for (size_t i = 0; i < m->nvirt; i++) {
        const struct mem_piece *v = &m->virt[i];
        const struct source *s = source_of(src, nsrc, v->off);
        if (!s)
            goto out;
        ph[1 + i] = (Elf64_Phdr){
            .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
            .p_offset = s->core_off + (v->off - s->off), .p_vaddr = v->addr,
            .p_filesz = v->len, .p_memsz = v->len, .p_align = 1,
        };
    }
    if (write_all(fd, &eh, sizeof eh, 0) || write_all(fd, ph, phnum * sizeof(*ph), ph_off) ||
        write_all(fd, notes, notes_len, note_off) ||
        (fnote && write_all(fd, fnote, fnote_len, note_off + notes_len)))
        goto out;
    if (xnum) {
        Elf64_Shdr sh = { .sh_type = SHT_NULL, .sh_info = (Elf64_Word)phnum };
        if (phnum > UINT32_MAX || write_all(fd, &sh, sizeof sh, sh_off))
            goto out;
    }
    for (size_t i = 0; i < nsrc; i++)
        if (write_all(fd, m->d->map + src[i].off, src[i].len, src[i].core_off))
            goto out;
    rc = 0;
out:
    free(src);
    free(ph);
    return rc;
}

int cmd_elf(struct dumpfile *d, const char *out, const char *kernel)
{
    struct dumpmem m;
    if (d->rc != 0)
        return problem(d);
    if (dumpmem_open(&m, d) != 0)
        return 1;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        dumpmem_close(&m);
        return die(d, "%s: %s", out, strerror(errno));
    }
    size_t fnote_len = 0, notes_len = 0;
    uint32_t threads = 0;
    uint8_t *fnote = d->l.dump_type == DUMP_TYPE_SMALL ? file_note(d, kernel, &fnote_len) : NULL;
    uint8_t *notes = build_notes(d, &notes_len, &threads);
    errno = 0;
    int rc = notes ? write_core(&m, fd, notes, notes_len, fnote, fnote ? fnote_len : 0) : -1;
    free(fnote);
    free(notes);
    int err = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc) {
        unlink(out);
        dumpmem_close(&m);
        return die(d, "%s: cannot write the core file: %s", out, strerror(err ? err : ENOMEM));
    }
    const uint8_t *blk;
    struct dump_cpu_block cb;
    int crc = dumpfile_cpus(d, &blk, &cb);
    if (crc)
        fprintf(stderr, "%s: warning: %s: the CPU block is damaged (%s): the core has the "
                "crashing CPU's CONTEXT alone\n", tool_name, d->path, err_str(crc));
    printf("%s: %zu segments (%s), %u thread%s (one per CPU with registers, LWP = CPU + 1, "
           "the crashing CPU first); open with: gdb ELF -c %s\n", out, m.nvirt, m.virt_source,
           threads, threads == 1 ? "" : "s", out);
    dumpmem_close(&m);
    return 0;
}
