/* Unit tests of reg.exe's syntax over a registry tree (lib/reg/reg_cmd.c): query output as
 * reg.exe prints it, add with every type and both number forms, delete of values and keys,
 * and the one-line errors for bad syntax, bad data and missing keys. */
#include "tests/unit/ut.h"
#include "tests/unit/reg_util.h"
#include "lib/reg/reg_cmd.h"

static char outbuf[1 << 16];
static size_t outlen;

static void sink(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (outlen + n < sizeof outbuf) {
        memcpy(outbuf + outlen, s, n);
        outlen += n;
        outbuf[outlen] = 0;
    }
}

/* Run one command line (split on spaces; '|' stands for a space inside an argument). */
static int run(struct reg_tree *t, const char *line, bool *changed)
{
    static char copy[1024];
    char *argv[32];
    int argc = 0;
    strcpy(copy, line);
    for (char *p = strtok(copy, " "); p && argc < 32; p = strtok(NULL, " ")) {
        for (char *q = p; *q; q++)
            if (*q == '|')
                *q = ' ';
        argv[argc++] = p;
    }
    outlen = 0;
    outbuf[0] = 0;
    bool dummy;
    return reg_cmd_run(t, argc, argv, sink, NULL, changed ? changed : &dummy);
}

/* The output so far must be exactly s (printed when it is not). */
#define EXPECT(s) UT_ASSERT(strcmp(outbuf, s) == 0 || (printf("  got: '%s'\n", outbuf), 0))

#define CC "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"
#define OK "The operation completed successfully.\n"
#define NF "ERROR: The system was unable to find the specified registry key or value.\n"

