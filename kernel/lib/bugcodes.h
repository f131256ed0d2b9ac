/* Windows bugcheck (STOP) codes used by Blackbox, with their official names and a one-line
 * description, and what each of the four parameters means. Portable core: the kernel's blue screen and the host dump analyzer share it. */
#ifndef BB_LIB_BUGCODES_H
#define BB_LIB_BUGCODES_H

#include <stdint.h>

#define BUGCODE_BAD_POOL_HEADER               0x19
#define BUGCODE_MEMORY_MANAGEMENT             0x1A
#define BUGCODE_KMODE_EXCEPTION_NOT_HANDLED   0x1E
#define BUGCODE_PFN_LIST_CORRUPT              0x4E
#define BUGCODE_PAGE_FAULT_IN_NONPAGED_AREA   0x50
#define BUGCODE_HAL_INITIALIZATION_FAILED     0x5C
#define BUGCODE_PHASE1_INITIALIZATION_FAILED  0x32
#define BUGCODE_INACCESSIBLE_BOOT_DEVICE      0x7B
#define BUGCODE_SYSTEM_THREAD_EXCEPTION_NOT_HANDLED 0x7E
#define BUGCODE_UNEXPECTED_KERNEL_MODE_TRAP   0x7F
#define BUGCODE_NMI_HARDWARE_FAILURE          0x80
#define BUGCODE_MACHINE_CHECK_EXCEPTION       0x9C
#define BUGCODE_MANUALLY_INITIATED_CRASH      0xE2
#define BUGCODE_CRITICAL_PROCESS_DIED         0xEF
#define BUGCODE_KERNEL_SECURITY_CHECK_FAILURE 0x139

/* NTSTATUS values that appear as bugcheck parameters. */
#define STATUS_BREAKPOINT          0x80000003u
#define STATUS_ILLEGAL_INSTRUCTION 0xC000001Du
#define STATUS_ASSERTION_FAILURE   0xC0000420u

/* Name of a code ("MANUALLY_INITIATED_CRASH"), or NULL if Blackbox does not know it. */
const char *bugcode_name(uint32_t code);
/* One-line description of a code, or NULL. */
const char *bugcode_description(uint32_t code);
/* What parameter `index` (0..3) of a code means ("Memory referenced."), or NULL when the
 * code is unknown or the parameter is unused. */
const char *bugcode_param_description(uint32_t code, unsigned index);

#endif
