/* The hive file on a FAT32 volume and its crash-safe save. Portable core shared by the kernel
 * and tools/bbreg, so both follow the same protocol on the same files:
 *
 *   CONFIG\SYSTEM.REG  the hive      CONFIG\SYSTEM.NEW  the next hive, being written
 *   CONFIG\SYSTEM.OLD  the previous  CONFIG\SYSTEM.BAD  a corrupt hive, set aside
 *
 * Every file ends with the integrity line (reg.h); one without it, or whose CRC32C differs, is
 * not loaded. Load tries SYSTEM.REG, then SYSTEM.NEW, then SYSTEM.OLD. Save, when SYSTEM.REG
 * was loaded: write SYSTEM.NEW and flush; delete SYSTEM.OLD; rename SYSTEM.REG to SYSTEM.OLD;
 * rename SYSTEM.NEW to SYSTEM.REG; flush. A FAT rename removes the old name before it writes
 * the new one, so each rename has an instant where its file has no name: during the first the
 * complete SYSTEM.NEW is there, during the second SYSTEM.OLD is, so a reset at any instant
 * leaves one complete hive that load finds (holding the old or the new contents). Save when
 * SYSTEM.REG was not loaded (missing, torn or corrupt): a SYSTEM.REG that failed its integrity
 * line or its parse is renamed to SYSTEM.BAD (replacing an older one), then SYSTEM.REG is
 * written directly and flushed; the copy that was loaded (SYSTEM.NEW or .OLD) is untouched
 * until then, and a torn SYSTEM.REG fails its integrity line. A SYSTEM.REG that could not be
 * loaded for any other reason (out of memory, larger than REG_HIVE_MAX or a limit, a read
 * error) is not proof of damage: it is kept as it is and save refuses (ERR_BAD_STATE).
 * Not thread-safe; not for bugcheck time. */
#ifndef BB_CONFIG_REG_HIVE_H
#define BB_CONFIG_REG_HIVE_H

#include <stdbool.h>
#include "fs/fat/fat.h"
#include "lib/reg/reg.h"

#define REG_HIVE_DIR "CONFIG"
enum reg_hive_file { REG_HIVE_REG, REG_HIVE_NEW, REG_HIVE_OLD, REG_HIVE_FILES };

/* What load found in one file. */
struct reg_hive_status {
    int rc;             /* 0 loaded or loadable; ERR_NOT_FOUND absent; ERR_CHECKSUM integrity
                           line missing or wrong; ERR_CORRUPT / ERR_TOO_BIG parse; ERR_IO... */
    struct reg_error perr;  /* for ERR_CORRUPT: line and reason */
};

struct reg_hive {
    struct fat_vol *vol;                            /* [I] after load */
    int source;                                     /* file loaded, or -1 (none: defaults) */
    bool reg_exists;                                /* a SYSTEM.REG file is there */
    bool reg_valid;                                 /* ... and it holds the saved tree */
    bool reg_bad;                                   /* ... and failed its integrity line
                                                       or parse: save sets it aside */
    struct reg_hive_status status[REG_HIVE_FILES];  /* what load found, file by file */
};

/* Path of a hive file inside the volume ("CONFIG\SYSTEM.REG"). */
const char *reg_hive_path(enum reg_hive_file f);

/* Load the first good file into t (which must be empty) and fill h; a file that runs out of
 * memory or is too big does not stop the others being tried. Returns the file loaded
 * (REG_HIVE_REG...) or, when none is good (t is left empty: the caller starts from defaults;
 * h->status says why), ERR_NO_MEMORY if one ran out of memory, else ERR_NOT_FOUND. */
int reg_hive_load(struct reg_hive *h, struct fat_vol *vol, struct reg_tree *t);
/* Save t by the protocol above. 0, ERR_BAD_STATE (a SYSTEM.REG that was not loaded but may
 * be good is kept: nothing written), or the ERR_* of the step that failed (the previous hive
 * is then still loadable). */
int reg_hive_save(struct reg_hive *h, const struct reg_tree *t);

#endif
