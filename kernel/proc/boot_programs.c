/* The programs started at boot (boot_programs.h). */
#include "proc/boot_programs.h"
#include "proc/process.h"
#include "proc/programs.h"
#include "config/registry.h"
#include "dump/crash_control.h"
#include "dump/stack/dump_stack.h"
#include "klog.h"
#include "err.h"

#define BOOT_TIME_LIMIT_S 600u   /* recovery of a big dump under TCG takes a while */

static void run(const char *name, int argc, char **argv)
{
    const struct proc_program *prog = proc_program_find(name);
    if (!prog) {
        klog(KLOG_ERR, "boot: program %s is not in this kernel", name);
        return;
    }
    struct proc_status st;
    int rc = process_run(name, prog->start, (size_t)(prog->end - prog->start), argc, argv,
                         BOOT_TIME_LIMIT_S, &st);
    if (rc)
        klog(KLOG_ERR, "boot: %s: cannot start: %s", name, err_str(rc));
    else if (st.killed)
        klog(KLOG_ERR, "boot: %s killed: %s", name, process_vector_name(st.vector));
    else if (st.exit_code)
        klog(KLOG_WARN, "boot: %s exited with code %d", name, st.exit_code);
}

void proc_run_boot_programs(void)
{
    char *smss[] = { "smss" };
    run("smss", 1, smss);
    if (dump_stack_get()->state == DUMP_RECOVERING) {
        klog(KLOG_WARN, "boot: smss left the dump stack protected: re-arming it");
        dump_stack_rearm();
    }
    uint32_t temp;
    if (reg_get_dword(CC_KEY_MACHINECRASH, "TempDestination", &temp) == 0) {
        char *werfault[] = { "werfault", "-k", "-c" };
        run("werfault", 3, werfault);
    }
    char *wersend[] = { "wersend" };
    run("wersend", 1, wersend);
}
