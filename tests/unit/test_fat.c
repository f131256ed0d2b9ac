/* Unit tests of the FAT32 core (kernel/fs/fat) against real tools: images made by mkfs.fat
 * (512- and 4096-byte sectors), files put there by mcopy read back by the core, and every
 * operation of the core checked afterwards with fsck.fat -n and read back with mtools. */
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"

/* Write len pattern bytes at off through the core, in chunks of `chunk`. */
static int put(struct fat_file *f, uint64_t off, size_t len, uint32_t seed, size_t chunk)
{
    uint8_t *buf = malloc(chunk);
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < len;) {
        size_t n = len - done < chunk ? len - done : chunk, got;
        fx_fill(buf, n, seed, off + done);
        rc = fat_write(f, off + done, buf, n, &got);
        if (rc == 0 && got != n)
            rc = ERR_IO;
        done += n;
    }
    free(buf);
    return rc;
}

/* Read the whole file through the core and compare with the pattern. */
static bool core_matches(struct fat_vol *v, const char *path, size_t len, uint32_t seed)
{
    struct fat_file f;
    if (fat_open(v, path, &f) != 0 || fat_file_size(&f) != len)
        return false;
    uint8_t *buf = malloc(len + 1);
    size_t got = 0;
    bool ok = fat_read(&f, 0, buf, len + 1, &got) == 0 && got == len && fx_check(buf, len, seed, 0);
    free(buf);
    return ok;
}

/* mtype of path must give exactly len pattern bytes. */
static bool mtools_matches(struct fx *x, const char *path, size_t len, uint32_t seed)
{
    size_t got;
    uint8_t *buf = fx_mtype(x, path, &got);
    bool ok = buf && got == len && fx_check(buf, len, seed, 0);
    if (!ok)
        printf("  mtype %s: %zu bytes, want %zu\n", path, buf ? got : 0, len);
    free(buf);
    return ok;
}

