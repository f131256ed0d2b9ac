/* Unit tests of the FAT32 core against bad input and resets: corrupt boot-sector fields,
 * FAT12/16, FAT loops, out-of-range clusters, a directory pointing outside the volume and
 * truncated images must give clean errors (under ASan); a reset after any number of writes
 * during a sequence of operations must leave a volume fsck.fat accepts. */
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"

/* Patch `len` bytes at byte offset off of the boot sector. */
static void patch_boot(struct fx *x, uint32_t off, const void *bytes, size_t len)
{
    fx_raw(x->path, off, (void *)bytes, len, true);
}

static void restore(struct fx *x, const char *from)
{
    UT_EQ_INT(fx_sh("cp --sparse=always '%s' '%s'", from, x->path), 0);
}

static void corrupt_boot_sector(void)
{
    struct fx x;
    UT_ASSERT(fx_make(&x, "good.img", 64, 512, NULL));
    char good[160];
    snprintf(good, sizeof(good), "%s", x.path);
    snprintf(x.path, sizeof(x.path), "%s", fx_path("bad.img"));
    static const struct {
        uint32_t off;
        uint8_t len;
        uint32_t val;
        int want;
    } cases[] = {
        { 0, 1, 0x00, ERR_CORRUPT },          /* no jump instruction */
        { 510, 1, 0x00, ERR_CORRUPT },        /* no 0x55AA signature */
        { 11, 2, 4096, ERR_CORRUPT },         /* bytes/sector differs from the device */
        { 11, 2, 1000, ERR_CORRUPT },
        { 13, 1, 3, ERR_CORRUPT },            /* sectors/cluster not a power of two */
        { 13, 1, 0, ERR_CORRUPT },
        { 14, 2, 0, ERR_CORRUPT },            /* no reserved sectors */
        { 16, 1, 0, ERR_CORRUPT },            /* no FAT */
        { 36, 4, 0, ERR_CORRUPT },            /* FAT size 0 */
        { 36, 4, 10, ERR_CORRUPT },           /* FAT too small for the clusters */
        { 36, 4, 0x7FFFFFFF, ERR_CORRUPT },   /* FATs past the end */
        { 32, 4, 0x7FFFFFFF, ERR_CORRUPT },   /* more sectors than the device */
        { 44, 4, 0, ERR_CORRUPT },            /* root cluster out of range */
        { 44, 4, 1, ERR_CORRUPT },
        { 44, 4, 0x0FFFFFF0, ERR_CORRUPT },
        { 42, 2, 1, ERR_NOT_SUPPORTED },      /* unknown FAT32 version */
        { 17, 2, 512, ERR_NOT_SUPPORTED },    /* a FAT12/16 root directory */
        { 22, 2, 200, ERR_NOT_SUPPORTED },    /* a 16-bit FAT size */
        { 40, 2, 0x0085, ERR_CORRUPT },       /* active FAT 5 of 2 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        restore(&x, good);
        uint8_t b[4] = { (uint8_t)cases[i].val, (uint8_t)(cases[i].val >> 8),
                         (uint8_t)(cases[i].val >> 16), (uint8_t)(cases[i].val >> 24) };
        patch_boot(&x, cases[i].off, b, cases[i].len);
        x.ss = 512;
        int rc = fx_mount(&x);
        if (rc != cases[i].want)
            printf("  case %zu (offset %u)\n", i, cases[i].off);
        UT_EQ_INT(rc, cases[i].want);
    }
    /* the same image is fine when nothing is patched, and with mirroring off */
    restore(&x, good);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    patch_boot(&x, 40, "\x81\x00", 2);
    UT_EQ_INT(fx_mount(&x), 0);
    struct fat_file f;
    UT_EQ_INT(fat_create(x.vol, "/one.txt", &f), 0);
    size_t got;
    UT_EQ_INT(fat_write(&f, 0, "x", 1, &got), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fat_get(x.path, 1, f.first_cluster) >= 0x0FFFFFF8);   /* active copy */
    UT_EQ_INT(fx_fat_get(x.path, 0, f.first_cluster), 0);
}

static void fat16_refused(void)
{
    struct fx x;
    snprintf(x.path, sizeof(x.path), "%s", fx_path("f16.img"));
    x.ss = 512;
    UT_EQ_INT(fx_sh("truncate -s 32M '%s' && mkfs.fat -F 16 '%s' >/dev/null", x.path, x.path), 0);
    UT_EQ_INT(fx_mount(&x), ERR_NOT_SUPPORTED);
    UT_EQ_INT(fx_sh("rm -f '%s' && truncate -s 4M '%s' && mkfs.fat -F 12 '%s' >/dev/null",
                    x.path, x.path, x.path), 0);
    UT_EQ_INT(fx_mount(&x), ERR_NOT_SUPPORTED);
}

static void truncated_image(void)
{
    struct fx x;
    UT_ASSERT(fx_make(&x, "trunc.img", 64, 512, NULL));
    UT_EQ_INT(fx_sh("truncate -s 32M '%s'", x.path), 0);
    UT_EQ_INT(fx_mount(&x), ERR_CORRUPT);
    UT_EQ_INT(fx_sh("truncate -s 100 '%s'", x.path), 0);   /* not even one sector */
    UT_EQ_INT(fx_mount(&x), ERR_CORRUPT);
    UT_EQ_INT(fx_sh("truncate -s 0 '%s'", x.path), 0);
    UT_EQ_INT(fx_mount(&x), ERR_CORRUPT);
}

/* An image with /dir/file.bin of 5 clusters (mcopy) for the chain corruptions. */
static bool chain_image(struct fx *x, const char *name, uint32_t *first, uint32_t *dirc)
{
    if (!fx_make(x, name, 64, 512, NULL) || !fx_host_file(fx_path("five"), 5 * 4096 - 100, 4))
        return false;
    if (fx_sh("mmd -i '%s' ::/dir && mcopy -i '%s' '%s' ::/dir/file.bin", x->path, x->path,
              fx_path("five")) != 0 || fx_mount(x) != 0)
        return false;
    struct fat_dirent de;
    bool ok = fat_stat(x->vol, "/dir/file.bin", &de) == 0;
    *first = de.first_cluster;
    ok = ok && fat_stat(x->vol, "/dir", &de) == 0;
    *dirc = de.first_cluster;
    return fx_unmount(x) == 0 && ok;
}

static void fat_loop(void)
{
    struct fx x;
    uint32_t first, dirc;
    struct fat_file f;
    struct fat_extent ext[8];
    size_t count, got;
    uint8_t buf[32768];
    UT_ASSERT(chain_image(&x, "loop.img", &first, &dirc));
    /* the file's last cluster points back at its first */
    uint32_t last = first;
    while (fx_fat_get(x.path, 0, last) < 0x0FFFFFF8)
        last = fx_fat_get(x.path, 0, last);
    fx_fat_set(x.path, last, first);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), 0);
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), 0);   /* within the size: fine */
    UT_EQ_INT(got, 5 * 4096 - 100);
    UT_EQ_INT(fat_extents(&f, ext, 8, &count), ERR_CORRUPT);
    UT_EQ_INT(fat_zero_fill(&f), ERR_CORRUPT);
    memset(buf, 0, sizeof(buf));
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), 0);   /* nothing was zeroed */
    UT_ASSERT(fx_check(buf, got, 4, 0));
    UT_EQ_INT(fat_write(&f, 5 * 4096, buf, 4096, &got), ERR_CORRUPT);
    UT_EQ_INT(fat_unlink(x.vol, "/dir/file.bin"), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
    /* a directory whose chain loops on itself */
    UT_ASSERT(chain_image(&x, "dloop.img", &first, &dirc));
    fx_fat_set(x.path, dirc, dirc);
    struct fx_geo g = fx_geo(x.path);
    uint64_t base = (g.data + (uint64_t)(dirc - 2) * g.spc) * g.bps;
    for (uint32_t i = 0; i < g.spc * g.bps / 32; i++) {   /* no end marker: walk on */
        uint8_t b;
        fx_raw(x.path, base + i * 32, &b, 1, false);
        if (b == 0) {
            b = 0xE5;
            fx_raw(x.path, base + i * 32, &b, 1, true);
        }
    }
    UT_EQ_INT(fx_mount(&x), 0);
    struct fat_dir d;
    struct fat_dirent de;
    UT_EQ_INT(fat_opendir(x.vol, "/dir", &d), 0);
    int rc;
    while ((rc = fat_readdir(&d, &de)) == 1)
        ;
    UT_EQ_INT(rc, ERR_CORRUPT);
    UT_EQ_INT(fat_stat(x.vol, "/dir/nothere", &de), ERR_CORRUPT);
    UT_EQ_INT(fat_create(x.vol, "/dir/new", &f), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
}

static void out_of_range_clusters(void)
{
    struct fx x;
    uint32_t first, dirc;
    struct fat_file f;
    size_t got, count;
    uint8_t buf[32768];
    struct fat_extent ext[8];
    UT_ASSERT(chain_image(&x, "oor.img", &first, &dirc));
    fx_fat_set(x.path, fx_fat_get(x.path, 0, first), 0x0FFFFFF0);   /* second link */
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), 0);
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), ERR_CORRUPT);
    UT_EQ_INT(fat_extents(&f, ext, 8, &count), ERR_CORRUPT);
    UT_EQ_INT(fat_zero_fill(&f), ERR_CORRUPT);
    UT_EQ_INT(fat_truncate(&f, 10000), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
    /* a chain that ends early (the size claims more) and one through a free cluster */
    UT_ASSERT(chain_image(&x, "short.img", &first, &dirc));
    fx_fat_set(x.path, first, 0x0FFFFFFF);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), 0);
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
    fx_fat_set(x.path, first, 0);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), 0);
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
}

