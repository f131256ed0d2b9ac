/* A dump file for the host tools (bbdump, ocad): mapped read-only from disk or borrowed from
 * memory, validated by the dump core, and the tools' one-line error messages. Malformed
 * input never causes a huge allocation or a crash. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/dumptool/bbdump.h"
#include "dump/dump_verify.h"
#include "err.h"

int die(const struct dumpfile *d, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s: ", tool_name, d->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int dumpfile_open(struct dumpfile *d, const char *path)
{
    struct stat st;
    static const uint8_t empty[1];

    memset(d, 0, sizeof(*d));
    d->path = path;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return die(d, "%s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return die(d, "not a regular file");
    }
    d->size = (uint64_t)st.st_size;
    if (d->size > 0) {
        void *m = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return die(d, "mmap: %s", strerror(errno));
        }
        d->map = m;
        d->mapped = true;
    }
    close(fd);
    d->rc = dump_validate(d->map ? d->map : empty, d->map ? d->size : 0, d->size, &d->l);
    return 0;
}

void dumpfile_mem(struct dumpfile *d, const char *name, const void *buf, uint64_t size)
{
    static const uint8_t empty[1];

    memset(d, 0, sizeof(*d));
    d->path = name;
    d->map = size ? buf : NULL;
    d->size = size;
    d->rc = dump_validate(d->map ? d->map : empty, d->map ? d->size : 0, d->size, &d->l);
}

void dumpfile_close(struct dumpfile *d)
{
    if (d->mapped && d->map)
        munmap((void *)d->map, d->size);
    d->map = NULL;
    d->mapped = false;
}

int problem(const struct dumpfile *d)
{
    if (d->l.problem == DUMP_P_SIZE || d->l.problem == DUMP_P_RUNS ||
        d->l.problem == DUMP_P_MINI_STREAM || d->l.problem == DUMP_P_BITMAP)
        return die(d, "%s (%s, value 0x%" PRIx64 ")", dump_problem_str(d->l.problem),
                   err_str(d->rc), d->l.detail);
    return die(d, "%s (%s)", dump_problem_str(d->l.problem), err_str(d->rc));
}

int dumpfile_check_data(const struct dumpfile *d, uint64_t *bad, uint64_t *first_bad)
{
    struct dump_verify v;

    memset(&v, 0, sizeof v);
    *bad = *first_bad = 0;
    if (d->rc != 0)
        return ERR_INVALID_ARGS;
    uint32_t *crcs = malloc(d->l.chunk_count ? d->l.chunk_count * 4 : 1);
    if (!crcs)
        return ERR_NO_MEMORY;
    int rc = dump_verify_begin(&v, d->map, &d->l, crcs, d->l.chunk_count);
    if (rc == 0) {
        dump_verify_feed(&v, d->map, d->l.total);
        rc = dump_verify_end(&v);
    }
    free(crcs);
    *bad = v.bad_chunks;
    *first_bad = v.first_bad;
    if (rc == ERR_CHECKSUM && v.table_ok)
        return ERR_CORRUPT;
    return rc;
}

int dumpfile_cpus(const struct dumpfile *d, const uint8_t **block, struct dump_cpu_block *h)
{
    if (d->rc != 0 || d->l.cpu_offset > d->size)
        return ERR_INVALID_ARGS;
    *block = d->map + d->l.cpu_offset;
    return dump_cpu_block_check(*block, (size_t)(d->size - d->l.cpu_offset), d->l.cpu_count, h);
}
