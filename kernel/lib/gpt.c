/* GPT reader: protective MBR check, header validation (CRC and every field against the disk),
 * the entry array streamed through the caller's scratch buffer with its CRC, and the
 * partitions checked against the usable range and each other. See gpt.h for the contract. */
#include <stddef.h>
#include <string.h>
#include "lib/hex.h"
#include "lib/gpt.h"
#include "lib/crc32.h"
#include "err.h"

const struct gpt_guid gpt_type_ms_basic_data = { {
    0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
    0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
} };

const struct gpt_guid gpt_type_bb_dump = { {
    0x92, 0xb6, 0xdb, 0x2f, 0x35, 0x10, 0x1f, 0x4a,
    0xa8, 0x0d, 0x9d, 0xb9, 0x08, 0x42, 0xb6, 0xb4,
} };

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* Reads the MBR in LBA 0 and reports in info->flags whether it protects a GPT. An
 * unreadable LBA 0 counts as no protective MBR: the GPT may still be intact. */
static void check_mbr(struct blockdev *disk, uint8_t *scratch, struct gpt_info *info)
{
    struct gpt_mbr mbr;

    if (blockdev_read(disk, 0, 1, scratch) != 0) {
        info->flags |= GPT_INFO_NO_PMBR;
        return;
    }
    memcpy(&mbr, scratch, sizeof(mbr));
    bool protective = false, others = false;
    for (int i = 0; i < 4; i++) {
        uint8_t type = mbr.partition_record[i].os_type;
        if (type == GPT_MBR_TYPE_PROTECTIVE)
            protective = true;
        else if (type != 0)
            others = true;
    }
    if (mbr.signature != GPT_MBR_SIGNATURE || !protective)
        info->flags |= GPT_INFO_NO_PMBR;
    else if (others)
        info->flags |= GPT_INFO_HYBRID_MBR;
}

/* Reads the header at `lba` into *h and checks what needs no knowledge of the disk:
 * signature, revision, HeaderSize and HeaderCRC32 (computed with the CRC field as zero). */
static int read_header(struct blockdev *disk, uint8_t *scratch, uint64_t lba,
                       struct gpt_header *h)
{
    int rc = blockdev_read(disk, lba, 1, scratch);

    if (rc)
        return rc;
    memcpy(h, scratch, sizeof(*h));
    if (memcmp(h->signature, GPT_SIGNATURE, sizeof(h->signature)) != 0)
        return ERR_NOT_FOUND;
    if ((h->revision >> 16) != (GPT_REVISION_1_0 >> 16))
        return ERR_NOT_SUPPORTED;
    if (h->header_size < GPT_HEADER_SIZE_MIN || h->header_size > disk->sector_size)
        return ERR_CORRUPT;
    memset(scratch + offsetof(struct gpt_header, header_crc32), 0, sizeof(h->header_crc32));
    if (crc32(0, scratch, h->header_size) != h->header_crc32)
        return ERR_CHECKSUM;
    return 0;
}

/* Sectors the entry array occupies; the fields are bounded by check_header first. */
static uint64_t array_sectors(const struct gpt_header *h, uint32_t sector_size)
{
    uint64_t bytes = (uint64_t)h->number_of_partition_entries * h->size_of_partition_entry;
    return (bytes + sector_size - 1) / sector_size;
}

static bool in_range(uint64_t lba, uint64_t first, uint64_t count)
{
    return lba >= first && lba - first < count;
}

/* Checks the fields of a header read from `lba` against the disk. The primary's
 * AlternateLBA may be anywhere after its usable range (a disk that grew); the backup's
 * must point back at LBA 1. */
