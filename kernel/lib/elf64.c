/* ELF64 validation for the program loader (elf64.h): every field read from the file is
 * checked before use, every sum is checked for overflow. */
#include <string.h>
#include "lib/elf64.h"
#include "err.h"

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_DYNAMIC 2
#define PAGE 4096ull

struct ehdr {
    unsigned char ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
_Static_assert(sizeof(struct ehdr) == 64, "ELF64 header is 64 bytes");

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct phdr) == 56, "ELF64 program header is 56 bytes");

static int check_segment(const struct phdr *p, size_t len, uint64_t lo, uint64_t hi)
{
    if (p->filesz > p->memsz || p->offset > len || p->filesz > len - p->offset)
        return ERR_CORRUPT;
    if (p->vaddr < lo || p->vaddr >= hi || p->memsz > hi - p->vaddr)
        return ERR_RANGE;
    return 0;
}

static int overlaps(const struct elf64_segment *a, const struct elf64_segment *b)
{
    uint64_t a0 = a->vaddr & ~(PAGE - 1), a1 = a->vaddr + a->memsz;
    uint64_t b0 = b->vaddr & ~(PAGE - 1), b1 = b->vaddr + b->memsz;
    return a0 < b1 && b0 < a1;
}

int elf64_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi, struct elf64_image *out)
{
    struct ehdr h;
    if (!buf || len < sizeof h)
        return ERR_CORRUPT;
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.ident, "\x7f" "ELF", 4) != 0 || h.ident[6] != EV_CURRENT)
        return ERR_CORRUPT;
    if (h.ident[4] != ELFCLASS64 || h.ident[5] != ELFDATA2LSB || h.machine != EM_X86_64 ||
        h.type != ET_EXEC || h.version != EV_CURRENT)
        return ERR_NOT_SUPPORTED;
    if (h.phentsize != sizeof(struct phdr) || h.phnum == 0 || h.phoff > len ||
        (uint64_t)h.phnum * sizeof(struct phdr) > len - h.phoff)
        return ERR_CORRUPT;

    memset(out, 0, sizeof *out);
    out->entry = h.entry;
    int entry_ok = 0;
    for (unsigned i = 0; i < h.phnum; i++) {
        struct phdr p;
        memcpy(&p, (const char *)buf + h.phoff + i * sizeof p, sizeof p);
        if (p.type == PT_INTERP || p.type == PT_DYNAMIC)
            return ERR_NOT_SUPPORTED;
        if (p.type != PT_LOAD || p.memsz == 0)
            continue;
        int rc = check_segment(&p, len, lo, hi);
        if (rc)
            return rc;
        if (out->nseg == ELF64_MAX_SEGMENTS)
            return ERR_TOO_BIG;
        struct elf64_segment *s = &out->seg[out->nseg];
        *s = (struct elf64_segment){ p.vaddr, p.memsz, p.offset, p.filesz,
                                     p.flags & (ELF64_SEG_X | ELF64_SEG_W | ELF64_SEG_R) };
        for (unsigned j = 0; j < out->nseg; j++)
            if (overlaps(s, &out->seg[j]))
                return ERR_CORRUPT;
        if ((s->flags & ELF64_SEG_X) && h.entry >= s->vaddr && h.entry - s->vaddr < s->memsz)
            entry_ok = 1;
        out->nseg++;
    }
    if (out->nseg == 0 || !entry_ok)
        return ERR_CORRUPT;
    return 0;
}
