/* bbreg: the registry of a Blackbox disk image, offline. Finds the first Microsoft basic-data
 * partition of the image's GPT (the guest's C:), mounts its FAT32 and runs one reg.exe
 * command on the SYSTEM hive there, with the kernel's own cores: the same load and fallbacks,
 * the same defaults, and the same crash-safe save (lib/reg/reg_hive.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tools/lib/imgdev.h"
#include "lib/gpt.h"
#include "lib/reg/reg_cmd.h"
#include "lib/reg/reg_hive.h"
#include "fs/fat/fat.h"
#include "err.h"

#define MAX_PARTS 128

static void *env_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

static void env_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static void env_now(void *ctx, struct fat_time *out)
{
    (void)ctx;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    int year = tm.tm_year + 1900 < 1980 ? 1980 : tm.tm_year + 1900;
    out->date = (uint16_t)((year - 1980) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
    out->time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    out->tenths = (uint8_t)(tm.tm_sec % 2 * 100);
}

static const struct fat_env fat_env = { NULL, env_alloc, env_free, env_now };
static const struct reg_env reg_env = { NULL, env_alloc, env_free };

static void to_stdout(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    fwrite(s, 1, n, stdout);
}

/* Open img and find its first basic-data partition, trying 512- then 4096-byte sectors. */
static int open_partition(const char *img, struct imgdev *dev, struct blockdev_slice *part)
{
    static const uint32_t sizes[] = { 512, 4096 };
    static uint8_t scratch[GPT_SCRATCH_MIN];
    static struct gpt_partition parts[MAX_PARTS];
    int rc = ERR_NOT_FOUND;
    for (size_t s = 0; s < 2; s++) {
        unsigned count;
        if ((rc = imgdev_open(dev, img, sizes[s], true)))
            return rc;
        rc = gpt_read(&dev->bd, scratch, sizeof scratch, parts, MAX_PARTS, &count, NULL);
        if (rc == 0 || rc == ERR_NO_SPACE) {
            for (unsigned i = 0; i < count && i < MAX_PARTS; i++)
                if (gpt_is_basic_data(&parts[i]))
                    return blockdev_slice_init(part, &dev->bd, parts[i].first_lba,
                                               parts[i].last_lba - parts[i].first_lba + 1, "C:");
            rc = ERR_NOT_FOUND;
        }
        imgdev_close(dev);
        if (rc != ERR_NOT_FOUND)
            break;
    }
    return rc;
}

static void report_load(const struct reg_hive *h, int rc)
{
    for (int i = 0; i < REG_HIVE_FILES; i++) {
        const struct reg_hive_status *st = &h->status[i];
        if (st->rc == ERR_CORRUPT)
            fprintf(stderr, "bbreg: warning: %s: line %u: %s\n", reg_hive_path(i),
                    st->perr.line, st->perr.msg);
        else if (st->rc && st->rc != ERR_NOT_FOUND)
            fprintf(stderr, "bbreg: warning: %s: %s\n", reg_hive_path(i),
                    st->rc == ERR_CHECKSUM ? "integrity line missing or wrong" : err_str(st->rc));
    }
    if (rc > REG_HIVE_REG)
        fprintf(stderr, "bbreg: warning: loaded the fallback %s\n", reg_hive_path(rc));
    else if (rc < 0 && h->reg_exists)
        fprintf(stderr, "bbreg: warning: no usable hive; starting from defaults\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bbreg IMG query|add|delete KEY [options]  (reg.exe syntax)\n");
        return 2;
    }
    struct imgdev dev;
    struct blockdev_slice part;
    struct fat_vol *vol;
    int rc = open_partition(argv[1], &dev, &part);
    if (rc) {
        fprintf(stderr, "bbreg: %s: no FAT32 basic-data partition found: %s\n", argv[1],
                err_str(rc));
        return 1;
    }
    if ((rc = fat_mount(&part.bd, &fat_env, &vol))) {
        fprintf(stderr, "bbreg: %s: cannot mount FAT32: %s\n", argv[1], err_str(rc));
        imgdev_close(&dev);
        return 1;
    }
    struct reg_tree tree;
    struct reg_hive hive;
    reg_tree_init(&tree, &reg_env);
    rc = reg_hive_load(&hive, vol, &tree);
    report_load(&hive, rc);
    bool changed = false;
    rc = rc == ERR_NO_MEMORY ? rc : reg_defaults_apply(&tree);
    if (rc == 0)
        rc = reg_cmd_run(&tree, argc - 2, argv + 2, to_stdout, NULL, &changed);
    if (changed) {
        int save = reg_hive_save(&hive, &tree);
        if (save) {
            fprintf(stderr, "bbreg: saving %s failed: %s\n", reg_hive_path(REG_HIVE_REG),
                    err_str(save));
            rc = save;
        }
    }
    reg_tree_clear(&tree);
    int un = fat_unmount(vol);
    imgdev_close(&dev);
    if (un && rc == 0) {
        fprintf(stderr, "bbreg: %s: %s\n", argv[1], err_str(un));
        rc = un;
    }
    return rc ? 1 : 0;
}
