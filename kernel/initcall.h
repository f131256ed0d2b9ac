/* Boot-time registration: a part of the system outside kernel/ (a storage driver, the dump
 * stack) names the boot step that starts it with INITCALL, and kmain runs each step's calls
 * in turn, so that the kernel never names its drivers or the dump stack. Boot time only. */
#ifndef BB_INITCALL_H
#define BB_INITCALL_H

/* The steps, in boot order (kmain.c). */
#define INIT_STORAGE 1   /* after PCI enumeration, interrupts on: probe storage controllers
                            and register their disks (disk.h) */
#define INIT_DUMP    2   /* after the volumes and the registry: prepare the dump stack and
                            hand the bugcheck its dumper (bugcheck/dumper.h) */

/* Within a step, calls run in the order of `order` (two digits, 10..99). Storage: AHCI is 10
 * and NVMe 20, so the SATA system disk is registered first and its volume becomes C:. */
struct initcall {
    int step;                /* INIT_* */
    const char *name;        /* the function's name, for the log */
    int (*fn)(void);         /* returns >= 0, or a negative ERR_* code (logged, boot goes on) */
};

#define INITCALL_SECTION_(step, order) ".initcall." #step "." #order
#define INITCALL_(step, order, fn)                                                            \
    static const struct initcall initcall_##fn                                                \
        __attribute__((used, section(INITCALL_SECTION_(step, order)), aligned(8))) =          \
            { step, #fn, fn }
/* Register fn to run at boot step `step` (INIT_*), in position `order` (10..99). */
#define INITCALL(step, order, fn) INITCALL_(step, order, fn)

/* Run every call registered for `step`, in order; a failure is logged with the call's name. */
void initcall_run(int step);

#endif
