/* The C: volume of a disk image: GPT lookup of the first basic-data partition (trying both
 * sector sizes), then a FAT32 mount through the portable core. */
#include "tools/lib/imgvol.h"
#include "tools/lib/hostenv.h"
#include "lib/gpt.h"
#include "err.h"

#define MAX_PARTS 128


int imgvol_open(struct imgvol *iv, const char *path, bool writable, const char **step)
{
    static const uint32_t sizes[] = { 512, 4096 };
    static uint8_t scratch[GPT_SCRATCH_MIN];
    static struct gpt_partition parts[MAX_PARTS];
    int rc = ERR_NOT_FOUND;
    iv->vol = NULL;
    for (size_t s = 0; s < 2; s++) {
        unsigned count;
        *step = "open";
        if ((rc = imgdev_open(&iv->dev, path, sizes[s], writable)))
            return rc;
        *step = "partition table";
        rc = gpt_read(&iv->dev.bd, scratch, sizeof scratch, parts, MAX_PARTS, &count, NULL);
        if (rc != 0 && rc != ERR_NO_SPACE) {
            imgdev_close(&iv->dev);   /* no GPT with this sector size: try the next */
            continue;
        }
        rc = ERR_NOT_FOUND;
        for (unsigned i = 0; i < count && i < MAX_PARTS; i++) {
            if (!gpt_is_basic_data(&parts[i]))
                continue;
            rc = blockdev_slice_init(&iv->part, &iv->dev.bd, parts[i].first_lba,
                                     parts[i].last_lba - parts[i].first_lba + 1, "C:");
            if (rc == 0) {
                *step = "FAT32 mount";
                rc = fat_mount(&iv->part.bd, &host_fat_env, &iv->vol);
            }
            break;
        }
        if (rc)
            imgdev_close(&iv->dev);
        return rc;
    }
    return rc;
}

int imgvol_close(struct imgvol *iv)
{
    int rc = iv->vol ? fat_unmount(iv->vol) : 0;
    iv->vol = NULL;
    imgdev_close(&iv->dev);
    return rc;
}
