/* fault KIND: a user program that crashes on purpose, to show the kernel kills it and carries
 * on. KIND: null (read address 0), write (store into its own code), div0, ud (ud2),
 * priv (hlt, privileged), kernel (read a kernel address), gp (non-canonical address),
 * stack (unbounded recursion off the end of the stack), spin (loop forever: killed when its
 * time limit runs out). */
#include "bb.h"

static volatile int zero;
static volatile int depth_limit = 1 << 30;   /* never reached: the stack ends first */

static int recurse(int depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    if (depth >= depth_limit)
        return pad[0];
    return recurse(depth + 1) + pad[0];
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "";
    printf("fault: %s\n", kind);
    if (!strcmp(kind, "null"))
        return *(volatile int *)0;
    if (!strcmp(kind, "write")) {
        *(volatile uint8_t *)(uintptr_t)main = 0xC3;
        return 0;
    }
    if (!strcmp(kind, "div0"))
        return 100 / zero;
    if (!strcmp(kind, "ud"))
        __asm__ volatile("ud2");
    if (!strcmp(kind, "priv"))
        __asm__ volatile("hlt");
    if (!strcmp(kind, "kernel"))
        return *(volatile int *)0xffffffff80100000ull;
    if (!strcmp(kind, "gp"))
        return *(volatile int *)0x0000800000000000ull;
    if (!strcmp(kind, "stack"))
        return recurse(0);
    if (!strcmp(kind, "spin"))
        for (;;)
            zero = 0;
    printf("usage: fault null|write|div0|ud|priv|kernel|gp|stack|spin\n");
    return 2;
}
