/* The REGEDIT4 serializer: a tree to the text regedit would export (strings quoted, other
 * types as dword: or hex(N): with UTF-16LE strings, long hex wrapped at 80 columns), ending
 * with the integrity line. Two passes: the first measures, the second writes. */
#include <string.h>
#include "lib/reg/reg.h"
#include "lib/crc32c.h"
#include "err.h"

#define WRAP_COLUMN 76   /* a hex line is continued once it passes this column */

struct out {
    char *buf;      /* NULL while measuring */
    size_t len;     /* bytes emitted so far */
    size_t col;     /* column on the current line */
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->buf)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
    for (size_t i = 0; i < n; i++)
        o->col = s[i] == '\n' ? 0 : o->col + 1;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_hex8(struct out *o, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char s[8];
    for (int i = 0; i < 8; i++)
        s[i] = digits[(v >> (28 - 4 * i)) & 15];
    put(o, s, 8);
}

static void put_quoted(struct out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"')
            put(o, "\\", 1);
        put(o, s + i, 1);
    }
    put(o, "\"", 1);
}

/* hex:bytes or hex(N):bytes; with wide, each byte is written as a UTF-16LE code unit. */
static void put_hex(struct out *o, uint32_t type, const uint8_t *d, uint32_t len, bool wide)
{
    static const char digits[] = "0123456789abcdef";
    if (type == REG_BINARY) {
        puts_(o, "hex:");
    } else {
        char t[8] = "hex(";
        size_t n = 4;
        t[n++] = digits[type & 15];
        t[n++] = ')';
        t[n++] = ':';
        put(o, t, n);
    }
    uint32_t total = wide ? 2 * len : len;
    for (uint32_t i = 0; i < total; i++) {
        uint8_t b = wide ? (i % 2 ? 0 : d[i / 2]) : d[i];
        char s[2] = { digits[b >> 4], digits[b & 15] };
        put(o, s, 2);
        if (i + 1 < total) {
            put(o, ",", 1);
            if (o->col > WRAP_COLUMN)
                puts_(o, "\\\n  ");
        }
    }
}

/* A string value can be written in quotes when it holds only printable bytes. */
static bool printable(const uint8_t *d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (d[i] < 0x20 || d[i] == 0x7f)
            return false;
    return true;
}

static void put_value(struct out *o, const struct reg_value *v)
{
    if (v->name[0])
        put_quoted(o, v->name, strlen(v->name));
    else
        put(o, "@", 1);
    put(o, "=", 1);
    if (v->type == REG_SZ && printable(v->data, v->len - 1)) {
        put_quoted(o, (const char *)v->data, v->len - 1);
    } else if (v->type == REG_DWORD) {
        uint32_t x = 0;
        for (int b = 3; b >= 0; b--)
            x = x << 8 | v->data[b];
        puts_(o, "dword:");
        put_hex8(o, x);
    } else {
        bool wide = v->type == REG_SZ || v->type == REG_EXPAND_SZ || v->type == REG_MULTI_SZ;
        put_hex(o, v->type, v->data, v->len, wide);
    }
    put(o, "\n", 1);
}

static int put_key(struct out *o, const struct reg_key *k, char *path)
{
    if (k->is_volatile)
        return 0;
    if (k->parent) {
        int rc = reg_key_path(k, path, REG_PATH_MAX);
        if (rc)
            return rc;
        puts_(o, "\n[");
        puts_(o, path);
        puts_(o, "]\n");
        for (const struct reg_value *v = k->values; v; v = v->next)
            put_value(o, v);
    }
    for (const struct reg_key *c = k->children; c; c = c->next) {
        int rc = put_key(o, c, path);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit(const struct reg_tree *t, struct out *o, char *path)
{
    puts_(o, "REGEDIT4\n");
    int rc = put_key(o, &t->root, path);
    if (rc)
        return rc;
    puts_(o, "\n");
    uint32_t crc = o->buf ? crc32c(0, o->buf, o->len) : 0;
    puts_(o, REG_CRC_PREFIX);
    put_hex8(o, crc);
    if (o->buf)   /* upper-case, as documented */
        for (size_t i = o->len - 8; i < o->len; i++)
            if (o->buf[i] >= 'a' && o->buf[i] <= 'f')
                o->buf[i] = (char)(o->buf[i] - 'a' + 'A');
    puts_(o, "\n");
    return 0;
}

int reg_serialize(const struct reg_tree *t, char **out, size_t *len)
{
    const struct reg_env *env = t->env;
    char *path = env->alloc(env->ctx, REG_PATH_MAX);
    if (!path)
        return ERR_NO_MEMORY;
    struct out o = { 0 };
    int rc = emit(t, &o, path);
    if (rc == 0) {
        size_t size = o.len;
        o = (struct out){ .buf = env->alloc(env->ctx, size + 1) };
        rc = o.buf ? emit(t, &o, path) : ERR_NO_MEMORY;
        if (rc == 0) {
            o.buf[o.len] = 0;
            *out = o.buf;
            *len = o.len;
        } else {
            env->free(env->ctx, o.buf);
        }
    }
    env->free(env->ctx, path);
    return rc;
}