static int check_header(const struct gpt_header *h, uint64_t lba, bool primary,
                        const struct blockdev *disk)
{
    uint64_t n = disk->sectors;

    if (h->my_lba != lba)
        return ERR_CORRUPT;
    if (h->alternate_lba >= n || h->first_usable_lba >= n || h->last_usable_lba >= n ||
        h->partition_entry_lba >= n)
        return ERR_RANGE;
    if (primary ? h->alternate_lba == lba : h->alternate_lba != 1)
        return ERR_CORRUPT;
    if (h->first_usable_lba > h->last_usable_lba)
        return ERR_CORRUPT;
    uint64_t lo = h->my_lba < h->alternate_lba ? h->my_lba : h->alternate_lba;
    uint64_t hi = h->my_lba < h->alternate_lba ? h->alternate_lba : h->my_lba;
    if (h->first_usable_lba <= lo || h->last_usable_lba >= hi)
        return ERR_CORRUPT;
    if (h->size_of_partition_entry < GPT_ENTRY_SIZE_MIN || !is_pow2(h->size_of_partition_entry))
        return ERR_CORRUPT;
    if (h->number_of_partition_entries > GPT_MAX_ENTRIES ||
        (uint64_t)h->number_of_partition_entries * h->size_of_partition_entry >
            GPT_MAX_ARRAY_BYTES)
        return ERR_TOO_BIG;
    uint64_t first = h->partition_entry_lba, count = array_sectors(h, disk->sector_size);
    if (count > n - first)
        return ERR_RANGE;
    if (count == 0)
        return 0;
    if (first == 0 || in_range(h->my_lba, first, count) ||
        in_range(h->alternate_lba, first, count))
        return ERR_CORRUPT;
    if (first + count > h->first_usable_lba && first <= h->last_usable_lba)
        return ERR_CORRUPT;
    return 0;
}

/* PartitionName (UTF-16LE) to ASCII: non-ASCII characters become '?', a surrogate pair
 * one '?'; stops at the first NUL. */
static void name_to_ascii(const uint16_t *name, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < GPT_NAME_MAX && name[i]; i++) {
        uint16_t c = name[i];
        if (c >= 0xDC00 && c <= 0xDFFF && i > 0 && name[i - 1] >= 0xD800 &&
            name[i - 1] <= 0xDBFF)
            continue;
        out[o++] = c < 0x80 ? (char)c : '?';
    }
    out[o] = '\0';
}

/* Validates one used entry against the header; fills *p. */
static int take_entry(const struct gpt_entry *e, unsigned index, const struct gpt_header *h,
                      struct gpt_partition *p)
{
    if (e->starting_lba > e->ending_lba)
        return ERR_CORRUPT;
    if (e->starting_lba < h->first_usable_lba || e->ending_lba > h->last_usable_lba)
        return ERR_RANGE;
    p->index = index;
    memcpy(p->type.b, e->partition_type_guid, sizeof(p->type.b));
    memcpy(p->unique.b, e->unique_partition_guid, sizeof(p->unique.b));
    p->first_lba = e->starting_lba;
    p->last_lba = e->ending_lba;
    p->attributes = e->attributes;
    name_to_ascii(e->partition_name, p->name);
    return 0;
}

struct entry_scan {
    struct gpt_partition *parts;
    unsigned max;
    unsigned used;     /* used entries seen */
    int entry_err;     /* first bad entry's reason */
};

/* Looks at the entries that start inside `buf` (bytes [pos, pos + len) of the array).
 * Entry sizes and sector sizes are both powers of two and every read ends on an entry or a
 * sector boundary, so an entry starting in `buf` has its first 128 bytes in it. */
static void scan_chunk(const uint8_t *buf, uint64_t pos, uint64_t len,
                       const struct gpt_header *h, struct entry_scan *s)
{
    uint64_t esz = h->size_of_partition_entry;
    uint64_t i = (pos + esz - 1) / esz;

    for (; i < h->number_of_partition_entries && i * esz + sizeof(struct gpt_entry) <= pos + len;
         i++) {
        struct gpt_entry e;
        memcpy(&e, buf + (i * esz - pos), sizeof(e));
        struct gpt_guid type;
        memcpy(type.b, e.partition_type_guid, sizeof(type.b));
        if (gpt_guid_is_zero(&type))
            continue;
        struct gpt_partition p;
        int rc = take_entry(&e, (unsigned)i, h, &p);
        if (rc && !s->entry_err)
            s->entry_err = rc;
        if (!rc && s->used < s->max)
            s->parts[s->used] = p;
        s->used++;
    }
}

