/* Unit tests of the FAT32 core's long-name decoding (fat_lfn_decode, kernel/fs/fat/fat_name.c):
 * a stored long name holding a character FAT forbids (/ \ : * ? " < > |, below 0x20), a
 * trailing dot or space, or a byte beyond ASCII is refused; on an image (entries patched
 * after mkfs.fat and the core made them), such an entry is listed by its 8.3 name, and
 * renaming or removing it takes its long-name slots along (fsck.fat finds no orphan). */
#include "fs/fat/fat_priv.h"
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"

static int decode(const char *ascii, uint16_t odd_unit, size_t odd_at, char *out)
{
    uint16_t u[LFN_MAX_SLOTS * LFN_CHARS];
    size_t n = strlen(ascii);
    for (size_t i = 0; i < n; i++)
        u[i] = (uint8_t)ascii[i];
    if (odd_at < n)
        u[odd_at] = odd_unit;
    u[n] = 0;
    return fat_lfn_decode(u, n + 1, out);
}

static void decode_good_names(void)
{
    char out[FAT_NAME_MAX + 1];
    UT_EQ_INT(decode("112226-00001-01.dmp", 0, SIZE_MAX, out), 19);
    UT_EQ_STR(out, "112226-00001-01.dmp");
    UT_EQ_INT(decode("..hidden name; [1] +x.dmp", 0, SIZE_MAX, out), 25);
    UT_EQ_STR(out, "..hidden name; [1] +x.dmp");
    uint16_t unterminated[LFN_CHARS] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j',
                                         'k', 'l', 'm' };
    UT_EQ_INT(fat_lfn_decode(unterminated, LFN_CHARS, out), LFN_CHARS);
    UT_EQ_STR(out, "abcdefghijklm");
    char name[FAT_NAME_MAX + 2];
    memset(name, 'n', FAT_NAME_MAX);
    name[FAT_NAME_MAX] = 0;
    UT_EQ_INT(decode(name, 0, SIZE_MAX, out), FAT_NAME_MAX);
}

static void decode_refuses_what_fat_forbids(void)
{
    static const uint16_t bad[] = { '/', '\\', ':', '*', '?', '"', '<', '>', '|', 0x01, 0x1F,
                                    '\n', 0x1B };
    char out[FAT_NAME_MAX + 1];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(out, "unchanged");
        UT_EQ_INT(decode("../../tmp/x.dmp", bad[i], 2, out), ERR_CORRUPT);
        UT_EQ_STR(out, "");
    }
    UT_EQ_INT(decode("../../../../tmp/relrev_mini.dmp", 0, SIZE_MAX, out), ERR_CORRUPT);
    UT_EQ_INT(decode("name.", 0, SIZE_MAX, out), ERR_CORRUPT);
    UT_EQ_INT(decode("name ", 0, SIZE_MAX, out), ERR_CORRUPT);
    UT_EQ_INT(decode("", 0, SIZE_MAX, out), ERR_CORRUPT);
    UT_EQ_INT(decode("caf-.dmp", 0xE9, 3, out), ERR_NOT_SUPPORTED);
    UT_EQ_STR(out, "");
    UT_EQ_INT(decode("caf-.d/p", 0xE9, 3, out), ERR_CORRUPT);   /* forbidden wins */
    char name[FAT_NAME_MAX + 2];
    memset(name, 'n', FAT_NAME_MAX + 1);
    name[FAT_NAME_MAX + 1] = 0;
    UT_EQ_INT(decode(name, 0, SIZE_MAX, out), ERR_CORRUPT);
}

/* Byte offset in the image of the root directory's first cluster. */
static uint64_t root_offset(const char *path)
{
    struct fx_geo g = fx_geo(path);
    return (g.data + (uint64_t)(g.root - 2) * g.spc) * g.bps;
}

/* Sets unit 5 of the first long-name slot of "xname-N-long.dmp" to bad[N]. */
static int plant(const char *path, const uint16_t *bad, size_t nbad)
{
    uint8_t dir[4096];
    int planted = 0;
    uint64_t off = root_offset(path);
    fx_raw(path, off, dir, sizeof dir, false);
    for (size_t e = 0; e < sizeof dir; e += DIRENT_SIZE) {
        uint8_t *s = dir + e;
        if (s[LFN_ATTR] != LFN_ATTR_VAL || (s[LFN_ORD] & 0x1F) != 1 || s[LFN_NAME1] != 'x')
            continue;
        size_t n = (size_t)(s[LFN_NAME2 + 2] - '0');   /* unit 6: the digit */
        if (n < nbad) {
            fat_put16(s + LFN_NAME2, bad[n]);            /* unit 5 */
            planted++;
        }
    }
    fx_raw(path, off, dir, sizeof dir, true);
    return planted;
}

