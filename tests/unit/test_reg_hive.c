/* Unit tests of the hive files (config/reg_hive.c) on mkfs.fat images: the load order and
 * its fallbacks, the corrupt hive set aside as SYSTEM.BAD (and a good one too big to load
 * kept as it is), and a power cut after every single sector write of a save (a block device
 * that fails all writes past a budget): the volume always loads a hive holding either the old
 * or the new tree, and fsck.fat finds no damage beyond what a reset may leave. */
#include "tests/unit/fat_util.h"
#include "tests/unit/ut.h"
#include "tests/unit/reg_util.h"
#include "config/reg_hive.h"
#include "lib/crc32c.h"

/* A tree whose HKLM\SOFTWARE\T holds Gen = gen (and a long value so the file spans clusters). */
static void make_tree(struct reg_tree *t, uint32_t gen)
{
    struct reg_key *k;
    reg_tree_init(t, &ru_env);
    reg_defaults_apply(t);
    reg_key_create(t, "HKLM\\SOFTWARE\\T", false, &k);
    reg_value_set(t, k, "Gen", REG_DWORD, &gen, 4);
    static uint8_t filler[6000];
    memset(filler, 0x5A, sizeof filler);
    reg_value_set(t, k, "Filler", REG_BINARY, filler, sizeof filler);
}

/* Load the hive of x into a fresh tree; return Gen, or -1 if no hive, -2 without Gen. */
static long load_gen(struct fx *x, struct reg_hive *h)
{
    struct reg_tree t;
    reg_tree_init(&t, &ru_env);
    if (fx_mount(x))
        return -3;
    int rc = reg_hive_load(h, x->vol, &t);
    struct reg_value *v = ru_value(&t, "HKLM\\SOFTWARE\\T", "Gen");
    long gen = rc < 0 ? -1 : v ? (long)ru_dword(v) : -2;
    reg_tree_clear(&t);
    fx_unmount(x);
    return gen;
}

/* Save gen to x with a fresh load first, as the kernel and bbreg do. */
static int save_gen(struct fx *x, uint32_t gen)
{
    struct reg_hive h;
    struct reg_tree t, old;
    reg_tree_init(&old, &ru_env);
    if (fx_mount(x))
        return ERR_IO;
    reg_hive_load(&h, x->vol, &old);
    make_tree(&t, gen);
    int rc = reg_hive_save(&h, &t);
    reg_tree_clear(&t);
    reg_tree_clear(&old);
    int un = fx_unmount(x);
    return rc ? rc : un;
}

static bool exists(struct fx *x, const char *path)
{
    struct fat_dirent e;
    if (fx_mount(x))
        return false;
    bool there = fat_stat(x->vol, path, &e) == 0;
    fx_unmount(x);
    return there;
}

static void first_save_and_swap(void)
{
    struct fx x;
    struct reg_hive h;
    UT_ASSERT(fx_make(&x, "swap.img", 64, 512, NULL));
    UT_EQ_INT(load_gen(&x, &h), -1);
    UT_ASSERT(!h.reg_exists && h.status[REG_HIVE_REG].rc == ERR_NOT_FOUND);
    UT_EQ_INT(save_gen(&x, 1), 0);
    UT_ASSERT(exists(&x, "CONFIG\\SYSTEM.REG") && !exists(&x, "CONFIG\\SYSTEM.OLD"));
    UT_EQ_INT(load_gen(&x, &h), 1);
    UT_EQ_INT(h.source, REG_HIVE_REG);
    UT_EQ_INT(save_gen(&x, 2), 0);
    UT_ASSERT(exists(&x, "CONFIG\\SYSTEM.OLD") && !exists(&x, "CONFIG\\SYSTEM.NEW"));
    UT_EQ_INT(load_gen(&x, &h), 2);
    UT_ASSERT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.OLD | grep -q 'dword:00000001'", x.path) == 0);
    UT_ASSERT(fx_fsck(&x));
    UT_EQ_INT(ru_live, 0);
}

