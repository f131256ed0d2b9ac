/* reg.exe's query/add/delete over a registry tree: argument parsing, data conversion from
 * the command line (/t, /d, /s), and reg.exe's output and error lines. */
#include <stdarg.h>
#include <string.h>
#include "lib/hex.h"
#include "lib/num.h"
#include "lib/reg/reg_cmd.h"
#include "err.h"

#define MSG_NOT_FOUND "ERROR: The system was unable to find the specified registry key or value."
#define MSG_OK        "The operation completed successfully."

enum op { OP_QUERY, OP_ADD, OP_DELETE };

static const char *const usage[] = {
    [OP_QUERY] = "reg query KEY [/v NAME | /ve] [/s]",
    [OP_ADD] = "reg add KEY [/v NAME | /ve] [/t TYPE] [/s SEP] [/d DATA] [/f]",
    [OP_DELETE] = "reg delete KEY [/v NAME | /ve | /va] [/f]",
};

/* A parsed command line. */
struct args {
    enum op op;
    const char *key;
    const char *value;       /* /v NAME, "" for /ve, NULL for neither */
    bool all_values;         /* /va */
    bool recurse;            /* /s (query) */
    const char *type;        /* /t */
    const char *data;        /* /d */
    char sep;                /* /s SEP (add); 0 = the two characters \0 */
};

struct io {
    fmt_sink_t sink;
    void *ctx;
};

static void out(const struct io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(const struct io *io, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(io->sink, io->ctx, fmt, ap);
    va_end(ap);
}

static bool is_opt(const char *a, const char *name)
{
    return (a[0] == '/' || a[0] == '-') && reg_name_eq(a + 1, name);
}

/* Fill a from argv; false on a syntax error. */
static bool parse_args(int argc, char **argv, struct args *a)
{
    if (argc < 2)
        return false;
    a->key = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        bool more = i + 1 < argc;
        if (is_opt(o, "v") && more && !a->value && !a->all_values)
            a->value = argv[++i];
        else if (is_opt(o, "ve") && !a->value && !a->all_values)
            a->value = "";
        else if (is_opt(o, "va") && a->op == OP_DELETE && !a->value)
            a->all_values = true;
        else if (is_opt(o, "s") && a->op == OP_QUERY && !a->recurse)
            a->recurse = true;
        else if (is_opt(o, "s") && a->op == OP_ADD && more && strlen(argv[i + 1]) == 1)
            a->sep = argv[++i][0];
        else if (is_opt(o, "t") && a->op == OP_ADD && more && !a->type)
            a->type = argv[++i];
        else if (is_opt(o, "d") && a->op == OP_ADD && more && !a->data)
            a->data = argv[++i];
        else if (!is_opt(o, "f") || a->op == OP_QUERY)
            return false;
    }
    return true;
}

void reg_cmd_print_value(const struct reg_value *v, fmt_sink_t sink, void *ctx)
{
    struct io io = { sink, ctx };
    const char *type = reg_type_name(v->type);
    out(&io, "    %s    %s    ", v->name[0] ? v->name : "(Default)", type ? type : "REG_NONE");
    const uint8_t *d = v->data;
    switch (v->type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
        out(&io, "%s", (const char *)d);
        break;
    case REG_DWORD:
        out(&io, "0x%x", (unsigned)(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24));
        break;
    case REG_QWORD: {
        uint64_t x = 0;
        for (int b = 7; b >= 0; b--)
            x = x << 8 | d[b];
        out(&io, "0x%llx", (unsigned long long)x);
        break;
    }
    case REG_MULTI_SZ:
        for (uint32_t i = 0; i + 1 < v->len; i += (uint32_t)strlen((const char *)d + i) + 1)
            out(&io, "%s%s", i ? "\\0" : "", (const char *)d + i);
        break;
    default:
        for (uint32_t i = 0; i < v->len; i++)
            out(&io, "%02X", d[i]);
        break;
    }
    out(&io, "\n");
}

