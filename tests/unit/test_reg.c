/* Unit tests of the registry core's tree, REGEDIT4 parser and serializer: good hives with
 * every type, regedit's own encodings, corrupt hives refused with the right line, the
 * integrity line, serialize/parse round trips, volatile keys, limits, and a fuzz run over
 * mutated and random input (under ASan and UBSan, like every unit test). */
#include "tests/unit/ut.h"
#include "tests/unit/reg_util.h"

static const char good[] =
    "\xEF\xBB\xBFREGEDIT4\r\n"
    "\r\n"
    "; a comment\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl]\n"
    "\"CrashDumpEnabled\"=dword:00000002\n"
    "\"DumpFile\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,\\\n"
    "  00,25,00,5c,00,4d,00,45,00,4d,00,4f,00,52,00,59,00,2e,00,44,00,4d,00,50,00,00,00\n"
    "\"Quote \\\"and\\\" back\\\\slash\"=\"C:\\\\dir \\\"x\\\"\"\n"
    "@=\"default\"\n"
    "[HKLM\\Software\\Multi]\n"
    "\"List\"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00\n"
    "\"Big\"=hex(b):08,07,06,05,04,03,02,01\n"
    "\"Bin\"=hex:de,ad,BE,ef\n"
    "\"Empty\"=hex:\n"
    "\"D4\"=hex(4):01,00,00,00\n"
    "\"Short\"=dword:1f\n";

