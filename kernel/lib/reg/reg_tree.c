/* The registry's in-memory tree: key paths, key creation and deletion, values and the
 * checks every value's data passes before it enters a tree. */
#include <string.h>
#include "lib/reg/reg.h"
#include "err.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Compare a[0..an) with b[0..bn) case-insensitively, like strcmp. */
static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    for (size_t i = 0; i < an && i < bn; i++) {
        unsigned char x = (unsigned char)lower(a[i]), y = (unsigned char)lower(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : an < bn ? -1 : 1;
}

bool reg_name_eq(const char *a, const char *b)
{
    return name_cmp(a, strlen(a), b, strlen(b)) == 0;
}

static char *dup_n(struct reg_tree *t, const char *s, size_t n)
{
    char *p = t->env->alloc(t->env->ctx, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

void reg_tree_init(struct reg_tree *t, const struct reg_env *env)
{
    memset(t, 0, sizeof *t);
    t->env = env;
}

static void free_value(struct reg_tree *t, struct reg_value *v)
{
    t->env->free(t->env->ctx, v->name);
    t->env->free(t->env->ctx, v->data);
    t->env->free(t->env->ctx, v);
}

/* Free everything below k and k's own name and values (not k itself). */
static void free_contents(struct reg_tree *t, struct reg_key *k)
{
    while (k->children) {
        struct reg_key *c = k->children;
        k->children = c->next;
        free_contents(t, c);
        t->env->free(t->env->ctx, c);
    }
    reg_value_delete_all(t, k);
    t->env->free(t->env->ctx, k->name);
    k->name = NULL;
}

void reg_tree_clear(struct reg_tree *t)
{
    free_contents(t, &t->root);
}

/* Split the next component off *p: sets *s and *n, advances *p past it and one '\'.
 * Returns 1 for a component, 0 at the end, ERR_INVALID_ARGS for an empty or bad one. */
static int next_component(const char **p, const char **s, size_t *n)
{
    const char *q = *p;
    if (!*q)
        return 0;
    const char *e = q;
    while (*e && *e != '\\') {
        if ((unsigned char)*e < 0x20)
            return ERR_INVALID_ARGS;
        e++;
    }
    if (e == q || (size_t)(e - q) > REG_NAME_MAX)
        return ERR_INVALID_ARGS;
    *s = q;
    *n = (size_t)(e - q);
    *p = *e ? e + 1 : e;
    return 1;
}

/* The hive root component: HKLM and HKEY_LOCAL_MACHINE give REG_HKLM. */
static int hive_root(const char *s, size_t n)
{
    if (name_cmp(s, n, "HKLM", 4) == 0 || name_cmp(s, n, REG_HKLM, strlen(REG_HKLM)) == 0)
        return 0;
    if (n > 2 && name_cmp(s, 2, "HK", 2) == 0)
        return ERR_NOT_SUPPORTED;
    return ERR_INVALID_ARGS;
}

static struct reg_key *find_child(const struct reg_key *k, const char *s, size_t n)
{
    for (struct reg_key *c = k->children; c; c = c->next)
        if (name_cmp(c->name, strlen(c->name), s, n) == 0)
            return c;
    return NULL;
}

/* Walk path; with create, add missing keys. */
static int walk(struct reg_tree *t, const char *path, bool create, bool is_volatile,
                struct reg_key **out)
{
    const char *p = path, *s;
    size_t n;
    int rc = next_component(&p, &s, &n);
    if (rc <= 0)
        return ERR_INVALID_ARGS;
    if ((rc = hive_root(s, n)))
        return rc;
    s = REG_HKLM;
    n = strlen(REG_HKLM);
    struct reg_key *k = &t->root;
    for (unsigned depth = 1;; depth++) {
        struct reg_key *c = find_child(k, s, n);
        if (!c && create) {
            if (depth > REG_DEPTH_MAX)
                return ERR_TOO_BIG;
            if (!is_volatile && k->is_volatile)
                return ERR_ACCESS;
            c = t->env->alloc(t->env->ctx, sizeof *c);
            if (!c)
                return ERR_NO_MEMORY;
            memset(c, 0, sizeof *c);
            if (!(c->name = dup_n(t, s, n))) {
                t->env->free(t->env->ctx, c);
                return ERR_NO_MEMORY;
            }
            c->parent = k;
            c->is_volatile = is_volatile || k->is_volatile;
            struct reg_key **at = &k->children;
            while (*at && name_cmp((*at)->name, strlen((*at)->name), s, n) < 0)
                at = &(*at)->next;
            c->next = *at;
            *at = c;
        }
        if (!c)
            return ERR_NOT_FOUND;
        k = c;
        rc = next_component(&p, &s, &n);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
    }
    if (out)
        *out = k;
    return 0;
}

int reg_key_open(struct reg_tree *t, const char *path, struct reg_key **out)
{
    return walk(t, path, false, false, out);
}

/* Check every component of path before anything is created. */
static int check_path(const char *path)
{
    const char *p = path, *s;
    size_t n;
    unsigned depth = 0;
    int rc;
    while ((rc = next_component(&p, &s, &n)) > 0)
        depth++;
    if (rc < 0 || depth == 0)
        return ERR_INVALID_ARGS;
    return depth > REG_DEPTH_MAX ? ERR_TOO_BIG : 0;
}

int reg_key_create(struct reg_tree *t, const char *path, bool is_volatile, struct reg_key **out)
{
    struct reg_key *k;
    int rc = check_path(path);
    if (rc == 0)
        rc = walk(t, path, false, false, &k);
    if (rc == ERR_NOT_FOUND)
        return walk(t, path, true, is_volatile, out);
    if (rc == 0 && is_volatile && !k->is_volatile)
        return ERR_ACCESS;
    if (rc == 0 && out)
        *out = k;
    return rc;
}

int reg_key_delete(struct reg_tree *t, struct reg_key *k)
{
    if (!k->parent || !k->parent->parent)
        return ERR_ACCESS;
    struct reg_key **at = &k->parent->children;
    while (*at != k)
        at = &(*at)->next;
    *at = k->next;
    free_contents(t, k);
    t->env->free(t->env->ctx, k);
    return 0;
}

int reg_key_path(const struct reg_key *k, char *buf, size_t cap)
{
    size_t need = 0;
    for (const struct reg_key *p = k; p && p->parent; p = p->parent)
        need += strlen(p->name) + 1;
    if (need == 0 || need > cap)
        return ERR_TOO_BIG;
    buf[need - 1] = 0;
    size_t end = need - 1;
    for (const struct reg_key *p = k; p && p->parent; p = p->parent) {
        size_t n = strlen(p->name);
        end -= n;
        memcpy(buf + end, p->name, n);
        if (end > 0)
            buf[--end] = '\\';
    }
    return 0;
}

struct reg_value *reg_value_find(const struct reg_key *k, const char *name)
{
    for (struct reg_value *v = k->values; v; v = v->next)
        if (reg_name_eq(v->name, name))
            return v;
    return NULL;
}

/* Every byte of s[0..n) is a character (1..255): true. */
static bool chars_ok(const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (s[i] == 0)
            return false;
    return true;
}

int reg_data_check(uint32_t type, const void *data, uint32_t len)
{
    const uint8_t *d = data;
    if (len > REG_DATA_MAX)
        return ERR_TOO_BIG;
    if (len && !data)
        return ERR_INVALID_ARGS;
    switch (type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
        return len >= 1 && d[len - 1] == 0 && chars_ok(d, len - 1) ? 0 : ERR_INVALID_ARGS;
    case REG_MULTI_SZ:
        if (len < 1 || d[len - 1] != 0)
            return ERR_INVALID_ARGS;
        for (uint32_t i = 0; i + 1 < len; i++)   /* no empty string before the last NUL */
            if (d[i] == 0 && (i == 0 || d[i - 1] == 0))
                return ERR_INVALID_ARGS;
        return len == 1 || (len >= 3 && d[len - 2] == 0) ? 0 : ERR_INVALID_ARGS;
    case REG_DWORD:
        return len == 4 ? 0 : ERR_INVALID_ARGS;
    case REG_QWORD:
        return len == 8 ? 0 : ERR_INVALID_ARGS;
    case REG_BINARY:
        return 0;
    default:
        return ERR_INVALID_ARGS;
    }
}

int reg_value_set(struct reg_tree *t, struct reg_key *k, const char *name, uint32_t type,
                  const void *data, uint32_t len)
{
    size_t nlen = strlen(name);
    if (nlen > REG_NAME_MAX)
        return ERR_TOO_BIG;
    int rc = reg_data_check(type, data, len);
    if (rc)
        return rc;
    uint8_t *copy = t->env->alloc(t->env->ctx, len ? len : 1);
    char *ncopy = dup_n(t, name, nlen);
    if (!copy || !ncopy) {
        t->env->free(t->env->ctx, copy);
        t->env->free(t->env->ctx, ncopy);
        return ERR_NO_MEMORY;
    }
    if (len)
        memcpy(copy, data, len);
    struct reg_value *v = reg_value_find(k, name);
    if (!v) {
        v = t->env->alloc(t->env->ctx, sizeof *v);
        if (!v) {
            t->env->free(t->env->ctx, copy);
            t->env->free(t->env->ctx, ncopy);
            return ERR_NO_MEMORY;
        }
        memset(v, 0, sizeof *v);
        struct reg_value **at = &k->values;
        while (*at)
            at = &(*at)->next;
        *at = v;
    }
    t->env->free(t->env->ctx, v->name);
    t->env->free(t->env->ctx, v->data);
    v->name = ncopy;
    v->type = type;
    v->len = len;
    v->data = copy;
    return 0;
}

int reg_value_delete(struct reg_tree *t, struct reg_key *k, const char *name)
{
    for (struct reg_value **at = &k->values; *at; at = &(*at)->next) {
        if (reg_name_eq((*at)->name, name)) {
            struct reg_value *v = *at;
            *at = v->next;
            free_value(t, v);
            return 0;
        }
    }
    return ERR_NOT_FOUND;
}

void reg_value_delete_all(struct reg_tree *t, struct reg_key *k)
{
    while (k->values) {
        struct reg_value *v = k->values;
        k->values = v->next;
        free_value(t, v);
    }
}

static const struct {
    uint32_t type;
    const char *name;
} types[] = {
    { REG_SZ, "REG_SZ" }, { REG_EXPAND_SZ, "REG_EXPAND_SZ" }, { REG_BINARY, "REG_BINARY" },
    { REG_DWORD, "REG_DWORD" }, { REG_MULTI_SZ, "REG_MULTI_SZ" }, { REG_QWORD, "REG_QWORD" },
};

const char *reg_type_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].type == type)
            return types[i].name;
    return NULL;
}

int reg_type_parse(const char *s, uint32_t *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (reg_name_eq(s, types[i].name)) {
            *type = types[i].type;
            return 0;
        }
    }
    return ERR_INVALID_ARGS;
}
