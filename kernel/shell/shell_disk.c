/* Disk commands of the shell: `disks` lists the registered disks, `blk` is a low-level
 * sector tool (hex dump of sectors, fill sectors with a byte then flush; never over a dump
 * partition, which only the dump stack writes). Errors this file
 * can explain better than an ERR_* name are printed here as one line. */
#include <stdint.h>
#include <string.h>
#include "shell/shell.h"
#include "console/console.h"
#include "block/disk.h"
#include "block/volume.h"
#include "mm/heap.h"
#include "arch/timer.h"
#include "lib/fmt.h"
#include "err.h"

#define BLK_READ_MAX_BYTES  (16u * 1024u)     /* most a single `blk read` dumps */
#define BLK_FILL_CHUNK      (1024u * 1024u)   /* bytes written per call by `blk fill` */
#define DUMP_WIDTH          16                /* bytes per hex dump line */

/* Parse argument `what` into *out, printing a one-line error on failure. */
static int arg_num(const char *what, const char *s, uint64_t max, uint64_t *out)
{
    int rc = num_parse(s, max, out);
    if (rc == ERR_INVALID_ARGS)
        kprintf("blk: %s '%s' is not a number\n", what, s);
    else if (rc)
        kprintf("blk: %s %s out of range (at most %lu)\n", what, s, (unsigned long)max);
    return rc;
}

void shell_format_size(char *buf, size_t cap, uint64_t bytes)
{
    uint64_t mib = bytes >> 20;
    if (mib < 1024)
        fmt_snprintf(buf, cap, "%lu MiB", (unsigned long)mib);
    else
        fmt_snprintf(buf, cap, "%lu.%lu GiB", (unsigned long)(mib >> 10),
                     (unsigned long)((mib & 1023) * 10 / 1024));
}

int shell_cmd_disks(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ERR_INVALID_ARGS;
    const struct disk *d = disk_at(0);
    if (!d) {
        kprintf("no disks\n");
        return 0;
    }
    kprintf("%-10s %10s %12s %6s  %-24s %s\n", "DISK", "SIZE", "SECTORS", "SECTOR", "MODEL",
            "CONTROLLER");
    for (unsigned i = 0; (d = disk_at(i)); i++) {
        char size[24];
        shell_format_size(size, sizeof size, d->bd->sectors * d->bd->sector_size);
        kprintf("%-10s %10s %12lu %6u  %-24s %s\n", d->bd->name, size,
                (unsigned long)d->bd->sectors, d->bd->sector_size, d->model, d->controller);
    }
    return 0;
}

static void hex_dump(uint64_t lba, uint32_t sector_size, const uint8_t *p, uint64_t count)
{
    for (uint64_t s = 0; s < count; s++) {
        kprintf("LBA %lu:\n", (unsigned long)(lba + s));
        for (uint32_t off = 0; off < sector_size; off += DUMP_WIDTH) {
            const uint8_t *line = p + s * sector_size + off;
            char hex[DUMP_WIDTH * 3 + 1], text[DUMP_WIDTH + 1];
            for (unsigned i = 0; i < DUMP_WIDTH; i++) {
                fmt_snprintf(hex + i * 3, 4, " %02x", line[i]);
                text[i] = line[i] >= 0x20 && line[i] < 0x7F ? (char)line[i] : '.';
            }
            text[DUMP_WIDTH] = 0;
            kprintf("  %04x:%s  |%s|\n", off, hex, text);
        }
    }
}

static int blk_read(const struct disk *d, int argc, char **argv)
{
    struct blockdev *bd = d->bd;
    uint64_t lba, count = 1, max_count = BLK_READ_MAX_BYTES / bd->sector_size;
    if (argc > 5)
        return ERR_INVALID_ARGS;
    if (arg_num("LBA", argv[3], bd->sectors - 1, &lba) ||
        (argc == 5 && arg_num("COUNT", argv[4], max_count, &count)))
        return 0;
    if (count == 0 || lba + count > bd->sectors) {
        kprintf("blk: LBA %lu + %lu sectors is outside %s (%lu sectors)\n", (unsigned long)lba,
                (unsigned long)count, bd->name, (unsigned long)bd->sectors);
        return 0;
    }
    uint8_t *buf = kmalloc(count * bd->sector_size);
    if (!buf)
        return ERR_NO_MEMORY;
    int rc = blockdev_read(bd, lba, count, buf);
    if (rc == 0)
        hex_dump(lba, bd->sector_size, buf, count);
    else
        kprintf("blk: read of %s LBA %lu failed: %s\n", bd->name, (unsigned long)lba, err_str(rc));
    kfree(buf);
    return 0;
}

static int blk_fill(const struct disk *d, int argc, char **argv)
{
    struct blockdev *bd = d->bd;
    uint64_t lba, count, byte;
    if (argc != 6)
        return ERR_INVALID_ARGS;
    if (arg_num("LBA", argv[3], bd->sectors - 1, &lba) ||
        arg_num("COUNT", argv[4], bd->sectors, &count) || arg_num("BYTE", argv[5], 0xFF, &byte))
        return 0;
    if (count == 0 || lba + count > bd->sectors) {
        kprintf("blk: LBA %lu + %lu sectors is outside %s (%lu sectors)\n", (unsigned long)lba,
                (unsigned long)count, bd->name, (unsigned long)bd->sectors);
        return 0;
    }
    const struct dump_part *dp;
    for (unsigned i = 0; (dp = volume_dump_part_at(i)); i++) {
        if (dp->disk == d && lba < dp->first_lba + dp->sectors && dp->first_lba < lba + count) {
            kprintf("blk: LBA %lu + %lu sectors overlaps dump partition %s: only the dump "
                    "stack writes it\n", (unsigned long)lba, (unsigned long)count, dp->name);
            return 0;
        }
    }
    uint64_t chunk = BLK_FILL_CHUNK / bd->sector_size;
    if (chunk > count)
        chunk = count;
    uint8_t *buf = kmalloc(chunk * bd->sector_size);
    if (!buf)
        return ERR_NO_MEMORY;
    memset(buf, (int)byte, chunk * bd->sector_size);
    uint64_t t0 = timer_ns(), done = 0;
    int rc = 0;
    while (done < count && rc == 0) {
        uint64_t n = count - done < chunk ? count - done : chunk;
        rc = blockdev_write(bd, lba + done, n, buf);
        if (rc == 0)
            done += n;
    }
    if (rc == 0)
        rc = blockdev_flush(bd);
    kfree(buf);
    if (rc) {
        kprintf("blk: fill of %s failed after %lu sectors: %s\n", bd->name, (unsigned long)done,
                err_str(rc));
        return 0;
    }
    kprintf("wrote %lu sectors (%lu KiB) of 0x%02lx at LBA %lu of %s in %lu ms, flushed\n",
            (unsigned long)count, (unsigned long)(count * bd->sector_size >> 10),
            (unsigned long)byte, (unsigned long)lba, bd->name,
            (unsigned long)((timer_ns() - t0) / 1000000u));
    return 0;
}

int shell_cmd_blk(int argc, char **argv)
{
    if (argc < 4)
        return ERR_INVALID_ARGS;
    const struct disk *d = disk_find(argv[1]);
    if (!d) {
        kprintf("blk: no disk named '%s' (see 'disks')\n", argv[1]);
        return 0;
    }
    if (strcmp(argv[2], "read") == 0)
        return blk_read(d, argc, argv);
    if (strcmp(argv[2], "fill") == 0)
        return blk_fill(d, argc, argv);
    kprintf("blk: unknown operation '%s' (read or fill)\n", argv[2]);
    return 0;
}
