/* The event log as a file on a FAT32 volume (portable core): opens or creates it (one
 * contiguous preallocated file, formatted by evlog_format) and maps its clusters once, so
 * that appending writes only sectors inside the file, straight to the block device: no FAT,
 * directory or FSInfo sector changes after creation, hence a reset during an append leaves
 * the volume as clean as before. Each access first checks that the path still names the same
 * clusters (ERR_BAD_STATE if the file was deleted or replaced: open it again). Not
 * thread-safe (the caller serializes with every other user of the volume); not for bugcheck
 * time. */
#ifndef BB_EVENTLOG_EVLOG_FAT_H
#define BB_EVENTLOG_EVLOG_FAT_H

#include <stdbool.h>
#include "lib/evlog/evlog.h"
#include "fs/fat/fat.h"

#define EVLOG_FAT_PATH      "EVENTS\\SYSTEM.EVT"   /* on C: */
#define EVLOG_FAT_BYTES     (256u * 1024u)          /* default size: 511 records */
#define EVLOG_FAT_EXTENTS   64u                     /* most cluster runs the file may have */
#define EVLOG_FAT_PATH_MAX  128u
#define EVLOG_FAT_SECTOR_MAX 4096u                  /* largest sector size handled */

struct evlog_file {
    struct fat_vol *vol;          /* [I] */
    struct blockdev *bd;          /* the volume's device, the one vol was mounted on [I] */
    char path[EVLOG_FAT_PATH_MAX];/* [I] */
    bool writable;                /* appends allowed [I] */
    bool formatted;               /* this open created the file or formatted it anew */
    bool reset;                   /* ... formatted it anew because the log was corrupt */
    uint32_t reset_corrupt;       /* with reset: the old log's corrupt records */
    uint32_t first_cluster;       /* the file's chain and size when opened */
    uint32_t size;
    size_t runs;                  /* entries used in ext */
    struct fat_extent ext[EVLOG_FAT_EXTENTS];
    uint8_t bounce[EVLOG_FAT_SECTOR_MAX];
    struct evlog log;             /* the open log */
};

/* Open the log at path on vol (mounted on bd). With create_bytes > 0 the log may be
 * written: a missing file is created with that size (its parent folder too, one level), a
 * file of that size whose header is damaged (a reset while it was being formatted) is
 * formatted again, a log that evlog_needs_reset condemns (corrupt records, no next sequence
 * number) is formatted anew at its size (ef->reset), and a file of another size that is no
 * log is replaced; ef->formatted says a new log was made. now stamps a new header (unused, may be NULL, when create_bytes
 * is 0: then nothing is ever written). 0, or ERR_NOT_FOUND, ERR_CORRUPT, ERR_NOT_SUPPORTED, ERR_TOO_BIG (more than
 * EVLOG_FAT_EXTENTS runs), ERR_NO_SPACE, ERR_IO... */
int evlog_fat_open(struct evlog_file *ef, struct fat_vol *vol, struct blockdev *bd,
                   const char *path, uint32_t create_bytes, const struct evlog_time *now);
/* evlog_append through the file (writable opens only: else ERR_ACCESS); durable: the
 * device's cache is flushed before returning. */
int evlog_fat_append(struct evlog_file *ef, struct evlog_record *r, bool durable);
/* 0 when the path still names the file that was opened, else ERR_BAD_STATE (or the lookup's
 * error). evlog_fat_append checks this itself; readers call it before evlog_read. */
int evlog_fat_check(struct evlog_file *ef);

#endif
