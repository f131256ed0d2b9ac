/* libFuzzer target for the FAT32 core: the input is laid over the start of an 8 MiB
 * in-memory disk (memdisk.h; the seeds are the used start of small mkfs.fat images), which
 * is mounted, walked (every directory listed, every file stat'ed, read and mapped), changed
 * (create, write, truncate, mkdir, rename and rmdir of what the walk found, unlink),
 * unmounted, then mounted and walked again. Seeds: tests/fuzz/seeds/fat/. */
#include <stdio.h>

#include "tests/fuzz/memdisk.h"

#define WALK_MAX  256    /* entries visited per walk */
#define DEPTH_MAX 6

struct walk {
    struct fat_vol *vol;
    unsigned seen;
    char file[512];      /* first file found, "" if none */
    char dir[512];       /* deepest directory found, "" if none */
    unsigned dir_depth;
};

static void read_file(struct fat_vol *vol, const char *path)
{
    struct fat_file f;
    struct fat_extent ext[4];
    uint8_t buf[4096];
    size_t done, count;
    if (fat_open(vol, path, &f) != 0)
        return;
    fat_read(&f, 0, buf, sizeof buf, &done);
    if (fat_file_size(&f) > sizeof buf)
        fat_read(&f, fat_file_size(&f) - 100, buf, 200, &done);
    fat_extents(&f, ext, 4, &count);
}

static void walk(struct walk *w, const char *path, unsigned depth)
{
    struct fat_dir d;
    struct fat_dirent e;
    char sub[512];
    if (depth > DEPTH_MAX || fat_opendir(w->vol, path, &d) != 0)
        return;
    while (w->seen < WALK_MAX && fat_readdir(&d, &e) == 1) {
        w->seen++;
        if (snprintf(sub, sizeof sub, "%s\\%s", path, e.name) >= (int)sizeof sub)
            continue;
        fat_stat(w->vol, sub, &e);
        if (e.attr & FAT_ATTR_DIRECTORY) {
            if (depth + 1 > w->dir_depth) {
                w->dir_depth = depth + 1;
                strcpy(w->dir, sub);
            }
            walk(w, sub, depth + 1);
        } else {
            if (!w->file[0])
                strcpy(w->file, sub);
            read_file(w->vol, sub);
        }
    }
}

static void change(struct fat_vol *vol, const struct walk *w)
{
    static const uint8_t data[9000] = { 'b', 'b' };
    struct fat_file f;
    size_t done;
    if (fat_create(vol, "\\FUZZ.TXT", &f) == 0) {
        fat_write(&f, 0, data, sizeof data, &done);
        fat_write(&f, 20000, data, 100, &done);
        fat_truncate(&f, 700);
    }
    fat_mkdir(vol, "\\New folder with a long name");
    fat_create(vol, "\\New folder with a long name\\a file.bin", &f);
    if (w->file[0]) {
        if (fat_open(vol, w->file, &f) == 0)
            fat_write(&f, 1, data, 600, &done);
        fat_rename(vol, w->file, "\\New folder with a long name\\moved file.txt");
    }
    if (w->dir[0]) {
        fat_rename(vol, w->dir, "\\Renamed directory");
        fat_rmdir(vol, "\\Renamed directory");
    }
    fat_unlink(vol, "\\FUZZ.TXT");
    fat_sync(vol);
}

static void mount_walk(struct memdisk *m, bool write)
{
    struct fat_vol *vol;
    struct fat_info info;
    if (fat_mount(&m->bd, &md_fat_env, &vol) != 0)
        return;
    fat_info(vol, &info);
    struct walk w = { .vol = vol };
    walk(&w, "", 0);
    if (write)
        change(vol, &w);
    fat_unmount(vol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memdisk m;
    memdisk_init(&m, data, size, memdisk_bpb_sector(data, size));
    mount_walk(&m, true);
    mount_walk(&m, false);
    memdisk_free(&m);
    return 0;
}
