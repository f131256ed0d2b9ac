/* The crashed CPU's frame-pointer stack read from a dump's memory, the function blamed for
 * the crash (first frame outside bugcheck()) and the bucket id built from it. Shared by
 * `bbdump analyze` and the crash-report collector ocad, so both bucket a crash alike. */
#include <stdio.h>
#include <string.h>

#include "tools/dumptool/bbdump.h"

void stack_walk(const struct dumpmem *m, const struct dump_context *c, struct stack *s)
{
    memset(s, 0, sizeof *s);
    s->f[0] = (struct stack_frame){ c->rbp, c->rip };
    s->n = 1;
    uint64_t rbp = c->rbp;
    while (s->n < STACK_MAX_FRAMES) {
        uint64_t fr[2];
        if (rbp == 0 || (rbp & 7))
            return;
        if (dumpmem_read_virt(m, rbp, fr, sizeof fr) != 0) {
            s->end = STACK_END_MISSING;
            s->missing_rbp = rbp;
            return;
        }
        if (fr[1] == 0)
            return;
        s->f[s->n++] = (struct stack_frame){ rbp, fr[1] };
        if (fr[0] <= rbp)
            return;
        rbp = fr[0];
    }
    s->end = STACK_END_MORE;
}

const char *stack_fault_function(struct symtab *sym, const struct stack *s, uint64_t *addr)
{
    for (int i = 0; i < s->n; i++) {
        struct sym_info si;
        if (!sym_lookup(sym, s->f[i].addr, &si) || !si.name || !strncmp(si.name, "bugcheck", 8))
            continue;
        *addr = s->f[i].addr;
        return si.name;
    }
    return NULL;
}

void bucket_id(char *out, size_t cap, uint32_t code, const char *function)
{
    snprintf(out, cap, "0x%X_%s", code, function ? function : "unknown");
}
