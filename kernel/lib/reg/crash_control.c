/* CrashControl's names, Windows' defaults, %SystemRoot% expansion and the PagingFiles parse,
 * read through a caller's getter (crash_control.h). */
#include <string.h>
#include "lib/reg/crash_control.h"
#include "lib/num.h"
#include "err.h"

#define VAR_SYSTEMROOT "%SystemRoot%"
/* cc_expand may work in place only because the expansion is never longer than the name. */
_Static_assert(sizeof CC_SYSTEMROOT <= sizeof VAR_SYSTEMROOT, "in-place expansion");

const struct cc_setting cc_settings[CC_VALUES] = {
    [CC_CRASH_DUMP_ENABLED] = { REG_CRASHCONTROL, "CrashDumpEnabled", REG_DWORD,
                                DUMP_CONFIG_AUTOMATIC, NULL, true },
    [CC_AUTO_REBOOT] = { REG_CRASHCONTROL, "AutoReboot", REG_DWORD, 1, NULL, true },
    [CC_LOG_EVENT] = { REG_CRASHCONTROL, "LogEvent", REG_DWORD, 1, NULL, true },
    [CC_OVERWRITE] = { REG_CRASHCONTROL, "Overwrite", REG_DWORD, 1, NULL, true },
    [CC_MINIDUMPS_COUNT] = { REG_CRASHCONTROL, "MinidumpsCount", REG_DWORD, 50, NULL, true },
    [CC_DUMP_FILE] = { REG_CRASHCONTROL, "DumpFile", REG_EXPAND_SZ, 0,
                       VAR_SYSTEMROOT "\\MEMORY.DMP", true },
    [CC_MINIDUMP_DIR] = { REG_CRASHCONTROL, "MinidumpDir", REG_EXPAND_SZ, 0,
                          VAR_SYSTEMROOT "\\Minidump", true },
    [CC_ALWAYS_KEEP_MEMORY_DUMP] = { REG_CRASHCONTROL, "AlwaysKeepMemoryDump", REG_DWORD, 0,
                                     NULL, true },
    [CC_PAGING_FILES] = { CC_KEY_MEMORY_MANAGEMENT, "PagingFiles", REG_MULTI_SZ, 0,
                          "C:\\pagefile.sys 0 0", true },
    [CC_DEDICATED_DUMP_FILE] = { REG_CRASHCONTROL, "DedicatedDumpFile", REG_SZ, 0, "", false },
    [CC_DUMP_FILE_SIZE] = { REG_CRASHCONTROL, "DumpFileSize", REG_DWORD, 0, NULL, false },
    [CC_LAST_CRASH_TIME] = { REG_CRASHCONTROL, "LastCrashTime", REG_QWORD, 0, NULL, false },
    [CC_DUMP_PARTITION] = { REG_CRASHCONTROL, "DumpPartition", REG_SZ, 0, "", false },
    [CC_DUMP_TIMEOUT] = { REG_CRASHCONTROL, "DumpTimeout", REG_DWORD, 0, NULL, false },
    [CC_ALLOW_USER_CRASH] = { REG_CRASHCONTROL, "AllowUserCrash", REG_DWORD, 0, NULL, false },
};

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* True if s starts with word, ignoring case. */
static bool starts_with(const char *s, const char *word)
{
    for (; *word; s++, word++)
        if (upper(*s) != upper(*word))
            return false;
    return true;
}

int cc_expand(uint32_t type, const char *in, char *out, size_t cap)
{
    size_t o = 0;
    while (*in) {
        const char *piece = in;
        size_t n = 1;
        if (type == REG_EXPAND_SZ && starts_with(in, VAR_SYSTEMROOT)) {
            piece = CC_SYSTEMROOT;
            n = sizeof CC_SYSTEMROOT - 1;
            in += sizeof VAR_SYSTEMROOT - 1;
        } else {
            in++;
        }
        if (o + n >= cap) {
            if (cap)
                out[0] = 0;
            return ERR_TOO_BIG;
        }
        for (size_t i = 0; i < n; i++)   /* byte by byte: out may be in itself */
            out[o++] = piece[i];
    }
    if (o >= cap)
        return ERR_TOO_BIG;
    out[o] = 0;
    return 0;
}

int cc_tree_get(void *ctx, const char *key, const char *name, uint32_t want, uint32_t *type,
                void *buf, size_t cap, size_t *len)
{
    struct reg_key *k;
    (void)want;
    int rc = reg_key_open(ctx, key, &k);
    if (rc)
        return rc;
    const struct reg_value *v = reg_value_find(k, name);
    if (!v)
        return ERR_NOT_FOUND;
    if (v->len > cap)
        return ERR_TOO_BIG;
    memcpy(buf, v->data, v->len);
    *type = v->type;
    *len = v->len;
    return 0;
}

