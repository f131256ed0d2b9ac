/* Volume discovery and drive letters: GPT -> slices -> FAT32 mounts, with the kernel's
 * allocator and the RTC as the FAT core's environment; dump partitions listed, untouched. */
#include <string.h>
#include "block/volume.h"
#include "lib/gpt.h"
#include "lib/fmt.h"
#include "mm/heap.h"
#include "arch/rtc.h"
#include "klog.h"
#include "err.h"

#define FIRST_LETTER 'C'
#define FAT_EPOCH_YEAR 1980

static struct volume volumes[VOLUME_MAX];
static unsigned nvolumes;
static struct dump_part dump_parts[DUMP_PART_MAX];
static unsigned ndump_parts;

/* FAT timestamps: date = (year-1980)<<9 | month<<5 | day, time = h<<11 | m<<5 | s/2. */
static void env_now(void *ctx, struct fat_time *out)
{
    (void)ctx;
    struct rtc_time t;
    if (rtc_read(&t) || t.year < FAT_EPOCH_YEAR) {
        *out = (struct fat_time){ (uint16_t)(1u << 5 | 1u), 0, 0 };   /* 1980-01-01 */
        return;
    }
    out->date = (uint16_t)((t.year - FAT_EPOCH_YEAR) << 9 | t.month << 5 | t.day);
    out->time = (uint16_t)(t.hour << 11 | t.minute << 5 | t.second / 2);
    out->tenths = (uint8_t)(t.second % 2 * 100);
}

static const struct fat_env env = { NULL, heap_env_alloc, heap_env_free, env_now };

static void mount_partition(const struct disk *d, const struct gpt_partition *p)
{
    if (nvolumes == VOLUME_MAX) {
        klog(KLOG_WARN, "volume: %s: more than %d volumes, partition %u ignored", d->bd->name,
             VOLUME_MAX, p->index + 1);
        return;
    }
    struct volume *v = &volumes[nvolumes];
    memset(v, 0, sizeof *v);
    v->disk = d;
    v->partition = p->index + 1;
    fmt_snprintf(v->name, sizeof v->name, "%sp%u", d->bd->name, v->partition);
    v->letter = (char)(FIRST_LETTER + nvolumes);
    nvolumes++;
    int rc = blockdev_slice_init(&v->slice, d->bd, p->first_lba, p->last_lba - p->first_lba + 1, v->name);
    if (!rc)
        rc = fat_mount(&v->slice.bd, &env, &v->fat);
    if (rc) {
        v->fat = NULL;
        v->mount_err = rc;
        klog(KLOG_ERR, "volume: %s: cannot mount FAT32: %s (%c: unavailable)", v->name, err_str(rc),
             v->letter);
        return;
    }
    struct fat_info fi;
    fat_info(v->fat, &fi);
    klog(KLOG_INFO, "volume: %c: is %s, FAT32 \"%s\", %lu MiB, %lu MiB free", v->letter, v->name,
         fi.label, (unsigned long)((uint64_t)fi.clusters * fi.cluster_size >> 20),
         (unsigned long)((uint64_t)fi.free_clusters * fi.cluster_size >> 20));
    if (fi.fsinfo_fixed)
        klog(KLOG_WARN, "volume: %c: FSInfo's free count was wrong; counted from the FAT, "
             "rewritten at the next change", v->letter);
}

/* A dump partition is only noted: nothing here reads or writes it. */
static void note_dump_part(const struct disk *d, const struct gpt_partition *p)
{
    if (ndump_parts == DUMP_PART_MAX) {
        klog(KLOG_WARN, "volume: %s: more than %d dump partitions, partition %u ignored",
             d->bd->name, DUMP_PART_MAX, p->index + 1);
        return;
    }
    struct dump_part *dp = &dump_parts[ndump_parts++];
    dp->disk = d;
    dp->partition = p->index + 1;
    fmt_snprintf(dp->name, sizeof dp->name, "%sp%u", d->bd->name, dp->partition);
    dp->first_lba = p->first_lba;
    dp->sectors = p->last_lba - p->first_lba + 1;
    klog(KLOG_INFO, "volume: %s is a dump partition, %lu MiB (not mounted)", dp->name,
         (unsigned long)(dp->sectors * d->bd->sector_size >> 20));
}

static void scan_disk(const struct disk *d)
{
    void *scratch = kmalloc(GPT_SCRATCH_MIN);
    struct gpt_partition *parts = kmalloc(sizeof *parts * VOLUME_PARTS_PER_DISK);
    if (!scratch || !parts) {
        klog(KLOG_ERR, "volume: %s: out of memory", d->bd->name);
        kfree(scratch);
        kfree(parts);
        return;
    }
    unsigned count = 0;
    struct gpt_info info;
    int rc = gpt_read(d->bd, scratch, GPT_SCRATCH_MIN, parts, VOLUME_PARTS_PER_DISK, &count, &info);
    if (rc == ERR_NO_SPACE) {
        klog(KLOG_WARN, "volume: %s: %u partitions, only the first %d are used", d->bd->name, count,
             VOLUME_PARTS_PER_DISK);
        count = VOLUME_PARTS_PER_DISK;
        rc = 0;
    }
    if (rc) {
        klog(rc == ERR_NOT_FOUND ? KLOG_INFO : KLOG_ERR, "volume: %s: no usable GPT: %s", d->bd->name,
             err_str(rc));
    } else {
        if (info.flags & GPT_INFO_BACKUP_USED)
            klog(KLOG_WARN, "volume: %s: primary GPT damaged (%s), using the backup", d->bd->name,
                 err_str(info.primary_err));
        for (unsigned i = 0; i < count; i++)
            if (gpt_is_basic_data(&parts[i]))
                mount_partition(d, &parts[i]);
            else if (gpt_is_bb_dump(&parts[i]))
                note_dump_part(d, &parts[i]);
    }
    kfree(scratch);
    kfree(parts);
}

int volume_mount_all(void)
{
    const struct disk *d;
    for (unsigned i = 0; (d = disk_at(i)); i++)
        scan_disk(d);
    return (int)nvolumes;
}

struct volume *volume_at(unsigned i)
{
    return i < nvolumes ? &volumes[i] : NULL;
}

struct volume *volume_by_letter(char letter)
{
    if (letter >= 'a' && letter <= 'z')
        letter = (char)(letter - 'a' + 'A');
    for (unsigned i = 0; i < nvolumes; i++)
        if (volumes[i].letter == letter)
            return &volumes[i];
    return NULL;
}

int volume_resolve(const char *path, struct volume **v, const char **inner)
{
    if (!path || !*path)
        return ERR_INVALID_ARGS;
    char letter = FIRST_LETTER;
    if (path[0] && path[1] == ':') {
        letter = path[0];
        path += 2;
    }
    *v = volume_by_letter(letter);
    if (!*v)
        return ERR_NOT_FOUND;
    if (!(*v)->fat)
        return (*v)->mount_err;
    *inner = *path ? path : "\\";
    return 0;
}

const struct dump_part *volume_dump_part_at(unsigned i)
{
    return i < ndump_parts ? &dump_parts[i] : NULL;
}

int volume_sync_all(void)
{
    int first_err = 0;
    for (unsigned i = 0; i < nvolumes; i++) {
        if (!volumes[i].fat)
            continue;
        int rc = fat_sync(volumes[i].fat);
        if (rc && !first_err)
            first_err = rc;
    }
    return first_err;
}