static bool overlap(const struct gpt_partition *a, const struct gpt_partition *b)
{
    return a->first_lba <= b->last_lba && b->first_lba <= a->last_lba;
}

/* Streams the entry array of a checked header through scratch, verifying its CRC and the
 * partitions. *count = used entries. */
static int read_entries(struct blockdev *disk, uint8_t *scratch, size_t scratch_len,
                        const struct gpt_header *h, struct gpt_partition *parts, unsigned max,
                        unsigned *count)
{
    uint32_t ss = disk->sector_size;
    uint64_t chunk = scratch_len / ss;
    uint64_t total = (uint64_t)h->number_of_partition_entries * h->size_of_partition_entry;
    uint64_t lba = h->partition_entry_lba, pos = 0;
    struct entry_scan s = { .parts = parts, .max = max };
    uint32_t crc = 0;

    while (pos < total) {
        uint64_t left = total - pos;
        uint64_t k = (left + ss - 1) / ss;
        if (k > chunk)
            k = chunk;
        int rc = blockdev_read(disk, lba, k, scratch);
        if (rc)
            return rc;
        uint64_t len = k * ss < left ? k * ss : left;
        crc = crc32(crc, scratch, (size_t)len);
        scan_chunk(scratch, pos, len, h, &s);
        pos += len;
        lba += k;
    }
    *count = 0;
    if (crc != h->partition_entry_array_crc32)
        return ERR_CHECKSUM;
    if (s.entry_err)
        return s.entry_err;
    unsigned stored = s.used < max ? s.used : max;
    for (unsigned i = 0; i < stored; i++)
        for (unsigned j = i + 1; j < stored; j++)
            if (overlap(&parts[i], &parts[j]))
                return ERR_CORRUPT;
    *count = s.used;
    return s.used > max ? ERR_NO_SPACE : 0;
}

/* Reads one copy of the GPT: header at `lba`, then its array. */
static int read_copy(struct blockdev *disk, uint8_t *scratch, size_t scratch_len, uint64_t lba,
                     bool primary, struct gpt_header *h, struct gpt_partition *parts,
                     unsigned max, unsigned *count)
{
    int rc = read_header(disk, scratch, lba, h);

    if (!rc)
        rc = check_header(h, lba, primary, disk);
    if (!rc)
        rc = read_entries(disk, scratch, scratch_len, h, parts, max, count);
    return rc;
}

static void fill_info(struct gpt_info *info, const struct gpt_header *h)
{
    info->header_lba = h->my_lba;
    info->alternate_lba = h->alternate_lba;
    info->first_usable_lba = h->first_usable_lba;
    info->last_usable_lba = h->last_usable_lba;
    info->entries_lba = h->partition_entry_lba;
    info->num_entries = h->number_of_partition_entries;
    info->entry_size = h->size_of_partition_entry;
    memcpy(info->disk_guid.b, h->disk_guid, sizeof(info->disk_guid.b));
}

/* With a good primary: is the backup header it points at valid and describing the same
 * table? Its entry array is not read (the primary's was). */
static int check_backup(struct blockdev *disk, uint8_t *scratch, const struct gpt_header *p)
{
    struct gpt_header b;
    int rc = read_header(disk, scratch, p->alternate_lba, &b);

    if (!rc)
        rc = check_header(&b, p->alternate_lba, false, disk);
    if (rc)
        return rc;
    if (memcmp(b.disk_guid, p->disk_guid, sizeof(b.disk_guid)) != 0 ||
        b.first_usable_lba != p->first_usable_lba || b.last_usable_lba != p->last_usable_lba ||
        b.number_of_partition_entries != p->number_of_partition_entries ||
        b.size_of_partition_entry != p->size_of_partition_entry ||
        b.partition_entry_array_crc32 != p->partition_entry_array_crc32)
        return ERR_CORRUPT;
    return 0;
}