static void mount_512_and_4096(void)
{
    struct fx a, b;
    struct fat_info info;
    UT_ASSERT(fx_make(&a, "a.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&a), 0);
    fat_info(a.vol, &info);
    UT_EQ_INT(info.sector_size, 512);
    UT_ASSERT(info.free_clusters == info.clusters - 1);   /* only the root is used */
    UT_EQ_INT(fx_unmount(&a), 0);
    UT_ASSERT(fx_fsck(&a));
    UT_ASSERT(fx_make(&b, "b.img", 300, 4096, NULL));
    UT_EQ_INT(fx_mount(&b), 0);
    fat_info(b.vol, &info);
    UT_EQ_INT(info.sector_size, 4096);
    struct fat_file f;
    UT_EQ_INT(fat_create(b.vol, "/big4k.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 300000, 7, 5000), 0);
    UT_EQ_INT(fat_mkdir(b.vol, "/Sub Directory"), 0);
    UT_EQ_INT(fat_create(b.vol, "/Sub Directory/A long name on 4K sectors.txt", &f), 0);
    UT_EQ_INT(put(&f, 0, 12345, 8, 1000), 0);
    UT_EQ_INT(fat_rename(b.vol, "/big4k.bin", "/Sub Directory/moved.bin"), 0);
    UT_EQ_INT(fat_truncate(&f, 5000), 0);
    UT_EQ_INT(fx_unmount(&b), 0);
    UT_ASSERT(fx_fsck(&b));
    UT_ASSERT(mtools_matches(&b, "/Sub Directory/moved.bin", 300000, 7));
    UT_ASSERT(mtools_matches(&b, "/Sub Directory/A long name on 4K sectors.txt", 5000, 8));
    UT_ASSERT(fx_host_file(fx_path("m4k"), 70000, 9));
    UT_EQ_INT(fx_sh("mcopy -i '%s' '%s' '::/Sub Directory/from mtools.bin'", b.path,
                    fx_path("m4k")), 0);
    UT_EQ_INT(fx_mount(&b), 0);
    UT_ASSERT(core_matches(b.vol, "/sub directory/FROM MTOOLS.BIN", 70000, 9));
    UT_EQ_INT(fx_unmount(&b), 0);
}

/* Files made by mcopy, read by the core: short and long names, a subdirectory, both
 * separators, any case. */
static void reads_mcopy_files(void)
{
    struct fx x;
    UT_ASSERT(fx_make(&x, "m.img", 64, 512, NULL));
    UT_ASSERT(fx_host_file(fx_path("small"), 1000, 1));
    UT_ASSERT(fx_host_file(fx_path("large"), 3u << 20, 2));
    UT_ASSERT(fx_host_file(fx_path("empty"), 0, 3));
    UT_EQ_INT(fx_sh("mmd -i '%s' ::/Sub ::/Sub/Deeper", x.path), 0);
    UT_EQ_INT(fx_sh("mcopy -i '%s' '%s' ::/SMALL.TXT", x.path, fx_path("small")), 0);
    UT_EQ_INT(fx_sh("mcopy -i '%s' '%s' '::/Sub/Deeper/A rather long file name.data'", x.path,
                    fx_path("large")), 0);
    UT_EQ_INT(fx_sh("mcopy -i '%s' '%s' ::/Sub/empty.txt", x.path, fx_path("empty")), 0);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_ASSERT(core_matches(x.vol, "SMALL.TXT", 1000, 1));
    UT_ASSERT(core_matches(x.vol, "/small.txt", 1000, 1));
    UT_ASSERT(core_matches(x.vol, "\\sub\\deeper\\a RATHER long FILE name.DATA", 3u << 20, 2));
    UT_ASSERT(core_matches(x.vol, "sub/DEEPER\\a rather long file name.data", 3u << 20, 2));
    UT_ASSERT(core_matches(x.vol, "/Sub/./Deeper/../empty.txt", 0, 3));
    struct fat_dirent de;
    UT_EQ_INT(fat_stat(x.vol, "/sub/deeper/A rather long file name.data", &de), 0);
    UT_EQ_STR(de.name, "A rather long file name.data");
    UT_EQ_STR(de.short_name, "ARATHE~1.DAT");
    UT_ASSERT(de.has_long_name);
    UT_EQ_INT(fat_stat(x.vol, "/sub/deeper/ARATHE~1.DAT", &de), 0);   /* by alias too */
    UT_EQ_INT(de.size, 3u << 20);
    struct fat_file f;
    UT_EQ_INT(fat_open(x.vol, "/nothere", &f), ERR_NOT_FOUND);
    UT_EQ_INT(fat_open(x.vol, "/Sub", &f), ERR_IS_DIR);
    UT_EQ_INT(fat_open(x.vol, "/small.txt/x", &f), ERR_NOT_DIR);
    /* reads at odd offsets and past the end */
    UT_EQ_INT(fat_open(x.vol, "/sub/deeper/arathe~1.dat", &f), 0);
    uint8_t buf[9000];
    size_t got;
    UT_EQ_INT(fat_read(&f, 4095, buf, 9000, &got), 0);
    UT_EQ_INT(got, 9000);
    UT_ASSERT(fx_check(buf, 9000, 2, 4095));
    UT_EQ_INT(fat_read(&f, (3u << 20) - 10, buf, 100, &got), 0);
    UT_EQ_INT(got, 10);
    UT_EQ_INT(fat_read(&f, 3u << 20, buf, 100, &got), 0);
    UT_EQ_INT(got, 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* Create and write through the core; mtools reads it back byte for byte. */
static void write_and_extend(void)
{
    struct fx x;
    struct fat_file f;
    size_t got;
    UT_ASSERT(fx_make(&x, "w.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create(x.vol, "/hello.txt", &f), 0);
    UT_EQ_INT(fat_write(&f, 0, "hello, world\n", 13, &got), 0);
    UT_EQ_INT(fat_create(x.vol, "/HELLO.TXT", &f), ERR_EXISTS);
    UT_EQ_INT(fat_mkdir(x.vol, "/data"), 0);
    UT_EQ_INT(fat_create(x.vol, "/data/stream.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 100000, 5, 777), 0);           /* many small appends */
    UT_EQ_INT(put(&f, 100000, 1u << 20, 5, 65536), 0);  /* then big ones */
    UT_EQ_INT(put(&f, 5000, 20000, 5, 3000), 0);        /* overwrite in the middle */
    UT_EQ_INT(fat_create(x.vol, "/data/gap.bin", &f), 0);
    UT_EQ_INT(put(&f, 70000, 1000, 9, 1000), 0);        /* a hole reads as zeros */
    uint8_t buf[71000];
    UT_EQ_INT(fat_read(&f, 0, buf, sizeof(buf), &got), 0);
    UT_EQ_INT(got, 71000);
    for (size_t i = 0; i < 70000; i++)
        UT_ASSERT(buf[i] == 0);
    UT_ASSERT(fx_check(buf + 70000, 1000, 9, 70000));
    UT_EQ_INT(fat_write(&f, 0xFFFFFFF0ull, buf, 100, &got), ERR_TOO_BIG);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    size_t n;
    uint8_t *m = fx_mtype(&x, "/hello.txt", &n);
    UT_ASSERT(m && n == 13 && memcmp(m, "hello, world\n", 13) == 0);
    free(m);
    UT_ASSERT(mtools_matches(&x, "/data/stream.bin", 100000 + (1u << 20), 5));
    m = fx_mtype(&x, "/data/gap.bin", &n);
    UT_ASSERT(m && n == 71000 && memcmp(m, buf, n) == 0);
    free(m);
}

/* Long names: VFAT entries mtools understands, unique NAME~N aliases, and names that fit 8.3
 * in one case stored without long-name slots. */
static void long_names(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_dirent de;
    char name[300];
    UT_ASSERT(fx_make(&x, "l.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/Long Names"), 0);
    for (int i = 0; i < 14; i++) {
        snprintf(name, sizeof(name), "/Long Names/Quarterly report number %d.text", i);
        UT_EQ_INT(fat_create(x.vol, name, &f), 0);
        size_t got;
        UT_EQ_INT(fat_write(&f, 0, name, strlen(name), &got), 0);
    }
    UT_EQ_INT(fat_stat(x.vol, "/long names/QUARTERLY REPORT NUMBER 0.TEXT", &de), 0);
    UT_EQ_STR(de.short_name, "QUARTE~1.TEX");
    UT_EQ_INT(fat_stat(x.vol, "/long names/Quarterly report number 13.text", &de), 0);
    UT_EQ_STR(de.short_name, "QUART~14.TEX");
    UT_EQ_INT(fat_create(x.vol, "/readme.txt", &f), 0);
    UT_EQ_INT(fat_stat(x.vol, "/README.TXT", &de), 0);
    UT_EQ_STR(de.name, "readme.txt");
    UT_ASSERT(!de.has_long_name);
    UT_EQ_INT(fat_create(x.vol, "/UPPER.c", &f), 0);
    UT_EQ_INT(fat_stat(x.vol, "/upper.C", &de), 0);
    UT_EQ_STR(de.name, "UPPER.c");
    UT_ASSERT(!de.has_long_name);
    UT_EQ_INT(fat_create(x.vol, "/Mixed.Txt", &f), 0);
    UT_EQ_INT(fat_stat(x.vol, "/mixed.txt", &de), 0);
    UT_EQ_STR(de.name, "Mixed.Txt");
    UT_ASSERT(de.has_long_name);
    memset(name, 'n', 256);
    name[0] = '/';
    name[256] = 0;
    UT_EQ_INT(fat_create(x.vol, name, &f), 0);   /* 255 characters: 20 slots */
    UT_EQ_INT(fat_stat(x.vol, name, &de), 0);
    UT_EQ_INT(strlen(de.name), 255);
    name[256] = 'n';
    name[257] = 0;
    UT_EQ_INT(fat_create(x.vol, name, &f), ERR_INVALID_ARGS);
    const char *bad[] = { "/a?b", "/a*b", "/a:b", "/a<b", "/a|b", "/a\"b", "/trail.",
                          "/trail ", "/caf\xc3\xa9", "/ctl\x01", "/" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        UT_EQ_INT(fat_create(x.vol, bad[i], &f), ERR_INVALID_ARGS);
    UT_EQ_INT(fat_create(x.vol, "/.hidden config", &f), 0);
    UT_EQ_INT(fat_create(x.vol, "/a+b,c;d=e[f]g.h", &f), 0);
    UT_EQ_INT(fat_stat(x.vol, "/a+b,c;d=e[f]g.h", &de), 0);
    UT_EQ_STR(de.short_name, "A_B_C_~1.H");
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    size_t n;
    uint8_t *m = fx_capture(&n, "mdir -b -i '%s' '::/Long Names'", x.path);
    UT_ASSERT(m);
    m = realloc(m, n + 1);
    m[n] = 0;
    UT_ASSERT(strstr((char *)m, "/Long Names/Quarterly report number 13.text") != NULL);
    free(m);
    snprintf(name, sizeof(name), "/Long Names/Quarterly report number 7.text");
    m = fx_mtype(&x, name, &n);
    UT_ASSERT(m && n == strlen(name) && memcmp(m, name, n) == 0);
    free(m);
    m = fx_capture(&n, "mdir -i '%s' ::/", x.path);
    UT_ASSERT(m);
    m = realloc(m, n + 1);
    m[n] = 0;
    UT_ASSERT(strstr((char *)m, "readme   txt") != NULL);   /* NT lowercase flags honoured */
    UT_ASSERT(strstr((char *)m, "Mixed.Txt") != NULL);
    UT_ASSERT(strstr((char *)m, ".hidden config") != NULL);
    free(m);
}

static void truncate_and_unlink(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_info before, after;
    UT_ASSERT(fx_make(&x, "t.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    fat_info(x.vol, &before);
    UT_EQ_INT(fat_create(x.vol, "/shrink.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 500000, 4, 65536), 0);
    UT_EQ_INT(fat_truncate(&f, 123457), 0);
    UT_EQ_INT(fat_create(x.vol, "/grow.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 1000, 6, 1000), 0);
    UT_EQ_INT(fat_truncate(&f, 9000), 0);
    UT_EQ_INT(fat_create(x.vol, "/zero.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 70000, 6, 7000), 0);
    UT_EQ_INT(fat_truncate(&f, 0), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_ASSERT(mtools_matches(&x, "/shrink.bin", 123457, 4));
    size_t n;
    uint8_t *m = fx_mtype(&x, "/grow.bin", &n);
    UT_ASSERT(m && n == 9000 && fx_check(m, 1000, 6, 0));
    for (size_t i = 1000; i < 9000; i++)
        UT_ASSERT(m[i] == 0);
    free(m);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/shrink.bin"), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/grow.bin"), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/zero.bin"), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/zero.bin"), ERR_NOT_FOUND);
    fat_info(x.vol, &after);
    UT_EQ_INT(after.free_clusters, before.free_clusters);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

static void directories(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_dir d;
    struct fat_dirent de;
    UT_ASSERT(fx_make(&x, "d.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/A"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/a"), ERR_EXISTS);
    UT_EQ_INT(fat_mkdir(x.vol, "/A/B"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/nope/B"), ERR_NOT_FOUND);
    UT_EQ_INT(fat_create(x.vol, "/A/B/file.txt", &f), 0);
    UT_EQ_INT(fat_rmdir(x.vol, "/A/B"), ERR_NOT_EMPTY);
    UT_EQ_INT(fat_rmdir(x.vol, "/A/B/file.txt"), ERR_NOT_DIR);
    UT_EQ_INT(fat_unlink(x.vol, "/A/B"), ERR_IS_DIR);
    UT_EQ_INT(fat_rmdir(x.vol, "/"), ERR_ACCESS);
    /* enough entries to grow the directory past one cluster several times */
    char name[64];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/A/entry with a long name %03d", i);
        UT_EQ_INT(fat_create(x.vol, name, &f), 0);
    }
    for (int i = 0; i < 300; i += 2) {
        snprintf(name, sizeof(name), "/A/entry with a long name %03d", i);
        UT_EQ_INT(fat_unlink(x.vol, name), 0);
    }
    UT_EQ_INT(fat_opendir(x.vol, "/A", &d), 0);
    int count = 0, rc;
    while ((rc = fat_readdir(&d, &de)) == 1) {
        count++;
        UT_EQ_INT(de.created.date, FX_DATE);
        UT_EQ_INT(de.created.time, FX_TIME);
        UT_EQ_INT(de.created.tenths, 150);
        UT_EQ_INT(de.modified.date, FX_DATE);
        UT_EQ_INT(de.accessed_date, FX_DATE);
        if (strcmp(de.name, "B") == 0)
            UT_ASSERT(de.attr & FAT_ATTR_DIRECTORY && de.first_cluster >= 2);
        else
            UT_ASSERT(de.attr == FAT_ATTR_ARCHIVE && de.size == 0);
    }
    UT_EQ_INT(rc, 0);
    UT_EQ_INT(count, 151);
    UT_EQ_INT(fat_unlink(x.vol, "/A/B/file.txt"), 0);
    UT_EQ_INT(fat_rmdir(x.vol, "/A/B"), 0);
    UT_EQ_INT(fat_stat(x.vol, "/", &de), 0);
    UT_ASSERT(de.attr & FAT_ATTR_DIRECTORY);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    size_t n;
    uint8_t *m = fx_capture(&n, "mdir -b -i '%s' ::/A | wc -l", x.path);
    UT_ASSERT(m && atoi((char *)m) == 150);
    free(m);
}

/* pagefile.sys -> MEMORY.DMP in one directory is one sector write: cut before it, the old
 * name stays; after it, the new one; never neither, and fsck.fat finds nothing either way. */
static void rename_in_place_is_one_write(void)
{
    struct fx m, x;
    struct fat_file f;
    struct fat_dirent de;
    UT_ASSERT(fx_make(&m, "rip.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&m), 0);
    UT_EQ_INT(fat_create(m.vol, "/pagefile.sys", &f), 0);
    UT_EQ_INT(put(&f, 0, 70000, 21, 4096), 0);
    UT_EQ_INT(fx_unmount(&m), 0);
    for (long budget = 0; budget <= 1; budget++) {
        snprintf(x.path, sizeof x.path, "%s", fx_path("rip-cut.img"));
        x.ss = 512;
        UT_EQ_INT(fx_sh("cp --sparse=always '%s' '%s'", m.path, x.path), 0);
        UT_EQ_INT(imgdev_open(&x.dev, x.path, 512, true), 0);
        struct cutdev cut;
        cut_init(&cut, &x.dev.bd, budget);
        UT_EQ_INT(fat_mount(&cut.bd, &fx_env, &x.vol), 0);
        int rc = fat_rename(x.vol, "/PAGEFILE.SYS", "/MEMORY.DMP");
        UT_EQ_INT(rc, ERR_IO);   /* budget 1: the write went through, the flush after did not */
        cut.budget = 0;
        fat_unmount(x.vol);
        imgdev_close(&x.dev);
        UT_ASSERT(fx_fsck(&x));
        UT_ASSERT(mtools_matches(&x, budget ? "/MEMORY.DMP" : "/pagefile.sys", 70000, 21));
        UT_ASSERT(fx_sh("mdir -b -i '%s' ::/%s >/dev/null 2>&1", x.path,
                        budget ? "pagefile.sys" : "MEMORY.DMP") != 0);
    }
    /* a long name on either side still takes the general path */
    UT_EQ_INT(fx_mount(&m), 0);
    UT_EQ_INT(fat_rename(m.vol, "/pagefile.sys", "/Crash Dump.dmp"), 0);
    UT_EQ_INT(fat_rename(m.vol, "/Crash Dump.dmp", "/DUMP01A2.TMP"), 0);
    UT_EQ_INT(fat_rename(m.vol, "/DUMP01A2.TMP", "/dump01a3.tmp"), 0);
    UT_EQ_INT(fat_stat(m.vol, "/dump01a3.tmp", &de), 0);
    UT_EQ_STR(de.name, "dump01a3.tmp");
    UT_EQ_INT(fx_unmount(&m), 0);
    UT_ASSERT(fx_fsck(&m));
    UT_ASSERT(mtools_matches(&m, "/dump01a3.tmp", 70000, 21));
}

/* A read spanning clusters that follow each other on the disk is one device read; a
 * fragmented file still reads back right, run by run. */
static void reads_runs_in_one_command(void)
{
    struct fx m;
    struct fat_file a, b, c;
    UT_ASSERT(fx_make(&m, "runs.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&m), 0);
    UT_EQ_INT(fat_create(m.vol, "/a.bin", &a), 0);
    UT_EQ_INT(fat_create(m.vol, "/b.bin", &b), 0);
    for (unsigned i = 0; i < 8; i++) {   /* a and b take turns: both fragmented */
        UT_EQ_INT(put(&a, i * 8192u, 8192, 31, 8192), 0);
        UT_EQ_INT(put(&b, i * 8192u, 8192, 32, 8192), 0);
    }
    UT_EQ_INT(fat_create(m.vol, "/c.bin", &c), 0);
    UT_EQ_INT(put(&c, 0, 1u << 20, 33, 1u << 20), 0);
    UT_EQ_INT(fx_unmount(&m), 0);

    struct cutdev cnt;
    UT_EQ_INT(fx_mount_counted(&m, &cnt, false), 0);
    uint8_t *buf = malloc(1u << 20);
    size_t got;
    UT_EQ_INT(fat_open(m.vol, "/c.bin", &c), 0);
    long before = cnt.reads;
    UT_EQ_INT(fat_read(&c, 0, buf, 1u << 20, &got), 0);
    UT_EQ_U64(got, 1u << 20);
    UT_ASSERT(fx_check(buf, got, 33, 0));
    UT_ASSERT(cnt.reads - before < 32);   /* the FAT sectors walked, and one data read */
    UT_EQ_INT(fat_open(m.vol, "/a.bin", &a), 0);
    UT_EQ_INT(fat_read(&a, 100, buf, 65536 - 100, &got), 0);
    UT_EQ_U64(got, 65536 - 100);
    UT_ASSERT(fx_check(buf, got, 31, 100));
    free(buf);
    fat_unmount(m.vol);
    imgdev_close(&m.dev);
}

/* fat_zero_fill: a contiguous file made over clusters that held data reads back as zeros,
 * written in MiB transfers; a fragmented file too; the files beside them keep their data. */
static void zero_fill_backs_every_cluster(void)
{
    struct fx m;
    struct fat_file old, frag, keep, pf;
    UT_ASSERT(fx_make(&m, "zero.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&m), 0);
    UT_EQ_INT(fat_create(m.vol, "/old.bin", &old), 0);
    UT_EQ_INT(put(&old, 0, 3u << 20, 41, 1u << 20), 0);
    UT_EQ_INT(fat_create(m.vol, "/frag.bin", &frag), 0);
    UT_EQ_INT(fat_create(m.vol, "/keep.bin", &keep), 0);
    for (unsigned i = 0; i < 6; i++) {   /* frag and keep take turns: both fragmented */
        UT_EQ_INT(put(&frag, i * 8192u, 8192, 42, 8192), 0);
        UT_EQ_INT(put(&keep, i * 8192u, 8192, 43, 8192), 0);
    }
    UT_EQ_INT(fat_unlink(m.vol, "/old.bin"), 0);
    const uint32_t bytes = (3u << 20) - 1000;   /* the last cluster is partly past the end */
    UT_EQ_INT(fat_create_contiguous(m.vol, "/pagefile.sys", bytes, &pf), 0);
    UT_EQ_INT(fx_unmount(&m), 0);

    struct cutdev cnt;
    UT_EQ_INT(fx_mount_counted(&m, &cnt, true), 0);
    uint8_t *buf = malloc(3u << 20);
    size_t got;
    UT_EQ_INT(fat_open(m.vol, "/pagefile.sys", &pf), 0);
    UT_EQ_INT(fat_read(&pf, 0, buf, bytes, &got), 0);
    UT_ASSERT(fx_check(buf, 1u << 20, 41, 0));          /* the clusters still hold old.bin */
    UT_EQ_INT(fat_zero_fill(&pf), 0);
    UT_ASSERT(cnt.writes <= 4);                          /* 3 MiB: three transfers */
    UT_EQ_INT(fat_open(m.vol, "/frag.bin", &frag), 0);
    long before = cnt.writes;
    UT_EQ_INT(fat_zero_fill(&frag), 0);
    UT_ASSERT(cnt.writes - before >= 2);                 /* one per run at least */
    fat_unmount(m.vol);
    imgdev_close(&m.dev);

    UT_EQ_INT(fx_mount(&m), 0);
    UT_EQ_INT(fat_open(m.vol, "/pagefile.sys", &pf), 0);
    memset(buf, 0xFF, 3u << 20);
    UT_EQ_INT(fat_read(&pf, 0, buf, bytes, &got), 0);
    UT_EQ_U64(got, bytes);
    size_t nonzero = 0;
    for (size_t i = 0; i < got; i++)
        nonzero += buf[i] != 0;
    UT_EQ_U64(nonzero, 0);
    UT_EQ_U64(fat_file_size(&pf), bytes);               /* no metadata changed */
    UT_EQ_INT(fat_open(m.vol, "/frag.bin", &frag), 0);
    UT_EQ_INT(fat_read(&frag, 0, buf, 6 * 8192, &got), 0);
    UT_EQ_U64(got, 6 * 8192);
    for (size_t i = 0; i < got; i++)
        nonzero += buf[i] != 0;
    UT_EQ_U64(nonzero, 0);
    UT_EQ_INT(fat_open(m.vol, "/keep.bin", &keep), 0);
    UT_EQ_INT(fat_read(&keep, 0, buf, 6 * 8192, &got), 0);
    UT_ASSERT(fx_check(buf, got, 43, 0));
    free(buf);
    UT_EQ_INT(fx_unmount(&m), 0);
    UT_ASSERT(fx_fsck(&m));
}

static void rename_across_directories(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_dirent de;
    UT_ASSERT(fx_make(&x, "r.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/src"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/dst"), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/src/moving dir"), 0);
    UT_EQ_INT(fat_create(x.vol, "/src/moving dir/inner.txt", &f), 0);
    UT_EQ_INT(put(&f, 0, 5000, 11, 5000), 0);
    UT_EQ_INT(fat_create(x.vol, "/src/pagefile.sys", &f), 0);
    UT_EQ_INT(put(&f, 0, 40000, 12, 4096), 0);
    UT_EQ_INT(fat_create(x.vol, "/dst/taken.txt", &f), 0);
    UT_EQ_INT(fat_rename(x.vol, "/src/pagefile.sys", "/dst/taken.txt"), ERR_EXISTS);
    UT_EQ_INT(fat_rename(x.vol, "/src/missing", "/dst/x"), ERR_NOT_FOUND);
    UT_EQ_INT(fat_rename(x.vol, "/src/pagefile.sys", "/dst/DUMP0001.TMP"), 0);
    UT_EQ_INT(fat_stat(x.vol, "/src/pagefile.sys", &de), ERR_NOT_FOUND);
    UT_EQ_INT(fat_rename(x.vol, "/dst/dump0001.tmp", "/dst/Memory Dump.dmp"), 0);
    UT_EQ_INT(fat_rename(x.vol, "/src/moving dir", "/src/moving dir/sub"), ERR_INVALID_ARGS);
    UT_EQ_INT(fat_rename(x.vol, "/src/moving dir", "/dst/Moved Dir"), 0);
    UT_EQ_INT(fat_rename(x.vol, "/dst/taken.txt", "/dst/TAKEN.TXT"), 0);   /* case only */
    UT_EQ_INT(fat_stat(x.vol, "/dst/taken.txt", &de), 0);
    UT_EQ_STR(de.name, "TAKEN.TXT");
    UT_EQ_INT(fat_rename(x.vol, "/dst/Moved Dir", "/top"), 0);              /* to the root */
    UT_EQ_INT(fat_stat(x.vol, "/top/inner.txt/..", &de), ERR_NOT_DIR);
    UT_EQ_INT(fat_stat(x.vol, "/top/..", &de), 0);
    UT_EQ_STR(de.name, "\\");
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_ASSERT(mtools_matches(&x, "/dst/Memory Dump.dmp", 40000, 12));
    UT_ASSERT(mtools_matches(&x, "/top/inner.txt", 5000, 11));
}

/* A 100 MiB file on a 320 MiB sparse image. */
static void hundred_mib_file(void)
{
    struct fx x;
    struct fat_file f;
    const size_t len = 100u << 20;
    UT_ASSERT(fx_make(&x, "big.img", 320, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create(x.vol, "/huge.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, len, 21, 1u << 20), 0);
    UT_EQ_INT(fat_file_size(&f), len);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_EQ_INT(fx_mount(&x), 0);
    UT_ASSERT(core_matches(x.vol, "/HUGE.BIN", len, 21));
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_ASSERT(mtools_matches(&x, "/huge.bin", len, 21));
}

/* Fill the volume: ERR_NO_SPACE, nothing visible past the old size, fsck still clean. */
static void full_volume(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_info info;
    UT_ASSERT(fx_make(&x, "full.img", 40, 512, "-s 1"));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create(x.vol, "/fill.bin", &f), 0);
    uint8_t *chunk = malloc(1u << 20);
    uint64_t off = 0;
    size_t got;
    int rc;
    for (;;) {
        fx_fill(chunk, 1u << 20, 31, off);
        rc = fat_write(&f, off, chunk, 1u << 20, &got);
        if (rc)
            break;
        off += got;
    }
    UT_EQ_INT(rc, ERR_NO_SPACE);
    UT_EQ_INT(fat_file_size(&f), off);
    fat_info(x.vol, &info);
    size_t rest = (size_t)info.free_clusters * info.cluster_size;
    fx_fill(chunk, rest, 31, off);
    UT_EQ_INT(fat_write(&f, off, chunk, rest, &got), 0);   /* exactly the remainder fits */
    off += rest;
    fat_info(x.vol, &info);
    UT_EQ_INT(info.free_clusters, 0);
    UT_EQ_INT(fat_write(&f, off, chunk, 1, &got), ERR_NO_SPACE);
    UT_EQ_INT(fat_mkdir(x.vol, "/newdir"), ERR_NO_SPACE);
    struct fat_file g;
    UT_EQ_INT(fat_create(x.vol, "/fits in root.txt", &g), 0);   /* free slots remain */
    UT_EQ_INT(fat_write(&g, 0, chunk, 1, &got), ERR_NO_SPACE);
    free(chunk);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    UT_ASSERT(mtools_matches(&x, "/fill.bin", (size_t)off, 31));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/fill.bin"), 0);
    fat_info(x.vol, &info);
    UT_EQ_INT(info.free_clusters, info.clusters - 1);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

/* Independent check of an extent map: walk the chain in the image's FAT copies. */
static bool extents_match_fat(struct fx *x, const struct fat_file *f,
                              const struct fat_extent *ext, size_t count)
{
    struct fx_geo g = fx_geo(x->path);
    uint32_t c = f->first_cluster;
    for (size_t i = 0; i < count; i++) {
        if (ext[i].sectors % g.spc || ext[i].lba != g.data + (uint64_t)(c - 2) * g.spc)
            return false;
        for (uint64_t k = 0; k < ext[i].sectors / g.spc; k++) {
            uint32_t next = fx_fat_get(x->path, 0, c);
            if (next != fx_fat_get(x->path, 1, c))
                return false;
            bool last = k + 1 == ext[i].sectors / g.spc;
            if (!last && next != c + 1)
                return false;
            if (last && i + 1 == count && next < 0x0FFFFFF8)
                return false;
            c = next;
        }
    }
    return true;
}

static void contiguous_and_extents(void)
{
    struct fx x;
    struct fat_file f, frag;
    struct fat_extent ext[64];
    size_t count;
    char name[32];
    UT_ASSERT(fx_make(&x, "c.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    struct fat_info info;
    fat_info(x.vol, &info);
    /* fragment the start of the volume: interleave two files, then delete one */
    UT_EQ_INT(fat_create(x.vol, "/frag.bin", &frag), 0);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "/hole%d", i);
        UT_EQ_INT(fat_create(x.vol, name, &f), 0);
        UT_EQ_INT(put(&f, 0, info.cluster_size * 3, 1, 4096), 0);
        UT_EQ_INT(put(&frag, (uint64_t)i * info.cluster_size, info.cluster_size, 2, 4096), 0);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "/hole%d", i);
        UT_EQ_INT(fat_unlink(x.vol, name), 0);
    }
    UT_EQ_INT(fat_extents(&frag, ext, 64, &count), 0);
    UT_EQ_INT(count, 20);
    UT_ASSERT(extents_match_fat(&x, &frag, ext, count));
    UT_EQ_INT(fat_extents(&frag, ext, 5, &count), ERR_TOO_BIG);
    UT_EQ_INT(count, 20);
    /* a contiguous pagefile cannot use the 3-cluster holes */
    const uint32_t bytes = 16u << 20;
    UT_EQ_INT(fat_create_contiguous(x.vol, "/pagefile.sys", bytes, &f), 0);
    UT_EQ_INT(fat_file_size(&f), bytes);
    UT_EQ_INT(fat_extents(&f, ext, 64, &count), 0);
    UT_EQ_INT(count, 1);
    UT_EQ_INT(ext[0].sectors * info.sector_size, bytes);
    UT_ASSERT(extents_match_fat(&x, &f, ext, count));
    UT_EQ_INT(fat_create_contiguous(x.vol, "/PAGEFILE.SYS", 4096, &f), ERR_EXISTS);
    UT_EQ_INT(fat_create_contiguous(x.vol, "/toobig.sys", 60u << 20, &f), ERR_NO_SPACE);
    UT_EQ_INT(fat_stat(x.vol, "/toobig.sys", NULL), ERR_INVALID_ARGS);
    struct fat_dirent de;
    UT_EQ_INT(fat_stat(x.vol, "/toobig.sys", &de), ERR_NOT_FOUND);
    /* writing through the file lands in the extent's sectors */
    UT_EQ_INT(fat_open(x.vol, "/pagefile.sys", &f), 0);
    UT_EQ_INT(put(&f, 0, 8192, 77, 8192), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    uint8_t raw[8192];
    fx_raw(x.path, ext[0].lba * 512, raw, sizeof(raw), false);
    UT_ASSERT(fx_check(raw, sizeof(raw), 77, 0));
    UT_ASSERT(fx_fsck(&x));
}

/* FSInfo: an implausible free count is recounted and rewritten; fsck agrees afterwards. */
static void fsinfo_counts(void)
{
    struct fx x;
    struct fat_file f;
    struct fat_info info;
    UT_ASSERT(fx_make(&x, "i.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_create(x.vol, "/x.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 100000, 3, 100000), 0);
    fat_info(x.vol, &info);
    uint32_t want = info.free_clusters;
    UT_EQ_INT(fx_unmount(&x), 0);
    uint8_t fsi[512];
    fx_raw(x.path, 512, fsi, sizeof(fsi), false);
    UT_EQ_INT(fsi[488] | fsi[489] << 8 | fsi[490] << 16 | (uint32_t)fsi[491] << 24, want);
    memset(fsi + 488, 0x7F, 4);   /* more than the volume has */
    memset(fsi + 492, 0x7F, 4);
    fx_raw(x.path, 512, fsi, sizeof(fsi), true);
    UT_EQ_INT(fx_mount(&x), 0);
    fat_info(x.vol, &info);
    UT_EQ_INT(info.free_clusters, want);
    UT_EQ_INT(fat_create(x.vol, "/y.bin", &f), 0);
    UT_EQ_INT(put(&f, 0, 10000, 3, 10000), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    fx_raw(x.path, 512, fsi, 4, true);   /* break the lead signature: FSInfo is ignored */
    memset(fsi, 0, 4);
    fx_raw(x.path, 512, fsi, 4, true);
    UT_EQ_INT(fx_mount(&x), 0);
    fat_info(x.vol, &info);
    UT_ASSERT(info.free_clusters < want);
    UT_EQ_INT(fx_unmount(&x), 0);
}

/* Times come from the env's clock; a read on a later day updates only the access date. A
 * handle whose file was renamed or deleted is refused. */
static void times_and_stale_handles(void)
{
    struct fx x;
    struct fat_file f, g;
    struct fat_dirent de;
    uint8_t buf[16];
    size_t got;
    UT_ASSERT(fx_make(&x, "s.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    fx_date = FX_DATE;
    UT_EQ_INT(fat_create(x.vol, "/t.txt", &f), 0);
    UT_EQ_INT(fat_write(&f, 0, "0123456789", 10, &got), 0);
    fx_date = FX_DATE + 1;
    UT_EQ_INT(fat_open(x.vol, "/t.txt", &g), 0);
    UT_EQ_INT(fat_read(&g, 0, buf, sizeof(buf), &got), 0);
    UT_EQ_INT(fat_stat(x.vol, "/t.txt", &de), 0);
    UT_EQ_INT(de.accessed_date, FX_DATE + 1);
    UT_EQ_INT(de.modified.date, FX_DATE);
    UT_EQ_INT(de.created.date, FX_DATE);
    UT_EQ_INT(de.size, 10);
    UT_ASSERT(de.attr & FAT_ATTR_ARCHIVE);
    UT_EQ_INT(fat_write(&f, 0, "x", 1, &got), 0);
    UT_EQ_INT(fat_stat(x.vol, "/t.txt", &de), 0);
    UT_EQ_INT(de.modified.date, FX_DATE + 1);
    fx_date = FX_DATE;
    UT_EQ_INT(fat_write(&f, UINT64_MAX - 4, buf, 8, &got), ERR_TOO_BIG);
    UT_EQ_INT(fat_rename(x.vol, "/t.txt", "/u.txt"), 0);
    UT_EQ_INT(fat_write(&f, 0, "y", 1, &got), ERR_BAD_STATE);
    UT_EQ_INT(fat_open(x.vol, "/u.txt", &f), 0);
    UT_EQ_INT(fat_unlink(x.vol, "/u.txt"), 0);
    UT_EQ_INT(fat_truncate(&f, 0), ERR_BAD_STATE);
    UT_EQ_INT(fat_write(&f, 100000, buf, 8, &got), ERR_BAD_STATE);   /* nothing allocated */
    struct fat_info info;
    fat_info(x.vol, &info);
    UT_EQ_INT(info.free_clusters, info.clusters - 1);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
}

static const struct ut_case cases[] = {
    { "times_and_stale_handles", times_and_stale_handles },
    { "mount_512_and_4096", mount_512_and_4096 },
    { "reads_mcopy_files", reads_mcopy_files },
    { "write_and_extend", write_and_extend },
    { "long_names", long_names },
    { "truncate_and_unlink", truncate_and_unlink },
    { "directories", directories },
    { "rename_across_directories", rename_across_directories },
    { "rename_in_place_is_one_write", rename_in_place_is_one_write },
    { "reads_runs_in_one_command", reads_runs_in_one_command },
    { "zero_fill_backs_every_cluster", zero_fill_backs_every_cluster },
    { "hundred_mib_file", hundred_mib_file },
    { "full_volume", full_volume },
    { "contiguous_and_extents", contiguous_and_extents },
    { "fsinfo_counts", fsinfo_counts },
};

UT_MAIN(cases)
