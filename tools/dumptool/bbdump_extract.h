/* bbdump extract's parts: the copy that validates a dump while it streams it out
 * (bbdump_copy.c, no file-system knowledge, also driven by the fuzz target), the disk images
 * seen as the kernel sees them (bbdump_disk.c: GPT, FAT32 volumes lettered C:, D:..., the
 * SYSTEM hive's crash settings), the output names made safe (bbdump_name.c), and the
 * command (bbdump_extract.c). */
#ifndef BB_TOOLS_BBDUMP_EXTRACT_H
#define BB_TOOLS_BBDUMP_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dump/dump_validate.h"
#include "fs/fat/fat.h"
#include "lib/blockdev.h"
#include "tools/lib/imgdev.h"

/* ---- Streaming a dump out (bbdump_copy.c) ---- */

#define COPY_ALIGN 4096u   /* every read offset is a multiple of this */

/* Where the bytes come from: read(ctx, off, buf, len) fills len bytes at off (off a multiple
 * of COPY_ALIGN, off + len <= size); returns 0 or a negative ERR_* code. */
struct copy_src {
    void *ctx;
    uint64_t size;
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
};

enum copy_status {
    COPY_VALID,        /* a valid, complete dump: its RequiredDumpSpace bytes were written */
    COPY_NO_DUMP,      /* no dump where one may be: no signature (a pagefile in use), or the
                          stub header of a target ready for the next dump (CLEARED, not VALID) */
    COPY_INCOMPLETE,   /* cut short: not marked valid, not complete, or the file is short */
    COPY_CORRUPT,      /* damaged: reason says where */
    COPY_ERROR,        /* reading the source or writing the copy failed */
};

struct copy_result {
    enum copy_status status;
    char reason[200];          /* one line, for every status but COPY_VALID ("" then) */
    const char *kind;          /* "complete", "kernel", "small", or "-" before the header */
    uint32_t bugcheck;         /* BugCheckCode, when the header was readable */
    uint64_t sequence;         /* bb.sequence, likewise */
    bool have_header;          /* bugcheck and sequence mean something */
    bool cleared;              /* DUMP_BB_CLEARED: already recovered by smss */
    uint64_t bytes;            /* bytes of the dump (RequiredDumpSpace) when it validated */
};

/* Validates the dump at the start of src (signature, header CRC, layout, every data chunk's
 * CRC32C, the external CRC table's own CRC) while it copies its RequiredDumpSpace bytes to
 * out_fd (-1: validate only). `may_be_empty`: a missing signature is COPY_NO_DUMP (a pagefile
 * or dedicated file without a dump), not COPY_CORRUPT. Returns r->status; on anything but
 * COPY_VALID, what was written to out_fd is not a good dump (the caller removes it). Memory:
 * one 8 MiB buffer, the validated prefix and one CRC per chunk. */
enum copy_status dump_copy(const struct copy_src *src, int out_fd, bool may_be_empty,
                           struct copy_result *r);

/* Copies src to out_fd as it is (the event log). 0 or a negative ERR_* code. */
int raw_copy(const struct copy_src *src, int out_fd);

/* ---- The disk images (bbdump_disk.c) ---- */

#define DISK_IMAGES_MAX 8
#define DISK_VOLUMES_MAX 24     /* C: to Z: */
#define DISK_PARTS_MAX 128

/* An image opened read-only; its writes (the FAT core's access dates, FSInfo) are dropped,
 * so the image is never changed. */
struct disk_image {
    struct imgdev dev;
    struct blockdev ro;        /* dev.bd with writes dropped */
    const char *path;
};

struct disk_volume {
    char letter;
    struct disk_image *img;
    unsigned partition;        /* 1-based GPT entry */
    struct blockdev_slice slice;
    struct fat_vol *fat;       /* NULL when mount failed */
    int mount_err;
};

/* A Blackbox dump partition (lib/gpt.h's GPT_TYPE_BB_DUMP_TEXT): raw sectors, no file system. */
struct disk_dumppart {
    struct disk_image *img;
    unsigned partition;        /* 1-based GPT entry */
    struct blockdev_slice slice;
};
#define DISK_DUMPPARTS_MAX 8

