/* Unit tests of the bugcheck code table: the codes Blackbox raises have Windows' names and a
 * description; unknown codes say so. */
#include "ut.h"
#include "lib/bugcodes.h"

static void known_codes_have_windows_names(void)
{
    UT_EQ_STR(bugcode_name(0xE2), "MANUALLY_INITIATED_CRASH");
    UT_EQ_STR(bugcode_name(0x50), "PAGE_FAULT_IN_NONPAGED_AREA");
    UT_EQ_STR(bugcode_name(0x7F), "UNEXPECTED_KERNEL_MODE_TRAP");
    UT_EQ_STR(bugcode_name(0x80), "NMI_HARDWARE_FAILURE");
    UT_EQ_STR(bugcode_name(0x1E), "KMODE_EXCEPTION_NOT_HANDLED");
    UT_EQ_STR(bugcode_name(0x19), "BAD_POOL_HEADER");
    UT_EQ_STR(bugcode_name(0x4E), "PFN_LIST_CORRUPT");
}

static void every_raised_code_is_described(void)
{
    const uint32_t raised[] = {
        BUGCODE_BAD_POOL_HEADER, BUGCODE_KMODE_EXCEPTION_NOT_HANDLED, BUGCODE_PFN_LIST_CORRUPT,
        BUGCODE_PAGE_FAULT_IN_NONPAGED_AREA, BUGCODE_PHASE1_INITIALIZATION_FAILED,
        BUGCODE_UNEXPECTED_KERNEL_MODE_TRAP, BUGCODE_NMI_HARDWARE_FAILURE,
        BUGCODE_MACHINE_CHECK_EXCEPTION, BUGCODE_MANUALLY_INITIATED_CRASH,
    };
    for (size_t i = 0; i < sizeof raised / sizeof raised[0]; i++) {
        UT_ASSERT(bugcode_name(raised[i]) != NULL);
        UT_ASSERT(bugcode_description(raised[i]) != NULL);
        UT_ASSERT(strlen(bugcode_description(raised[i])) > 10);
    }
}

static void unknown_code_is_null(void)
{
    UT_ASSERT(bugcode_name(0x12345678) == NULL);
    UT_ASSERT(bugcode_description(0) == NULL);
}

static void parameters_have_meanings(void)
{
    UT_EQ_STR(bugcode_param_description(0x50, 0), "Memory referenced.");
    UT_ASSERT(bugcode_param_description(0x50, 3) != NULL);
    UT_ASSERT(bugcode_param_description(0x7F, 0) != NULL);
    UT_ASSERT(bugcode_param_description(0x1E, 2) != NULL);
    UT_ASSERT(bugcode_param_description(0xE2, 0) != NULL);
    UT_ASSERT(bugcode_param_description(0x7F, 2) == NULL);
    UT_ASSERT(bugcode_param_description(0x50, 4) == NULL);
    UT_ASSERT(bugcode_param_description(0x12345, 0) == NULL);
}

static const struct ut_case cases[] = {
    { "parameters_have_meanings", parameters_have_meanings },
    { "known_codes_have_windows_names", known_codes_have_windows_names },
    { "every_raised_code_is_described", every_raised_code_is_described },
    { "unknown_code_is_null", unknown_code_is_null },
};
UT_MAIN(cases)
