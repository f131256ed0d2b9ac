/* The kernel ELF's symbols, source lines and build-id for bbdump and ocad, through elfutils'
 * libdwfl (libdw): the ELF is reported as an offline module at its link addresses, so a kernel
 * virtual address is looked up as is. libdw validates the ELF and DWARF it reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>

#include "tools/dumptool/bbdump.h"

struct symtab {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    uint64_t lo, hi;
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

struct symtab *sym_open(const char *path)
{
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        fprintf(stderr, "%s: %s: %s\n", tool_name, path, strerror(errno));
        return NULL;
    }
    fclose(probe);
    struct symtab *s = calloc(1, sizeof(*s));
    if (!s || !(s->dwfl = dwfl_begin(&callbacks))) {
        fprintf(stderr, "%s: %s: out of memory\n", tool_name, path);
        free(s);
        return NULL;
    }
    s->mod = dwfl_report_offline(s->dwfl, "blackbox", path, -1);
    dwfl_report_end(s->dwfl, NULL, NULL);
    if (!s->mod) {
        fprintf(stderr, "%s: %s: not a usable ELF file (%s)\n", tool_name, path,
                dwfl_errmsg(-1));
        sym_close(s);
        return NULL;
    }
    Dwarf_Addr lo, hi;
    dwfl_module_info(s->mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
    s->lo = lo;
    s->hi = hi;
    return s;
}

void sym_close(struct symtab *s)
{
    if (!s)
        return;
    if (s->dwfl)
        dwfl_end(s->dwfl);
    free(s);
}

int sym_build_id(struct symtab *s, const uint8_t **id)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(s->mod, &bits, &vaddr);
    if (n <= 0) {
        *id = NULL;
        return 0;
    }
    *id = bits;
    return n;
}

void sym_image_range(struct symtab *s, uint64_t *lo, uint64_t *hi)
{
    *lo = s->lo;
    *hi = s->hi;
}

bool sym_lookup(struct symtab *s, uint64_t addr, struct sym_info *out)
{
    memset(out, 0, sizeof(*out));
    if (addr < s->lo || addr >= s->hi || addr < SYM_KERNEL_HALF)
        return false;
    GElf_Off off = 0;
    GElf_Sym sym;
    out->name = dwfl_module_addrinfo(s->mod, addr, &off, &sym, NULL, NULL, NULL);
    out->offset = off;
    Dwfl_Line *line = dwfl_module_getsrc(s->mod, addr);
    if (line) {
        int lineno = 0;
        const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        if (file && lineno > 0) {
            out->file = file;
            out->line = lineno;
        }
    }
    return true;
}