int gpt_read(struct blockdev *disk, void *scratch, size_t scratch_len,
             struct gpt_partition *parts, unsigned max, unsigned *count, struct gpt_info *info)
{
    struct gpt_info local;
    struct gpt_header h;

    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    if (count)
        *count = 0;
    if (!disk || !scratch || !count || (!parts && max > 0))
        return ERR_INVALID_ARGS;
    uint32_t ss = disk->sector_size;
    info->sector_size = ss;
    info->disk_sectors = disk->sectors;
    if (!is_pow2(ss) || ss < 512 || ss > GPT_SECTOR_MAX)
        return ERR_NOT_SUPPORTED;
    if (scratch_len < ss)
        return ERR_INVALID_ARGS;
    if (disk->sectors < 3)
        return ERR_NOT_FOUND;

    check_mbr(disk, scratch, info);
    int rc = read_copy(disk, scratch, scratch_len, 1, true, &h, parts, max, count);
    if (rc == 0 || rc == ERR_NO_SPACE) {
        fill_info(info, &h);
        if (h.alternate_lba != disk->sectors - 1)
            info->flags |= GPT_INFO_BACKUP_NOT_AT_END;
        info->backup_err = check_backup(disk, scratch, &h);
        if (info->backup_err)
            info->flags |= GPT_INFO_BACKUP_BAD;
        return rc;
    }
    info->primary_err = rc;
    rc = read_copy(disk, scratch, scratch_len, disk->sectors - 1, false, &h, parts, max, count);
    if (rc == 0 || rc == ERR_NO_SPACE) {
        info->flags |= GPT_INFO_BACKUP_USED;
        fill_info(info, &h);
        return rc;
    }
    info->backup_err = rc;
    *count = 0;
    return info->primary_err == ERR_NOT_FOUND ? info->backup_err : info->primary_err;
}

bool gpt_guid_equal(const struct gpt_guid *a, const struct gpt_guid *b)
{
    return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool gpt_guid_is_zero(const struct gpt_guid *g)
{
    static const struct gpt_guid zero;
    return gpt_guid_equal(g, &zero);
}

bool gpt_is_basic_data(const struct gpt_partition *p)
{
    return gpt_guid_equal(&p->type, &gpt_type_ms_basic_data);
}

bool gpt_is_bb_dump(const struct gpt_partition *p)
{
    return gpt_guid_equal(&p->type, &gpt_type_bb_dump);
}

/* Byte of the on-disk GUID printed at each position of the text form: the first three
 * groups are little-endian integers, the last two a byte string. */
static const uint8_t guid_text_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

static bool guid_dash_before(int i)
{
    return i == 4 || i == 6 || i == 8 || i == 10;
}

char *gpt_guid_format(const struct gpt_guid *g, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = out;

    for (int i = 0; i < 16; i++) {
        if (guid_dash_before(i))
            *o++ = '-';
        uint8_t v = g->b[guid_text_order[i]];
        *o++ = hex[v >> 4];
        *o++ = hex[v & 0xf];
    }
    *o = '\0';
    return out;
}

int gpt_guid_parse(const char *s, struct gpt_guid *g)
{
    struct gpt_guid out;

    if (!s || !g || strnlen(s, GPT_GUID_STR_LEN + 1) != GPT_GUID_STR_LEN)
        return ERR_INVALID_ARGS;
    for (int i = 0; i < 16; i++) {
        if (guid_dash_before(i) && *s++ != '-')
            return ERR_INVALID_ARGS;
        int hi = hex_digit_value(s[0]), lo = hex_digit_value(s[1]);
        if (hi < 0 || lo < 0)
            return ERR_INVALID_ARGS;
        out.b[guid_text_order[i]] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    *g = out;
    return 0;
}
