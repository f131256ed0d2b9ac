/* The crash tools' FAT context: a file extension on C: that bugchecks half-way, in the FAT
 * layer (fat_crash.h). One body for the shell's `crash fat` and notmyfault's SYS_CRASH_FAT. */
#include <string.h>
#include "fs/fat_crash.h"
#include "fs/fat/fat.h"
#include "block/volume.h"
#include "mm/heap.h"
#include "klog.h"
#include "err.h"

int fat_crash_extend(void)
{
    struct volume *vol;
    const char *inner;
    struct fat_file f;
    size_t done;
    int rc = volume_resolve(FAT_CRASH_PATH, &vol, &inner);
    if (rc)
        return rc;
    rc = fat_unlink(vol->fat, inner);
    if (rc && rc != ERR_NOT_FOUND)
        return rc;
    uint8_t *data = kmalloc(FAT_CRASH_BYTES);
    if (!data)
        return ERR_NO_MEMORY;
    memset(data, 0xFA, FAT_CRASH_BYTES);
    rc = fat_create(vol->fat, inner, &f);
    if (rc == 0) {
        klog(KLOG_WARN, "fs: extending %s by %u bytes; the FAT layer bugchecks half-way",
             FAT_CRASH_PATH, FAT_CRASH_BYTES);
        fat_arm_crash(vol->fat, true);
        rc = fat_write(&f, 0, data, FAT_CRASH_BYTES, &done);
        fat_arm_crash(vol->fat, false);
        if (rc == 0)
            rc = ERR_BAD_STATE;
    }
    kfree(data);
    return rc;
}