static void query_output(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    UT_EQ_INT(reg_defaults_apply(&t), 0);
    UT_EQ_INT(reg_key_create(&t, CC "\\Sub", false, NULL), 0);
    bool changed = true;
    UT_EQ_INT(run(&t, "query hklm\\system\\currentcontrolset\\control\\crashcontrol", &changed), 0);
    UT_ASSERT(!changed);
    EXPECT(
              "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl\n"
              "    CrashDumpEnabled    REG_DWORD    0x7\n"
              "    AutoReboot    REG_DWORD    0x1\n"
              "    LogEvent    REG_DWORD    0x1\n"
              "    Overwrite    REG_DWORD    0x1\n"
              "    MinidumpsCount    REG_DWORD    0x32\n"
              "    DumpFile    REG_EXPAND_SZ    %SystemRoot%\\MEMORY.DMP\n"
              "    MinidumpDir    REG_EXPAND_SZ    %SystemRoot%\\Minidump\n"
              "    AlwaysKeepMemoryDump    REG_DWORD    0x0\n"
              "\n"
              "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl\\Sub\n");
    UT_EQ_INT(run(&t, "QUERY HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl "
                      "/v minidumpscount", NULL), 0);
    EXPECT("\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl\n"
                      "    MinidumpsCount    REG_DWORD    0x32\n\n");
    UT_EQ_INT(run(&t, "query HKLM\\SYSTEM /s /v PagingFiles", NULL), 0);
    EXPECT("\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\"
                      "Memory Management\n    PagingFiles    REG_MULTI_SZ    C:\\pagefile.sys 0 0\n"
                      "\nEnd of search: 1 match(es) found.\n");
    UT_EQ_INT(run(&t, "query HKLM\\SYSTEM\\CurrentControlSet\\Services /s", NULL), 0);
    EXPECT("\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\n"
                      "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\n"
                      "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\n"
                      "    Domain    REG_SZ    \n");
    UT_EQ_INT(run(&t, "query " CC " /v Nope", NULL), ERR_NOT_FOUND);
    EXPECT(NF);
    UT_EQ_INT(run(&t, "query HKLM\\Nope", NULL), ERR_NOT_FOUND);
    EXPECT(NF);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void add_every_type(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    bool changed = false;
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v D /t REG_DWORD /d 4294967295 /f", &changed), 0);
    UT_ASSERT(changed);
    EXPECT(OK);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v H /t reg_dword /d 0x1F", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v Q /t REG_QWORD /d 0xFFFFFFFFFFFFFFFF", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v S /d with|space", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v E /t REG_EXPAND_SZ /d %SystemRoot%\\x", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v M /t REG_MULTI_SZ /d a\\0bc\\0\\0d", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v N /t REG_MULTI_SZ /s # /d x#y", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v B /t REG_BINARY /d 00ff10", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /ve /d dflt", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v Z /t REG_DWORD", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T\\Empty", NULL), 0);
    UT_EQ_INT(run(&t, "query HKLM\\SOFTWARE\\T", NULL), 0);
    EXPECT("\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\n"
                      "    D    REG_DWORD    0xffffffff\n"
                      "    H    REG_DWORD    0x1f\n"
                      "    Q    REG_QWORD    0xffffffffffffffff\n"
                      "    S    REG_SZ    with space\n"
                      "    E    REG_EXPAND_SZ    %SystemRoot%\\x\n"
                      "    M    REG_MULTI_SZ    a\\0bc\\0d\n"
                      "    N    REG_MULTI_SZ    x\\0y\n"
                      "    B    REG_BINARY    00FF10\n"
                      "    (Default)    REG_SZ    dflt\n"
                      "    Z    REG_DWORD    0x0\n"
                      "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\\Empty\n");
    /* replacing keeps the place */
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v d /t REG_SZ /d now|text /f", NULL), 0);
    UT_EQ_INT(run(&t, "query HKLM\\SOFTWARE\\T /v D", NULL), 0);
    UT_ASSERT(strstr(outbuf, "    d    REG_SZ    now text\n"));
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void delete_values_and_keys(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T\\Sub /v a /d 1", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v a /d 1", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /v b /d 2", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\SOFTWARE\\T /ve /d 3", NULL), 0);
    bool changed = false;
    UT_EQ_INT(run(&t, "delete HKLM\\SOFTWARE\\T /v A /f", &changed), 0);
    UT_ASSERT(changed);
    EXPECT(OK);
    UT_EQ_INT(run(&t, "delete HKLM\\SOFTWARE\\T /v A /f", &changed), ERR_NOT_FOUND);
    UT_ASSERT(!changed);
    EXPECT(NF);
    UT_EQ_INT(run(&t, "delete HKLM\\SOFTWARE\\T /ve", NULL), 0);
    UT_EQ_INT(run(&t, "query HKLM\\SOFTWARE\\T /ve", NULL), ERR_NOT_FOUND);
    UT_EQ_INT(run(&t, "delete HKLM\\SOFTWARE\\T /va /f", NULL), 0);
    UT_EQ_INT(run(&t, "query HKLM\\SOFTWARE\\T", NULL), 0);
    EXPECT("\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\n\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\\Sub\n");
    UT_EQ_INT(run(&t, "delete HKLM\\SOFTWARE\\T /f", NULL), 0);
    UT_EQ_INT(run(&t, "query HKLM\\SOFTWARE\\T\\Sub", NULL), ERR_NOT_FOUND);
    UT_EQ_INT(run(&t, "delete HKLM /f", NULL), ERR_ACCESS);
    EXPECT("ERROR: Access is denied.\n");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void syntax_errors(void)
{
    static const struct {
        const char *line;
        const char *want;
    } bad[] = {
        { "", "ERROR: Invalid syntax." },
        { "list HKLM", "ERROR: Invalid syntax." },
        { "query", "ERROR: Invalid syntax. Usage: reg query KEY [/v NAME | /ve] [/s]" },
        { "query HKLM /v", "ERROR: Invalid syntax." },
        { "query HKLM /v a /ve", "ERROR: Invalid syntax." },
        { "query HKLM /f", "ERROR: Invalid syntax." },
        { "query HKLM /t REG_SZ", "ERROR: Invalid syntax." },
        { "add HKLM\\X /v a /d 1 /d 2", "ERROR: Invalid syntax." },
        { "add HKLM\\X /va", "ERROR: Invalid syntax." },
        { "delete HKLM\\X /v a /va", "ERROR: Invalid syntax." },
        { "delete HKLM\\X /d 1", "ERROR: Invalid syntax." },
        { "add HKLM\\X /v a /t REG_NONE", "ERROR: Invalid type" },
        { "add HKLM\\X /v a /t REG_DWORD /d 4294967296", "ERROR: Invalid number" },
        { "add HKLM\\X /v a /t REG_DWORD /d 12abc", "ERROR: Invalid number" },
        { "add HKLM\\X /v a /t REG_DWORD /d 0x", "ERROR: Invalid number" },
        { "add HKLM\\X /v a /t REG_QWORD /d 18446744073709551616", "ERROR: Invalid number" },
        { "add HKLM\\X /v a /t REG_BINARY /d 0g", "ERROR: Invalid REG_BINARY" },
        { "add HKLM\\X /v a /t REG_BINARY /d 012", "ERROR: Invalid REG_BINARY" },
        { "add HKCU\\X /v a", "ERROR: Invalid key name." },
        { "add Software\\X /v a", "ERROR: Invalid key name." },
        { "add HKLM\\X\\\\Y /v a", "ERROR: Invalid key name." },
        { "query HKU", "ERROR: Invalid key name." },
    };
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool changed = true;
        int rc = run(&t, bad[i].line, &changed);
        if (rc >= 0 || changed || strncmp(outbuf, bad[i].want, strlen(bad[i].want)) != 0 ||
            strchr(outbuf, '\n') != outbuf + outlen - 1) {
            printf("  '%s': rc %d, output '%s'\n", bad[i].line, rc, outbuf);
            UT_ASSERT(0);
        }
    }
    struct reg_key *k;
    UT_EQ_INT(reg_key_open(&t, "HKLM\\X", &k), ERR_NOT_FOUND);   /* nothing half-done */
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void volatile_keys_refuse_persistent_children(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    UT_EQ_INT(reg_key_create(&t, "HKLM\\V", true, NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\V /v x /d y", NULL), 0);
    UT_EQ_INT(run(&t, "add HKLM\\V\\Child /v x /d y", NULL), ERR_ACCESS);
    EXPECT("ERROR: Access is denied.\n");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static const struct ut_case cases[] = {
    { "query_output", query_output },
    { "add_every_type", add_every_type },
    { "delete_values_and_keys", delete_values_and_keys },
    { "syntax_errors", syntax_errors },
    { "volatile_keys_refuse_persistent_children", volatile_keys_refuse_persistent_children },
};

UT_MAIN(cases)