/* Find the directory entry named sfn (11 bytes) in the cluster c of image x; byte offset. */
static uint64_t find_entry(struct fx *x, uint32_t c, const char *sfn)
{
    struct fx_geo g = fx_geo(x->path);
    uint64_t base = (g.data + (uint64_t)(c - 2) * g.spc) * g.bps;
    uint8_t e[32];
    for (uint32_t i = 0; i < g.spc * g.bps / 32; i++) {
        fx_raw(x->path, base + i * 32, e, 32, false);
        if (memcmp(e, sfn, 11) == 0)
            return base + i * 32;
    }
    return 0;
}

static void directory_outside_volume(void)
{
    struct fx x;
    uint32_t first, dirc;
    struct fat_file f;
    struct fat_dir d;
    struct fat_dirent de;
    UT_ASSERT(chain_image(&x, "out.img", &first, &dirc));
    struct fx_geo g = fx_geo(x.path);
    uint64_t at = find_entry(&x, g.root, "DIR        ");
    UT_ASSERT(at != 0);
    const uint8_t far[4] = { 0x00, 0x10, 0x00, 0x0F };   /* hi 0x0F00, lo 0x1000 */
    fx_raw(x.path, at + 20, (void *)far, 2, true);
    fx_raw(x.path, at + 26, (void *)(far + 2), 2, true);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_opendir(x.vol, "/dir", &d), ERR_CORRUPT);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), ERR_CORRUPT);
    UT_EQ_INT(fat_mkdir(x.vol, "/dir/sub"), ERR_CORRUPT);
    UT_EQ_INT(fat_rmdir(x.vol, "/dir"), ERR_CORRUPT);
    UT_EQ_INT(fat_rename(x.vol, "/dir", "/other"), ERR_CORRUPT);
    UT_EQ_INT(fat_stat(x.vol, "/dir", &de), 0);   /* the entry itself can be described */
    UT_EQ_INT(fx_unmount(&x), 0);
    /* a file entry whose first cluster is out of range */
    UT_ASSERT(chain_image(&x, "outf.img", &first, &dirc));
    at = find_entry(&x, dirc, "FILE    BIN");
    UT_ASSERT(at != 0);
    fx_raw(x.path, at + 20, (void *)far, 2, true);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_open(x.vol, "/dir/file.bin", &f), ERR_CORRUPT);
    UT_EQ_INT(fat_unlink(x.vol, "/dir/file.bin"), ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
    /* the root cluster's own chain is broken */
    UT_ASSERT(chain_image(&x, "root.img", &first, &dirc));
    fx_fat_set(x.path, g.root, 0x0FFFFFF7);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_opendir(x.vol, "/", &d), 0);
    int rc;
    while ((rc = fat_readdir(&d, &de)) == 1)
        ;
    UT_ASSERT(rc == 0 || rc == ERR_CORRUPT);
    UT_EQ_INT(fx_unmount(&x), 0);
}