/* Fetch value v as `want`: 0 with *type and *len set, or why not. */
static int fetch(const struct cc_source *src, enum cc_value v, uint32_t want, uint32_t *type,
                 void *buf, size_t cap, size_t *len)
{
    const struct cc_setting *s = &cc_settings[v];
    *len = 0;
    int rc = src->get(src->ctx, s->key, s->name, want, type, buf, cap, len);
    if (rc == 0 && *len > cap)
        rc = ERR_TOO_BIG;
    return rc;
}

/* The REG_DWORD (n = 4) or REG_QWORD (n = 8) `v`, little-endian, into *out (0 on error). */
static int get_le(const struct cc_source *src, enum cc_value v, uint32_t want, size_t n, uint64_t *out)
{
    uint8_t b[8];
    uint32_t type = 0;
    size_t len;
    int rc = fetch(src, v, want, &type, b, n, &len);
    if (rc == 0 && (type != want || len != n))
        rc = ERR_BAD_STATE;
    *out = 0;
    for (size_t i = n; rc == 0 && i-- > 0;)
        *out = *out << 8 | b[i];
    return rc;
}

int cc_get_dword(const struct cc_source *src, enum cc_value v, uint32_t *out)
{
    uint64_t x;
    int rc = get_le(src, v, REG_DWORD, 4, &x);
    *out = rc ? cc_settings[v].dword : (uint32_t)x;
    return rc;
}

int cc_get_qword(const struct cc_source *src, enum cc_value v, uint64_t *out)
{
    return get_le(src, v, REG_QWORD, 8, out);
}

int cc_file_mb_check(uint64_t mb)
{
    return mb <= CC_FILE_MB_MAX ? 0 : ERR_RANGE;
}

int cc_get_string(const struct cc_source *src, enum cc_value v, char *out, size_t cap)
{
    uint32_t type = 0;
    size_t len;
    int rc = cap ? fetch(src, v, REG_SZ, &type, out, cap, &len) : ERR_TOO_BIG;
    if (rc == 0 && ((type != REG_SZ && type != REG_EXPAND_SZ) || len == 0 || out[len - 1]))
        rc = ERR_BAD_STATE;
    if (rc == 0)
        rc = cc_expand(type, out, out, cap);
    const char *def = cc_settings[v].text ? cc_settings[v].text : "";   /* "" for a DWORD */
    if (rc && cc_expand(cc_settings[v].type, def, out, cap) && cap)
        out[0] = 0;
    return rc;
}

/* The bytes up to the next blank (or the end) from *p, which moves past them and the
 * blanks after them. */
static size_t token(const char **p, const char **start)
{
    *start = *p;
    size_t n = 0;
    while ((*p)[0] && (*p)[0] != ' ') {
        (*p)++;
        n++;
    }
    while (**p == ' ')
        (*p)++;
    return n;
}

int cc_paging_parse(const char *entry, char *path, size_t cap, uint64_t *initial_mb,
                    uint64_t *max_mb)
{
    const char *p = entry, *t;
    size_t n = token(&p, &t);
    if (n == 0)
        return ERR_INVALID_ARGS;
    if (n >= cap)
        return ERR_TOO_BIG;
    uint64_t mb[2] = { 0, 0 };
    for (int i = 0; i < 2 && *p; i++) {
        const char *s;
        size_t len = token(&p, &s);
        int rc = num_parse_len(s, len, UINT32_MAX, &mb[i]);
        if (rc)
            return rc;
    }
    if (*p)
        return ERR_INVALID_ARGS;
    memcpy(path, t, n);
    path[n] = 0;
    if (initial_mb)
        *initial_mb = mb[0];
    if (max_mb)
        *max_mb = mb[1];
    return 0;
}

/* Entry `index` of the REG_MULTI_SZ in list (len bytes, list[len] == 0), or NULL. */
static const char *entry_at(const char *list, size_t len, unsigned index)
{
    const char *end = list + len;
    for (const char *s = list; s < end && *s; s += strlen(s) + 1)
        if (index-- == 0)
            return s;
    return NULL;
}

int cc_get_paging_file(const struct cc_source *src, unsigned index, char *path, size_t cap,
                       uint64_t *initial_mb)
{
    char list[CC_PAGING_FILES_BYTES + 1];
    uint32_t type = 0;
    size_t len;
    const char *entry = NULL;
    int rc = fetch(src, CC_PAGING_FILES, REG_MULTI_SZ, &type, list, CC_PAGING_FILES_BYTES,
                   &len);
    if (rc == 0 && type != REG_MULTI_SZ)
        rc = ERR_BAD_STATE;
    if (rc == 0) {
        list[len] = 0;
        entry = entry_at(list, len, index);
        rc = entry ? cc_paging_parse(entry, path, cap, initial_mb, NULL) : ERR_NOT_FOUND;
    }
    if (rc && cc_paging_parse(cc_settings[CC_PAGING_FILES].text, path, cap, initial_mb, NULL)) {
        if (cap)
            path[0] = 0;
        if (initial_mb)
            *initial_mb = 0;
    }
    return rc;
}
