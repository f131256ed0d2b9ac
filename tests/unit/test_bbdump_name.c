/* Tests of bbdump extract's output names (tools/dumptool/bbdump_name.c): names from a
 * hostile image (path separators, "..", control characters, Windows device names, names too
 * long) become one safe file name and say they were changed; good names pass unchanged;
 * the table's escaped form shows other bytes as \xHH and is cut to fit. */
#include "tools/dumptool/bbdump_name.c"
#include "ut.h"

static bool same(const char *in, const char *want)
{
    char out[OUT_NAME_MAX + 1];
    bool changed = out_name_sanitise(in, out);
    if (strcmp(out, want) != 0 || changed != (strcmp(in, want) != 0)) {
        printf("  \"%s\" -> \"%s\" (changed %d), want \"%s\"\n", in, out, changed, want);
        return false;
    }
    return true;
}

static void good_names_unchanged(void)
{
    UT_ASSERT(same("MEMORY.DMP", "MEMORY.DMP"));
    UT_ASSERT(same("112226-00001-01.dmp", "112226-00001-01.dmp"));
    UT_ASSERT(same("pagefile-dump.dmp", "pagefile-dump.dmp"));
    UT_ASSERT(same("a name with spaces.dmp", "a name with spaces.dmp"));
    UT_ASSERT(same("CONSOLE.dmp", "CONSOLE.dmp"));
    UT_ASSERT(same("COM10.dmp", "COM10.dmp"));
    UT_ASSERT(same("x", "x"));
}

static void separators_and_dots(void)
{
    UT_ASSERT(same("../../../../tmp/relrev_mini.dmp", "_._._._tmp_relrev_mini.dmp"));
    UT_ASSERT(same("..\\..\\evil.dmp", "_._evil.dmp"));
    UT_ASSERT(same("/etc/passwd", "_etc_passwd"));
    UT_ASSERT(same("..", "_"));
    UT_ASSERT(same(".", "_"));
    UT_ASSERT(same("", "_"));
    UT_ASSERT(same("...", "_"));
    UT_ASSERT(same(" ", "_"));
    UT_ASSERT(same(".hidden.dmp", "hidden.dmp"));
    UT_ASSERT(same("a..b...dmp", "a.b.dmp"));
    UT_ASSERT(same("trailing. . ", "trailing"));
    UT_ASSERT(same("C:evil.dmp", "C_evil.dmp"));
    UT_ASSERT(same("a*b?c\"d<e>f|g.dmp", "a_b_c_d_e_f_g.dmp"));
}

static void control_and_high_bytes(void)
{
    UT_ASSERT(same("a\nb\tc\x1b[31m.dmp", "a_b_c_[31m.dmp"));
    UT_ASSERT(same("caf\xc3\xa9.dmp", "caf__.dmp"));
    UT_ASSERT(same("del\x7f.dmp", "del_.dmp"));
}

static void windows_devices(void)
{
    UT_ASSERT(same("CON", "_CON"));
    UT_ASSERT(same("nul.dmp", "_nul.dmp"));
    UT_ASSERT(same("Aux.tar.gz", "_Aux.tar.gz"));
    UT_ASSERT(same("PRN .txt", "_PRN .txt"));
    UT_ASSERT(same("com1.dmp", "_com1.dmp"));
    UT_ASSERT(same("LPT9", "_LPT9"));
    UT_ASSERT(same("COM0.dmp", "_COM0.dmp"));
    UT_ASSERT(same("conout$.dmp", "_conout$.dmp"));
    UT_ASSERT(same("../NUL.dmp", "_NUL.dmp"));        /* "._NUL.dmp", its dot dropped */
    UT_ASSERT(same(".NUL", "_NUL"));                  /* the leading dot dropped first */
}

static void long_names_cut_keeping_extension(void)
{
    char in[400], out[OUT_NAME_MAX + 1];
    memset(in, 'a', 300);
    strcpy(in + 300, ".dmp");
    UT_ASSERT(out_name_sanitise(in, out));
    UT_EQ_INT(strlen(out), OUT_NAME_MAX - 1);
    UT_EQ_STR(out + OUT_NAME_MAX - 5, ".dmp");
    memset(in, 'b', 399);   /* no extension at all */
    in[399] = 0;
    UT_ASSERT(out_name_sanitise(in, out));
    UT_EQ_INT(strlen(out), OUT_NAME_MAX - 1);
    memset(in, 'c', 200);   /* an "extension" too long to keep */
    in[200] = '.';
    memset(in + 201, 'd', 40);
    in[241] = 0;
    UT_ASSERT(out_name_sanitise(in, out));
    UT_EQ_INT(strlen(out), OUT_NAME_MAX - 1);
    UT_EQ_INT(out[OUT_NAME_MAX - 2], 'c');
    memset(in, '.', 300);   /* nothing but dots, then a device */
    strcpy(in + 300, "con");
    UT_ASSERT(out_name_sanitise(in, out));
    UT_EQ_STR(out, "_con");
}

static void escape_for_the_table(void)
{
    char out[32];
    out_name_escape("C:\\MEMORY.DMP", out, sizeof out);
    UT_EQ_STR(out, "C:\\MEMORY.DMP");
    out_name_escape("a\x1b[2Jb\n", out, sizeof out);
    UT_EQ_STR(out, "a\\x1b[2Jb\\x0a");
    out_name_escape("0123456789012345678901234567890123456789", out, sizeof out);
    UT_EQ_STR(out, "0123456789012345678901234567...");
    out_name_escape("0123456789012345678901234567890", out, sizeof out);
    UT_EQ_STR(out, "0123456789012345678901234567890");
    out_name_escape("012345678901234567890123456\x01", out, sizeof out);
    UT_EQ_STR(out, "012345678901234567890123456\\x01");
    out_name_escape("0123456789012345678901234567\x01", out, sizeof out);
    UT_EQ_STR(out, "0123456789012345678901234567...");
    out_name_escape("\x01\x02", out, 4);
    UT_EQ_STR(out, "...");
    out_name_escape("", out, 4);
    UT_EQ_STR(out, "");
}

static const struct ut_case cases[] = {
    { "good_names_unchanged", good_names_unchanged },
    { "separators_and_dots", separators_and_dots },
    { "control_and_high_bytes", control_and_high_bytes },
    { "windows_devices", windows_devices },
    { "long_names_cut_keeping_extension", long_names_cut_keeping_extension },
    { "escape_for_the_table", escape_for_the_table },
};

int main(int argc, char **argv)
{
    return ut_main(cases, sizeof cases / sizeof cases[0], argc, argv);
}
