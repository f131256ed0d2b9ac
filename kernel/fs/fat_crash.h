/* The crash tools' FAT context (`crash fat` at the shell, `notmyfault fat` from a program): a
 * bugcheck raised inside the FAT layer in the middle of a file extension, after the new
 * clusters are chained in the on-disk FAT and before the directory entry records them. The
 * FAT layer has no lock (its callers take turns, fat.h); the crash path never enters it (the
 * dump goes through the block map taken at boot), and the next boot's smss recovers from the
 * volume as the crash left it. Not for bugcheck time. */
#ifndef BB_FS_FAT_CRASH_H
#define BB_FS_FAT_CRASH_H

#define FAT_CRASH_PATH  "C:\\FATCRASH.TMP"   /* the file extended (on the pagefile's volume) */
#define FAT_CRASH_BYTES (64u * 1024u)        /* bytes written to it */

/* (Re)create FAT_CRASH_PATH empty, arm the FAT layer's crash point on its volume, and write
 * FAT_CRASH_BYTES (0xFA) to it: the write bugchecks (0xE2) in grow_write. After the reset
 * the file is there, empty, and its clusters are a chain in the FAT no entry names (fsck.fat:
 * orphaned clusters). Returns only when the crash could not happen: the error (no volume,
 * no memory, no space...), the crash point disarmed. */
int fat_crash_extend(void);

#endif
