/* Running the boot steps registered with INITCALL: the linker gathers them, sorted by step
 * and order, between __initcall_start and __initcall_end (linker.ld). */
#include "initcall.h"
#include "klog.h"
#include "err.h"

extern const struct initcall __initcall_start[], __initcall_end[];

void initcall_run(int step)
{
    for (const struct initcall *c = __initcall_start; c < __initcall_end; c++) {
        if (c->step != step)
            continue;
        int rc = c->fn();
        if (rc < 0)
            klog(KLOG_ERR, "boot: %s failed: %s", c->name, err_str(rc));
    }
}
