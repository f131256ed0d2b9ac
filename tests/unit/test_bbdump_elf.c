/* Tests of `bbdump elf` (the ELF core writer) on dumps built with the dump core: the ELF
 * header, one PT_NOTE with NT_PRSTATUS (registers in user_regs_struct order) and NT_PRPSINFO,
 * PT_LOAD segments whose bytes are the dump's memory at their virtual addresses (small dump:
 * the streams; full and bitmap dumps: the direct map and the kernel image mapping, only
 * present pages), and a one-line error for a malformed dump. Run from the tree's root. */
#include <elf.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump_util.h"
#include "ut.h"

#define BBDUMP "build/tools/bbdump"
#define DMB    0xffff800000000000ull
#define KVMA   0xffffffff80000000ull

static char dir[64];

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* Writes the dump, runs bbdump elf on it; returns the core (caller frees) or NULL. */
static uint8_t *make_core(const uint8_t *dump, size_t size, size_t *core_size, int *status)
{
    char path[128], core[128], cmd[512];
    if (!dir[0]) {
        strcpy(dir, "/tmp/bbdump-elf-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
    }
    snprintf(path, sizeof path, "%s/d.dmp", dir);
    snprintf(core, sizeof core, "%s/d.core", dir);
    unlink(core);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(dump, 1, size, f) != size)
        abort();
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s elf %s -o %s >/dev/null 2>%s/err", BBDUMP, path, core, dir);
    int st = system(cmd);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    f = fopen(core, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *core_size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *c = malloc(*core_size ? *core_size : 1);
    if (fread(c, 1, *core_size, f) != *core_size)
        abort();
    fclose(f);
    return c;
}

static const Elf64_Phdr *phdrs(const uint8_t *c, size_t size, unsigned *n)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)c;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_CORE ||
        eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size)
        return NULL;
    *n = eh->e_phnum;
    return (const Elf64_Phdr *)(c + eh->e_phoff);
}

/* The PT_LOAD segment holding va, or NULL. */
static const Elf64_Phdr *seg_at(const Elf64_Phdr *ph, unsigned n, uint64_t va)
{
    for (unsigned i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && va - ph[i].p_vaddr < ph[i].p_filesz)
            return &ph[i];
    return NULL;
}

/* Checks the notes: NT_PRSTATUS with the test context's registers, NT_PRPSINFO. */
static int check_notes(const uint8_t *c, size_t size, const Elf64_Phdr *note)
{
    struct bugcheck_context ctx;
    dump_test_ctx(&ctx);
    if (note->p_type != PT_NOTE || note->p_offset + note->p_filesz > size)
        return 0;
    const uint8_t *p = c + note->p_offset;
    const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
    if (nh->n_type != NT_PRSTATUS || nh->n_namesz != 5 || memcmp(p + 12, "CORE", 5) ||
        nh->n_descsz != 336)
        return 0;
    const uint8_t *regs = p + 20 + 112;
    uint64_t r[27];
    memcpy(r, regs, sizeof r);
    if (r[0] != ctx.r15 || r[4] != ctx.rbp || r[5] != ctx.rbx || r[10] != ctx.rax ||
        r[11] != ctx.rcx || r[14] != ctx.rdi || r[16] != ctx.rip || r[17] != ctx.cs ||
        r[18] != ctx.rflags || r[19] != ctx.rsp || r[20] != ctx.ss)
        return 0;
    nh = (const Elf64_Nhdr *)(p + 20 + 336);
    return nh->n_type == NT_PRPSINFO && nh->n_descsz == 136 &&
           !memcmp((const uint8_t *)nh + 20 + 40, "blackbox", 8);
}

/* Every byte of a segment equals the pattern of physical memory at va - base. */
static int seg_matches(const uint8_t *c, const Elf64_Phdr *s, uint64_t base)
{
    for (uint64_t i = 0; i < s->p_filesz; i += 509)
        if (c[s->p_offset + i] != dump_test_byte(s->p_vaddr - base + i))
            return 0;
    return 1;
}

