/* Unit tests for kernel/lib/gpt.c against real tables: images made by tools/mkdisk, by sgdisk
 * and by fdisk -b 4096 (several partitions), read through tools/lib/imgdev, then corrupted
 * copies of each kind (CRCs, header fields, entry array, partitions) and random header
 * mutations. Runs from the repository root; each case works in its own mkdtemp directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "err.h"
#include "lib/crc32.h"
#include "lib/gpt.h"
#include "tools/lib/imgdev.h"
#include "tests/unit/ut.h"

#define MAXP 16

static char dir[64];
static uint8_t scratch[65536];

/* Runs a shell command built from fmt, output discarded; returns its exit status. */
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *path(const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
    return p;
}

/* Every case body runs between a fresh scratch directory and its removal. */
static void in_tmpdir(void (*body)(void))
{
    snprintf(dir, sizeof(dir), "/tmp/bb-test-gpt-XXXXXX");
    if (!mkdtemp(dir)) {
        ut_fail(__FILE__, __LINE__, "mkdtemp");
        return;
    }
    body();
    sh("rm -rf '%s'", dir);
}

#define TMP_CASE(name) \
    static void name##_body(void); \
    static void name(void) { in_tmpdir(name##_body); } \
    static void name##_body(void)

struct result {
    int rc;
    unsigned count;
    struct gpt_partition parts[MAXP];
    struct gpt_info info;
};

static int read_image(const char *img, uint32_t ss, size_t scratch_len, unsigned max,
                      struct result *r)
{
    struct imgdev d;
    int rc = imgdev_open(&d, img, ss, false);

    memset(r, 0, sizeof(*r));
    if (rc)
        return rc;
    r->rc = gpt_read(&d.bd, scratch, scratch_len, r->parts, max, &r->count, &r->info);
    imgdev_close(&d);
    return 0;
}

/* ---- images ---- */

static const char *const sg_guids[] = {
    "AAAAAAAA-0000-0000-0000-000000000001", "AAAAAAAA-0000-0000-0000-000000000002",
    "AAAAAAAA-0000-0000-0000-000000000003", "AAAAAAAA-0000-0000-0000-000000000005",
};
#define DISK_GUID "11111111-2222-3333-4444-555555555555"

/* 64 MiB, 512-byte sectors: slots 1, 2, 5 and 3 (in that creation order), one with a
 * non-ASCII name and one with a character outside the BMP. */
static int make_sgdisk(const char *img)
{
    return sh("truncate -s 64M '%s' && sgdisk -o -U " DISK_GUID
              " -n 1:2048:+8M -t 1:0700 -c 1:'Basic data' -u 1:%s -A 1:set:63"
              " -n 2:0:+16M -t 2:8300 -c 2:'Dätä fs' -u 2:%s"
              " -n 5:0:+4M -t 5:0700 -c 5:'\xf0\x9d\x84\x9e clef' -u 5:%s"
              " -n 3:0:0 -t 3:EF00 -c 3:'EFI system' -u 3:%s '%s' >/dev/null 2>&1",
              img, sg_guids[0], sg_guids[1], sg_guids[3], sg_guids[2], img);
}

/* 300 MiB, 4096-byte sectors, three partitions with a gap, through fdisk's script input. */
static int make_fdisk4k(const char *img)
{
    FILE *f = fopen(path("script"), "w");
    if (!f)
        return -1;
    fprintf(f, "label: gpt\nlabel-id: " DISK_GUID "\n"
            "start=256, size=2048, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=%s, "
            "name=\"one\", attrs=\"RequiredPartition\"\n"
            "start=4096, size=1024, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, "
            "name=\"two\"\n"
            "start=8192, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=%s, name=\"three\"\n",
            sg_guids[0], sg_guids[1], sg_guids[2]);
    fclose(f);
    return sh("truncate -s 300M '%s' && "
              "printf 'I\\n%s\\nw\\n' | fdisk -b 4096 '%s' >/dev/null 2>&1",
              img, path("script"), img);
}

static uint64_t file_sectors(const char *img, uint32_t ss)
{
    struct imgdev d;
    if (imgdev_open(&d, img, ss, false))
        return 0;
    uint64_t n = d.bd.sectors;
    imgdev_close(&d);
    return n;
}

/* ---- patching copies ---- */

static int copy(const char *from, const char *to)
{
    return sh("cp --sparse=always '%s' '%s'", from, to);
}

static int rw(const char *img, bool write, uint64_t off, void *buf, size_t len)
{
    int fd = open(img, write ? O_RDWR : O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

static void fix_header_crc(struct gpt_header *h)
{
    h->header_crc32 = 0;
    h->header_crc32 = crc32(0, h, h->header_size);
}

enum { NO_FIX, FIX_CRC };

/* Applies fn to the header at lba; recomputes HeaderCRC32 after it if fix. */
static int patch_header(const char *img, uint32_t ss, uint64_t lba,
                        void (*fn)(struct gpt_header *), int fix)
{
    struct gpt_header h;
    if (rw(img, false, lba * ss, &h, sizeof(h)))
        return -1;
    fn(&h);
    if (fix == FIX_CRC)
        fix_header_crc(&h);
    return rw(img, true, lba * ss, &h, sizeof(h));
}

/* Applies fn to entry `index` in both arrays and fixes both headers' CRCs. */
static int patch_entry(const char *img, uint32_t ss, unsigned index,
                       void (*fn)(struct gpt_entry *))
{
    uint64_t lbas[2] = { 1, file_sectors(img, ss) - 1 };

    for (int c = 0; c < 2; c++) {
        struct gpt_header h;
        if (rw(img, false, lbas[c] * ss, &h, sizeof(h)))
            return -1;
        size_t len = (size_t)h.number_of_partition_entries * h.size_of_partition_entry;
        uint8_t *arr = malloc(len);
        struct gpt_entry e;
        if (!arr || rw(img, false, h.partition_entry_lba * ss, arr, len)) {
            free(arr);
            return -1;
        }
        memcpy(&e, arr + (size_t)index * h.size_of_partition_entry, sizeof(e));
        fn(&e);
        memcpy(arr + (size_t)index * h.size_of_partition_entry, &e, sizeof(e));
        h.partition_entry_array_crc32 = crc32(0, arr, len);
        fix_header_crc(&h);
        int rc = rw(img, true, h.partition_entry_lba * ss, arr, len) ||
                 rw(img, true, lbas[c] * ss, &h, sizeof(h));
        free(arr);
        if (rc)
            return -1;
    }
    return 0;
}

static int zero_range(const char *img, uint64_t off, size_t len)
{
    uint8_t *z = calloc(1, len);
    int rc = z ? rw(img, true, off, z, len) : -1;
    free(z);
    return rc;
}

/* ---- checks ---- */

static void expect_guid(const struct gpt_guid *g, const char *text, int *ok)
{
    char buf[GPT_GUID_STR_LEN + 1];
    if (strcmp(gpt_guid_format(g, buf), text) != 0) {
        printf("  guid %s, expected %s\n", buf, text);
        *ok = 0;
    }
}

/* The sgdisk image read back exactly as sgdisk wrote it. */
static void check_sgdisk_parts(const struct result *r, uint64_t n)
{
    int ok = 1;

    UT_EQ_INT(r->rc, 0);
    UT_EQ_INT(r->count, 4);
    UT_EQ_INT(r->info.sector_size, 512);
    UT_EQ_U64(r->info.first_usable_lba, 34);
    UT_EQ_U64(r->info.last_usable_lba, n - 34);
    UT_EQ_INT(r->info.num_entries, 128);
    UT_EQ_INT(r->info.entry_size, 128);
    expect_guid(&r->info.disk_guid, DISK_GUID, &ok);
    static const struct {
        unsigned index;
        uint64_t first, last, attrs;
        const char *name, *type;
    } want[4] = {
        { 0, 2048, 18431, GPT_ATTR_MS_NO_LETTER, "Basic data",
          "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
        { 1, 18432, 51199, 0, "D?t? fs", "0FC63DAF-8483-4772-8E79-3D69D8477DE4" },
        { 2, 59392, 0, 0, "EFI system", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" },
        { 4, 51200, 59391, 0, "? clef", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
    };
    for (int i = 0; i < 4; i++) {
        const struct gpt_partition *p = &r->parts[i];
        UT_EQ_INT(p->index, want[i].index);
        UT_EQ_U64(p->first_lba, want[i].first);
        UT_EQ_U64(p->last_lba, want[i].last ? want[i].last : n - 34);
        UT_EQ_U64(p->attributes, want[i].attrs);
        UT_EQ_STR(p->name, want[i].name);
        expect_guid(&p->type, want[i].type, &ok);
        expect_guid(&p->unique, sg_guids[i], &ok);
    }
    UT_ASSERT(gpt_is_basic_data(&r->parts[0]) && !gpt_is_basic_data(&r->parts[1]));
    UT_ASSERT(ok);
}

TMP_CASE(sgdisk_partitions)
{
    const char *img = path("sg.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    uint64_t n = file_sectors(img, 512);
    UT_EQ_INT(read_image(img, 512, sizeof(scratch), MAXP, &r), 0);
    check_sgdisk_parts(&r, n);
    if (ut_failed_now)
        return;
    UT_EQ_INT(r.info.flags, 0);
    UT_EQ_U64(r.info.header_lba, 1);
    UT_EQ_U64(r.info.alternate_lba, n - 1);
    UT_EQ_U64(r.info.entries_lba, 2);
}

/* One sector, an odd number of sectors, and 64 KiB of scratch all give the same table. */
TMP_CASE(scratch_sizes)
{
    const char *img = path("sg.img");
    const size_t sizes[] = { 512, 1536, 4096, sizeof(scratch) };
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        UT_EQ_INT(read_image(img, 512, sizes[i], MAXP, &r), 0);
        check_sgdisk_parts(&r, file_sectors(img, 512));
        if (ut_failed_now)
            return;
    }
    UT_EQ_INT(read_image(img, 512, 511, MAXP, &r), 0);
    UT_EQ_INT(r.rc, ERR_INVALID_ARGS);
}

TMP_CASE(too_many_for_caller)
{
    const char *img = path("sg.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(read_image(img, 512, sizeof(scratch), 2, &r), 0);
    UT_EQ_INT(r.rc, ERR_NO_SPACE);
    UT_EQ_INT(r.count, 4);
    UT_EQ_U64(r.parts[1].first_lba, 18432);
    UT_EQ_INT(read_image(img, 512, sizeof(scratch), 0, &r), 0);
    UT_EQ_INT(r.rc, ERR_NO_SPACE);
    UT_EQ_INT(r.count, 4);
}

TMP_CASE(fdisk_4096_partitions)
{
    const char *img = path("f4k.img");
    struct result r;
    int ok = 1;

    UT_EQ_INT(make_fdisk4k(img), 0);
    uint64_t n = file_sectors(img, 4096);
    UT_EQ_INT(read_image(img, 4096, 4096, MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.count, 3);
    UT_EQ_INT(r.info.flags, 0);
    UT_EQ_INT(r.info.sector_size, 4096);
    UT_EQ_U64(r.info.alternate_lba, n - 1);
    UT_EQ_U64(r.parts[0].first_lba, 256);
    UT_EQ_U64(r.parts[0].last_lba, 256 + 2048 - 1);
    UT_EQ_U64(r.parts[0].attributes, GPT_ATTR_REQUIRED);
    UT_EQ_U64(r.parts[1].first_lba, 4096);
    UT_EQ_U64(r.parts[1].last_lba, 4096 + 1024 - 1);
    UT_EQ_U64(r.parts[2].first_lba, 8192);
    UT_ASSERT(r.parts[2].last_lba <= r.info.last_usable_lba);
    UT_EQ_STR(r.parts[2].name, "three");
    UT_ASSERT(gpt_is_basic_data(&r.parts[0]) && !gpt_is_basic_data(&r.parts[1]));
    expect_guid(&r.info.disk_guid, DISK_GUID, &ok);
    expect_guid(&r.parts[2].unique, sg_guids[2], &ok);
    UT_ASSERT(ok);
    /* The same image seen with the wrong sector size holds no GPT. */
    UT_EQ_INT(read_image(img, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, ERR_NOT_FOUND);
}

/* What tools/mkdisk makes: one basic data partition from 1 MiB to the end of the usable
 * space, named after the label, on a disk whose GUID sgdisk reports. */
TMP_CASE(mkdisk_512)
{
    const char *img = path("m.img");
    struct result r;

    UT_EQ_INT(sh("tools/mkdisk '%s' 100M TEST >/dev/null", img), 0);
    UT_EQ_INT(read_image(img, 512, sizeof(scratch), MAXP, &r), 0);
    uint64_t n = file_sectors(img, 512);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.count, 1);
    UT_EQ_INT(r.info.flags, 0);
    UT_ASSERT(gpt_is_basic_data(&r.parts[0]));
    UT_EQ_U64(r.parts[0].first_lba, 2048);
    UT_EQ_U64(r.parts[0].last_lba, n - 34);
    UT_EQ_STR(r.parts[0].name, "TEST");

    char cmd[512], line[256], want[64] = "";
    snprintf(cmd, sizeof(cmd), "sgdisk -p '%s'", img);
    FILE *p = popen(cmd, "r");
    UT_ASSERT(p != NULL);
    while (fgets(line, sizeof(line), p))
        sscanf(line, "Disk identifier (GUID): %63s", want);
    pclose(p);
    char got[GPT_GUID_STR_LEN + 1];
    UT_EQ_STR(gpt_guid_format(&r.info.disk_guid, got), want);
}

TMP_CASE(mkdisk_4096)
{
    const char *img = path("m4k.img");
    struct result r;

    UT_EQ_INT(sh("tools/mkdisk --sector-size 4096 '%s' 300M DATA >/dev/null", img), 0);
    UT_EQ_INT(read_image(img, 4096, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.count, 1);
    UT_EQ_INT(r.info.flags, 0);
    UT_ASSERT(gpt_is_basic_data(&r.parts[0]));
    UT_EQ_U64(r.parts[0].first_lba, 256);
    UT_ASSERT(r.parts[0].last_lba <= r.info.last_usable_lba);
    UT_EQ_U64((r.parts[0].last_lba + 1) % 256, 0);
    UT_EQ_STR(r.parts[0].name, "DATA");
}

/* ---- corruptions: the primary alone is recovered from the backup; both fail ---- */

static void flip_reserved(struct gpt_header *h) { h->reserved ^= 0x5a; }
static void set_crc_wrong(struct gpt_header *h) { h->header_crc32 ^= 1; }
static void bad_entries_crc(struct gpt_header *h) { h->partition_entry_array_crc32 ^= 1; }
static void bad_my_lba(struct gpt_header *h) { h->my_lba += 7; }
static void absurd_count(struct gpt_header *h) { h->number_of_partition_entries = 0xFFFFFFFFu; }
static void big_count(struct gpt_header *h) { h->number_of_partition_entries = 20000; }
static void array_past_end(struct gpt_header *h) { h->partition_entry_lba = 1ull << 40; }
static void array_at_end(struct gpt_header *h) { h->partition_entry_lba = 131072 - 2; }
static void entry_size_odd(struct gpt_header *h) { h->size_of_partition_entry = 130; }
static void entry_size_huge(struct gpt_header *h) { h->size_of_partition_entry = 1u << 31; }
static void entry_size_256(struct gpt_header *h) { h->size_of_partition_entry = 256; }
static void revision_2(struct gpt_header *h) { h->revision = 0x00020000; }
static void header_size_small(struct gpt_header *h) { h->header_size = 91; }
static void header_size_big(struct gpt_header *h) { h->header_size = 513; }
static void usable_reversed(struct gpt_header *h) { h->first_usable_lba = h->last_usable_lba + 1; }
static void usable_past_end(struct gpt_header *h) { h->last_usable_lba = 1ull << 33; }
static void usable_over_header(struct gpt_header *h) { h->first_usable_lba = 1; }
static void alternate_self(struct gpt_header *h) { h->alternate_lba = h->my_lba; }
static void bad_signature(struct gpt_header *h) { h->signature[0] = 'X'; }

static const struct corruption {
    const char *what;
    void (*fn)(struct gpt_header *);
    int fix;
    int err;
    int backup_err;     /* when the same change means something else in the backup */
} corruptions[] = {
    { "header bytes changed", flip_reserved, NO_FIX, ERR_CHECKSUM, 0 },
    { "header CRC wrong", set_crc_wrong, NO_FIX, ERR_CHECKSUM, 0 },
    { "entries CRC wrong", bad_entries_crc, FIX_CRC, ERR_CHECKSUM, 0 },
    { "MyLBA wrong", bad_my_lba, FIX_CRC, ERR_CORRUPT, 0 },
    { "entry count absurd", absurd_count, FIX_CRC, ERR_TOO_BIG, 0 },
    { "entry count over usable", big_count, FIX_CRC, ERR_CORRUPT, ERR_RANGE },
    { "entry array past the disk", array_past_end, FIX_CRC, ERR_RANGE, 0 },
    { "entry array running off the end", array_at_end, FIX_CRC, ERR_RANGE, 0 },
    { "entry size 130", entry_size_odd, FIX_CRC, ERR_CORRUPT, 0 },
    { "entry size 2 GiB", entry_size_huge, FIX_CRC, ERR_TOO_BIG, 0 },
    { "entry size 256 past usable", entry_size_256, FIX_CRC, ERR_CORRUPT, ERR_RANGE },
    { "revision 2.0", revision_2, FIX_CRC, ERR_NOT_SUPPORTED, 0 },
    { "header size 91", header_size_small, NO_FIX, ERR_CORRUPT, 0 },
    { "header size > sector", header_size_big, NO_FIX, ERR_CORRUPT, 0 },
    { "first usable > last usable", usable_reversed, FIX_CRC, ERR_CORRUPT, 0 },
    { "last usable past the disk", usable_past_end, FIX_CRC, ERR_RANGE, 0 },
    { "usable range over the header", usable_over_header, FIX_CRC, ERR_CORRUPT, 0 },
    { "AlternateLBA = MyLBA", alternate_self, FIX_CRC, ERR_CORRUPT, 0 },
    { "signature", bad_signature, NO_FIX, ERR_NOT_FOUND, 0 },
};

TMP_CASE(corrupt_primary_recovered)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    uint64_t n = file_sectors(img, 512);
    UT_EQ_U64(n, 131072);
    for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
        const struct corruption *c = &corruptions[i];
        printf("  primary: %s\n", c->what);
        UT_EQ_INT(copy(img, bad), 0);
        UT_EQ_INT(patch_header(bad, 512, 1, c->fn, c->fix), 0);
        UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
        check_sgdisk_parts(&r, n);
        if (ut_failed_now)
            return;
        UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_USED);
        UT_EQ_INT(r.info.primary_err, c->err);
        UT_EQ_U64(r.info.header_lba, n - 1);
        UT_EQ_U64(r.info.alternate_lba, 1);
        UT_EQ_U64(r.info.entries_lba, n - 33);
    }
}

TMP_CASE(corrupt_both_fail)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    uint64_t n = file_sectors(img, 512);
    for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
        const struct corruption *c = &corruptions[i];
        if (c->fn == array_at_end || c->fn == usable_over_header)
            continue;   /* values chosen for the primary; valid-looking for the backup */
        printf("  both: %s\n", c->what);
        UT_EQ_INT(copy(img, bad), 0);
        UT_EQ_INT(patch_header(bad, 512, 1, c->fn, c->fix), 0);
        UT_EQ_INT(patch_header(bad, 512, n - 1, c->fn, c->fix), 0);
        UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
        UT_EQ_INT(r.rc, c->err);
        UT_EQ_INT(r.count, 0);
        UT_EQ_INT(r.info.primary_err, c->err);
        UT_EQ_INT(r.info.backup_err, c->backup_err ? c->backup_err : c->err);
    }
}

/* Zeroing LBA 1-33 (header and primary array) leaves the backup: read with a flag, also on
 * a 4 KiB-sector disk; with both gone the disk holds no GPT. */
TMP_CASE(primary_destroyed)
{
    const char *img = path("sg.img"), *f4k = path("f4k.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(zero_range(bad, 512, 33 * 512), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    check_sgdisk_parts(&r, 131072);
    if (ut_failed_now)
        return;
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_USED);
    UT_EQ_INT(r.info.primary_err, ERR_NOT_FOUND);

    UT_EQ_INT(zero_range(bad, 131072 * 512 - 33 * 512, 33 * 512), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, ERR_NOT_FOUND);

    UT_EQ_INT(make_fdisk4k(f4k), 0);
    UT_EQ_INT(zero_range(f4k, 4096, 5 * 4096), 0);
    UT_EQ_INT(read_image(f4k, 4096, 4096, MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.count, 3);
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_USED);
    UT_EQ_U64(r.info.header_lba, file_sectors(f4k, 4096) - 1);
    UT_EQ_U64(r.parts[2].first_lba, 8192);
}

/* A flipped bit in the primary entry array: its CRC catches it, the backup array serves. */
TMP_CASE(primary_array_damaged)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;
    uint8_t b;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(rw(bad, false, 2 * 512 + 128 + 40, &b, 1), 0);
    b ^= 0x10;
    UT_EQ_INT(rw(bad, true, 2 * 512 + 128 + 40, &b, 1), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    check_sgdisk_parts(&r, 131072);
    if (ut_failed_now)
        return;
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_USED);
    UT_EQ_INT(r.info.primary_err, ERR_CHECKSUM);
}

/* The primary is good and used; a bad backup header is only reported. */
TMP_CASE(backup_bad_reported)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(patch_header(bad, 512, 131071, set_crc_wrong, NO_FIX), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    check_sgdisk_parts(&r, 131072);
    if (ut_failed_now)
        return;
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_BAD);
    UT_EQ_INT(r.info.backup_err, ERR_CHECKSUM);
    UT_EQ_INT(r.info.header_lba, 1);

    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(patch_header(bad, 512, 131071, bad_entries_crc, FIX_CRC), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_BAD);
    UT_EQ_INT(r.info.backup_err, ERR_CORRUPT);
}

/* A zeroed MBR is reported but does not hide the GPT; a hybrid MBR is recognised. */
TMP_CASE(protective_mbr)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(zero_range(bad, 0, 512), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.count, 4);
    UT_EQ_INT(r.info.flags, GPT_INFO_NO_PMBR);

    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(sh("sgdisk -h 1 '%s' >/dev/null 2>&1", bad), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, 0);
    UT_EQ_INT(r.info.flags, GPT_INFO_HYBRID_MBR);
}

static void overlap_prev(struct gpt_entry *e) { e->starting_lba = 18000; }
static void past_usable(struct gpt_entry *e) { e->ending_lba = 131071; }
static void start_after_end(struct gpt_entry *e) { e->starting_lba = e->ending_lba + 1; }
static void before_usable(struct gpt_entry *e) { e->starting_lba = 33; }

/* Entries with valid CRCs but impossible extents, in both copies. */
TMP_CASE(bad_partitions)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    const struct {
        void (*fn)(struct gpt_entry *);
        unsigned index;
        int err;
    } cases[] = {
        { overlap_prev, 1, ERR_CORRUPT },
        { past_usable, 2, ERR_RANGE },
        { start_after_end, 4, ERR_CORRUPT },
        { before_usable, 0, ERR_RANGE },
    };
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        UT_EQ_INT(copy(img, bad), 0);
        UT_EQ_INT(patch_entry(bad, 512, cases[i].index, cases[i].fn), 0);
        UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
        UT_EQ_INT(r.rc, cases[i].err);
        UT_EQ_INT(r.count, 0);
        UT_EQ_INT(r.info.primary_err, cases[i].err);
        UT_EQ_INT(r.info.backup_err, cases[i].err);
    }
}