/* Print key k's block: a blank line, its path, its values (or only `only` if not NULL). */
static void print_key(const struct io *io, const struct reg_key *k, const struct reg_value *only,
                      char *path)
{
    reg_key_path(k, path, REG_PATH_MAX);
    out(io, "\n%s\n", path);
    for (const struct reg_value *v = k->values; v; v = v->next)
        if (!only || v == only)
            reg_cmd_print_value(v, io->sink, io->ctx);
}

/* query /s: every key below k (and k), or with name only those holding that value. */
static unsigned query_tree(const struct io *io, const struct reg_key *k, const char *name,
                           char *path)
{
    unsigned found = 0;
    if (!name) {
        print_key(io, k, NULL, path);
    } else {
        const struct reg_value *v = reg_value_find(k, name);
        if (v) {
            print_key(io, k, v, path);
            found++;
        }
    }
    for (const struct reg_key *c = k->children; c; c = c->next)
        found += query_tree(io, c, name, path);
    return found;
}

static int query(const struct io *io, struct reg_key *k, const struct args *a, char *path)
{
    if (a->recurse) {
        unsigned n = query_tree(io, k, a->value, path);
        if (a->value)
            out(io, "\nEnd of search: %u match(es) found.\n", n);
        return 0;
    }
    const struct reg_value *v = NULL;
    if (a->value && !(v = reg_value_find(k, a->value))) {
        out(io, "%s\n", MSG_NOT_FOUND);
        return ERR_NOT_FOUND;
    }
    print_key(io, k, v, path);
    out(io, "\n");
    if (!a->value)
        for (const struct reg_key *c = k->children; c; c = c->next) {
            reg_key_path(c, path, REG_PATH_MAX);
            out(io, "%s\n", path);
        }
    return 0;
}

/* /d DATA in the form of `type` into buf (REG_DATA_MAX bytes); *len bytes. */
static int convert(const struct args *a, uint32_t type, uint8_t *buf, uint32_t *len)
{
    const char *d = a->data ? a->data : "";
    size_t n = strlen(d);
    uint64_t x = 0;
    switch (type) {
    case REG_DWORD:
    case REG_QWORD: {
        unsigned bytes = type == REG_DWORD ? 4 : 8;
        if (a->data && num_parse(d, type == REG_DWORD ? 0xFFFFFFFFull : UINT64_MAX, &x))
            return ERR_INVALID_ARGS;
        for (unsigned b = 0; b < bytes; b++)
            buf[b] = (uint8_t)(x >> (8 * b));
        *len = bytes;
        return 0;
    }
    case REG_BINARY:
        if (n % 2 || n / 2 > REG_DATA_MAX)
            return ERR_INVALID_ARGS;
        for (size_t i = 0; i < n; i += 2) {
            if (hex_digit_value(d[i]) < 0 || hex_digit_value(d[i + 1]) < 0)
                return ERR_INVALID_ARGS;
            buf[i / 2] = (uint8_t)(hex_digit_value(d[i]) << 4 | hex_digit_value(d[i + 1]));
        }
        *len = (uint32_t)(n / 2);
        return 0;
    case REG_MULTI_SZ: {
        uint32_t o = 0;
        size_t i = 0;
        while (i < n) {
            size_t start = i;
            while (i < n && !(a->sep ? d[i] == a->sep : d[i] == '\\' && d[i + 1] == '0'))
                i++;
            if (i > start) {
                if (o + (i - start) + 2 > REG_DATA_MAX)
                    return ERR_TOO_BIG;
                memcpy(buf + o, d + start, i - start);
                o += (uint32_t)(i - start);
                buf[o++] = 0;
            }
            if (i < n)
                i += a->sep ? 1 : 2;
        }
        buf[o++] = 0;
        *len = o;
        return 0;
    }
    default:
        if (n + 1 > REG_DATA_MAX)
            return ERR_TOO_BIG;
        memcpy(buf, d, n + 1);
        *len = (uint32_t)n + 1;
        return 0;
    }
}

static int fail(const struct io *io, int rc, const char *msg)
{
    out(io, "ERROR: %s\n", msg);
    return rc;
}

