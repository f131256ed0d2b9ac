/* Unit tests of the FAT32 core's guard (fat_set_guard), the hook through which the kernel's
 * dump stack keeps its armed target: a guarded file refuses every change with the guard's
 * code and is left exactly as it was (checked with mtools and fsck.fat), while the files
 * beside it, and the same file once the guard lets go, change as usual. */
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"

/* ctx: the guarded chain's first cluster; 0 = the guard lets everything go */
static int guard(void *ctx, const struct fat_vol *vol, uint32_t first_cluster)
{
    const uint32_t *cluster = ctx;
    (void)vol;
    return *cluster && first_cluster == *cluster ? ERR_DUMP_TARGET : 0;
}

static void guarded_file_refuses_every_change(void)
{
    struct fx x;
    struct fat_file f, other;
    struct fat_dirent de;
    size_t done;
    uint8_t data[4096];
    memset(data, 0x5A, sizeof data);
    UT_ASSERT(fx_make(&x, "guard.img", 64, 512, NULL));
    UT_EQ_INT(fx_mount(&x), 0);
    UT_EQ_INT(fat_mkdir(x.vol, "/sub"), 0);
    UT_EQ_INT(fat_create_contiguous(x.vol, "/pagefile.sys", 1u << 20, &f), 0);
    UT_EQ_INT(fat_write(&f, 0, data, sizeof data, &done), 0);
    UT_EQ_INT(fat_create(x.vol, "/other.txt", &other), 0);
    uint32_t guarded = f.first_cluster;
    fat_set_guard(x.vol, guard, &guarded);

    UT_EQ_INT(fat_write(&f, 0, "x", 1, &done), ERR_DUMP_TARGET);
    UT_EQ_INT(done, 0);
    UT_EQ_INT(fat_truncate(&f, 0), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_truncate(&f, 2u << 20), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_zero_fill(&f), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_may_change(&f), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_unlink(x.vol, "/PAGEFILE.SYS"), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_rename(x.vol, "/pagefile.sys", "/pf.old"), ERR_DUMP_TARGET);
    UT_EQ_INT(fat_rename(x.vol, "/pagefile.sys", "/sub/a long name.sys"), ERR_DUMP_TARGET);
    /* a second handle on it is refused too: the guard knows the chain, not the handle */
    struct fat_file again;
    UT_EQ_INT(fat_open(x.vol, "/pagefile.sys", &again), 0);
    UT_EQ_INT(fat_write(&again, 0, "x", 1, &done), ERR_DUMP_TARGET);
    /* the file beside it and its folder change as usual */
    UT_EQ_INT(fat_write(&other, 0, "hello", 5, &done), 0);
    UT_EQ_INT(fat_rename(x.vol, "/other.txt", "/sub/other.txt"), 0);
    UT_EQ_INT(fat_rename(x.vol, "/sub", "/sub2"), 0);
    UT_EQ_INT(fat_stat(x.vol, "/pagefile.sys", &de), 0);
    UT_EQ_INT(de.size, 1u << 20);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    size_t len;
    uint8_t *back = fx_mtype(&x, "/pagefile.sys", &len);
    UT_ASSERT(back && len == 1u << 20 && memcmp(back, data, sizeof data) == 0);
    free(back);

    /* once the guard lets go (the dump stack handed the file over) it can be moved */
    UT_EQ_INT(fx_mount(&x), 0);
    guarded = 0;
    fat_set_guard(x.vol, guard, &guarded);
    UT_EQ_INT(fat_rename(x.vol, "/pagefile.sys", "/sub2/MEMORY.DMP"), 0);
    UT_EQ_INT(fx_unmount(&x), 0);
    UT_ASSERT(fx_fsck(&x));
    back = fx_mtype(&x, "/sub2/MEMORY.DMP", &len);
    UT_ASSERT(back && len == 1u << 20 && memcmp(back, data, sizeof data) == 0);
    free(back);
}

static const struct ut_case cases[] = {
    { "guarded_file_refuses_every_change", guarded_file_refuses_every_change },
};

UT_MAIN(cases)