/* A disk cut short: the primary's fields point past the end, the backup is gone. A disk
 * that grew: the backup is no longer at the end but the table still reads. */
TMP_CASE(disk_resized)
{
    const char *img = path("sg.img"), *bad = path("bad.img");
    struct result r;

    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(sh("truncate -s 32M '%s'", bad), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    UT_EQ_INT(r.rc, ERR_RANGE);
    UT_EQ_INT(r.info.backup_err, ERR_NOT_FOUND);

    UT_EQ_INT(copy(img, bad), 0);
    UT_EQ_INT(sh("truncate -s 128M '%s'", bad), 0);
    UT_EQ_INT(read_image(bad, 512, sizeof(scratch), MAXP, &r), 0);
    check_sgdisk_parts(&r, 131072);
    if (ut_failed_now)
        return;
    UT_EQ_INT(r.info.flags, GPT_INFO_BACKUP_NOT_AT_END);
}

/* ---- no image needed ---- */

/* A blockdev over a memory buffer, for the argument checks and the random mutations. */
struct memdev {
    struct blockdev bd;
    uint8_t *data;
};

static int mem_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    struct memdev *m = bd->ctx;
    memcpy(buf, m->data + lba * bd->sector_size, count * bd->sector_size);
    return 0;
}

static void memdev_init(struct memdev *m, uint8_t *data, uint32_t ss, uint64_t sectors)
{
    *m = (struct memdev){ .data = data };
    m->bd = (struct blockdev){ .name = "mem", .sector_size = ss, .sectors = sectors,
                               .ctx = m, .read = mem_read };
}

