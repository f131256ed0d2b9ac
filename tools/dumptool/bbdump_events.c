/* `bbdump events IMAGE|FILE [N]`: the system event log, read from a Blackbox system disk
 * image (C:\EVENTS\SYSTEM.EVT on the first basic-data partition, read-only) or from a copy of
 * SYSTEM.EVT, printed as the guest's `eventlog` prints it: the last N records (default all),
 * oldest first, with a note for records skipped as corrupt. Links the event log and FAT32
 * cores; any input gives lines or one error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/dumptool/bbdump.h"
#include "tools/lib/imgvol.h"
#include "eventlog/evlog_fat.h"
#include "err.h"

#define FILE_MAX (256ull << 20)   /* largest SYSTEM.EVT copy read into memory */

struct memlog {
    uint8_t *data;
    uint64_t size;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memlog *m = ctx;
    if (off > m->size || len > m->size - off)
        return ERR_RANGE;
    memcpy(buf, m->data + off, len);
    return 0;
}

static int mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx, (void)off, (void)buf, (void)len;
    return ERR_ACCESS;
}

static int mem_sync(void *ctx)
{
    (void)ctx;
    return ERR_ACCESS;
}

static int print_last(const char *path, struct evlog *lg, uint32_t n)
{
    char line[EVLOG_MESSAGE_MAX + 96];
    struct evlog_record r;
    if (lg->skipped)
        fprintf(stderr, "bbdump: %s: note: %u records skipped: sequence number out of range "
                "or inconsistent with their neighbours (%u of them corrupt: a writer resets "
                "this log)\n", path, lg->skipped, lg->corrupt);
    int64_t first = evlog_first_of_last(lg, n);
    int rc = first < 0 ? (int)first : 0;
    for (uint64_t s = first < 0 ? 1 : (uint64_t)first; rc == 0 && s <= lg->last_seq; s++) {
        rc = evlog_read(lg, s, &r);
        if (rc == ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0) {
            evlog_format_line(line, sizeof line, &r);
            printf("%s\n", line);
        }
    }
    if (rc) {
        fprintf(stderr, "bbdump: %s: reading the event log: %s\n", path, err_str(rc));
        return 1;
    }
    return 0;
}

/* A copy of SYSTEM.EVT (the file starts with the log's magic). */
static int from_file(const char *path, FILE *f, uint32_t n)
{
    static struct evlog lg;
    struct memlog m = { NULL, 0 };
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) < 0) {
        fprintf(stderr, "bbdump: %s: cannot seek: %s\n", path, strerror(errno));
        return 1;
    }
    m.size = (uint64_t)ftell(f);
    if (m.size > FILE_MAX) {
        fprintf(stderr, "bbdump: %s: %llu bytes: larger than any event log (%llu)\n", path,
                (unsigned long long)m.size, (unsigned long long)FILE_MAX);
        return 1;
    }
    m.data = malloc(m.size ? m.size : 1);
    rewind(f);
    if (!m.data || fread(m.data, 1, m.size, f) != m.size) {
        fprintf(stderr, "bbdump: %s: cannot read\n", path);
        free(m.data);
        return 1;
    }
    struct evlog_io io = { &m, mem_read, mem_write, mem_sync };
    int rc = evlog_open(&lg, &io, m.size);
    if (rc) {
        fprintf(stderr, "bbdump: %s: not a usable event log: %s\n", path, err_str(rc));
        free(m.data);
        return 1;
    }
    rc = print_last(path, &lg, n);
    free(m.data);
    return rc;
}

/* A disk image: C:\EVENTS\SYSTEM.EVT through GPT and FAT32, nothing written. */
static int from_image(const char *path, uint32_t n)
{
    static struct evlog_file ef;
    struct imgvol iv;
    const char *step;
    int rc = imgvol_open(&iv, path, false, &step);
    if (rc) {
        fprintf(stderr, "bbdump: %s: neither an event log nor a disk image with C: (%s: %s)\n",
                path, step, err_str(rc));
        return 1;
    }
    rc = evlog_fat_open(&ef, iv.vol, &iv.part.bd, EVLOG_FAT_PATH, 0, NULL);
    int ret;
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "bbdump: %s: C:\\%s does not exist (no event logged yet)\n", path,
                EVLOG_FAT_PATH);
        ret = 1;
    } else if (rc) {
        fprintf(stderr, "bbdump: %s: C:\\%s: %s\n", path, EVLOG_FAT_PATH, err_str(rc));
        ret = 1;
    } else {
        ret = print_last(path, &ef.log, n);
    }
    imgvol_close(&iv);
    return ret;
}

int cmd_events(const char *path, uint32_t n)
{
    char magic[8];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bbdump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int rc;
    if (n == 0)
        n = UINT32_MAX;
    if (fread(magic, 1, sizeof magic, f) == sizeof magic &&
        memcmp(magic, EVLOG_FILE_MAGIC, sizeof magic) == 0) {
        rc = from_file(path, f, n);
        fclose(f);
    } else {
        fclose(f);
        rc = from_image(path, n);
    }
    return rc;
}