static void parse_good_hive(void)
{
    struct reg_tree t;
    struct reg_error e = { 0, NULL };
    UT_EQ_INT(ru_parse(&t, good, &e), 0);
    const char *cc = REG_CRASHCONTROL;
    struct reg_value *v = ru_value(&t, cc, "crashdumpenabled");
    UT_ASSERT(v && v->type == REG_DWORD);
    UT_EQ_INT(ru_dword(v), 2);
    v = ru_value(&t, "hklm\\system\\currentcontrolset\\control\\crashcontrol", "DumpFile");
    UT_ASSERT(v && v->type == REG_EXPAND_SZ);
    UT_EQ_STR((const char *)v->data, "%SystemRoot%\\MEMORY.DMP");
    v = ru_value(&t, cc, "Quote \"and\" back\\slash");
    UT_ASSERT(v && v->type == REG_SZ);
    UT_EQ_STR((const char *)v->data, "C:\\dir \"x\"");
    v = ru_value(&t, cc, "");
    UT_ASSERT(v);
    UT_EQ_STR((const char *)v->data, "default");
    v = ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "List");
    UT_ASSERT(v && v->type == REG_MULTI_SZ && v->len == 6);
    UT_ASSERT(memcmp(v->data, "a\0bc\0\0", 6) == 0);
    v = ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "Big");
    UT_ASSERT(v && v->type == REG_QWORD && v->len == 8 && v->data[0] == 8 && v->data[7] == 1);
    v = ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "Bin");
    UT_ASSERT(v && v->type == REG_BINARY && v->len == 4 && v->data[2] == 0xBE);
    v = ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "Empty");
    UT_ASSERT(v && v->type == REG_BINARY && v->len == 0);
    UT_EQ_INT(ru_dword(ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "D4")), 1);
    UT_EQ_INT(ru_dword(ru_value(&t, "HKLM\\SOFTWARE\\MULTI", "Short")), 0x1f);
    /* names keep their case */
    struct reg_key *k;
    UT_EQ_INT(reg_key_open(&t, "HKEY_LOCAL_MACHINE\\software", &k), 0);
    UT_EQ_STR(k->name, "Software");
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void parse_deletions_and_merge(void)
{
    struct reg_tree t;
    UT_EQ_INT(ru_parse(&t, "REGEDIT4\n[HKLM\\A\\B]\n\"x\"=\"1\"\n\"y\"=\"2\"\n[HKLM\\C]\n", NULL), 0);
    const char *more = "REGEDIT4\n[-HKLM\\A]\n[-HKLM\\Nope]\n[HKLM\\C]\n\"z\"=dword:3\n\"z\"=-\n"
                       "\"w\"=\"kept\"\n";
    UT_EQ_INT(reg_parse(&t, more, strlen(more), NULL), 0);
    struct reg_key *k;
    UT_EQ_INT(reg_key_open(&t, "HKLM\\A", &k), ERR_NOT_FOUND);
    UT_ASSERT(ru_value(&t, "HKLM\\C", "z") == NULL);
    UT_ASSERT(ru_value(&t, "HKLM\\C", "w") != NULL);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

/* Each bad hive must fail with ERR_CORRUPT at the given line. */
static void parse_corrupt_hives(void)
{
    static const struct {
        const char *text;
        unsigned line;
    } bad[] = {
        { "", 1 },
        { "garbage\n", 1 },
        { "REGEDIT4\n\"v\"=\"outside a key\"\n", 2 },
        { "REGEDIT4\n[HKLM\\A\n", 2 },
        { "REGEDIT4\n[HKCU\\A]\n", 2 },
        { "REGEDIT4\n[HKLM\\A\\\\B]\n", 2 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=\"unterminated\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=\"bad \\n escape\"\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=\"x\" trailing\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=dword:123456789\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=dword:\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=dword:12g4\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex:1,2\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex:01;02\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(4):01,02\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(b):01\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(2):41,00,42\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(2):41,01\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(99):00\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex(2\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=str\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\"v\"=hex:01,\\\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n\n\n\"v\"=hex:01,\\\n  02,zz\n", 5 },
        { "REGEDIT4\n[HKLM\\A]\nfoo=bar\n", 3 },
        { "REGEDIT4\n[HKLM\\A]\n[-HKLM]\n", 3 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct reg_tree t;
        struct reg_error e = { 0, NULL };
        int rc = ru_parse(&t, bad[i].text, &e);
        reg_tree_clear(&t);
        if (rc != ERR_CORRUPT || e.line != bad[i].line || !e.msg) {
            printf("  case %zu: rc %d line %u (%s), want line %u\n", i, rc, e.line,
                   e.msg ? e.msg : "-", bad[i].line);
            UT_ASSERT(0);
        }
    }
    /* a NUL byte inside the text */
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    static const char nul[] = "REGEDIT4\n[HKLM\\A]\n\"v\"=\"a\0b\"\n";
    struct reg_error e;
    UT_EQ_INT(reg_parse(&t, nul, sizeof nul - 1, &e), ERR_CORRUPT);
    UT_EQ_INT(e.line, 3);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void parse_limits(void)
{
    struct reg_tree t;
    struct reg_error e = { 0, NULL };
    /* a value larger than REG_DATA_MAX */
    size_t n = REG_DATA_MAX + 2;
    char *big = malloc(64 + n * 3);
    char *p = big + sprintf(big, "REGEDIT4\n[HKLM\\A]\n\"v\"=hex:");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, i ? ",00" : "00");
    *p++ = '\n';
    *p = 0;
    reg_tree_init(&t, &ru_env);
    UT_EQ_INT(reg_parse(&t, big, strlen(big), &e), ERR_CORRUPT);
    UT_EQ_INT(e.line, 3);
    reg_tree_clear(&t);
    /* a string as long as allowed, then one longer */
    p = big + sprintf(big, "REGEDIT4\n[HKLM\\A]\n\"v\"=\"");
    memset(p, 'x', REG_DATA_MAX - 1);
    strcpy(p + REG_DATA_MAX - 1, "\"\n");
    UT_EQ_INT(ru_parse(&t, big, &e), 0);
    UT_EQ_INT(ru_value(&t, "HKLM\\A", "v")->len, REG_DATA_MAX);
    reg_tree_clear(&t);
    strcpy(p + REG_DATA_MAX - 1, "y\"\n");
    UT_EQ_INT(ru_parse(&t, big, &e), ERR_CORRUPT);
    reg_tree_clear(&t);
    /* too deep, too long a name */
    p = big + sprintf(big, "REGEDIT4\n[HKLM");
    for (unsigned i = 0; i < REG_DEPTH_MAX; i++)
        p += sprintf(p, "\\k");
    strcpy(p, "]\n");
    UT_EQ_INT(ru_parse(&t, big, &e), ERR_CORRUPT);
    reg_tree_clear(&t);
    p = big + sprintf(big, "REGEDIT4\n[HKLM\\");
    memset(p, 'n', REG_NAME_MAX + 1);
    strcpy(p + REG_NAME_MAX + 1, "]\n");
    UT_EQ_INT(ru_parse(&t, big, &e), ERR_CORRUPT);
    reg_tree_clear(&t);
    /* the whole text too large */
    UT_EQ_INT(reg_parse(&t, big, REG_HIVE_MAX + 1, &e), ERR_TOO_BIG);
    free(big);
    UT_EQ_INT(ru_live, 0);
}

static void serialize_round_trip(void)
{
    struct reg_tree t, u;
    UT_EQ_INT(ru_parse(&t, good, NULL), 0);
    UT_EQ_INT(reg_defaults_apply(&t), 0);
    struct reg_key *k;
    UT_EQ_INT(reg_key_create(&t, "HKLM\\Software\\Ctl", false, &k), 0);
    UT_EQ_INT(reg_value_set(&t, k, "ctl", REG_SZ, "tab\there\x01\xE9", 11), 0);
    UT_EQ_INT(reg_key_create(&t, "HKLM\\SOFTWARE\\Empty Key", false, NULL), 0);
    char *a, *b;
    size_t alen, blen;
    UT_EQ_INT(reg_serialize(&t, &a, &alen), 0);
    UT_EQ_INT(strlen(a), alen);
    UT_EQ_INT(reg_hive_verify(a, alen), 0);
    UT_ASSERT(strstr(a, "\"CrashDumpEnabled\"=dword:00000002\n"));
    UT_ASSERT(strstr(a, "\"DumpFile\"=hex(2):25,00,53,00,79,00"));
    UT_ASSERT(strstr(a, "\"Domain\"=\"\"\n"));
    UT_ASSERT(strstr(a, "[HKEY_LOCAL_MACHINE\\Software\\Empty Key]\n"));   /* first case kept */
    UT_ASSERT(strstr(a, "\"ctl\"=hex(1):74,00,61,00,62,00,09,00"));
    for (char *line = a; (line = strchr(line, '\n')); line++)   /* hex wrapped at 80 columns */
        if (line[1] == ' ' || strncmp(line + 1, "\"DumpFile\"", 10) == 0)
            UT_ASSERT(strcspn(line + 1, "\n") <= 80);
    reg_tree_init(&u, &ru_env);
    struct reg_error e = { 0, NULL };
    UT_EQ_INT(reg_parse(&u, a, alen, &e), 0);
    UT_EQ_INT(reg_serialize(&u, &b, &blen), 0);
    UT_EQ_INT(alen, blen);
    UT_ASSERT(memcmp(a, b, alen) == 0);
    struct reg_value *v = ru_value(&u, "HKLM\\Software\\Ctl", "CTL");
    UT_ASSERT(v && v->len == 11 && memcmp(v->data, "tab\there\x01\xE9", 11) == 0);
    ru_free(NULL, a);
    ru_free(NULL, b);
    reg_tree_clear(&t);
    reg_tree_clear(&u);
    UT_EQ_INT(ru_live, 0);
}

static void integrity_line(void)
{
    struct reg_tree t;
    UT_EQ_INT(ru_parse(&t, "REGEDIT4\n[HKLM\\A]\n\"v\"=\"value\"\n", NULL), 0);
    char *s;
    size_t n;
    UT_EQ_INT(reg_serialize(&t, &s, &n), 0);
    UT_EQ_INT(reg_hive_verify(s, n), 0);
    const char *crc = strstr(s, REG_CRC_PREFIX);
    UT_ASSERT(crc && crc[strlen(REG_CRC_PREFIX) + 8] == '\n');
    for (size_t cut = 0; cut < n; cut++)                    /* every torn length */
        UT_ASSERT(reg_hive_verify(s, cut) != 0);
    for (size_t i = 0; i < (size_t)(crc - s); i++) {        /* every flipped byte */
        s[i] ^= 0x20;
        UT_ASSERT(reg_hive_verify(s, n) != 0);
        s[i] ^= 0x20;
    }
    UT_EQ_INT(reg_hive_verify("REGEDIT4\n", 9), ERR_NOT_FOUND);
    ru_free(NULL, s);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void tree_and_volatile_keys(void)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    struct reg_key *k, *vk;
    UT_EQ_INT(reg_key_create(&t, "HKLM\\SYSTEM\\Persistent\\", false, &k), 0);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL, false, NULL), 0);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL "\\MachineCrash", true, &vk), 0);
    UT_ASSERT(vk->is_volatile && !vk->parent->is_volatile);
    UT_EQ_INT(reg_value_set(&t, vk, "DumpFile", REG_SZ, "C:\\MEMORY.DMP", 14), 0);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL "\\MachineCrash\\Sub", false, NULL), ERR_ACCESS);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL "\\MachineCrash", false, NULL), 0);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL, true, NULL), ERR_ACCESS);
    UT_EQ_INT(reg_key_create(&t, REG_CRASHCONTROL "\\MachineCrash\\V", true, &k), 0);
    UT_ASSERT(k->is_volatile);
    char *s;
    size_t n;
    UT_EQ_INT(reg_serialize(&t, &s, &n), 0);
    UT_ASSERT(strstr(s, "Persistent") && strstr(s, "CrashControl]") && !strstr(s, "MachineCrash"));
    ru_free(NULL, s);
    char path[REG_PATH_MAX];
    UT_EQ_INT(reg_key_path(k, path, sizeof path), 0);
    UT_ASSERT(strcmp(path, REG_CRASHCONTROL "\\MachineCrash\\V") == 0);
    UT_EQ_INT(reg_key_path(k, path, 10), ERR_TOO_BIG);
    UT_EQ_INT(reg_key_open(&t, "HKCU\\x", &k), ERR_NOT_SUPPORTED);
    UT_EQ_INT(reg_key_open(&t, "nothing", &k), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_key_open(&t, "", &k), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_key_open(&t, "HKLM\\SYSTEM\\\\b", &k), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_key_open(&t, "HKLM", &k), 0);
    UT_EQ_INT(reg_key_delete(&t, k), ERR_ACCESS);
    /* value data checks */
    UT_EQ_INT(reg_data_check(REG_SZ, "ab", 2), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_data_check(REG_SZ, "a\0b", 4), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_data_check(REG_MULTI_SZ, "a\0\0b\0\0", 6), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_data_check(REG_MULTI_SZ, "a\0", 2), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_data_check(REG_MULTI_SZ, "a\0\0", 3), 0);
    UT_EQ_INT(reg_data_check(REG_MULTI_SZ, "", 1), 0);
    UT_EQ_INT(reg_data_check(REG_DWORD, "abc", 3), ERR_INVALID_ARGS);
    UT_EQ_INT(reg_data_check(42, "", 1), ERR_INVALID_ARGS);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static void defaults(void)
{
    struct reg_tree t;
    UT_EQ_INT(ru_parse(&t, "REGEDIT4\n[" REG_CRASHCONTROL "]\n\"AutoReboot\"=dword:0\n", NULL), 0);
    UT_EQ_INT(reg_defaults_apply(&t), 0);
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "AutoReboot")), 0);   /* kept */
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "CrashDumpEnabled")), 7);
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "MinidumpsCount")), 50);
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "Overwrite")), 1);
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "LogEvent")), 1);
    UT_EQ_INT(ru_dword(ru_value(&t, REG_CRASHCONTROL, "AlwaysKeepMemoryDump")), 0);
    UT_ASSERT(ru_value(&t, REG_CRASHCONTROL, "DedicatedDumpFile") == NULL);
    struct reg_value *v = ru_value(&t, REG_CRASHCONTROL, "MinidumpDir");
    UT_ASSERT(v && v->type == REG_EXPAND_SZ);
    UT_EQ_STR((const char *)v->data, "%SystemRoot%\\Minidump");
    v = ru_value(&t, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management",
                 "PagingFiles");
    UT_ASSERT(v && v->type == REG_MULTI_SZ && v->len == 21);
    v = ru_value(&t, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions", "ProductType");
    UT_EQ_STR((const char *)v->data, "WinNT");
    v = ru_value(&t, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters", "Domain");
    UT_ASSERT(v && v->type == REG_SZ && v->len == 1);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Mutations of a good hive and random bytes: the parser returns 0 or ERR_CORRUPT, never
 * anything else, never reads out of bounds (ASan), never leaks; what it accepts serializes
 * and parses back to the same text. */
static void fuzz_parser(void)
{
    static const char alphabet[] = "[]\\\"@=:,;-hexdword()0123456789abcdefABCDEF\r\n \t\x00\xff";
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    char *base;
    size_t blen;
    UT_EQ_INT(ru_parse(&t, good, NULL), 0);
    UT_EQ_INT(reg_serialize(&t, &base, &blen), 0);
    reg_tree_clear(&t);
    unsigned accepted = 0;
    for (unsigned iter = 0; iter < 20000; iter++) {
        size_t len = blen;
        char *s = malloc(blen + 64);
        memcpy(s, base, blen);
        if (iter % 10 == 9) {                       /* pure garbage */
            len = rnd() % 300;
            for (size_t i = 0; i < len; i++)
                s[i] = iter % 20 == 19 ? (char)rnd() : alphabet[rnd() % (sizeof alphabet - 1)];
        } else {
            for (unsigned m = 1 + rnd() % 4; m; m--) {
                size_t at = rnd() % (len + 1);
                switch (rnd() % 4) {
                case 0: if (at < len) s[at] = alphabet[rnd() % (sizeof alphabet - 1)]; break;
                case 1: if (at < len) s[at] = (char)rnd(); break;
                case 2: len = at; break;                               /* torn */
                default:
                    if (at < len) {
                        memmove(s + at, s + at + 1, len - at - 1);
                        len--;
                    }
                }
            }
        }
        char *exact = malloc(len ? len : 1);   /* exactly len bytes: ASan sees any overrun */
        memcpy(exact, s, len);
        free(s);
        reg_tree_init(&t, &ru_env);
        struct reg_error e = { 0, NULL };
        int rc = reg_parse(&t, exact, len, &e);
        if (rc != 0 && rc != ERR_CORRUPT) {
            printf("  iter %u: rc %d\n", iter, rc);
            UT_ASSERT(0);
        }
        if (rc == 0) {
            accepted++;
            char *a, *b;
            size_t alen, b2;
            struct reg_tree u;
            UT_EQ_INT(reg_serialize(&t, &a, &alen), 0);
            reg_tree_init(&u, &ru_env);
            UT_EQ_INT(reg_parse(&u, a, alen, NULL), 0);
            UT_EQ_INT(reg_serialize(&u, &b, &b2), 0);
            UT_ASSERT(alen == b2 && memcmp(a, b, alen) == 0);
            ru_free(NULL, a);
            ru_free(NULL, b);
            reg_tree_clear(&u);
        } else {
            UT_ASSERT(e.msg != NULL);
        }
        reg_tree_clear(&t);
        free(exact);
        UT_EQ_INT(ru_live, 1);   /* only base */
    }
    printf("  %u of 20000 inputs accepted\n", accepted);
    ru_free(NULL, base);
    UT_EQ_INT(ru_live, 0);
}

/* A value line ending in a blank and '\', continued by a blank line (found by fuzz_reg: the
 * blank line's trimming ate into the line before it, and the join copied a negative size). */
static void parse_continued_by_blank_line(void)
{
    struct reg_tree t;
    struct reg_error e = { 0, NULL };
    UT_EQ_INT(ru_parse(&t, "REGEDIT4\n[HKLM\\A]\n\"v\"=hex:01,02 \\\n\r\n"
                       "\"w\"=dword:00000001\n", &e), 0);
    struct reg_value *v = ru_value(&t, "HKLM\\A", "v");
    UT_ASSERT(v && v->type == REG_BINARY && v->len == 2 && v->data[0] == 1 && v->data[1] == 2);
    UT_ASSERT(ru_value(&t, "HKLM\\A", "w") && ru_dword(ru_value(&t, "HKLM\\A", "w")) == 1);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_parse(&t, "REGEDIT4\n[HKLM\\A]\n\"v\"=\"a b \\\n   \n", &e), ERR_CORRUPT);
    UT_EQ_INT(e.line, 3);
    reg_tree_clear(&t);
    UT_EQ_INT(ru_live, 0);
}

static const struct ut_case cases[] = {
    { "parse_good_hive", parse_good_hive },
    { "parse_deletions_and_merge", parse_deletions_and_merge },
    { "parse_corrupt_hives", parse_corrupt_hives },
    { "parse_limits", parse_limits },
    { "parse_continued_by_blank_line", parse_continued_by_blank_line },
    { "serialize_round_trip", serialize_round_trip },
    { "integrity_line", integrity_line },
    { "tree_and_volatile_keys", tree_and_volatile_keys },
    { "defaults", defaults },
    { "fuzz_parser", fuzz_parser },
};

UT_MAIN(cases)
