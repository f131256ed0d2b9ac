/* The user programs the kernel starts at every boot, before the shell (Windows' smss and
 * wininit): smss recovers a dump left by the last crash; werfault -k -c finishes the job (it
 * reads the volatile key MachineCrash smss leaves, and exits 0 without it); wersend delivers
 * queued crash reports. */
#ifndef BB_PROC_BOOT_PROGRAMS_H
#define BB_PROC_BOOT_PROGRAMS_H

/* Run them in order, each to completion or its time limit. A program that fails is logged;
 * the boot carries on. Afterwards the dump stack is never left protected: if smss did not
 * re-arm it, the kernel does. Process context, once, after dump_stack_init. */
void proc_run_boot_programs(void);

#endif
