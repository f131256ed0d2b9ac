/* The bugcheck's dumper: whatever writes the crash dump registers itself here when it has
 * been prepared (the dump stack, at its boot step), so that the bugcheck and the kernel's
 * services reach it without naming it (FreeBSD's set_dumper). Without a dumper a crash shows
 * its blue screen and writes nothing. */
#ifndef BB_DUMPER_H
#define BB_DUMPER_H

#include "bugcheck/bugcheck.h"

struct disk;
struct sys_dump_info;

struct dumper {
    /* Bugcheck time: write the dump of the crash in *bd, reporting on the blue screen.
     * Returns 0 when a valid dump was written, else why not; never hangs. */
    int (*write)(const struct bugcheck_data *bd);
    /* Bugcheck time, before write(): how long the whole dump may take, in ms (the
     * dead-man's limit, bugcheck/deadman.h); 0 when write() will write nothing (not armed). */
    uint64_t (*time_limit_ms)(void);
    /* Bugcheck time, from the dead-man once write() ran past that limit and was cut off:
     * mark the partial dump's header abandoned (never valid) without touching anything else
     * written. 0, or why not (nothing written yet, the valid header was being written, the
     * disk failed); bounded by the disk's own timeouts. */
    int (*abandon)(void);
    /* Test only (`crash stall-dump`): the next write() spins forever with interrupts off once
     * it has written 30 % of the dump, as a hung disk or a looping bug would. */
    void (*stall)(void);
    /* Test only (`crash stall-helper`): at the next write(), the first parked CPU that helps
     * (bugcheck_park_work) spins forever with interrupts off in the middle of its first
     * chunk, as a CPU that hangs would. */
    void (*stall_helper)(void);
    /* What the dumper is prepared to do (SYS_DUMP_QUERY, `dumpcfg`'s summary): fills *out.
     * Process context. */
    void (*query)(struct sys_dump_info *out);
    /* The dump in the target is being recovered: write nothing into it until rearm.
     * 0 or ERR_BAD_STATE (no dump held). Process context. */
    int (*protect)(void);
    /* Prepare a fresh target and arm again. 0 or why it is not armed. Process context. */
    int (*rearm)(void);
    /* The recovery is done with the dump in the target dump partition: kept there (marked
     * recovered) when `kept`, else copied to a file or proven invalid (the partition freed); then re-armed.
     * 0, ERR_BAD_STATE (no dump partition holding a dump), or why not. Process context. */
    int (*release_partition)(bool kept);
    /* Damage one checksummed part on purpose so that the next bugcheck finds its checksum
     * broken and names it (`crash corrupt-dump-stack [PART]`): `part` is a name part_name()
     * gives, NULL for the clone. 0, ERR_INVALID_ARGS (no such part) or ERR_BAD_STATE
     * (nothing loaded). */
    int (*damage)(const char *part);
    /* The name of checksummed part i (0, 1, ...), NULL past the last. */
    const char *(*part_name)(unsigned i);
    /* The disk that holds the dump target, or NULL (`crash io`). */
    const struct disk *(*target_disk)(void);
};

/* Bugcheck time, from the dumper once its code is verified: every parked CPU (stopped by
 * the bugcheck's NMI, or crashed too), spinning until then, calls work(its index) once and
 * then halts for good; NULL takes the work back from those that have not started it. A
 * parked CPU handed nothing halts when the bugcheck ends (bugcheck_finish). Lock-free; a
 * no-op with one CPU. */
void bugcheck_park_work(void (*work)(unsigned cpu));

/* Hand the bugcheck its dumper (replacing any earlier one). Boot time. */
void bugcheck_set_dumper(const struct dumper *d);
/* The registered dumper, or NULL when none has registered. */
const struct dumper *bugcheck_dumper(void);

#endif
