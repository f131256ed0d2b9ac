/* Unit tests of the GPT core's GUID helpers: text form, parsing, comparison. */
#include "err.h"
#include "lib/gpt.h"
#include "tests/unit/ut.h"

static void test_guid_text(void)
{
    struct gpt_guid g;
    char buf[GPT_GUID_STR_LEN + 1];

    UT_EQ_STR(gpt_guid_format(&gpt_type_ms_basic_data, buf),
              "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    UT_EQ_INT(gpt_guid_parse("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", &g), 0);
    UT_ASSERT(gpt_guid_equal(&g, &gpt_type_ms_basic_data));
    static const uint8_t bytes[16] = { 0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
                                       0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7 };
    UT_ASSERT(memcmp(g.b, bytes, 16) == 0);
    UT_EQ_STR(gpt_guid_format(&gpt_type_bb_dump, buf), GPT_TYPE_BB_DUMP_TEXT);
    UT_ASSERT(!gpt_guid_equal(&gpt_type_bb_dump, &gpt_type_ms_basic_data));
    UT_EQ_INT(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g), 0);
    UT_EQ_STR(gpt_guid_format(&g, buf), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    UT_ASSERT(!gpt_guid_is_zero(&g));
    UT_EQ_INT(gpt_guid_parse("00000000-0000-0000-0000-000000000000", &g), 0);
    UT_ASSERT(gpt_guid_is_zero(&g));
    const char *bad[] = {
        "", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7X",
        "EBD0A0A2B-9E5-4433-87C0-68B6B72699C7", "EBD0A0A2-B9E5-4433-87C0-68B6B72699G7",
        "{BD0A0A2-B9E5-4433-87C0-68B6B72699C7", NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        UT_EQ_INT(gpt_guid_parse(bad[i], &g), ERR_INVALID_ARGS);
}

static const struct ut_case cases[] = {
    { "guid_text", test_guid_text },
};

UT_MAIN(cases)
