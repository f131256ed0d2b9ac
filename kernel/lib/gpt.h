/* GUID Partition Table reader (UEFI 2.10, chapter 5): the protective MBR, the primary header
 * at LBA 1 with a fallback to the backup at the last LBA, and the partition entry array, all
 * validated against the disk before anything is believed. Portable core: the kernel reads
 * disks with it, host tools and unit tests read image files; I/O only through blockdev. */
#ifndef BB_LIB_GPT_H
#define BB_LIB_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/blockdev.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "GPT fields are little-endian");

/* ---- On-disk format (UEFI 2.10 tables 5-1, 5-2, 5-5, 5-6; all fields little-endian) ---- */

#define GPT_SIGNATURE         "EFI PART"   /* header Signature, 8 bytes, no NUL */
#define GPT_REVISION_1_0      0x00010000u  /* header Revision 1.0 */
#define GPT_HEADER_SIZE_MIN   92u          /* bytes of the header defined by the spec */
#define GPT_ENTRY_SIZE_MIN    128u         /* SizeOfPartitionEntry is 128 * 2^n */
#define GPT_MBR_SIGNATURE     0xAA55u      /* MBR Signature at byte 510 */
#define GPT_MBR_TYPE_PROTECTIVE 0xEEu      /* OSType of the protective MBR's partition */

struct gpt_mbr_partition {
    uint8_t boot_indicator;       /* BootIndicator: 0x00 for the protective record */
    uint8_t starting_chs[3];      /* StartingCHS: 0x000200 for the protective record */
    uint8_t os_type;              /* OSType: 0xEE = GPT protective */
    uint8_t ending_chs[3];        /* EndingCHS: CHS of the last LBA, or 0xFFFFFF */
    uint32_t starting_lba;        /* StartingLBA: 1 for the protective record */
    uint32_t size_in_lba;         /* SizeInLBA: disk size - 1, or 0xFFFFFFFF if too large */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_mbr_partition) == 16, "MBR partition record is 16 bytes");

struct gpt_mbr {
    uint8_t boot_code[440];                        /* BootCode: unused by UEFI */
    uint32_t unique_mbr_disk_signature;            /* UniqueMBRDiskSignature: unused */
    uint16_t unknown;                              /* Unknown: unused */
    struct gpt_mbr_partition partition_record[4];  /* PartitionRecord: one of type 0xEE */
    uint16_t signature;                            /* Signature: 0xAA55 */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_mbr) == 512, "MBR is 512 bytes at the start of LBA 0");

struct gpt_header {
    char signature[8];                      /* Signature: "EFI PART" */
    uint32_t revision;                      /* Revision: 0x00010000 */
    uint32_t header_size;                   /* HeaderSize: bytes the CRC covers, 92..sector */
    uint32_t header_crc32;                  /* HeaderCRC32: of HeaderSize bytes, this as 0 */
    uint32_t reserved;                      /* Reserved: zero */
    uint64_t my_lba;                        /* MyLBA: LBA of this header (1, or the last LBA) */
    uint64_t alternate_lba;                 /* AlternateLBA: LBA of the other header */
    uint64_t first_usable_lba;              /* FirstUsableLBA: first LBA a partition may use */
    uint64_t last_usable_lba;               /* LastUsableLBA: last LBA a partition may use */
    uint8_t disk_guid[16];                  /* DiskGUID: identifies the disk */
    uint64_t partition_entry_lba;           /* PartitionEntryLBA: start of the entry array */
    uint32_t number_of_partition_entries;   /* NumberOfPartitionEntries: array length */
    uint32_t size_of_partition_entry;       /* SizeOfPartitionEntry: 128 * 2^n bytes */
    uint32_t partition_entry_array_crc32;   /* PartitionEntryArrayCRC32: CRC-32 of the array */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_header) == 92, "GPT header is 92 bytes");

struct gpt_entry {
    uint8_t partition_type_guid[16];      /* PartitionTypeGUID: all zero = entry unused */
    uint8_t unique_partition_guid[16];    /* UniquePartitionGUID */
    uint64_t starting_lba;                /* StartingLBA: first LBA of the partition */
    uint64_t ending_lba;                  /* EndingLBA: last LBA, inclusive */
    uint64_t attributes;                  /* Attributes: GPT_ATTR_* bits, 48-63 type-specific */
    uint16_t partition_name[36];          /* PartitionName: UTF-16LE, NUL-padded */
};
_Static_assert(sizeof(struct gpt_entry) == 128, "GPT partition entry is 128 bytes");