static void hostile_entries_listed_by_8_3_name(void)
{
    static const uint16_t bad[] = { '/', '\\', 0x01, 0xE9 };
    struct fx x;
    struct fat_file f;
    struct fat_dir d;
    struct fat_dirent de;
    char name[64];

    UT_ASSERT(fx_make(&x, "lfn.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "/xname-%d-long.dmp", i);
        UT_EQ_INT(fat_create(x.vol, name, &f), 0);
    }
    UT_EQ_INT(fat_create(x.vol, "/a good long name.dmp", &f), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_EQ_INT(plant(x.path, bad, 4), 4);

    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_opendir(x.vol, "/", &d), 0);
    char aliases[4][13];
    int naliases = 0, good = 0;
    while (fat_readdir(&d, &de) == 1) {
        UT_ASSERT(strpbrk(de.name, "/\\\x01?") == NULL);
        if (!strcmp(de.name, "a good long name.dmp"))
            good += de.has_long_name;
        else if (!strncmp(de.short_name, "XNAME", 5) && naliases < 4)
            strcpy(aliases[naliases++], de.name);
        if (!strncmp(de.short_name, "XNAME", 5))
            UT_ASSERT(!de.has_long_name && !strcmp(de.name, de.short_name));
    }
    UT_EQ_INT(good, 1);
    UT_EQ_INT(naliases, 4);
    UT_EQ_INT(fat_open(x.vol, "/xname-0-long.dmp", &f), ERR_NOT_FOUND);
    snprintf(name, sizeof name, "/%s", aliases[0]);
    UT_EQ_INT(fat_open(x.vol, name, &f), 0);
    UT_EQ_INT(fat_rename(x.vol, name, "/RENAMED.DMP"), 0);
    for (int i = 1; i < 4; i++) {
        snprintf(name, sizeof name, "/%s", aliases[i]);
        UT_EQ_INT(fat_unlink(x.vol, name), 0);
    }
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* A stored 8.3 name holding characters FAT forbids there (a crafted image: "/", "\",
 * control bytes, brackets) is listed with '?' in their place: no listed name contains a path
 * separator, none of them opens by its stored name, and the volume's good files are
 * untouched. */
static void forbidden_8_3_characters_shown_as_question_marks(void)
{
    /* 11 bytes each: base (8) and extension (3), space-padded */
    static const char *const stored[] = { "EV/L    DMP", "X..\\    DMP", "A\001B    TXT",
                                          "X.Y     Z[]" };
    struct fx x;
    struct fat_file f;
    struct fat_dir d;
    struct fat_dirent de;
    uint8_t dir[4096];

    UT_ASSERT(fx_make(&x, "sfn.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create(x.vol, "/KEEP.TXT", &f), 0);
    size_t done;
    UT_EQ_INT(fat_write(&f, 0, "kept", 4, &done), 0);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "/PLANT%c.DMP", (char)('0' + i));
        UT_EQ_INT(fat_create(x.vol, name, &f), 0);
    }
    UT_EQ_INT(fx_unmount(&x), 0);
    uint64_t off = root_offset(x.path);
    fx_raw(x.path, off, dir, sizeof dir, false);
    int planted = 0;
    for (size_t e = 0; e < sizeof dir; e += DIRENT_SIZE)
        if (!memcmp(dir + e, "PLANT", 5) && dir[e + 5] >= '0' && dir[e + 5] <= '3') {
            memcpy(dir + e, stored[dir[e + 5] - '0'], 11);
            planted++;
        }
    fx_raw(x.path, off, dir, sizeof dir, true);
    UT_EQ_INT(planted, 4);

    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_opendir(x.vol, "/", &d), 0);
    int shown = 0, keep = 0;
    while (fat_readdir(&d, &de) == 1) {
        UT_ASSERT(strpbrk(de.name, "/\\\x01[]") == NULL);
        keep += !strcmp(de.name, "KEEP.TXT");
        shown += strchr(de.name, '?') != NULL;
    }
    UT_EQ_INT(keep, 1);
    UT_EQ_INT(shown, 4);
    UT_ASSERT(fat_open(x.vol, "/EV/L.DMP", &f) < 0);
    UT_ASSERT(fat_open(x.vol, "/EV?L.DMP", &f) < 0);
    UT_EQ_INT(fat_open(x.vol, "/KEEP.TXT", &f), 0);
    char buf[8];
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof buf, &done), 0);
    UT_ASSERT(done == 4 && !memcmp(buf, "kept", 4));
    UT_EQ_INT(fx_unmount(&x), 0);
}

static const struct ut_case cases[] = {
    { "decode_good_names", decode_good_names },
    { "decode_refuses_what_fat_forbids", decode_refuses_what_fat_forbids },
    { "hostile_entries_listed_by_8_3_name", hostile_entries_listed_by_8_3_name },
    { "forbidden_8_3_characters_shown_as_question_marks",
      forbidden_8_3_characters_shown_as_question_marks },
};

int main(int argc, char **argv)
{
    return ut_main(cases, sizeof cases / sizeof cases[0], argc, argv);
}