static void test_small_dump_core(void)
{
    size_t size, csize;
    int st;
    uint8_t *d = dump_test_small(&size);
    uint8_t *c = make_core(d, size, &csize, &st);
    unsigned n = 0;
    UT_ASSERT(c && st == 0);
    const Elf64_Phdr *ph = phdrs(c, csize, &n);
    UT_ASSERT(ph && n == 3);     /* the note, the stack stream, the register page */
    UT_ASSERT(check_notes(c, csize, &ph[0]));
    const Elf64_Phdr *stack = seg_at(ph, n, 0xffff800000101000ull);
    const Elf64_Phdr *page = seg_at(ph, n, 0xffff800000005000ull);
    UT_ASSERT(stack && stack->p_filesz == 16384 && stack->p_memsz == 16384);
    UT_ASSERT(page && page->p_filesz == 4096);
    UT_ASSERT(seg_matches(c, stack, 0xffff800000000000ull));
    UT_ASSERT(seg_matches(c, page, 0xffff800000000000ull));
    UT_ASSERT(seg_at(ph, n, 0xffff800000200000ull) == NULL);
    UT_ASSERT(csize < size);
    free(c);
    free(d);
}

static void test_full_dump_core(void)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x100 } };
    size_t size, csize;
    int st;
    uint8_t *d = dump_test_full(runs, 2, 65536, 0, &size);
    uint8_t *c = make_core(d, size, &csize, &st);
    unsigned n = 0;
    UT_ASSERT(c && st == 0);
    const Elf64_Phdr *ph = phdrs(c, csize, &n);
    UT_ASSERT(ph && n == 5);     /* note; direct map and kernel mapping of both runs */
    UT_ASSERT(check_notes(c, csize, &ph[0]));
    const Elf64_Phdr *dm = seg_at(ph, n, DMB + 0x100000), *k = seg_at(ph, n, KVMA + 0x100000);
    UT_ASSERT(dm && k && dm->p_filesz == 0x100000 && k->p_filesz == 0x100000);
    UT_ASSERT(dm->p_offset == k->p_offset);  /* aliases share the bytes */
    UT_ASSERT(seg_matches(c, dm, DMB) && seg_matches(c, k, KVMA));
    UT_ASSERT(seg_at(ph, n, DMB) == NULL && seg_at(ph, n, DMB + 0x9f000) == NULL);
    UT_ASSERT(seg_at(ph, n, DMB + 0x200000) == NULL);
    UT_ASSERT(csize < size + 4 * 4096);
    free(c);
    free(d);
}

static int every_third(uint64_t pg)
{
    return pg % 3 == 0;
}

static void test_bitmap_dump_core_has_only_present_pages(void)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x40 } };
    size_t size, csize;
    int st;
    uint8_t *d = dump_test_bitmap(runs, 2, every_third, &size);
    uint8_t *c = make_core(d, size, &csize, &st);
    unsigned n = 0;
    UT_ASSERT(c && st == 0);
    const Elf64_Phdr *ph = phdrs(c, csize, &n);
    UT_ASSERT(ph);
    for (uint64_t pg = 1; pg < 0x140; pg++) {
        bool in_ram = pg < 0x9f || pg >= 0x100;
        const Elf64_Phdr *s = seg_at(ph, n, DMB + pg * 4096);
        UT_ASSERT((s != NULL) == (in_ram && every_third(pg)));
        if (s)
            UT_ASSERT(s->p_filesz == 4096 && seg_matches(c, s, DMB));
    }
    free(c);
    free(d);
}

static void test_malformed_dump_is_refused(void)
{
    size_t size, csize = 0;
    int st;
    uint8_t *d = dump_test_small(&size);
    d[0x10] ^= 1;                /* header CRC no longer matches */
    uint8_t *c = make_core(d, size, &csize, &st);
    UT_ASSERT(st == 1 && c == NULL);
    uint8_t *t = make_core(d, 100, &csize, &st);
    UT_ASSERT(st == 1 && t == NULL);
    free(d);
}

