/* libFuzzer target for the hive loader (config/reg_hive.c) over the FAT32 core: the input is
 * laid over an in-memory disk (memdisk.h) holding a volume with CONFIG\SYSTEM.REG (and .NEW,
 * .OLD); the hive is loaded (with its fallbacks), the defaults applied and the tree saved by
 * the crash-safe protocol, then loaded again. Seeds: tests/fuzz/seeds/reg_hive/. */
#include "config/reg_hive.h"
#include "tests/fuzz/memdisk.h"

static void load_save(struct fat_vol *vol, bool save)
{
    struct reg_hive h;
    struct reg_tree t;
    reg_tree_init(&t, &md_reg_env);
    int rc = reg_hive_load(&h, vol, &t);
    if (save && rc != ERR_NO_MEMORY && reg_defaults_apply(&t) == 0)
        reg_hive_save(&h, &t);
    reg_tree_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memdisk m;
    struct fat_vol *vol;
    memdisk_init(&m, data, size, memdisk_bpb_sector(data, size));
    if (fat_mount(&m.bd, &md_fat_env, &vol) == 0) {
        load_save(vol, true);
        load_save(vol, false);
        fat_unmount(vol);
    }
    memdisk_free(&m);
    return 0;
}