static void fallbacks_and_bad(void)
{
    struct fx x;
    struct reg_hive h;
    UT_ASSERT(fx_make(&x, "fall.img", 64, 512, NULL));
    UT_EQ_INT(save_gen(&x, 1), 0);
    UT_EQ_INT(save_gen(&x, 2), 0);   /* REG = 2, OLD = 1 */
    /* REG gone, a complete NEW (the reset during the first rename): NEW wins */
    UT_EQ_INT(fx_sh("mcopy -i '%s' ::/CONFIG/SYSTEM.REG ::/CONFIG/SYSTEM.NEW && "
                    "mdel -i '%s' ::/CONFIG/SYSTEM.REG", x.path, x.path), 0);
    UT_EQ_INT(load_gen(&x, &h), 2);
    UT_EQ_INT(h.source, REG_HIVE_NEW);
    UT_ASSERT(!h.reg_exists);
    /* a torn NEW (no integrity line): OLD */
    UT_EQ_INT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.NEW | head -c 300 > '%s' && "
                    "mcopy -o -i '%s' '%s' ::/CONFIG/SYSTEM.NEW", x.path, fx_path("torn"), x.path,
                    fx_path("torn")), 0);
    UT_EQ_INT(load_gen(&x, &h), 1);
    UT_EQ_INT(h.source, REG_HIVE_OLD);
    UT_EQ_INT(h.status[REG_HIVE_NEW].rc, ERR_CHECKSUM);
    /* saving from the fallback writes SYSTEM.REG directly, then the normal swap resumes */
    UT_EQ_INT(save_gen(&x, 3), 0);
    UT_EQ_INT(load_gen(&x, &h), 3);
    UT_EQ_INT(h.source, REG_HIVE_REG);
    UT_ASSERT(!exists(&x, "CONFIG\\SYSTEM.BAD"));
    UT_EQ_INT(save_gen(&x, 4), 0);
    UT_EQ_INT(load_gen(&x, &h), 4);
    /* a corrupt REG with a good CRC line but a bad line: parse error, line number */
    UT_EQ_INT(fx_sh("printf 'REGEDIT4\\n[HKLM\\\\A\\n' > '%s'", fx_path("bad")), 0);
    {
        char text[64];
        FILE *f = fopen(fx_path("bad"), "rb");
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        f = fopen(fx_path("bad"), "ab");
        fprintf(f, "; crc32c=%08X\n", crc32c(0, text, n));
        fclose(f);
    }
    UT_EQ_INT(fx_sh("mdel -i '%s' ::/CONFIG/SYSTEM.OLD && mcopy -o -i '%s' '%s' "
                    "::/CONFIG/SYSTEM.REG", x.path, x.path, fx_path("bad")), 0);
    UT_EQ_INT(load_gen(&x, &h), -1);
    UT_EQ_INT(h.status[REG_HIVE_REG].rc, ERR_CORRUPT);
    UT_EQ_INT(h.status[REG_HIVE_REG].perr.line, 2);
    UT_ASSERT(h.reg_exists && !h.reg_valid);
    UT_EQ_INT(save_gen(&x, 5), 0);
    UT_EQ_INT(load_gen(&x, &h), 5);
    UT_ASSERT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.BAD | cmp -s - '%s'", x.path,
                    fx_path("bad")) == 0);
    UT_ASSERT(fx_fsck(&x));
    UT_EQ_INT(ru_live, 0);
}

/* An environment whose allocations above cap bytes fail: a machine short of memory. */
static size_t cap_bytes;
static void *cap_alloc(void *ctx, size_t n)
{
    return n > cap_bytes ? NULL : ru_alloc(ctx, n);
}
static const struct reg_env cap_env = { NULL, cap_alloc, ru_free };

/* Load x's hive with allocations capped at cap, then try to save gen from it. Returns the
 * load's result; *save gets the save's. */