/* The NT_PRSTATUS notes of a core in order: thread ids and RIPs, how many (<= max). */
static int threads_of(const uint8_t *c, size_t size, const Elf64_Phdr *note, uint32_t *pid,
                      uint64_t *rip, int max)
{
    int n = 0;
    for (uint64_t at = 0; at + 20 <= note->p_filesz && note->p_offset + at + 20 <= size; ) {
        const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(c + note->p_offset + at);
        if (nh->n_type == NT_PRSTATUS && n < max) {
            memcpy(&pid[n], (const uint8_t *)nh + 20 + 32, 4);
            memcpy(&rip[n], (const uint8_t *)nh + 20 + 112 + 16 * 8, 8);
            n++;
        }
        at += 12 + ((nh->n_namesz + 3) & ~3u) + ((nh->n_descsz + 3) & ~3u);
    }
    return n;
}

/* Runs stock gdb on the core in `dir` with `cmds`; its output (caller frees) or NULL. */
static char *gdb_on_core(const char *cmds)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gdb -nx -batch -ex 'set pagination off' -ex 'target core %s/d.core' "
             "%s 2>/dev/null", dir, cmds);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    char *out = calloc(1, 65536);
    size_t got = fread(out, 1, 65535, p);
    out[got] = 0;
    pclose(p);
    return out;
}

/* Four CPUs, CPU 2 the crashing one: four NT_PRSTATUS, the crashing CPU first (LWP 3), the
 * others in CPU order with their own RIPs; stock gdb lists four threads and backtraces each. */
static void test_every_cpu_is_a_thread(void)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x100 } };
    size_t size, csize;
    int st;
    uint8_t *d = dump_test_full_cpus(runs, 2, 65536, 0, &size, 4, 2, 4);
    uint8_t *c = make_core(d, size, &csize, &st);
    unsigned n = 0;
    UT_ASSERT(c && st == 0);
    const Elf64_Phdr *ph = phdrs(c, csize, &n);
    UT_ASSERT(ph && ph[0].p_type == PT_NOTE);
    uint32_t pid[8];
    uint64_t rip[8];
    struct bugcheck_context ctx;
    dump_test_ctx(&ctx);
    UT_EQ_INT(threads_of(c, csize, &ph[0], pid, rip, 8), 4);
    UT_EQ_U64(pid[0], 3);
    UT_EQ_U64(rip[0], ctx.rip);
    UT_EQ_U64(pid[1], 1);
    UT_EQ_U64(rip[1], 0xffffffff80100000ull);
    UT_EQ_U64(pid[2], 2);
    UT_EQ_U64(rip[2], 0xffffffff80100010ull);
    UT_EQ_U64(pid[3], 4);
    UT_EQ_U64(rip[3], 0xffffffff80100030ull);
    char *out = gdb_on_core("-ex 'info threads' -ex 'thread apply all p/x $pc'");
    UT_ASSERT(out);
    UT_ASSERT(strstr(out, "* 1    LWP 3 "));
    UT_ASSERT(strstr(out, "  4    LWP 4 "));
    UT_ASSERT(!strstr(out, "  5 "));
    UT_ASSERT(strstr(out, "= 0xffffffff8010cf27"));   /* the crash, thread 1 */
    UT_ASSERT(strstr(out, "= 0xffffffff80100010"));   /* CPU 1 */
    UT_ASSERT(strstr(out, "= 0xffffffff80100030"));   /* CPU 3 */
    free(out);
    free(c);
    free(d);

    /* CPU 3 offline: no registers, so no thread */
    d = dump_test_full_cpus(runs, 2, 65536, 0, &size, 4, 0, 3);
    c = make_core(d, size, &csize, &st);
    UT_ASSERT(c && st == 0 && (ph = phdrs(c, csize, &n)) != NULL);
    UT_EQ_INT(threads_of(c, csize, &ph[0], pid, rip, 8), 3);
    UT_EQ_U64(pid[0], 1);
    UT_EQ_U64(pid[2], 3);
    free(c);
    free(d);
}

static const struct ut_case cases[] = {
    { "small_dump_core", test_small_dump_core },
    { "full_dump_core", test_full_dump_core },
    { "bitmap_dump_core_has_only_present_pages", test_bitmap_dump_core_has_only_present_pages },
    { "malformed_dump_is_refused", test_malformed_dump_is_refused },
    { "every_cpu_is_a_thread", test_every_cpu_is_a_thread },
};

UT_MAIN(cases)
