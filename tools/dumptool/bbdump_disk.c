/* bbdump extract's view of the guest's disks, offline and without root: each image opened
 * read-only as a block device (writes the FAT core would make — access dates, FSInfo — are
 * dropped), its GPT read and every basic-data partition's FAT32 mounted with the kernel's
 * cores and lettered as kernel/block/volume.c does, each dump partition listed; the crash settings from the SYSTEM hive
 * on C: (lib/reg/crash_control.h, with its defaults); a file's clusters as a copy source read
 * in large runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/reg/crash_control.h"
#include "lib/gpt.h"
#include "lib/reg/reg.h"
#include "config/reg_hive.h"
#include "tools/dumptool/bbdump_extract.h"
#include "tools/lib/hostenv.h"
#include "err.h"

static int drop_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    (void)bd, (void)lba, (void)count, (void)buf;
    return 0;
}

static int drop_flush(struct blockdev *bd)
{
    (void)bd;
    return 0;
}

/* Opens the image and reads its GPT, trying 512- then 4096-byte sectors. */
static int open_image(struct disk_image *im, const char *path, struct gpt_partition *parts,
                      unsigned *count)
{
    static const uint32_t sizes[] = { 512, 4096 };
    static uint8_t scratch[GPT_SCRATCH_MIN];
    int rc = ERR_NOT_FOUND;

    im->path = path;
    for (size_t s = 0; s < 2; s++) {
        if ((rc = imgdev_open(&im->dev, path, sizes[s], false)) != 0)
            return rc;
        im->ro = im->dev.bd;
        im->ro.write = drop_write;
        im->ro.flush = drop_flush;
        rc = gpt_read(&im->ro, scratch, sizeof scratch, parts, DISK_PARTS_MAX, count, NULL);
        if (rc == ERR_NO_SPACE) {
            *count = DISK_PARTS_MAX;
            rc = 0;
        }
        if (rc == 0)
            return 0;
        imgdev_close(&im->dev);
    }
    return rc;
}

static void mount_partition(struct disks *d, struct disk_image *im, const struct gpt_partition *p)
{
    if (d->nvol == DISK_VOLUMES_MAX) {
        fprintf(stderr, "bbdump: %s: more than %d volumes, partition %u ignored\n", im->path,
                DISK_VOLUMES_MAX, p->index + 1);
        return;
    }
    struct disk_volume *v = &d->vol[d->nvol];
    memset(v, 0, sizeof *v);
    v->letter = (char)('C' + d->nvol++);
    v->img = im;
    v->partition = p->index + 1;
    int rc = blockdev_slice_init(&v->slice, &im->ro, p->first_lba, p->last_lba - p->first_lba + 1,
                                 im->path);
    if (rc == 0)
        rc = fat_mount(&v->slice.bd, &host_fat_env, &v->fat);
    if (rc) {
        v->fat = NULL;
        v->mount_err = rc;
        fprintf(stderr, "bbdump: %s: partition %u: cannot mount FAT32: %s (%c: unavailable)\n",
                im->path, v->partition, err_str(rc), v->letter);
    }
}

static void note_dump_partition(struct disks *d, struct disk_image *im,
                                const struct gpt_partition *p)
{
    if (d->npart == DISK_DUMPPARTS_MAX) {
        fprintf(stderr, "bbdump: %s: more than %d dump partitions, partition %u ignored\n",
                im->path, DISK_DUMPPARTS_MAX, p->index + 1);
        return;
    }
    struct disk_dumppart *dp = &d->part[d->npart];
    dp->img = im;
    dp->partition = p->index + 1;
    if (blockdev_slice_init(&dp->slice, &im->ro, p->first_lba, p->last_lba - p->first_lba + 1,
                            im->path) == 0)
        d->npart++;
}

int disks_open(struct disks *d, char *const *paths, unsigned n)
{
    static struct gpt_partition parts[DISK_PARTS_MAX];

    memset(d, 0, sizeof *d);
    if (n > DISK_IMAGES_MAX) {
        fprintf(stderr, "bbdump: at most %d images\n", DISK_IMAGES_MAX);
        return 1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct disk_image *im = &d->img[i];
        unsigned count = 0;
        if (access(paths[i], R_OK) != 0) {
            fprintf(stderr, "bbdump: %s: %s\n", paths[i], strerror(errno));
            disks_close(d);
            return 1;
        }
        int rc = open_image(im, paths[i], parts, &count);
        if (rc) {
            fprintf(stderr, "bbdump: %s: %s\n", paths[i], rc == ERR_NOT_FOUND ?
                    "no GPT (not a Blackbox disk image?)" : err_str(rc));
            disks_close(d);
            return 1;
        }
        d->nimg++;
        for (unsigned j = 0; j < count; j++) {
            if (gpt_is_basic_data(&parts[j]))
                mount_partition(d, im, &parts[j]);
            else if (gpt_is_bb_dump(&parts[j]))
                note_dump_partition(d, im, &parts[j]);
        }
    }
    return 0;
}

void disks_close(struct disks *d)
{
    for (unsigned i = 0; i < d->nvol; i++)
        if (d->vol[i].fat)
            fat_unmount(d->vol[i].fat);
    for (unsigned i = 0; i < d->nimg; i++)
        imgdev_close(&d->img[i].dev);
    d->nvol = d->nimg = 0;
}

int disks_resolve(struct disks *d, const char *winpath, struct disk_volume **v,
                  const char **inner)
{
    char letter = 'C';

    if (winpath[0] && winpath[1] == ':') {
        letter = winpath[0];
        if (letter >= 'a' && letter <= 'z')
            letter = (char)(letter - 'a' + 'A');
        winpath += 2;
    }
    for (unsigned i = 0; i < d->nvol; i++) {
        if (d->vol[i].letter == letter && d->vol[i].fat) {
            *v = &d->vol[i];
            *inner = winpath;
            return 0;
        }
    }
    return ERR_NOT_FOUND;
}