static int capped_load_save(struct fx *x, size_t cap, struct reg_hive *h, uint32_t gen,
                            int *save)
{
    struct reg_tree t, next;
    cap_bytes = cap;
    reg_tree_init(&t, &cap_env);
    if (fx_mount(x))
        return -1000;
    int rc = reg_hive_load(h, x->vol, &t);
    make_tree(&next, gen);
    *save = reg_hive_save(h, &next);
    reg_tree_clear(&next);
    reg_tree_clear(&t);
    fx_unmount(x);
    return rc;
}

/* A good SYSTEM.REG that cannot be loaded for want of memory, or because it is larger than
 * the parser takes, is not corrupt: load goes on to SYSTEM.OLD, and save keeps SYSTEM.REG as
 * it is (ERR_BAD_STATE) instead of renaming it to SYSTEM.BAD. */
static void too_big_is_not_bad(void)
{
    struct fx x;
    struct reg_hive h;
    int save;
    UT_ASSERT(fx_make(&x, "big.img", 64, 512, NULL));
    UT_EQ_INT(save_gen(&x, 1), 0);
    {   /* REG = gen 2 with a 30000-byte value: its text is far over the memory cap below */
        struct reg_tree t, old;
        struct reg_key *k;
        static uint8_t big[30000];
        memset(big, 0x33, sizeof big);
        reg_tree_init(&old, &ru_env);
        UT_EQ_INT(fx_mount(&x), 0);
        reg_hive_load(&h, x.vol, &old);
        make_tree(&t, 2);
        reg_key_create(&t, "HKLM\\SOFTWARE\\T", false, &k);
        reg_value_set(&t, k, "Big", REG_BINARY, big, sizeof big);
        UT_EQ_INT(reg_hive_save(&h, &t), 0);
        reg_tree_clear(&t);
        reg_tree_clear(&old);
        UT_EQ_INT(fx_unmount(&x), 0);
    }
    UT_EQ_INT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.REG > '%s'", x.path, fx_path("reg.before")),
              0);
    /* out of memory for SYSTEM.REG only: SYSTEM.OLD (gen 1) is loaded */
    UT_EQ_INT(capped_load_save(&x, 80 * 1024, &h, 3, &save), REG_HIVE_OLD);
    UT_EQ_INT(h.status[REG_HIVE_REG].rc, ERR_NO_MEMORY);
    UT_ASSERT(h.reg_exists && !h.reg_valid && !h.reg_bad);
    UT_EQ_INT(save, ERR_BAD_STATE);
    /* out of memory for every file */
    UT_EQ_INT(capped_load_save(&x, 100, &h, 3, &save), ERR_NO_MEMORY);
    UT_EQ_INT(h.status[REG_HIVE_OLD].rc, ERR_NO_MEMORY);
    UT_EQ_INT(save, ERR_BAD_STATE);
    UT_ASSERT(!exists(&x, "CONFIG\\SYSTEM.BAD") && !exists(&x, "CONFIG\\SYSTEM.NEW"));
    UT_EQ_INT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.REG | cmp -s - '%s'", x.path,
                    fx_path("reg.before")), 0);
    UT_EQ_INT(load_gen(&x, &h), 2);   /* with memory enough, the same hive loads */
    UT_EQ_INT(h.source, REG_HIVE_REG);
    /* a SYSTEM.REG past REG_HIVE_MAX: ERR_TOO_BIG, kept the same way */
    UT_EQ_INT(fx_sh("head -c %u /dev/zero | tr '\\0' 'x' > '%s' && mcopy -o -i '%s' '%s' "
                    "::/CONFIG/SYSTEM.REG", REG_HIVE_MAX + 1, fx_path("huge"), x.path,
                    fx_path("huge")), 0);
    UT_EQ_INT(capped_load_save(&x, ~(size_t)0, &h, 3, &save), REG_HIVE_OLD);
    UT_EQ_INT(h.status[REG_HIVE_REG].rc, ERR_TOO_BIG);
    UT_ASSERT(h.reg_exists && !h.reg_bad);
    UT_EQ_INT(save, ERR_BAD_STATE);
    UT_ASSERT(!exists(&x, "CONFIG\\SYSTEM.BAD"));
    UT_EQ_INT(fx_sh("mtype -i '%s' ::/CONFIG/SYSTEM.REG | cmp -s - '%s'", x.path,
                    fx_path("huge")), 0);
    UT_EQ_INT(load_gen(&x, &h), 1);
    UT_ASSERT(fx_fsck(&x));
    UT_EQ_INT(ru_live, 0);
}