static uint32_t stat_cluster(struct fx *x, const char *path)
{
    struct fat_dirent de;
    return fat_stat(x->vol, path, &de) == 0 ? de.first_cluster : 0;
}

/* Rename the 8.3 entry `sfn` of directory cluster dir to `to` and point it at cluster c. */
static bool alias_entry(struct fx *x, uint32_t dir, const char *sfn, const char *to, uint32_t c)
{
    uint64_t at = find_entry(x, dir, sfn);
    uint8_t lo[2] = { (uint8_t)c, (uint8_t)(c >> 8) }, hi[2] = { (uint8_t)(c >> 16),
                                                                 (uint8_t)(c >> 24) };
    if (!at)
        return false;
    fx_raw(x->path, at, (void *)to, 11, true);
    fx_raw(x->path, at + 20, hi, 2, true);
    fx_raw(x->path, at + 26, lo, 2, true);
    return true;
}

/* rmdir of an entry whose cluster is the root, the directory holding it or an ancestor (and
 * whose name starts with '.', so the aliased directory looks empty): freeing it would free a
 * directory in use. ERR_CORRUPT, and not one byte of the image changes. */
static void rmdir_of_an_alias(void)
{
    static const struct {
        const char *dirs[3], *sfn, *in, *target, *path;
    } cases[] = {
        { { "/b" }, "B          ", "/", "/", "/.B" },                          /* the root */
        { { "/a", "/a/b" }, "B          ", "/a", "/a", "/a/.B" },             /* itself */
        { { "/a", "/a/x", "/a/x/b" }, "B          ", "/a/x", "/a", "/a/.X/.B" }, /* ancestor */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx x;
        UT_ASSERT(fx_make(&x, "alias.img", 64, 512, NULL));
        UT_EQ_INT(fx_mount(&x), 0);
        for (int d = 0; d < 3 && cases[i].dirs[d]; d++)
            UT_EQ_INT(fat_mkdir(x.vol, cases[i].dirs[d]), 0);
        uint32_t a = stat_cluster(&x, "/a"), in = stat_cluster(&x, cases[i].in);
        uint32_t target = stat_cluster(&x, cases[i].target);
        UT_EQ_INT(fx_unmount(&x), 0);
        struct fx_geo g = fx_geo(x.path);
        if (!in)
            in = g.root;
        if (!target)
            target = g.root;
        if (i == 2)
            UT_ASSERT(alias_entry(&x, a, "X          ", ".X         ", in));
        UT_ASSERT(alias_entry(&x, in, cases[i].sfn, ".B         ", target));
        UT_EQ_INT(fx_sh("cp '%s' '%s'", x.path, fx_path("alias-before.img")), 0);
        UT_EQ_INT(fx_mount(&x), 0);
        struct fat_dirent de;
        UT_EQ_INT(fat_stat(x.vol, cases[i].path, &de), 0);
        UT_EQ_INT(de.first_cluster, target);
        int rc = fat_rmdir(x.vol, cases[i].path);
        if (rc != ERR_CORRUPT)
            printf("  case %zu: %s\n", i, cases[i].path);
        UT_EQ_INT(rc, ERR_CORRUPT);
        UT_EQ_INT(fx_unmount(&x), 0);
        UT_EQ_INT(fx_sh("cmp -s '%s' '%s'", x.path, fx_path("alias-before.img")), 0);
    }
    /* an honest empty directory still goes, including through "." and ".." */
    struct fx x;
    UT_ASSERT(fx_make(&x, "alias-ok.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/a"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/a/b"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/a/c"), 0);
    UT_EQ_INT(fat_rmdir(x.vol, "/a/b/../c"), 0);
    UT_EQ_INT(fat_rmdir(x.vol, "/a/./b"), 0);
    UT_EQ_INT(fat_rmdir(x.vol, "/a"), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* Write the FSInfo free count and next-free hint of image x. */
static void set_fsinfo(struct fx *x, uint32_t free_count, uint32_t next_free)
{
    uint8_t b[8];
    uint8_t bs[512];
    fx_raw(x->path, 0, bs, sizeof(bs), false);
    uint64_t at = (uint64_t)(bs[48] | bs[49] << 8) * 512 + 488;
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(free_count >> (8 * i));
        b[4 + i] = (uint8_t)(next_free >> (8 * i));
    }
    fx_raw(x->path, at, b, sizeof(b), true);
}

/* A free count of 0 (or past the cluster count) is counted from the FAT at mount; a
 * plausible but wrong one is recounted when an allocation it refuses (too low) or promises
 * (too high) fails; an implausible next-free hint is ignored. The pagefile can be made, the
 * true count reaches FSInfo, and fsck.fat -n finds nothing. */
static void fsinfo_free_count_wrong(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_info fi;
    UT_ASSERT(fx_make(&x, "fsinfo.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create_contiguous(x.vol, "/used.bin", 1 << 20, &f), 0);
    fat_info(x.vol, &fi);
    uint32_t truth = fi.free_clusters;
    UT_ASSERT(!fi.fsinfo_fixed);
    UT_EQ_INT(fx_unmount(&x), 0);
    char base[160];
    snprintf(base, sizeof(base), "%s", x.path);
    snprintf(x.path, sizeof(x.path), "%s", fx_path("fsinfo-bad.img"));
    static const struct {
        uint32_t free_count, next_free;
        bool at_mount;
    } cases[] = {
        { 0, 0x0FFFFFFF, true },     /* none free: every allocation would fail */
        { 0x7FFFFFF0, 1, true },     /* more than the volume holds */
        { 3, 2, false },             /* too low: the pagefile would not fit */
        { 0, 0, true },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        restore(&x, base);
        set_fsinfo(&x, cases[i].free_count, cases[i].next_free);
        UT_EQ_INT(fx_mount(&x), 0);
        fat_info(x.vol, &fi);
        UT_EQ_INT(fi.fsinfo_fixed, cases[i].at_mount);
        UT_EQ_INT(fi.free_clusters, cases[i].at_mount ? truth : cases[i].free_count);
        UT_EQ_INT(fat_create_contiguous(x.vol, "/pagefile.sys", 8 << 20, &f), 0);
        UT_EQ_INT(fat_create(x.vol, "/small.txt", &f), 0);
        size_t got;
        UT_EQ_INT(fat_write(&f, 0, "hello", 5, &got), 0);
        fat_info(x.vol, &fi);
        UT_ASSERT(fi.fsinfo_fixed);
        UT_EQ_INT(fx_unmount(&x), 0);
        if (!fx_fsck(&x))
            printf("  case %zu\n", i);
        UT_ASSERT(fx_fsck(&x));
    }
    /* too high: the allocation it promised fails once the FAT is counted; nothing is
     * allocated and the true count is written back */
    restore(&x, base);
    UT_EQ_INT(fx_mount(&x), 0);
    fat_info(x.vol, &fi);
    uint32_t all = fi.clusters;
    UT_EQ_INT(fx_unmount(&x), 0);
    set_fsinfo(&x, all, 2);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create_contiguous(x.vol, "/pagefile.sys", (truth + 1) * 512u, &f),
              ERR_NO_SPACE);
    fat_info(x.vol, &fi);
    UT_ASSERT(fi.fsinfo_fixed);
    UT_EQ_INT(fi.free_clusters, truth);
    UT_EQ_INT(fat_stat(x.vol, "/pagefile.sys", &(struct fat_dirent){ 0 }), ERR_NOT_FOUND);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* A directory holding the aliases ~1..~N of a long name: creating one more long name of that
 * basis scans the directory a fixed number of times (counted in device reads), not N. */
static void alias_flood(void)
{
    struct fx x;
    struct cutdev cnt;
    struct fat_file f;
    enum { N = 3000 };
    UT_ASSERT(fx_make(&x, "flood.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/d"), 0);
    for (uint32_t n = 1; n <= N; n++) {
        char tail[12], path[32];
        int tl = snprintf(tail, sizeof(tail), "~%u", n);
        snprintf(path, sizeof(path), "/d/%.*s%s.TXT", 8 - tl, "LONGNAME", tail);
        UT_EQ_INT(fat_create(x.vol, path, &f), 0);
    }
    struct fat_dirent de;
    UT_EQ_INT(fx_unmount(&x), 0);
    uint32_t dir_sectors = (N + 2) * 32 / 512 + 1;
    UT_EQ_INT(fx_mount_counted(&x, &cnt, true), 0);
    UT_EQ_INT(fat_create(x.vol, "/d/Long name.txt", &f), 0);
    printf("  %ld reads to add a long name next to %d aliases (%u directory sectors)\n",
           cnt.reads, N, dir_sectors);
    UT_ASSERT(cnt.reads < 6 * (long)dir_sectors);
    UT_EQ_INT(fat_stat(x.vol, "/d/Long name.txt", &de), 0);
    UT_EQ_STR(de.short_name, "LON~3001.TXT");
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_EQ_INT(fx_sh("mdir -i '%s' ::/d | grep -q 'LON~3001 TXT .*Long name.txt'", x.path), 0);
}

/* The operations whose every prefix of writes must leave an fsck-clean volume (once a rename
 * cut short is finished: finish_cut_rename). */
static int torn_sequence(struct fat_vol *v)
{
    struct fat_file f;
    size_t got;
    uint8_t buf[10000];
    memset(buf, 0x5A, sizeof(buf));
    int rc = fat_create(v, "/Some long file name.bin", &f);
    if (rc == 0)
        rc = fat_write(&f, 0, buf, sizeof(buf), &got);
    if (rc == 0)
        rc = fat_write(&f, sizeof(buf), buf, sizeof(buf), &got);   /* extend */
    if (rc == 0)
        rc = fat_mkdir(v, "/A directory");
    if (rc == 0)
        rc = fat_rename(v, "/Some long file name.bin", "/A directory/moved.bin");
    if (rc == 0)
        rc = fat_create_contiguous(v, "/pagefile.sys", 200000, &f);
    if (rc == 0)
        rc = fat_truncate(&f, 0);
    if (rc == 0)
        rc = fat_unlink(v, "/A directory/moved.bin");
    if (rc == 0)
        rc = fat_rmdir(v, "/A directory");
    return rc;
}

/* fsck.fat -n output that reports nothing worse than: lost clusters; the FSInfo free count
 * left "unknown" by the interrupted operation (readers must recount); FAT copies caught
 * between copy 0 and copy 1 (fsck uses copy 0, written first); a file whose chain was
 * extended but whose size was not yet updated (fsck trims the chain back to that size, which
 * is exactly the state before the write). See the ordering comment in fat_priv.h. */
static bool fsck_lost_only(const char *path)
{
    size_t n;
    uint8_t *out = fx_capture(&n, "fsck.fat -n '%s' 2>&1; true", path);
    if (!out)
        return false;
    out = realloc(out, 2 * n + 2);
    out[n] = 0;
    char *copy = (char *)out + n + 1;
    memcpy(copy, out, n + 1);
    bool ok = !strstr(copy, "chain length is ") || strstr(copy, "chain length is >");
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "fsck.fat ", 9) != 0 && !strstr(line, " files, ") &&
            !strstr(line, "Leaving filesystem unchanged") && !strstr(line, "unused clusters") &&
            !strstr(line, "Reclaimed") && !strstr(line, "Perform changes") &&
            !strstr(line, "Free cluster summary uninitialized") &&
            !strstr(line, "FATs differ but appear to be intact") &&
            !strstr(line, "Using first FAT") && line[0] != '/' &&
            !strstr(line, "cluster chain length is >") && !strstr(line, "Truncating file to"))
            ok = false;
    if (!ok)
        printf("%s", (char *)out);
    free(out);
    return ok;
}

/* Whether fsck.fat -n on the image says `text`. */
static bool fsck_says(const char *path, const char *text)
{
    size_t n;
    uint8_t *out = fx_capture(&n, "fsck.fat -n '%s' 2>&1; true", path);
    if (!out)
        return false;
    out = realloc(out, n + 1);
    out[n] = 0;
    bool found = strstr((char *)out, text) != NULL;
    free(out);
    return found;
}

/* A reset between the two steps of a rename across directories leaves the file under both
 * names (one chain, "share clusters" to fsck), never under neither; renaming again finishes
 * it: the old name goes, the chain stays whole. */
static void finish_cut_rename(struct fx *x)
{
    if (!fsck_says(x->path, "share clusters"))
        return;
    struct fat_vol *v;
    struct fat_dirent de;
    UT_EQ_INT(imgdev_open(&x->dev, x->path, 512, true), 0);
    UT_EQ_INT(fat_mount(&x->dev.bd, &fx_env, &v), 0);
    UT_EQ_INT(fat_rename(v, "/Some long file name.bin", "/A directory/moved.bin"), 0);
    UT_EQ_INT(fat_stat(v, "/Some long file name.bin", &de), ERR_NOT_FOUND);
    UT_EQ_INT(fat_stat(v, "/A directory/moved.bin", &de), 0);
    UT_EQ_INT(de.size, 20000);
    fat_unmount(v);
    imgdev_close(&x->dev);
}

static void reset_at_every_write(void)
{
    struct fx x;
    UT_ASSERT(fx_make(&x, "torn-base.img", 40, 512, "-s 1"));
    char base[160];
    snprintf(base, sizeof(base), "%s", x.path);
    snprintf(x.path, sizeof(x.path), "%s", fx_path("torn.img"));
    long budget;
    for (budget = 0; budget < 2000; budget++) {
        restore(&x, base);
        struct cutdev c;
        struct fat_vol *v;
        UT_EQ_INT(imgdev_open(&x.dev, x.path, 512, true), 0);
        cut_init(&c, &x.dev.bd, budget);
        UT_EQ_INT(fat_mount(&c.bd, &fx_env, &v), 0);
        int rc = torn_sequence(v);
        fat_unmount(v);
        imgdev_close(&x.dev);
        finish_cut_rename(&x);
        if (!fsck_lost_only(x.path))
            printf("  reset after %ld writes\n", budget);
        UT_ASSERT(fsck_lost_only(x.path));
        if (rc == 0 && c.budget > 0)
            break;
    }
    printf("  %ld resets tried\n", budget);
    UT_ASSERT(budget > 20 && budget < 2000);
    UT_ASSERT(fx_fsck(&x));
}

static const struct ut_case cases[] = {
    { "corrupt_boot_sector", corrupt_boot_sector },
    { "fat16_refused", fat16_refused },
    { "truncated_image", truncated_image },
    { "fat_loop", fat_loop },
    { "out_of_range_clusters", out_of_range_clusters },
    { "directory_outside_volume", directory_outside_volume },
    { "rmdir_of_an_alias", rmdir_of_an_alias },
    { "fsinfo_free_count_wrong", fsinfo_free_count_wrong },
    { "alias_flood", alias_flood },
    { "reset_at_every_write", reset_at_every_write },
};

UT_MAIN(cases)
