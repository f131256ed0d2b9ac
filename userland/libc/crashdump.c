/* Crash-dump helpers shared by smss and werfault (crashdump.h). */
#include "crashdump.h"

/* CrashControl through the registry system calls: a string comes back already expanded by
 * the kernel (reg_get_string, by the same cc_expand), so it is handed on as a REG_SZ. */
static int get(void *ctx, const char *key, const char *name, uint32_t want, uint32_t *type,
               void *buf, size_t cap, size_t *len)
{
    (void)ctx;
    int rc;
    if (want == REG_DWORD) {
        uint32_t v;
        if (cap < sizeof v)
            return ERR_TOO_BIG;
        if ((rc = reg_get_dword(key, name, &v)) != 0)
            return rc;
        memcpy(buf, &v, sizeof v);
        *type = REG_DWORD;
        *len = sizeof v;
        return 0;
    }
    if (want != REG_SZ)
        return ERR_NOT_SUPPORTED;
    if ((rc = reg_get_sz(key, name, buf, cap)) != 0)
        return rc;
    *type = REG_SZ;
    *len = strlen(buf) + 1;
    return 0;
}

static const struct cc_source registry = { get, NULL };

int crash_reg_path(enum cc_value v, char *out, size_t cap)
{
    return cc_get_string(&registry, v, out, cap);
}

uint32_t crash_reg_dword(enum cc_value v)
{
    uint32_t x;
    cc_get_dword(&registry, v, &x);
    return x;
}

char crash_drive(const char *path)
{
    if (path[0] && path[1] == ':')
        return (char)(path[0] >= 'a' && path[0] <= 'z' ? path[0] - 32 : path[0]);
    return 'C';
}

int crash_fd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    long rc = seek(fd, (int64_t)off, SYS_SEEK_SET);
    if (rc < 0)
        return (int)rc;
    for (size_t done = 0; done < len; ) {
        long n = read(fd, (uint8_t *)buf + done, len - done);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return ERR_IO;
        done += (size_t)n;
    }
    return 0;
}

int crash_verify(const char *path, void *buf, size_t cap, struct dump_verify *v)
{
    struct sys_stat st;
    int rc = stat(path, &st);
    if (rc)
        return rc;
    int fd = open(path, SYS_O_READ);
    if (fd < 0)
        return fd;
    rc = dump_verify_file(crash_fd_read, &fd, st.size, buf, cap, v);
    close(fd);
    return rc;
}

int crash_header(const char *path, void *buf, size_t cap, struct dump_layout *l)
{
    struct sys_stat st;
    int rc = stat(path, &st);
    if (rc)
        return rc;
    if (st.size < DUMP_HEADER_SIZE)
        return ERR_CORRUPT;
    int fd = open(path, SYS_O_READ);
    if (fd < 0)
        return fd;
    rc = dump_verify_prefix(crash_fd_read, &fd, st.size, buf, cap, NULL, l);
    close(fd);
    return rc;
}

int crash_mark_cleared(const char *path, void *buf, size_t cap)
{
    if (cap < DUMP_HEADER_SIZE)
        return ERR_INVALID_ARGS;
    int fd = open(path, SYS_O_READ | SYS_O_WRITE);
    if (fd < 0)
        return fd;
    uint8_t *h = buf;
    int rc = crash_fd_read(&fd, 0, h, DUMP_HEADER_SIZE);
    const struct dump_bb_fields *bb = (const void *)(h + DUMP_BB_OFFSET);
    if (rc == 0)
        rc = dump_header_seal(h, bb->flags | DUMP_BB_CLEARED, bb->crc_table_crc);
    /* flags and header_crc share the 512 bytes at 0x1000: only that sector is written */
    _Static_assert(DUMP_BB_OFFSET + 0x14 <= 0x1200 && DUMP_BB_OFFSET >= 0x1000, "bb sector");
    if (rc == 0 && (rc = (int)seek(fd, 0x1000, SYS_SEEK_SET)) >= 0) {
        long n = write(fd, h + 0x1000, 0x200);
        rc = n == 0x200 ? 0 : n < 0 ? (int)n : ERR_IO;
    }
    int crc = close(fd);
    return rc ? rc : crc;
}

void crash_verify_text(int rc, const struct dump_verify *v, char *out, size_t cap)
{
    if (rc == ERR_TOO_BIG)
        snprintf(out, cap, "too big to check here: it needs %lu KiB of buffer, this program "
                 "has %lu KiB (machines up to %lu GiB)", (unsigned long)(v->scratch_needed >> 10),
                 (unsigned long)(CRASH_SCRATCH_BYTES >> 10), (unsigned long)(CRASH_MAX_PHYS >> 30));
    else if (rc == ERR_CHECKSUM && !v->table_ok)
        snprintf(out, cap, "its CRC table is damaged");
    else if (rc == ERR_CHECKSUM)
        snprintf(out, cap, "data CRC mismatch in %lu of %lu chunks (first: chunk %lu)",
                 (unsigned long)v->bad_chunks, (unsigned long)v->chunks_checked,
                 (unsigned long)v->first_bad);
    else if (v->layout.problem != DUMP_OK)
        snprintf(out, cap, "%s", dump_problem_str(v->layout.problem));
    else
        snprintf(out, cap, "%s", err_str(rc));
}

/* The part of a path after its drive, without leading separators. */
static const char *path_rest(const char *p)
{
    if (p[0] && p[1] == ':')
        p += 2;
    while (*p == '\\' || *p == '/')
        p++;
    return p;
}

static bool is_sep(char c)
{
    return c == '\\' || c == '/';
}

bool crash_same_path(const char *a, const char *b)
{
    if (crash_drive(a) != crash_drive(b))
        return false;
    a = path_rest(a);
    b = path_rest(b);
    while (*a && *b) {
        if (is_sep(*a) && is_sep(*b)) {
            while (is_sep(*a))
                a++;
            while (is_sep(*b))
                b++;
            continue;
        }
        char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;
        if (x != y)
            return false;
        a++;
        b++;
    }
    while (is_sep(*a))
        a++;
    while (is_sep(*b))
        b++;
    return !*a && !*b;
}

int crash_final_path(const char *target, char *out, size_t cap)
{
    crash_reg_path(CC_DUMP_FILE, out, cap);
    if (!target[0] || !crash_same_path(out, target))
        return 0;
    const struct cc_setting *d = &cc_settings[CC_DUMP_FILE];
    cc_expand(d->type, d->text, out, cap);
    return 1;
}

int crash_make_parents(const char *path)
{
    char dir[SYS_PATH_MAX];
    size_t start = path[0] && path[1] == ':' ? 2 : 0;
    while (is_sep(path[start]))
        start++;
    for (size_t i = start; path[i] && i < sizeof dir; i++) {
        if (!is_sep(path[i]))
            continue;
        memcpy(dir, path, i);
        dir[i] = 0;
        int rc = mkdir(dir);
        if (rc && rc != ERR_EXISTS)
            return rc;
    }
    return 0;
}