static int add(const struct io *io, struct reg_tree *t, const struct args *a, bool *changed,
               uint8_t *buf)
{
    uint32_t type = REG_SZ, len;
    if (a->type && reg_type_parse(a->type, &type))
        return fail(io, ERR_INVALID_ARGS, "Invalid type; use REG_SZ, REG_EXPAND_SZ, REG_DWORD, "
                    "REG_QWORD, REG_MULTI_SZ or REG_BINARY.");
    int rc = 0;
    if (a->value) {
        rc = convert(a, type, buf, &len);
        if (rc == ERR_TOO_BIG)
            return fail(io, rc, "The data is too large.");
        if (rc)
            return fail(io, rc, type == REG_BINARY ? "Invalid REG_BINARY data (hex digit pairs)."
                        : "Invalid number (decimal or 0x hex, in range for the type).");
    }
    struct reg_key *k;
    rc = reg_key_create(t, a->key, false, &k);
    if (rc == 0 && a->value)
        rc = reg_value_set(t, k, a->value, type, buf, len);
    if (rc == ERR_ACCESS)
        return fail(io, rc, "Access is denied.");
    if (rc == ERR_TOO_BIG)
        return fail(io, rc, "Key path or value name too long.");
    if (rc == ERR_NO_MEMORY)
        return fail(io, rc, "Not enough memory.");
    if (rc)
        return fail(io, rc, "Invalid key name.");
    *changed = true;
    out(io, "%s\n", MSG_OK);
    return 0;
}

static int delete(const struct io *io, struct reg_tree *t, struct reg_key *k,
                  const struct args *a, bool *changed)
{
    int rc = 0;
    if (a->all_values)
        reg_value_delete_all(t, k);
    else if (a->value)
        rc = reg_value_delete(t, k, a->value);
    else
        rc = reg_key_delete(t, k);
    if (rc == ERR_NOT_FOUND) {
        out(io, "%s\n", MSG_NOT_FOUND);
        return rc;
    }
    if (rc)
        return fail(io, rc, "Access is denied.");
    *changed = true;
    out(io, "%s\n", MSG_OK);
    return 0;
}

int reg_cmd_run(struct reg_tree *t, int argc, char **argv, fmt_sink_t sink, void *ctx,
                bool *changed)
{
    struct io io = { sink, ctx };
    struct args a = { 0 };
    *changed = false;
    if (argc < 1)
        return fail(&io, ERR_INVALID_ARGS, "Invalid syntax. Use reg query|add|delete KEY ...");
    if (reg_name_eq(argv[0], "query"))
        a.op = OP_QUERY;
    else if (reg_name_eq(argv[0], "add"))
        a.op = OP_ADD;
    else if (reg_name_eq(argv[0], "delete"))
        a.op = OP_DELETE;
    else
        return fail(&io, ERR_INVALID_ARGS, "Invalid syntax. Use reg query|add|delete KEY ...");
    if (!parse_args(argc, argv, &a)) {
        out(&io, "ERROR: Invalid syntax. Usage: %s\n", usage[a.op]);
        return ERR_INVALID_ARGS;
    }
    const struct reg_env *env = t->env;
    uint8_t *buf = env->alloc(env->ctx, REG_DATA_MAX > REG_PATH_MAX ? REG_DATA_MAX : REG_PATH_MAX);
    if (!buf)
        return fail(&io, ERR_NO_MEMORY, "Not enough memory.");
    struct reg_key *k = NULL;
    int rc = a.op == OP_ADD ? 0 : reg_key_open(t, a.key, &k);
    if (rc == ERR_NOT_FOUND)
        out(&io, "%s\n", MSG_NOT_FOUND);
    else if (rc)
        fail(&io, rc, "Invalid key name.");
    else if (a.op == OP_QUERY)
        rc = query(&io, k, &a, (char *)buf);
    else if (a.op == OP_ADD)
        rc = add(&io, t, &a, changed, buf);
    else
        rc = delete(&io, t, k, &a, changed);
    env->free(env->ctx, buf);
    return rc;
}
