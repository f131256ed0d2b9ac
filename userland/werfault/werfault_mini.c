/* werfault: the minidump of the crash in MinidumpDir, and MinidumpsCount. */
#include "werfault.h"
#include "crashdump.h"
#include "dump/recovery/dump_convert.h"
#include "dump/recovery/dump_names.h"

#define MINI_DIRS_MAX 512            /* names considered when pruning */

static int fd_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    int fd = *(int *)ctx;
    if (seek(fd, (int64_t)off, SYS_SEEK_SET) < 0)
        return ERR_IO;
    long n = write_all(fd, buf, len);
    return n == (long)len ? 0 : n < 0 ? (int)n : ERR_IO;
}

static int exists(void *ctx, const char *name)
{
    char path[SYS_PATH_MAX];
    struct sys_stat st;
    snprintf(path, sizeof path, "%s\\%s", (const char *)ctx, name);
    int rc = stat(path, &st);
    return rc == 0 ? 1 : rc == ERR_NOT_FOUND ? 0 : rc;
}

/* A minidump of this crash already in dir (a run cut short): its name into out. Headers are
 * read through buf (buf_len bytes). */
static bool find_own(const struct crash *c, const char *dir, char *out, size_t cap,
                     uint8_t *buf, size_t buf_len)
{
    struct sys_dirent de;
    struct dump_mini_name n;
    bool found = false;
    int fd = opendir(dir);
    if (fd < 0)
        return false;
    while (!found && readdir(fd, &de) == 1) {
        if (dump_mini_name_parse(de.name, c->now.year, &n) != 0 ||
            n.number != dump_mini_name_number(c->seq))
            continue;
        snprintf(out, cap, "%s\\%s", dir, de.name);
        found = wer_holds_dump(out, c->seq, buf, buf_len);
    }
    close(fd);
    return found;
}

int wer_write_minidump(struct crash *c, const char *from, uint8_t *buf, size_t cap)
{
    char dir[SYS_PATH_MAX], name[DUMP_MINI_NAME_LEN + 1];
    crash_reg_path(CC_MINIDUMP_DIR, dir, sizeof dir);
    int rc = mkdir(dir);
    if (rc && rc != ERR_EXISTS)
        return rc;
    if (!find_own(c, dir, c->minidump, sizeof c->minidump, buf, cap)) {
        struct dump_mini_name n = { c->now.year, c->now.month, c->now.day,
                                    dump_mini_name_number(c->seq), 1 };
        if ((rc = dump_mini_name_pick(&n, exists, dir, name, sizeof name)) < 0)
            return rc;
        snprintf(c->minidump, sizeof c->minidump, "%s\\%s", dir, name);
    }
    struct dump_layout l;
    if ((rc = crash_header(from, buf, cap, &l)) != 0)
        return rc;
    if (l.dump_type == DUMP_TYPE_SMALL) {
        if ((rc = wer_copy_dump(from, c->minidump, l.total, buf, cap)) == 0)
            wer_note("minidump %s: the small dump itself, %lu bytes", c->minidump,
                     (unsigned long)l.total);
        else
            c->minidump[0] = 0;
        return rc;
    }
    struct sys_stat st;
    if ((rc = stat(from, &st)) != 0)
        return rc;
    int in = open(from, SYS_O_READ);
    if (in < 0)
        return in;
    int out = open(c->minidump, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (out < 0) {
        close(in);
        return out;
    }
    /* buf holds the source's prefix (header and bitmap) for the conversion */
    struct dump_convert_io io = { crash_fd_read, &in, st.size, fd_write, &out, buf, cap };
    struct dump_convert_result res;
    rc = dump_convert_to_mini(&io, &res);
    if (rc == ERR_TOO_BIG)
        wer_note("%s is too big to convert here: its header and bitmap need %lu KiB, werfault "
                 "has %lu KiB", from, (unsigned long)(res.prefix_needed >> 10),
                 (unsigned long)(cap >> 10));
    close(in);
    int crc = close(out);
    if (rc == 0)
        rc = crc;
    if (rc == 0)
        wer_note("minidump %s: %lu bytes, %u streams", c->minidump, (unsigned long)res.size,
                 res.streams);
    else
        c->minidump[0] = 0;
    return rc;
}

int wer_prune_minidumps(const struct crash *c)
{
    static char names[MINI_DIRS_MAX][DUMP_MINI_NAME_LEN + 1];
    static const char *ptrs[MINI_DIRS_MAX];
    static size_t order[MINI_DIRS_MAX];
    char dir[SYS_PATH_MAX], path[SYS_PATH_MAX];
    crash_reg_path(CC_MINIDUMP_DIR, dir, sizeof dir);
    uint32_t keep = crash_reg_dword(CC_MINIDUMPS_COUNT);
    struct sys_dirent de;
    struct dump_mini_name n;
    size_t count = 0, del = 0, kept = 0;
    int fd = opendir(dir);
    if (fd < 0)
        return fd;
    while (count < MINI_DIRS_MAX && readdir(fd, &de) == 1)
        if (dump_mini_name_parse(de.name, c->now.year, &n) == 0) {
            snprintf(names[count], sizeof names[count], "%s", de.name);
            ptrs[count] = names[count];
            count++;
        }
    close(fd);
    int rc = dump_mini_names_prune(ptrs, count, keep, c->now.year, order, &del, &kept);
    if (rc)
        return rc;
    for (size_t i = 0; i < del; i++) {
        snprintf(path, sizeof path, "%s\\%s", dir, names[order[i]]);
        if ((rc = unlink(path)) != 0)
            wer_note("cannot delete %s: %s", path, err_str(rc));
        else
            wer_note("deleted %s (MinidumpsCount %u)", path, keep);
    }
    return (int)del;
}
