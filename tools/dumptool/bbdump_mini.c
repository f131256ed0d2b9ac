/* bbdump mini: turns a complete or bitmap dump into a small dump (DumpType 4) with the
 * conversion core the WerFault stage uses (dump/recovery/dump_convert.c): the dump file is
 * the mapped source, the output is written with pwrite. A failed conversion leaves no file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/recovery/dump_convert.h"
#include "tools/dumptool/bbdump.h"
#include "err.h"

static int map_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct dumpfile *d = ctx;
    if (off > d->size || len > d->size - off)
        return ERR_RANGE;
    memcpy(buf, d->map + off, len);
    return 0;
}

static int fd_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    int fd = *(const int *)ctx;
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ERR_IO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Runs the conversion with a work buffer for the source's prefix, grown once if needed. */
static int convert(struct dumpfile *d, int fd, struct dump_convert_result *res)
{
    size_t len = DUMP_HEADER_SIZE;
    for (int round = 0; round < 2; round++) {
        void *work = malloc(len);
        if (!work)
            return ERR_NO_MEMORY;
        struct dump_convert_io io = { .read = map_read, .read_ctx = d, .file_size = d->size,
                                      .write = fd_write, .write_ctx = &fd, .work = work,
                                      .work_len = len };
        int rc = dump_convert_to_mini(&io, res);
        free(work);
        if (rc != ERR_TOO_BIG || res->prefix_needed <= len)
            return rc;
        len = (size_t)res->prefix_needed;
    }
    return ERR_TOO_BIG;
}

int cmd_mini(struct dumpfile *d, const char *out)
{
    if (d->rc != 0)
        return problem(d);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return die(d, "%s: %s", out, strerror(errno));
    struct dump_convert_result res;
    int rc = convert(d, fd, &res);
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    if (rc) {
        unlink(out);
        if (rc == ERR_NOT_SUPPORTED && res.src.dump_type == DUMP_TYPE_SMALL)
            return die(d, "already a %s dump: nothing to convert",
                       dump_type_name(res.src.dump_type));
        if (res.src.problem != DUMP_OK)
            return die(d, "%s (%s)", dump_problem_str(res.src.problem), err_str(rc));
        return die(d, "cannot convert to %s: %s", out, err_str(rc));
    }
    printf("%s: small dump of %" PRIu64 " bytes from the %s dump: %u streams (stack %" PRIu64
           " bytes, %u register pages, klog %s)\n", out, res.size,
           dump_type_name(res.src.dump_type), res.streams, res.stack_bytes, res.memory_pages,
           res.klog ? "kept" : "not kept");
    return 0;
}