#define GPT_ATTR_REQUIRED        (1ull << 0)   /* platform required partition */
#define GPT_ATTR_NO_BLOCK_IO     (1ull << 1)   /* EFI must not produce a block-I/O protocol */
#define GPT_ATTR_LEGACY_BOOTABLE (1ull << 2)   /* legacy BIOS bootable */
#define GPT_ATTR_MS_READ_ONLY    (1ull << 60)  /* Microsoft basic data: read-only */
#define GPT_ATTR_MS_HIDDEN       (1ull << 62)  /* Microsoft basic data: hidden */
#define GPT_ATTR_MS_NO_LETTER    (1ull << 63)  /* Microsoft basic data: no drive letter */

/* ---- What the reader returns ---- */

/* A GUID in its on-disk byte order (first three groups little-endian, as in the spec). */
struct gpt_guid {
    uint8_t b[16];
};

#define GPT_NAME_MAX 36   /* UTF-16 code units in PartitionName */

struct gpt_partition {
    unsigned index;                  /* 0-based slot in the entry array (Linux's sdaN is N-1) */
    struct gpt_guid type;            /* PartitionTypeGUID, never all zero */
    struct gpt_guid unique;          /* UniquePartitionGUID */
    uint64_t first_lba;              /* first sector, first_usable <= first_lba */
    uint64_t last_lba;               /* last sector, inclusive, last_lba <= last_usable */
    uint64_t attributes;             /* GPT_ATTR_* bits */
    char name[GPT_NAME_MAX + 1];     /* PartitionName as ASCII, NUL-terminated; '?' for any
                                        character outside ASCII (a surrogate pair gives one) */
};

/* info->flags */
#define GPT_INFO_BACKUP_USED     (1u << 0)  /* primary was bad (primary_err): read the backup */
#define GPT_INFO_BACKUP_BAD      (1u << 1)  /* primary good but the backup header is bad or
                                               disagrees with it (backup_err) */
#define GPT_INFO_NO_PMBR         (1u << 2)  /* LBA 0 is not a protective (or hybrid) MBR */
#define GPT_INFO_HYBRID_MBR      (1u << 3)  /* the MBR has other partitions beside the 0xEE one */
#define GPT_INFO_BACKUP_NOT_AT_END (1u << 4) /* backup header is not at the last LBA (the disk
                                               grew after partitioning) */

struct gpt_info {
    uint32_t flags;            /* GPT_INFO_* */
    int primary_err;           /* 0, or why the primary header/array was rejected */
    int backup_err;            /* 0, or why the backup was rejected (only looked at when the
                                  primary is bad, or its header when the primary is good) */
    uint32_t sector_size;      /* of the disk, bytes */
    uint64_t disk_sectors;     /* of the disk */
    uint64_t header_lba;       /* MyLBA of the header that was used: 1, or the backup's */
    uint64_t alternate_lba;    /* AlternateLBA of that header */
    uint64_t first_usable_lba;
    uint64_t last_usable_lba;
    uint64_t entries_lba;      /* PartitionEntryLBA of the array that was used */
    uint32_t num_entries;      /* NumberOfPartitionEntries */
    uint32_t entry_size;       /* SizeOfPartitionEntry */
    struct gpt_guid disk_guid;
};

/* Largest NumberOfPartitionEntries, and largest entry array in bytes, accepted (ERR_TOO_BIG
 * above): 4 MiB, 32768 entries of 128 bytes. Windows and sgdisk create 128 entries (16 KiB);
 * the limit keeps a forged header from making gpt_read() stream gigabytes. */
#define GPT_MAX_ENTRIES     32768u
#define GPT_MAX_ARRAY_BYTES (GPT_MAX_ENTRIES * GPT_ENTRY_SIZE_MIN)

/* Sector sizes supported: powers of two from 512 to GPT_SECTOR_MAX bytes. */
#define GPT_SECTOR_MAX 4096u

/* Smallest scratch buffer gpt_read() accepts on every disk: one sector of the largest size. */
#define GPT_SCRATCH_MIN GPT_SECTOR_MAX

