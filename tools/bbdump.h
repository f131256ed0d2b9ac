/* bbdump's shared declarations: the mapped dump file and its one-line errors (bbdump.c), the
 * dump's memory seen by physical and kernel virtual address (bbdump_mem.c), the kernel ELF's
 * symbols and DWARF lines (bbdump_sym.c), and the analyze, elf and mini commands. */
#ifndef BB_TOOLS_BBDUMP_H
#define BB_TOOLS_BBDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"
#include "dump/dump_validate.h"

struct dumpfile {
    const char *path;
    const uint8_t *map;      /* the whole file, or NULL when empty */
    uint64_t size;
    struct dump_layout l;
    int rc;                  /* dump_validate's result */
};

/* Maps the file read-only and validates it (d->rc, d->l). Returns 0, or 1 after printing
 * why the file cannot be opened. dumpfile_close unmaps it. */
int dumpfile_open(struct dumpfile *d, const char *path);
void dumpfile_close(struct dumpfile *d);
/* The same for `size` bytes already in memory, named `path` in messages (nothing to close). */
void dumpfile_init(struct dumpfile *d, const char *path, const uint8_t *bytes, uint64_t size);

/* Checks every data chunk's CRC32C of a dump that validated (d->rc == 0). Returns 0 when all
 * match, ERR_CHECKSUM when the external CRC table's own CRC is wrong, ERR_CORRUPT with *bad
 * chunks wrong, the first one *first_bad; ERR_INVALID_ARGS for a dump that did not validate. */
int dumpfile_check_data(const struct dumpfile *d, uint64_t *bad, uint64_t *first_bad);

/* Prints "bbdump: PATH: message" on stderr and returns 1. */
int die(const struct dumpfile *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The validation problem as one line (via die). */
int problem(const struct dumpfile *d);

/* A piece of the dump file that holds memory: `len` bytes at file offset `off`. */
struct mem_piece {
    uint64_t addr;           /* physical (phys list) or virtual (virt list) address */
    uint64_t len;
    uint64_t off;            /* file offset in the dump */
};

/* The memory a dump holds. phys: present physical ranges, ascending, file offsets
 * ascending too (empty for a small dump whose streams have no physical address). virt:
 * kernel virtual ranges (from the page tables at CR3, else the direct map and the kernel
 * image mapping, or a small dump's streams), ascending, never overlapping. */
struct dumpmem {
    const struct dumpfile *d;
    struct mem_piece *phys;
    size_t nphys;
    struct mem_piece *virt;
    size_t nvirt;
    const char *virt_source; /* "page tables", "direct map", "streams" */
};

/* Builds the view. Returns 0, or 1 after printing a one-line error (no memory). */
int dumpmem_open(struct dumpmem *m, const struct dumpfile *d);
void dumpmem_close(struct dumpmem *m);
/* Copies len bytes at a virtual/physical address. Returns 0, or -1 if any byte is absent. */
int dumpmem_read_virt(const struct dumpmem *m, uint64_t va, void *buf, size_t len);
int dumpmem_read_phys(const struct dumpmem *m, uint64_t pa, void *buf, size_t len);

/* The kernel ELF's symbols and source lines, through elfutils' libdwfl. */
struct symtab;
struct sym_info {
    const char *name;        /* function, or NULL when the address has no symbol */
    uint64_t offset;         /* address - symbol start */
    const char *file;        /* source file (as recorded in DWARF), or NULL */
    int line;                /* 0 when unknown */
};
/* Opens an ELF. Returns NULL after printing a one-line error. */
struct symtab *sym_open(const char *path);
void sym_close(struct symtab *s);
/* The ELF's GNU build-id: bytes at *id, count returned (0 when it has none). */
int sym_build_id(struct symtab *s, const uint8_t **id);
/* Symbol and line of an address; false when the address is outside the ELF. */
bool sym_lookup(struct symtab *s, uint64_t addr, struct sym_info *out);
/* Lowest and highest+1 address of the ELF's loadable image. */
void sym_image_range(struct symtab *s, uint64_t *lo, uint64_t *hi);

int cmd_analyze(struct dumpfile *d, const char *elf, bool force);
/* `kernel`: the kernel ELF, whose read-only segments a small dump's core maps (NT_FILE). */
int cmd_elf(struct dumpfile *d, const char *out, const char *kernel);
/* bbdump mini: the dump converted to a small dump at `out` (bbdump_mini.c). */
int cmd_mini(struct dumpfile *d, const char *out);

#endif
