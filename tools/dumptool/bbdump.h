/* The host dump tools' shared declarations (bbdump, and ocad which links the same files): the
 * dump file and its one-line errors (bbdump_file.c), the dump's memory seen by physical and
 * kernel virtual address (bbdump_mem.c), the kernel ELF's symbols and DWARF lines
 * (bbdump_sym.c), the frame-pointer stack and bucket id (bbdump_stack.c), and bbdump's
 * commands (analyze, elf, mini, report). */
#ifndef BB_TOOLS_BBDUMP_H
#define BB_TOOLS_BBDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_format.h"
#include "dump/dump_validate.h"
#include "dump/dump_cpu.h"

/* The program's name for messages ("bbdump", "ocad"): each program defines it. */
extern const char *tool_name;

struct dumpfile {
    const char *path;        /* file name, or what the bytes are ("report 0x...") */
    const uint8_t *map;      /* the whole file, or NULL when empty */
    uint64_t size;
    bool mapped;             /* map is this struct's mapping (dumpfile_close unmaps it) */
    struct dump_layout l;
    int rc;                  /* dump_validate's result */
};

/* Maps `path` read-only and validates it (the result in d->rc and d->l). Returns 0, or 1
 * after printing why the file cannot be opened. */
int dumpfile_open(struct dumpfile *d, const char *path);
/* The same over `size` bytes the caller keeps alive; `name` names them in messages. */
void dumpfile_mem(struct dumpfile *d, const char *name, const void *buf, uint64_t size);
void dumpfile_close(struct dumpfile *d);

/* The CPU block (dump/dump_cpu.h) of a dump that validated (d->rc == 0): *block (the
 * records start sizeof(struct dump_cpu_block) after it, NumberProcessors of them) points
 * into d->map, *h gets its header. Returns 0, or dump_cpu_block_check's error when the
 * block is damaged. */
int dumpfile_cpus(const struct dumpfile *d, const uint8_t **block, struct dump_cpu_block *h);

/* Checks every data chunk's CRC32C of a dump that validated (d->rc == 0), with the stream
 * check of dump/dump_verify.h. Returns 0 when all match, ERR_CHECKSUM when the external CRC
 * table's own CRC is wrong, ERR_CORRUPT with *bad chunks wrong, the first one *first_bad;
 * ERR_INVALID_ARGS for a dump that did not validate; ERR_NO_MEMORY. */
int dumpfile_check_data(const struct dumpfile *d, uint64_t *bad, uint64_t *first_bad);

/* Prints "TOOL: PATH: message" on stderr and returns 1. */
int die(const struct dumpfile *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The validation problem as one line (via die). */
int problem(const struct dumpfile *d);
/* CrashDumpEnabled's name for bb.config_type ("complete", "automatic"...). */
const char *config_name(unsigned c);

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
/* Addresses below this are user mode (a program's), never the kernel ELF's. */
#define SYM_KERNEL_HALF 0xffff800000000000ull
/* Symbol and line of an address; false when the address is outside the ELF or in user mode
 * (below SYM_KERNEL_HALF). */
bool sym_lookup(struct symtab *s, uint64_t addr, struct sym_info *out);
/* Lowest and highest+1 address of the ELF's loadable image. */
void sym_image_range(struct symtab *s, uint64_t *lo, uint64_t *hi);

/* The frame-pointer stack of the crashed CPU, read from the dump's memory. */
#define STACK_MAX_FRAMES 64
enum stack_end {
    STACK_END_CHAIN,         /* the chain ended (rbp 0, misaligned, return 0, not rising) */
    STACK_END_MISSING,       /* a frame is not in the dump (missing_rbp) */
    STACK_END_MORE,          /* STACK_MAX_FRAMES reached */
};
struct stack_frame {
    uint64_t rbp;            /* frame pointer */
    uint64_t addr;           /* frame 0: RIP; then the return address */
};
struct stack {
    struct stack_frame f[STACK_MAX_FRAMES];
    int n;                   /* frames filled (>= 1) */
    enum stack_end end;
    uint64_t missing_rbp;    /* STACK_END_MISSING: the frame not in the dump */
};
void stack_walk(const struct dumpmem *m, const struct dump_context *c, struct stack *s);
/* The function blamed for the crash: the first frame with a symbol outside bugcheck()
 * itself. Returns its name (owned by the symtab) and address, or NULL. */
const char *stack_fault_function(struct symtab *sym, const struct stack *s, uint64_t *addr);
/* The bucket id "0x<CODE>_<function>" ("unknown" without a function) into out. */
void bucket_id(char *out, size_t cap, uint32_t code, const char *function);

int cmd_analyze(struct dumpfile *d, const char *elf, bool force);
/* `kernel`: the kernel ELF, whose read-only segments a small dump's core maps (NT_FILE). */
int cmd_elf(struct dumpfile *d, const char *out, const char *kernel);
/* bbdump mini: the dump converted to a small dump at `out` (bbdump_mini.c). */
int cmd_mini(struct dumpfile *d, const char *out);
/* `events IMAGE|FILE`: the last n event log records (all when n is 0); exit status. */
int cmd_events(const char *path, uint32_t n);
/* bbdump report: a crash-report file of a small dump at `out` (bbdump_report.c). */
int cmd_report(struct dumpfile *d, const char *out);

#endif
