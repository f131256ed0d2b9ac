/* libFuzzer target for the GPT reader: the input is the whole disk, read once with 512-byte
 * and once with 4096-byte sectors (what is left of a sector at the end is dropped), into a
 * table of 4 partitions (so a longer table is ERR_NO_SPACE) and with a small scratch buffer
 * and a large one. Seeds: tests/fuzz/seeds/gpt/ (sgdisk images). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lib/gpt.h"

struct disk {
    const uint8_t *data;
};

static int disk_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    const struct disk *d = bd->ctx;
    memcpy(buf, d->data + lba * bd->sector_size, count * bd->sector_size);
    return 0;
}

static int disk_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    (void)bd, (void)lba, (void)count, (void)buf;
    return ERR_ACCESS;
}

static int disk_flush(struct blockdev *bd)
{
    (void)bd;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t sector[] = { 512, 4096 };
    static const size_t scratch_len[] = { GPT_SCRATCH_MIN, 64 * 1024 };
    struct disk d = { data };
    struct gpt_partition parts[4];
    struct gpt_info info;
    unsigned count;
    char guid[GPT_GUID_STR_LEN + 1];

    for (size_t s = 0; s < 2; s++) {
        struct blockdev bd = { "fuzz", sector[s], size / sector[s], &d, disk_read, disk_write,
                               disk_flush };
        for (size_t k = 0; k < 2; k++) {
            void *scratch = malloc(scratch_len[k]);
            if (!scratch)
                return 0;
            int rc = gpt_read(&bd, scratch, scratch_len[k], parts, 4, &count, &info);
            free(scratch);
            for (unsigned i = 0; (rc == 0 || rc == ERR_NO_SPACE) && i < count && i < 4; i++) {
                gpt_guid_format(&parts[i].type, guid);
                gpt_guid_parse(guid, &parts[i].unique);
                gpt_is_basic_data(&parts[i]);
            }
        }
    }
    return 0;
}
