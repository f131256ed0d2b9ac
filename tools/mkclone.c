/* mkclone: pack a linked clone ELF (position-independent, linked at 0) into the
 * form the kernel loads (dump/clone/clone_abi.h): header, image, relocation offsets. Refuses
 * what would make the clone unsafe: writable .data/.bss (state must live in the state
 * pages), relocations other than R_X86_64_RELATIVE, missing entry points.
 * usage: mkclone CLONE.elf NAME OUT.clone */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dump/clone/clone_abi.h"

#define MAX_IMAGE (1u << 20)

static const char *prog = "mkclone";

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > 64u << 20 || !(buf = realloc(buf, cap)))
                die("%s: too large", path);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static const Elf64_Shdr *section(const uint8_t *elf, size_t len, const char *want)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (strs->sh_offset + sh[i].sh_name >= len)
            die("%s", "corrupt section names");
        if (strcmp((const char *)elf + strs->sh_offset + sh[i].sh_name, want) == 0)
            return &sh[i];
    }
    return NULL;
}

static uint32_t symbol(const uint8_t *elf, size_t len, const char *name, uint32_t mem_size)
{
    const Elf64_Shdr *symtab = section(elf, len, ".symtab"), *strtab = section(elf, len, ".strtab");
    if (!symtab || !strtab)
        die("%s", "no symbol table (do not strip the clone)");
    const Elf64_Sym *syms = (const Elf64_Sym *)(elf + symtab->sh_offset);
    for (size_t i = 0; i < symtab->sh_size / sizeof *syms; i++) {
        if (strtab->sh_offset + syms[i].st_name >= len)
            die("%s", "corrupt symbol names");
        if (strcmp((const char *)elf + strtab->sh_offset + syms[i].st_name, name) == 0 &&
            syms[i].st_shndx != SHN_UNDEF) {
            if (syms[i].st_value >= mem_size)
                die("%s lies outside the image", name);
            return (uint32_t)syms[i].st_value;
        }
    }
    die("entry point %s is missing", name);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s CLONE.elf NAME OUT.clone\n", prog);
        return 2;
    }
    size_t len;
    uint8_t *elf = slurp(argv[1], &len);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 || eh->e_type != ET_DYN ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len || eh->e_shstrndx >= eh->e_shnum)
        die("%s: not a position-independent x86_64 ELF", argv[1]);
    for (const char *w = ".data\0.bss\0"; *w; w += strlen(w) + 1) {
        const Elf64_Shdr *s = section(elf, len, w);
        if (s && s->sh_size)
            die("writable section %s is not empty: clones keep state in their state pages", w);
    }
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
    uint64_t mem_size = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > mem_size)
            mem_size = ph[i].p_vaddr + ph[i].p_memsz;
    if (mem_size == 0 || mem_size > MAX_IMAGE)
        die("%s: image size out of range", argv[1]);
    uint8_t *image = calloc(1, mem_size);
    if (!image)
        die("%s", "out of memory");
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (ph[i].p_offset + ph[i].p_filesz > len || ph[i].p_filesz > ph[i].p_memsz)
            die("%s: corrupt segment", argv[1]);
        memcpy(image + ph[i].p_vaddr, elf + ph[i].p_offset, ph[i].p_filesz);
    }
    const Elf64_Shdr *rela = section(elf, len, ".rela.dyn");
    size_t nrel = rela ? rela->sh_size / sizeof(Elf64_Rela) : 0;
    uint32_t *relocs = calloc(nrel ? nrel : 1, sizeof *relocs);
    if (!relocs)
        die("%s", "out of memory");
    for (size_t i = 0; i < nrel; i++) {
        const Elf64_Rela *r = (const Elf64_Rela *)(elf + rela->sh_offset) + i;
        if (ELF64_R_TYPE(r->r_info) != R_X86_64_RELATIVE)
            die("relocation type %s is not R_X86_64_RELATIVE: the clone imports a symbol", "");
        if (r->r_offset + 8 > mem_size)
            die("%s", "relocation outside the image");
        uint64_t addend = (uint64_t)r->r_addend;
        memcpy(image + r->r_offset, &addend, 8);
        relocs[i] = (uint32_t)r->r_offset;
    }
    struct clone_image h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CLONE_MAGIC, 8);
    h.version = CLONE_ABI_VERSION;
    if (strlen(argv[2]) >= sizeof h.name)
        die("clone name %s is too long", argv[2]);
    strcpy(h.name, argv[2]);
    h.image_size = (uint32_t)mem_size;
    h.mem_size = (uint32_t)mem_size;
    h.reloc_count = (uint32_t)nrel;
    h.params_off = symbol(elf, len, "clone_params", h.mem_size);
    h.entry_init = symbol(elf, len, "clone_init", h.mem_size);
    h.entry_write = symbol(elf, len, "clone_write", h.mem_size);
    h.entry_read = symbol(elf, len, "clone_read", h.mem_size);
    h.entry_flush = symbol(elf, len, "clone_flush", h.mem_size);
    h.entry_log = symbol(elf, len, "clone_log", h.mem_size);
    h.entry_poll = symbol(elf, len, "clone_poll", h.mem_size);
    h.entry_flush_start = symbol(elf, len, "clone_flush_start", h.mem_size);
    if (h.params_off % 8 || h.params_off + sizeof(struct clone_params) > h.mem_size)
        die("%s", "parameter block misplaced");
    FILE *out = fopen(argv[3], "wb");
    if (!out || fwrite(&h, sizeof h, 1, out) != 1 || fwrite(image, mem_size, 1, out) != 1 ||
        (nrel && fwrite(relocs, sizeof *relocs, nrel, out) != nrel) || fclose(out) != 0) {
        remove(argv[3]);
        die("cannot write %s", argv[3]);
    }
    free(image);
    free(relocs);
    free(elf);
    return 0;
}
