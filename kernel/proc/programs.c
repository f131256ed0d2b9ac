/* Lookup in the table of embedded user programs (program_images.asm). */
#include "proc/programs.h"

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

const struct proc_program *proc_program_find(const char *name)
{
    for (const struct proc_program *p = proc_program_table; p->name; p++)
        if (same_name(p->name, name))
            return p;
    return NULL;
}
