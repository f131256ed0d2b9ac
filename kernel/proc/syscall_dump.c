/* The dump-stack system calls: SYS_DUMP_QUERY (the armed target and its state, for smss and
 * dumpcfg) and SYS_DUMP_CONTROL (the recovery's protect, rearm and dump-partition marks), both through the
 * bugcheck's dumper; ERR_NOT_SUPPORTED when no dumper has registered. */
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "bugcheck/dumper.h"
#include "err.h"

int64_t sys_dump_query(uint64_t out)
{
    int rc = uaccess_check(out, sizeof(struct sys_dump_info), true);
    if (rc)
        return rc;
    const struct dumper *d = bugcheck_dumper();
    if (!d)
        return ERR_NOT_SUPPORTED;
    struct sys_dump_info di;
    d->query(&di);
    return uaccess_copy_out(out, &di, sizeof di);
}

int64_t sys_dump_control(uint64_t op)
{
    const struct dumper *d = bugcheck_dumper();
    if (!d)
        return ERR_NOT_SUPPORTED;
    switch (op) {
    case SYS_DUMP_PROTECT: return d->protect();
    case SYS_DUMP_REARM: return d->rearm();
    case SYS_DUMP_PART_KEEP: return d->release_partition(true);
    case SYS_DUMP_PART_FREE: return d->release_partition(false);
    default: return ERR_INVALID_ARGS;
    }
}
