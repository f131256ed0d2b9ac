/* The user programs embedded in the kernel image at build time (program_images.asm) (every userland/NAME/ folder,
 * see the Makefile): `run NAME` finds them here before looking on a volume. */
#ifndef BB_PROC_PROGRAMS_H
#define BB_PROC_PROGRAMS_H

#include <stddef.h>

struct proc_program {
    const char *name;          /* "hello" */
    const unsigned char *start, *end;   /* the ELF image */
};

/* The table, ended by an entry whose name is NULL. */
extern const struct proc_program proc_program_table[];
/* The program called name (case-insensitive), or NULL. */
const struct proc_program *proc_program_find(const char *name);

#endif
