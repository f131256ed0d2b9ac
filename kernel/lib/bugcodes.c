/* Table of bugcheck codes: names as Microsoft documents them, descriptions in our words, and
 * the meaning of each parameter as Blackbox fills it in (Windows' meaning where it has one). */
#include <stddef.h>
#include "lib/bugcodes.h"

struct bugcode {
    uint32_t code;
    const char *name;
    const char *description;
};

static const struct bugcode bugcodes[] = {
    { 0x0A, "IRQL_NOT_LESS_OR_EQUAL", "Kernel code touched pageable or invalid memory at too high an interrupt level." },
    { BUGCODE_BAD_POOL_HEADER, "BAD_POOL_HEADER", "A kernel heap block header was found damaged." },
    { BUGCODE_MEMORY_MANAGEMENT, "MEMORY_MANAGEMENT", "The memory manager found an inconsistency." },
    { BUGCODE_KMODE_EXCEPTION_NOT_HANDLED, "KMODE_EXCEPTION_NOT_HANDLED", "A kernel-mode exception (parameter 1) was not handled." },
    { BUGCODE_PHASE1_INITIALIZATION_FAILED, "PHASE1_INITIALIZATION_FAILED", "Kernel initialisation failed." },
    { 0x3B, "SYSTEM_SERVICE_EXCEPTION", "An exception happened while executing a system service." },
    { BUGCODE_PFN_LIST_CORRUPT, "PFN_LIST_CORRUPT", "The page frame database is corrupt." },
    { BUGCODE_PAGE_FAULT_IN_NONPAGED_AREA, "PAGE_FAULT_IN_NONPAGED_AREA", "Kernel code referenced memory that is not mapped (parameter 1 is the address)." },
    { BUGCODE_HAL_INITIALIZATION_FAILED, "HAL_INITIALIZATION_FAILED", "Platform initialisation failed." },
    { 0x77, "KERNEL_STACK_INPAGE_ERROR", "A kernel stack page could not be read back." },
    { 0x7A, "KERNEL_DATA_INPAGE_ERROR", "A kernel data page could not be read back." },
    { BUGCODE_INACCESSIBLE_BOOT_DEVICE, "INACCESSIBLE_BOOT_DEVICE", "The system disk could not be reached during boot." },
    { BUGCODE_SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", "A system thread raised an exception that was not handled." },
    { BUGCODE_UNEXPECTED_KERNEL_MODE_TRAP, "UNEXPECTED_KERNEL_MODE_TRAP", "The CPU raised a trap the kernel cannot continue from (parameter 1 is the vector: 0 divide error, 8 double fault)." },
    { BUGCODE_NMI_HARDWARE_FAILURE, "NMI_HARDWARE_FAILURE", "A non-maskable interrupt arrived: a hardware fault or an operator-requested NMI." },
    { BUGCODE_MACHINE_CHECK_EXCEPTION, "MACHINE_CHECK_EXCEPTION", "The CPU reported an uncorrectable machine check." },
    { 0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL", "A driver touched pageable or invalid memory at too high an interrupt level." },
    { BUGCODE_MANUALLY_INITIATED_CRASH, "MANUALLY_INITIATED_CRASH", "The crash was requested on purpose by the operator." },
    { BUGCODE_CRITICAL_PROCESS_DIED, "CRITICAL_PROCESS_DIED", "A process the system cannot run without has exited." },
    { 0x101, "CLOCK_WATCHDOG_TIMEOUT", "A processor stopped answering clock interrupts." },
    { 0x133, "DPC_WATCHDOG_VIOLATION", "Kernel code ran too long at raised interrupt level." },
    { BUGCODE_KERNEL_SECURITY_CHECK_FAILURE, "KERNEL_SECURITY_CHECK_FAILURE", "The kernel found one of its data structures corrupted." },
};

struct bugcode_params {
    uint32_t code;
    const char *param[4];
};

static const struct bugcode_params params[] = {
    { BUGCODE_KMODE_EXCEPTION_NOT_HANDLED,
      { "Exception code (NTSTATUS; 0xC0000420 = assertion failure).",
        "Address of the instruction (or of the failed check).",
        "Assertion: address of the expression text.",
        "Assertion: source line." } },
    { BUGCODE_PAGE_FAULT_IN_NONPAGED_AREA,
      { "Memory referenced.",
        "Access: 0 read, 2 write, 10 instruction fetch.",
        "Address of the instruction that referenced the memory.",
        "CPU page-fault error code." } },
    { BUGCODE_UNEXPECTED_KERNEL_MODE_TRAP,
      { "CPU exception vector (0 divide error, 8 double fault, 13 general protection).",
        "CPU error code of the exception (0 when it has none).",
        NULL, NULL } },
    { BUGCODE_MANUALLY_INITIATED_CRASH,
      { "Interrupt vector when requested from an interrupt handler (0x30: timer), else 0.",
        "Timer tick when requested from an interrupt handler, else 0.",
        NULL, NULL } },
    { BUGCODE_CRITICAL_PROCESS_DIED,
      { "Process that exited.", "Exit status.", NULL, NULL } },
    { BUGCODE_KERNEL_SECURITY_CHECK_FAILURE,
      { "Kind of corruption found.", "Address of the trap frame, or 0.",
        "Address of the corrupted structure, or 0.", NULL } },
    { BUGCODE_MEMORY_MANAGEMENT,
      { "Kind of inconsistency.", "Address or page involved.", NULL, NULL } },
    { BUGCODE_PFN_LIST_CORRUPT,
      { "Kind of corruption (0x99: a page freed twice or out of range).",
        "Page frame number involved.", "Its entry in the page frame database.", NULL } },
    { BUGCODE_BAD_POOL_HEADER,
      { "Kind of damage (0x20: on allocation, 0x21: on free).",
        "Address of the damaged block.", "Header magic found.", "Size class." } },
};

const char *bugcode_param_description(uint32_t code, unsigned index)
{
    if (index > 3)
        return NULL;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (params[i].code == code)
            return params[i].param[index];
    return NULL;
}

static const struct bugcode *find(uint32_t code)
{
    for (size_t i = 0; i < sizeof bugcodes / sizeof bugcodes[0]; i++)
        if (bugcodes[i].code == code)
            return &bugcodes[i];
    return NULL;
}

const char *bugcode_name(uint32_t code)
{
    const struct bugcode *b = find(code);
    return b ? b->name : NULL;
}

const char *bugcode_description(uint32_t code)
{
    const struct bugcode *b = find(code);
    return b ? b->description : NULL;
}