struct disks {
    struct disk_image img[DISK_IMAGES_MAX];
    unsigned nimg;
    struct disk_volume vol[DISK_VOLUMES_MAX];
    unsigned nvol;
    struct disk_dumppart part[DISK_DUMPPARTS_MAX];
    unsigned npart;
};

/* Opens every image (512- then 4096-byte sectors), reads its GPT and mounts each
 * basic-data partition's FAT32 in order, lettered as the kernel does (C: the first, a
 * letter is used even when the mount fails), and lists its dump partitions. Returns 0, or 1 after printing why an image
 * cannot be read. disks_close unmounts and closes everything. */
int disks_open(struct disks *d, char *const *paths, unsigned n);
void disks_close(struct disks *d);

/* The mounted volume and the path inside it for a Windows path "X:\dir\file" (a path
 * without a drive is on C:). Returns 0, ERR_NOT_FOUND (no such letter, or not mounted). */
int disks_resolve(struct disks *d, const char *winpath, struct disk_volume **v,
                  const char **inner);

/* The crash settings in C:\CONFIG\SYSTEM.REG, read as the kernel reads them
 * (lib/reg/crash_control.h): Windows' defaults for what is missing or unusable, %SystemRoot%
 * expanded to C: in a REG_EXPAND_SZ. */
#define SETTINGS_PATH_MAX 256
#define SETTINGS_PAGING_MAX 4
struct crash_settings {
    char dump_file[SETTINGS_PATH_MAX];        /* "C:\MEMORY.DMP" */
    char minidump_dir[SETTINGS_PATH_MAX];     /* "C:\Minidump" */
    char dedicated[SETTINGS_PATH_MAX];        /* DedicatedDumpFile, "" when unset */
    char paging[SETTINGS_PAGING_MAX][SETTINGS_PATH_MAX];  /* PagingFiles' paths (the
                                                             default for an unusable first) */
    unsigned npaging;
    char hive_note[160];                      /* why defaults were used, "" if the hive loaded */
};
/* Fills s. Returns 0, or ERR_NO_MEMORY. */
int crash_settings_read(struct disks *d, struct crash_settings *s);

/* A file of a volume as a copy source: its clusters read straight from the device in large
 * requests. fat_src_open returns 0 or ERR_*; fat_src_close frees it. */
struct fat_src {
    struct copy_src src;
    struct disk_volume *vol;
    struct fat_extent *ext;
    size_t next;               /* extent the last read ended in */
    size_t count;
    uint8_t *bounce;           /* one sector, for a read ending mid-sector */
};
int fat_src_open(struct fat_src *f, struct disk_volume *v, const char *path);
void fat_src_close(struct fat_src *f);

/* A dump partition as a copy source: all of its bytes, read straight from the image.
 * part_src_open returns 0 or ERR_NO_MEMORY; part_src_close frees it. */
struct part_src {
    struct copy_src src;
    struct disk_dumppart *part;
    uint8_t *bounce;           /* one sector, for a read ending mid-sector */
};
int part_src_open(struct part_src *p, struct disk_dumppart *part);
void part_src_close(struct part_src *p);

/* ---- Output names (bbdump_name.c) ---- */

#define OUT_NAME_MAX 100   /* a sanitised name is shorter, its NUL not counted */

/* The name to give a copy of the file whose name (from the image) is `in`: one component,
 * printable ASCII, with '_' for each of " * / : < > ? \ | and every byte below 0x20 or above
 * 0x7E, a run of dots made one dot, leading dots and spaces and trailing dots and spaces
 * dropped, "_" for an empty name, a '_' put before a Windows device name (CON, PRN, AUX, NUL,
 * COM0-9, LPT0-9, CONIN$, CONOUT$, with any extension), cut to OUT_NAME_MAX - 1 bytes keeping
 * an extension of up to 16 characters. Never "." or "..". Returns true if out differs from in. */
bool out_name_sanitise(const char *in, char out[OUT_NAME_MAX + 1]);

/* `in` for the table: printable ASCII as it is, other bytes as \xHH, cut with "..." to fit
 * cap bytes (at least 4) with its NUL. */
void out_name_escape(const char *in, char *out, size_t cap);

int cmd_extract(int argc, char **argv);

#endif