/* Reads and validates the GPT of `disk`.
 *
 * scratch/scratch_len: a caller buffer of at least one sector (disk->sector_size bytes;
 *   GPT_SCRATCH_MIN fits every disk). Reads go into it, so it must suit the device (DMA-able
 *   for a disk driver). A larger buffer lets the entry array be read several sectors at a
 *   time; nothing else depends on its size. Its contents afterwards are unspecified.
 * parts/max: room for `max` partitions; used entries are stored in array order.
 * count: set to the number of used entries in the table (also when > max).
 * info: may be NULL; otherwise filled in as far as known, also on failure (flags,
 *   primary_err and backup_err say what was wrong).
 *
 * The protective MBR is checked but only reported (GPT_INFO_NO_PMBR): a lost or unreadable
 * LBA 0 does not hide a valid GPT. The primary header (LBA 1) and its entry array are used
 * if every check passes: signature, revision 1.x, HeaderSize, HeaderCRC32, MyLBA,
 * AlternateLBA, the usable range and the entry array inside the disk and apart from each
 * other and from both headers, entry size and count, PartitionEntryArrayCRC32, and every
 * used entry inside the usable range with StartingLBA <= EndingLBA and no two overlapping. Otherwise the backup header at
 * the last LBA is tried the same way (GPT_INFO_BACKUP_USED). When the primary is good, the
 * backup header is read and compared with it, and a mismatch only sets GPT_INFO_BACKUP_BAD.
 *
 * Returns 0 on success, else (nothing in parts[] is to be believed):
 *   ERR_INVALID_ARGS   NULL disk/scratch/count, parts NULL with max > 0, scratch too small
 *   ERR_NOT_SUPPORTED  sector size not a power of two in 512..4096, or header revision not 1.x
 *   ERR_NOT_FOUND      neither LBA 1 nor the last LBA holds "EFI PART": not a GPT disk
 *   ERR_CHECKSUM       HeaderCRC32 or PartitionEntryArrayCRC32 mismatch
 *   ERR_CORRUPT        inconsistent header fields, bad entry size, a partition with
 *                      StartingLBA > EndingLBA, or two partitions overlapping
 *   ERR_RANGE          a header field, the entry array or a partition outside the disk or
 *                      its usable range
 *   ERR_TOO_BIG        NumberOfPartitionEntries > GPT_MAX_ENTRIES, or the array larger than
 *                      GPT_MAX_ARRAY_BYTES
 *   ERR_NO_SPACE       valid table, but more used entries (*count) than max: the first max
 *                      are in parts[]
 *   ERR_IO / others    from the block device
 * When both copies are bad, the primary's reason is returned, unless the primary has no
 * signature at all (then the backup's). Reads only; never writes the disk. Not for the
 * bugcheck path (it runs at boot). */
int gpt_read(struct blockdev *disk, void *scratch, size_t scratch_len,
             struct gpt_partition *parts, unsigned max, unsigned *count, struct gpt_info *info);

/* The Microsoft basic data partition type, EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 (FAT32,
 * exFAT, NTFS volumes; sgdisk type code 0700). */
extern const struct gpt_guid gpt_type_ms_basic_data;

/* True when `p` is a Microsoft basic data partition. */
bool gpt_is_basic_data(const struct gpt_partition *p);

/* Blackbox's dump partition type (FreeBSD's dump device): a raw partition that only the dump
 * stack writes, never mounted or formatted. The text form is what tools/mkdisk reads from
 * this line and hands to sgdisk/fdisk; gpt_type_bb_dump holds the same GUID's bytes. */
#define GPT_TYPE_BB_DUMP_TEXT "2FDBB692-1035-4A1F-A80D-9DB90842B6B4"
extern const struct gpt_guid gpt_type_bb_dump;

/* True when `p` is a Blackbox dump partition. */
bool gpt_is_bb_dump(const struct gpt_partition *p);

bool gpt_guid_equal(const struct gpt_guid *a, const struct gpt_guid *b);
bool gpt_guid_is_zero(const struct gpt_guid *g);

#define GPT_GUID_STR_LEN 36   /* "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" without the NUL */

/* Writes `g` as 36 upper-case hex characters and dashes plus a NUL into out, which must
 * hold GPT_GUID_STR_LEN + 1 bytes. Returns out. */
char *gpt_guid_format(const struct gpt_guid *g, char *out);

/* Parses the textual form (either case, dashes where gpt_guid_format puts them, nothing
 * else) into `g`. Returns 0 or ERR_INVALID_ARGS. */
int gpt_guid_parse(const char *s, struct gpt_guid *g);

#endif