/* ---- The crash settings ---- */

/* PagingFiles' paths. An unusable first entry gives the default, as the kernel takes it. */
static void paging_files(const struct cc_source *src, struct crash_settings *s)
{
    for (unsigned i = 0; s->npaging < SETTINGS_PAGING_MAX; i++) {
        int rc = cc_get_paging_file(src, i, s->paging[s->npaging], SETTINGS_PATH_MAX, NULL);
        if (rc == 0 || i == 0)
            s->npaging++;
        else if (rc == ERR_NOT_FOUND)
            break;
    }
}

int crash_settings_read(struct disks *d, struct crash_settings *s)
{
    struct reg_tree tree;
    struct reg_hive hive;
    struct disk_volume *c;
    const char *inner;

    memset(s, 0, sizeof *s);
    reg_tree_init(&tree, &host_reg_env);
    if (disks_resolve(d, "C:", &c, &inner) != 0) {
        snprintf(s->hive_note, sizeof s->hive_note, "no C: volume: registry defaults used");
    } else {
        int rc = reg_hive_load(&hive, c->fat, &tree);
        if (rc == ERR_NO_MEMORY)
            return rc;
        if (rc < 0)
            snprintf(s->hive_note, sizeof s->hive_note, "C:\\%s not loadable (%s): registry "
                     "defaults used", reg_hive_path(REG_HIVE_REG), err_str(hive.status[0].rc));
        else if (rc != REG_HIVE_REG)
            snprintf(s->hive_note, sizeof s->hive_note, "loaded the fallback hive C:\\%s",
                     reg_hive_path(rc));
    }
    const struct cc_source src = { cc_tree_get, &tree };
    cc_get_string(&src, CC_DUMP_FILE, s->dump_file, sizeof s->dump_file);
    cc_get_string(&src, CC_MINIDUMP_DIR, s->minidump_dir, sizeof s->minidump_dir);
    cc_get_string(&src, CC_DEDICATED_DUMP_FILE, s->dedicated, sizeof s->dedicated);
    paging_files(&src, s);
    reg_tree_clear(&tree);
    return 0;
}

/* ---- A file as a copy source ---- */

static int fat_src_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct fat_src *f = ctx;
    struct blockdev *bd = &f->vol->slice.bd;
    uint64_t ss = bd->sector_size, start = 0;
    uint8_t *p = buf;
    size_t i = 0;

    if (off % ss)
        return ERR_INVALID_ARGS;
    while (len) {
        for (i = 0, start = 0; i < f->count && off - start >= f->ext[i].sectors * ss; i++)
            start += f->ext[i].sectors * ss;
        if (i == f->count || off < start)
            return ERR_CORRUPT;   /* the chain is shorter than the file size */
        uint64_t in = off - start, avail = f->ext[i].sectors * ss - in;
        uint64_t k = len < avail ? len : avail, lba = f->ext[i].lba + in / ss, whole = k / ss;
        int rc = whole ? blockdev_read(bd, lba, whole, p) : 0;
        if (rc == 0 && k % ss) {
            rc = blockdev_read(bd, lba + whole, 1, f->bounce);
            memcpy(p + whole * ss, f->bounce, (size_t)(k % ss));
        }
        if (rc)
            return rc;
        p += k;
        off += k;
        len -= (size_t)k;
    }
    return 0;
}

int fat_src_open(struct fat_src *f, struct disk_volume *v, const char *path)
{
    struct fat_file file;
    size_t count = 0;

    memset(f, 0, sizeof *f);
    int rc = fat_open(v->fat, path, &file);
    if (rc)
        return rc;
    rc = fat_extents(&file, NULL, 0, &count);
    if (rc && rc != ERR_TOO_BIG)
        return rc;
    f->ext = calloc(count ? count : 1, sizeof *f->ext);
    f->bounce = malloc(v->slice.bd.sector_size);
    if (!f->ext || !f->bounce) {
        fat_src_close(f);
        return ERR_NO_MEMORY;
    }
    if (count && (rc = fat_extents(&file, f->ext, count, &f->count)) != 0) {
        fat_src_close(f);
        return rc;
    }
    f->vol = v;
    f->src = (struct copy_src){ f, fat_file_size(&file), fat_src_read };
    return 0;
}

void fat_src_close(struct fat_src *f)
{
    free(f->ext);
    free(f->bounce);
    f->ext = NULL;
    f->bounce = NULL;
}

static int part_src_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct part_src *p = ctx;
    struct blockdev *bd = &p->part->slice.bd;
    uint32_t ss = bd->sector_size;
    uint64_t whole = len / ss;
    int rc = whole ? blockdev_read(bd, off / ss, whole, buf) : 0;
    if (rc == 0 && len % ss) {
        rc = blockdev_read(bd, off / ss + whole, 1, p->bounce);
        if (rc == 0)
            memcpy((uint8_t *)buf + whole * ss, p->bounce, len % ss);
    }
    return rc;
}

int part_src_open(struct part_src *p, struct disk_dumppart *part)
{
    p->part = part;
    p->bounce = malloc(part->slice.bd.sector_size);
    if (!p->bounce)
        return ERR_NO_MEMORY;
    p->src = (struct copy_src){ p, part->slice.bd.sectors * part->slice.bd.sector_size,
                                part_src_read };
    return 0;
}

void part_src_close(struct part_src *p)
{
    free(p->bounce);
    p->bounce = NULL;
}
