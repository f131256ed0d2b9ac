/* bbreg: the registry of a Blackbox disk image, offline. Finds the first Microsoft basic-data
 * partition of the image's GPT (the guest's C:), mounts its FAT32 and runs one reg.exe
 * command on the SYSTEM hive there, with the kernel's own cores: the same load and fallbacks,
 * the same defaults, and the same crash-safe save (config/reg_hive.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tools/lib/imgvol.h"
#include "tools/lib/hostenv.h"
#include "lib/reg/reg_cmd.h"
#include "config/reg_hive.h"
#include "fs/fat/fat.h"
#include "err.h"


static void to_stdout(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    fwrite(s, 1, n, stdout);
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
    struct imgvol iv;
    const char *step;
    int rc = imgvol_open(&iv, argv[1], true, &step);
    if (rc) {
        fprintf(stderr, "bbreg: %s: %s: %s\n", argv[1], step,
                rc == ERR_NOT_FOUND && !strcmp(step, "partition table") ?
                "no FAT32 basic-data partition found" : err_str(rc));
        return 1;
    }
    struct fat_vol *vol = iv.vol;
    struct reg_tree tree;
    struct reg_hive hive;
    reg_tree_init(&tree, &host_reg_env);
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
    int un = imgvol_close(&iv);
    if (un && rc == 0) {
        fprintf(stderr, "bbreg: %s: %s\n", argv[1], err_str(un));
        rc = un;
    }
    return rc ? 1 : 0;
}