static void test_bad_args(void)
{
    static uint8_t disk[8 * 512];
    struct memdev m;
    struct gpt_partition parts[1];
    unsigned count = 99;

    memdev_init(&m, disk, 512, 8);
    UT_EQ_INT(gpt_read(NULL, scratch, 512, parts, 1, &count, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(count, 0);
    UT_EQ_INT(gpt_read(&m.bd, NULL, 512, parts, 1, &count, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(gpt_read(&m.bd, scratch, 512, NULL, 1, &count, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(gpt_read(&m.bd, scratch, 512, parts, 1, NULL, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(gpt_read(&m.bd, scratch, 100, parts, 1, &count, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(gpt_read(&m.bd, scratch, 512, parts, 1, &count, NULL), ERR_NOT_FOUND);
    m.bd.sector_size = 1024 + 512;
    UT_EQ_INT(gpt_read(&m.bd, scratch, sizeof(scratch), parts, 1, &count, NULL),
              ERR_NOT_SUPPORTED);
    m.bd.sector_size = 8192;
    UT_EQ_INT(gpt_read(&m.bd, scratch, sizeof(scratch), parts, 1, &count, NULL),
              ERR_NOT_SUPPORTED);
    memdev_init(&m, disk, 512, 2);
    UT_EQ_INT(gpt_read(&m.bd, scratch, 512, parts, 1, &count, NULL), ERR_NOT_FOUND);
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random values into random places of `len` bytes at p: small numbers, large ones, and
 * copies of the bytes around, a few times. */
static void mutate(uint8_t *p, size_t len, uint64_t *x)
{
    int times = 1 + (int)(xorshift(x) % 3);

    for (int k = 0; k < times; k++) {
        uint64_t r = xorshift(x);
        size_t off = r % len;
        uint64_t v = (r >> 32) % 3 == 0 ? xorshift(x) % 200000 :
                     (r >> 32) % 3 == 1 ? xorshift(x) : xorshift(x) >> 40;
        size_t n = len - off < 8 ? len - off : 8;
        memcpy(p + off, &v, n);
    }
}

/* One copy of the GPT in the memory disk with random changes to its header (past the
 * signature) or entry array, CRCs recomputed most of the time so the changes reach the
 * field checks. */
static void mutate_copy(uint8_t *disk, uint64_t lba, uint64_t *x)
{
    struct gpt_header h;
    uint8_t *hp = disk + lba * 512;

    memcpy(&h, hp, sizeof(h));
    if (xorshift(x) % 2 && h.partition_entry_lba == (lba == 1 ? 2 : lba - 32)) {
        uint8_t *arr = disk + h.partition_entry_lba * 512;
        mutate(arr, 128 * 128, x);
        if (xorshift(x) % 5)
            h.partition_entry_array_crc32 = crc32(0, arr, 128 * 128);
    } else {
        mutate((uint8_t *)&h + 8, sizeof(h) - 8, x);
    }
    if (h.header_size >= 92 && h.header_size <= 512 && xorshift(x) % 5) {
        memcpy(hp, &h, sizeof(h));
        h.header_crc32 = 0;
        memcpy(hp, &h, sizeof(h));
        h.header_crc32 = crc32(0, hp, h.header_size);
    }
    memcpy(hp, &h, sizeof(h));
}

/* Random mutations of the primary, the backup or both: never a crash or an out-of-bounds
 * read (ASan), and whatever is accepted is self-consistent and inside the disk. */
TMP_CASE(random_tables)
{
    const char *img = path("sg.img");
    const size_t len = 64u << 20;
    const uint64_t n = len / 512;
    uint8_t *pristine = malloc(len), *disk = malloc(len);
    uint64_t x = 88172645463325252ull;
    unsigned accepted = 0, rejected = 0;

    UT_ASSERT(pristine && disk);
    UT_EQ_INT(make_sgdisk(img), 0);
    UT_EQ_INT(rw(img, false, 0, pristine, len), 0);
    memcpy(disk, pristine, len);
    for (int iter = 0; iter < 4000; iter++) {
        int which = iter % 3;      /* 0 primary, 1 backup, 2 both */
        if (which != 1)
            mutate_copy(disk, 1, &x);
        if (which != 0)
            mutate_copy(disk, n - 1, &x);
        struct memdev m;
        struct result r;
        memdev_init(&m, disk, 512, n);
        r.rc = gpt_read(&m.bd, scratch, 512 * (1 + iter % 4), r.parts, MAXP, &r.count,
                        &r.info);
        UT_ASSERT(r.rc <= 0);
        if (r.rc == 0) {
            accepted++;
            UT_ASSERT(r.count <= MAXP);
            UT_ASSERT(r.info.first_usable_lba <= r.info.last_usable_lba &&
                      r.info.last_usable_lba < n);
            for (unsigned i = 0; i < r.count; i++)
                UT_ASSERT(r.parts[i].first_lba >= r.info.first_usable_lba &&
                          r.parts[i].first_lba <= r.parts[i].last_lba &&
                          r.parts[i].last_lba <= r.info.last_usable_lba);
        } else {
            rejected++;
        }
        memcpy(disk, pristine, 34 * 512);
        memcpy(disk + (n - 33) * 512, pristine + (n - 33) * 512, 33 * 512);
    }
    free(pristine);
    free(disk);
    printf("  4000 mutated tables: %u read, %u rejected\n", accepted, rejected);
    UT_ASSERT(accepted > 0 && rejected > 0);
}

static const struct ut_case cases[] = {
    { "sgdisk_partitions", sgdisk_partitions },
    { "scratch_sizes", scratch_sizes },
    { "too_many_for_caller", too_many_for_caller },
    { "fdisk_4096_partitions", fdisk_4096_partitions },
    { "mkdisk_512", mkdisk_512 },
    { "mkdisk_4096", mkdisk_4096 },
    { "corrupt_primary_recovered", corrupt_primary_recovered },
    { "corrupt_both_fail", corrupt_both_fail },
    { "primary_destroyed", primary_destroyed },
    { "primary_array_damaged", primary_array_damaged },
    { "backup_bad_reported", backup_bad_reported },
    { "protective_mbr", protective_mbr },
    { "bad_partitions", bad_partitions },
    { "disk_resized", disk_resized },
    { "bad_args", test_bad_args },
    { "random_tables", random_tables },
};

UT_MAIN(cases)
