/* The dump stack's boot step (INITCALL, after the volumes and the registry): read the
 * settings, prepare the stack, and hand the bugcheck its dumper and the shell the dump
 * stack's commands. The dumper is how the kernel reaches the stack without naming it. */
#include <string.h>
#include "dump/stack/dump_stack.h"
#include "dump/stack/dump_writer.h"
#include "dump/stack/dump_shell.h"
#include "bugcheck/dumper.h"
#include "proc/syscall_table.h"
#include "shell/shell.h"
#include "initcall.h"

_Static_assert(sizeof(((struct sys_dump_info *)0)->target) == sizeof(((struct dump_stack *)0)->target) &&
               sizeof(((struct sys_dump_info *)0)->reason) == sizeof(((struct dump_stack *)0)->reason),
               "sys_dump_info strings are the dump stack's");

static void query(struct sys_dump_info *out)
{
    const struct dump_stack *d = dump_stack_get();
    static const uint32_t states[] = {
        [DUMP_OFF] = SYS_DUMP_STATE_OFF, [DUMP_UNARMED] = SYS_DUMP_STATE_UNARMED,
        [DUMP_ARMED] = SYS_DUMP_STATE_ARMED, [DUMP_RECOVERING] = SYS_DUMP_STATE_RECOVERING,
    };
    *out = (struct sys_dump_info){
        .state = states[d->state],
        .flags = (d->holds_dump ? SYS_DUMP_HOLDS_DUMP : 0) | (d->dedicated ? SYS_DUMP_DEDICATED : 0) |
                 (d->settings.overwrite ? SYS_DUMP_OVERWRITE : 0) |
                 (d->partition ? SYS_DUMP_PARTITION : 0),
        .configured_type = d->settings.crash_dump_enabled,
        .planned_type = d->planned_type,
        .sequence = d->sequence,
        .target_bytes = d->target_bytes,
    };
    memcpy(out->target, d->target, sizeof out->target);
    memcpy(out->reason, d->reason, sizeof out->reason);
}

static const struct disk *target_disk(void)
{
    return dump_stack_get()->disk;
}

static uint64_t time_limit_ms(void)
{
    const struct dump_stack *st = dump_stack_get();
    return st->state == DUMP_ARMED ? st->time_limit_ms : 0;
}

static const struct dumper dumper = {
    .write = dump_write,
    .time_limit_ms = time_limit_ms,
    .abandon = dump_abandon,
    .stall = dump_writer_stall,
    .stall_helper = dump_writer_stall_helper,
    .query = query,
    .protect = dump_stack_protect,
    .rearm = dump_stack_rearm,
    .release_partition = dump_stack_release_partition,
    .damage = dump_stack_damage,
    .part_name = dump_part_name,
    .target_disk = target_disk,
};

static const struct shell_cmd commands[] = {
    { "dumpcfg", "", "crash-dump configuration: target, sector runs, driver, checksums", dump_shell_dumpcfg },
    { "lsmod", "", "loaded images: the kernel and the clone", dump_shell_lsmod },
};

/* Registers the dumper armed or not (an unarmed stack says why on the blue screen, and
 * dump_stack_init has logged it): returns 0. */
static int dump_stack_boot(void)
{
    struct dump_settings ds;
    dump_settings_load(&ds);
    dump_stack_init(&ds);
    bugcheck_set_dumper(&dumper);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        shell_register(&commands[i]);
    return 0;
}

INITCALL(INIT_DUMP, 10, dump_stack_boot);
