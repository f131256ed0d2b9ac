/* Unit tests for kernel/lib/elf64.c, the program loader's validator: a good image built
 * here field by field, then one defect at a time (magic, class, machine, type, program
 * headers out of the file, filesz > memsz, a segment outside the user range or wrapping,
 * overlapping segments, an entry outside the code, an interpreter, too many segments,
 * truncation at every length), and the real user programs from build/user/. */
#include <stdint.h>
#include <stdio.h>

#include "lib/elf64.h"
#include "err.h"
#include "tests/unit/ut.h"

#define LO 0x10000ull
#define HI 0x00007f0000000000ull

struct ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* A two-segment image: code at 0x400000 (r-x, 0x100 bytes of file), data at 0x401000
 * (rw-, 0x10 bytes of file, 0x2000 in memory). */
static struct {
    struct ehdr h;
    struct phdr p[3];
    unsigned char body[0x200];
} img;

static void make_image(void)
{
    memset(&img, 0, sizeof img);
    memcpy(img.h.ident, "\x7f" "ELF\x02\x01\x01", 7);
    img.h.type = 2;
    img.h.machine = 62;
    img.h.version = 1;
    img.h.entry = 0x400010;
    img.h.phoff = offsetof(__typeof__(img), p);
    img.h.ehsize = sizeof img.h;
    img.h.phentsize = sizeof(struct phdr);
    img.h.phnum = 2;
    size_t body = offsetof(__typeof__(img), body);
    img.p[0] = (struct phdr){ 1, 5, body, 0x400000, 0x400000, 0x100, 0x100, 0x1000 };
    img.p[1] = (struct phdr){ 1, 6, body + 0x100, 0x401000, 0x401000, 0x10, 0x2000, 0x1000 };
}

static int parse(size_t len)
{
    struct elf64_image out;
    return elf64_parse(&img, len, LO, HI, &out);
}

static void test_good_image(void)
{
    make_image();
    struct elf64_image out;
    UT_EQ_INT(elf64_parse(&img, sizeof img, LO, HI, &out), 0);
    UT_EQ_U64(out.entry, 0x400010);
    UT_EQ_INT(out.nseg, 2);
    UT_EQ_U64(out.seg[1].vaddr, 0x401000);
    UT_EQ_U64(out.seg[1].memsz, 0x2000);
    UT_EQ_INT(out.seg[0].flags, ELF64_SEG_R | ELF64_SEG_X);
    UT_EQ_INT(out.seg[1].flags, ELF64_SEG_R | ELF64_SEG_W);
}

static void test_header_defects(void)
{
    make_image(); img.h.ident[1] = 'X'; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.ident[4] = 1; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    make_image(); img.h.ident[5] = 2; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    make_image(); img.h.machine = 3; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    make_image(); img.h.type = 3; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    make_image(); img.h.phentsize = 32; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.phnum = 0; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.phoff = sizeof img - 8; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.phoff = UINT64_MAX - 8; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.phnum = 0xFFFF; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
}

static void test_segment_defects(void)
{
    make_image(); img.p[1].filesz = 0x3000; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[0].offset = sizeof img; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[0].offset = UINT64_MAX; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[0].filesz = img.p[0].memsz = UINT64_MAX; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[1].vaddr = 0x1000; UT_EQ_INT(parse(sizeof img), ERR_RANGE);
    make_image(); img.p[1].vaddr = HI - 0x1000; UT_EQ_INT(parse(sizeof img), ERR_RANGE);
    make_image(); img.p[1].vaddr = 0xffffffff80000000ull; UT_EQ_INT(parse(sizeof img), ERR_RANGE);
    make_image(); img.p[1].vaddr = HI - 0x10; img.p[1].memsz = UINT64_MAX;
    UT_EQ_INT(parse(sizeof img), ERR_RANGE);
    make_image(); img.p[1].vaddr = 0x400800; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[1].vaddr = 0x3ff000; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
}

static void test_entry_and_kinds(void)
{
    make_image(); img.h.entry = 0x401000; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.entry = 0x400100; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.h.entry = 0; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
    make_image(); img.p[1].type = 3; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    make_image(); img.p[1].type = 2; UT_EQ_INT(parse(sizeof img), ERR_NOT_SUPPORTED);
    /* A non-load header and an empty PT_LOAD are skipped. */
    make_image(); img.h.phnum = 3; img.p[2] = (struct phdr){ 0x6474e551, 6, 0, 0, 0, 0, 0, 0 };
    UT_EQ_INT(parse(sizeof img), 0);
    make_image(); img.h.phnum = 3; img.p[2] = (struct phdr){ 1, 6, 0xe8, 0, 0, 0, 0, 0x1000 };
    UT_EQ_INT(parse(sizeof img), 0);
    make_image(); img.p[0].type = 4; UT_EQ_INT(parse(sizeof img), ERR_CORRUPT);
}

static void test_too_many_segments(void)
{
    static struct {
        struct ehdr h;
        struct phdr p[ELF64_MAX_SEGMENTS + 1];
    } big;
    make_image();
    memcpy(&big.h, &img.h, sizeof img.h);
    big.h.entry = 0x400000;
    big.h.phoff = offsetof(__typeof__(big), p);
    big.h.phnum = ELF64_MAX_SEGMENTS + 1;
    for (unsigned i = 0; i <= ELF64_MAX_SEGMENTS; i++)
        big.p[i] = (struct phdr){ 1, 5, 0, 0x400000 + i * 0x1000ull, 0, 0x10, 0x10, 0x1000 };
    struct elf64_image out;
    UT_EQ_INT(elf64_parse(&big, sizeof big, LO, HI, &out), ERR_TOO_BIG);
    big.h.phnum = ELF64_MAX_SEGMENTS;
    UT_EQ_INT(elf64_parse(&big, sizeof big, LO, HI, &out), 0);
}

static void test_every_truncation(void)
{
    make_image();
    size_t need = offsetof(__typeof__(img), body) + 0x110;
    for (size_t len = 0; len < need; len++)
        if (parse(len) == 0) {
            char m[64];
            snprintf(m, sizeof m, "truncated to %zu bytes accepted", len);
            ut_fail(__FILE__, __LINE__, m);
            return;
        }
    UT_EQ_INT(parse(need), 0);
    UT_EQ_INT(elf64_parse(NULL, 100, LO, HI, NULL), ERR_CORRUPT);
}

static void test_built_programs(void)
{
    static const char *const names[] = { "hello", "fault", "badptr" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "build/user/%s.elf", names[i]);
        FILE *f = fopen(path, "rb");
        UT_ASSERT(f != NULL);
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        struct elf64_image out;
        UT_EQ_INT(elf64_parse(buf, n, LO, HI, &out), 0);
        UT_EQ_U64(out.entry, 0x400000);
    }
}

static const struct ut_case cases[] = {
    { "good_image", test_good_image },
    { "header_defects", test_header_defects },
    { "segment_defects", test_segment_defects },
    { "entry_and_kinds", test_entry_and_kinds },
    { "too_many_segments", test_too_many_segments },
    { "every_truncation", test_every_truncation },
    { "built_programs", test_built_programs },
};

UT_MAIN(cases)
