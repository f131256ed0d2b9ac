/* The dump-stack system calls: SYS_DUMP_QUERY (the armed target and its state, for smss and
 * dumpcfg) and SYS_DUMP_CONTROL (the recovery's protect and rearm). */
#include <string.h>
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "dump/stack/dump_stack.h"
#include "err.h"

_Static_assert(sizeof(((struct sys_dump_info *)0)->target) == sizeof(((struct dump_stack *)0)->target) &&
               sizeof(((struct sys_dump_info *)0)->reason) == sizeof(((struct dump_stack *)0)->reason),
               "sys_dump_info strings are the dump stack's");

int64_t sys_dump_query(uint64_t out)
{
    int rc = uaccess_check(out, sizeof(struct sys_dump_info), true);
    if (rc)
        return rc;
    const struct dump_stack *d = dump_stack_get();
    static const uint32_t states[] = {
        [DUMP_OFF] = SYS_DUMP_STATE_OFF, [DUMP_UNARMED] = SYS_DUMP_STATE_UNARMED,
        [DUMP_ARMED] = SYS_DUMP_STATE_ARMED, [DUMP_RECOVERING] = SYS_DUMP_STATE_RECOVERING,
    };
    struct sys_dump_info di = {
        .state = states[d->state],
        .flags = (d->holds_dump ? SYS_DUMP_HOLDS_DUMP : 0) | (d->dedicated ? SYS_DUMP_DEDICATED : 0) |
                 (d->settings.overwrite ? SYS_DUMP_OVERWRITE : 0),
        .configured_type = d->settings.crash_dump_enabled,
        .planned_type = d->planned_type,
        .sequence = d->sequence,
        .target_bytes = d->target_bytes,
    };
    memcpy(di.target, d->target, sizeof di.target);
    memcpy(di.reason, d->reason, sizeof di.reason);
    return uaccess_copy_out(out, &di, sizeof di);
}

int64_t sys_dump_control(uint64_t op)
{
    switch (op) {
    case SYS_DUMP_PROTECT: return dump_stack_protect();
    case SYS_DUMP_REARM: return dump_stack_rearm();
    default: return ERR_INVALID_ARGS;
    }
}
