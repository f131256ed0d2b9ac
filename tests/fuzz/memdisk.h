/* The fuzz targets' in-memory disk: a block device of a fixed size whose first bytes are the
 * fuzz input and the rest zeros. Writes go to 64 KiB chunks copied on first write, so a
 * target may write anywhere at the cost of the chunks it touches; memdisk_free frees them.
 * Also the fixed clock and malloc environment the FAT core and the registry get. */
#ifndef BB_TESTS_FUZZ_MEMDISK_H
#define BB_TESTS_FUZZ_MEMDISK_H

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fs/fat/fat.h"
#include "lib/blockdev.h"
#include "lib/reg/reg.h"

#define MD_CHUNK  (64u * 1024u)
#define MD_BYTES  (8u << 20)            /* every in-memory disk: 8 MiB */
#define MD_CHUNKS (MD_BYTES / MD_CHUNK)

struct memdisk {
    struct blockdev bd;
    const uint8_t *in;                  /* the fuzz input: the disk's first in_len bytes */
    size_t in_len;
    uint8_t *chunk[MD_CHUNKS];          /* written chunks, NULL while still the input's */
};

/* Bytes [off, off + len) of the disk as the input left them (inside one chunk). */
static void md_base(const struct memdisk *m, uint64_t off, uint8_t *buf, size_t len)
{
    size_t have = off < m->in_len ? m->in_len - (size_t)off : 0;
    if (have > len)
        have = len;
    memcpy(buf, m->in + off, have);
    memset(buf + have, 0, len - have);
}

static int md_io(struct blockdev *bd, uint64_t lba, uint64_t count, uint8_t *rbuf,
                 const uint8_t *wbuf)
{
    struct memdisk *m = bd->ctx;
    uint64_t off = lba * bd->sector_size, len = count * bd->sector_size;
    while (len) {
        size_t c = (size_t)(off / MD_CHUNK), at = (size_t)(off % MD_CHUNK);
        size_t n = MD_CHUNK - at < len ? MD_CHUNK - at : (size_t)len;
        if (wbuf && !m->chunk[c]) {
            if (!(m->chunk[c] = malloc(MD_CHUNK)))
                return ERR_NO_MEMORY;
            md_base(m, (uint64_t)c * MD_CHUNK, m->chunk[c], MD_CHUNK);
        }
        if (wbuf) {
            memcpy(m->chunk[c] + at, wbuf, n);
            wbuf += n;
        } else {
            if (m->chunk[c])
                memcpy(rbuf, m->chunk[c] + at, n);
            else
                md_base(m, off, rbuf, n);
            rbuf += n;
        }
        off += n;
        len -= n;
    }
    return 0;
}

static int md_read(struct blockdev *bd, uint64_t lba, uint64_t count, void *buf)
{
    return md_io(bd, lba, count, buf, NULL);
}

static int md_write(struct blockdev *bd, uint64_t lba, uint64_t count, const void *buf)
{
    return md_io(bd, lba, count, NULL, buf);
}

static int md_flush(struct blockdev *bd)
{
    (void)bd;
    return 0;
}

/* A disk of sector_size-byte sectors (512 or 4096) over the input. */
static inline void memdisk_init(struct memdisk *m, const uint8_t *in, size_t in_len,
                                uint32_t sector_size)
{
    memset(m, 0, sizeof *m);
    m->in = in;
    m->in_len = in_len < MD_BYTES ? in_len : MD_BYTES;
    m->bd = (struct blockdev){ "fuzz", sector_size, MD_BYTES / sector_size, m, md_read,
                               md_write, md_flush };
}

static inline void memdisk_free(struct memdisk *m)
{
    for (size_t i = 0; i < MD_CHUNKS; i++)
        free(m->chunk[i]);
}

/* The sector size a FAT volume at the input's start says it has: 4096 or 512. */
static inline uint32_t memdisk_bpb_sector(const uint8_t *in, size_t len)
{
    return len > 12 && (in[11] | in[12] << 8) == 4096 ? 4096 : 512;
}

static void *md_alloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void md_free(void *ctx, void *p) { (void)ctx; free(p); }
static void md_now(void *ctx, struct fat_time *t)
{
    (void)ctx;
    *t = (struct fat_time){ (44 << 9) | (5 << 5) | 17, (12 << 11) | (34 << 5) | 28, 150 };
}
static const struct fat_env md_fat_env = { NULL, md_alloc, md_free, md_now };
static const struct reg_env md_reg_env = { NULL, md_alloc, md_free };

#endif