/* Copy master to x, load its hive and save gen with the power cut after `budget` writes;
 * *done when the save completed first. Returns the Gen the next load finds. */
static long cut_save(struct fx *x, const char *master, long budget, uint32_t gen, bool *done)
{
    fx_sh("cp --sparse=always '%s' '%s'", master, x->path);
    struct imgdev dev;
    struct cutdev cut;
    struct fat_vol *vol;
    struct reg_hive h;
    struct reg_tree t, old;
    if (imgdev_open(&dev, x->path, 512, true))
        return -3;
    cut_init(&cut, &dev.bd, budget);
    reg_tree_init(&old, &ru_env);
    if (fat_mount(&cut.bd, &fx_env, &vol)) {
        imgdev_close(&dev);
        return -3;
    }
    reg_hive_load(&h, vol, &old);
    make_tree(&t, gen);
    *done = reg_hive_save(&h, &t) == 0 && cut.budget != 0;
    reg_tree_clear(&t);
    reg_tree_clear(&old);
    cut.budget = 0;          /* the power is off: unmount writes nothing */
    fat_unmount(vol);
    imgdev_close(&dev);
    return load_gen(x, &h);
}

static void power_cut_at_every_write(void)
{
    /* from each starting state: REG only (first swap), REG + OLD (steady state), and
     * loaded from OLD with REG missing (the direct write) */
    for (int state = 0; state < 3; state++) {
        struct fx m, x;
        struct reg_hive h;
        UT_ASSERT(fx_make(&m, "master.img", 64, 512, NULL));
        UT_EQ_INT(save_gen(&m, 1), 0);
        uint32_t old = 1;
        if (state >= 1) {
            UT_EQ_INT(save_gen(&m, 2), 0);
            old = 2;
        }
        if (state == 2) {
            UT_EQ_INT(fx_sh("mdel -i '%s' ::/CONFIG/SYSTEM.REG", m.path), 0);
            old = 1;
        }
        UT_EQ_INT(load_gen(&m, &h), old);
        snprintf(x.path, sizeof x.path, "%s", fx_path("cut.img"));
        x.ss = 512;
        x.vol = NULL;
        bool done = false;
        long budget, news = 0;
        for (budget = 0; !done && budget < 400; budget++) {
            long got = cut_save(&x, m.path, budget, 9, &done);
            if (got != (long)old && got != 9) {
                printf("  state %d, cut after %ld writes: loaded %ld\n", state, budget, got);
                UT_ASSERT(0);
            }
            news += got == 9;
            /* fsck.fat: only the findings a reset may leave (lost clusters, FATs differ) */
            if (fx_sh("fsck.fat -n '%s' | grep -v -E '^ *(fsck.fat|Reclaimed|FATs differ|"
                      "Using first FAT|Free cluster summary|Auto-correcting|"
                      "Leaving filesystem|.*: [0-9]+ files, |$)'", x.path) == 0) {
                printf("  state %d, cut after %ld writes: fsck.fat findings above\n", state,
                       budget);
                UT_ASSERT(0);
            }
        }
        UT_ASSERT(done);
        UT_ASSERT(news > 0);
        printf("  state %d: save takes %ld writes; every cut loads gen %u or 9\n", state,
               budget - 1, old);
    }
    UT_EQ_INT(ru_live, 0);
}

static const struct ut_case cases[] = {
    { "first_save_and_swap", first_save_and_swap },
    { "fallbacks_and_bad", fallbacks_and_bad },
    { "too_big_is_not_bad", too_big_is_not_bad },
    { "power_cut_at_every_write", power_cut_at_every_write },
};

UT_MAIN(cases)
