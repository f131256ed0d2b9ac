/* The REGEDIT4 parser: text to keys and values, line by line, every byte bounds-checked; a
 * malformed line stops the parse with its line number. Also the integrity-line check. */
#include <string.h>
#include "lib/hex.h"
#include "lib/reg/reg.h"
#include "lib/crc32c.h"
#include "err.h"

/* The parser's state. The logical line being parsed is line[0..len) in a scratch buffer
 * (continuations joined, the CR and trailing blanks dropped). */
struct parser {
    struct reg_tree *t;
    const char *text;
    size_t size;
    size_t pos;               /* next unread byte of text */
    unsigned lineno;          /* number of the last physical line read */
    char *line;               /* scratch, REG_HIVE_MAX + 1 bytes */
    size_t len;
    struct reg_key *key;      /* current section; NULL before the first or after [-KEY] */
    uint8_t *data;            /* scratch for value data, REG_DATA_MAX bytes */
    struct reg_error *err;
};

static int fail(struct parser *p, unsigned line, const char *msg)
{
    if (p->err) {
        p->err->line = line;
        p->err->msg = msg;
    }
    return ERR_CORRUPT;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Append the next physical line (without its newline) to the logical line. Returns 1, 0 at
 * the end of the text, ERR_CORRUPT for a NUL byte. */
static int read_physical(struct parser *p)
{
    if (p->pos >= p->size)
        return 0;
    p->lineno++;
    size_t begin = p->len;   /* a continuation is appended: trim only what it adds */
    while (p->pos < p->size && p->text[p->pos] != '\n') {
        char c = p->text[p->pos++];
        if (c == 0)
            return fail(p, p->lineno, "NUL byte");
        p->line[p->len++] = c;
    }
    p->pos++;   /* the newline, if any */
    while (p->len > begin && (p->line[p->len - 1] == '\r' || is_blank(p->line[p->len - 1])))
        p->len--;
    return 1;
}

/* Read one logical line into p->line; *first = its first physical line number. */
static int read_logical(struct parser *p, unsigned *first)
{
    p->len = 0;
    int rc = read_physical(p);
    if (rc <= 0)
        return rc;
    *first = p->lineno;
    size_t start = 0;
    while (start < p->len && is_blank(p->line[start]))
        start++;
    bool value_line = start < p->len && (p->line[start] == '"' || p->line[start] == '@');
    while (value_line && p->len > 0 && p->line[p->len - 1] == '\\') {
        p->len--;
        size_t mark = p->len;
        if ((rc = read_physical(p)) < 0)
            return rc;
        if (rc == 0)
            return fail(p, p->lineno, "continuation at end of file");
        size_t skip = mark;
        while (skip < p->len && is_blank(p->line[skip]))
            skip++;
        memmove(p->line + mark, p->line + skip, p->len - skip);
        p->len -= skip - mark;
    }
    return 1;
}

/* A quoted string at s[*i] (on its opening quote) into out (NUL-terminated, at most max
 * bytes before the NUL). Advances *i past the closing quote. */
static int quoted(struct parser *p, unsigned line, const char *s, size_t n, size_t *i,
                  char *out, size_t max, size_t *outlen)
{
    size_t j = *i + 1, k = 0;
    for (;; j++) {
        if (j >= n)
            return fail(p, line, "unterminated string");
        char c = s[j];
        if (c == '"')
            break;
        if (c == '\\') {
            if (j + 1 >= n || (s[j + 1] != '\\' && s[j + 1] != '"'))
                return fail(p, line, "bad escape (only \\\\ and \\\" are allowed)");
            c = s[++j];
        } else if ((unsigned char)c < 0x20) {
            return fail(p, line, "control character in string");
        }
        if (k >= max)
            return fail(p, line, "string too long");
        out[k++] = c;
    }
    out[k] = 0;
    *outlen = k;
    *i = j + 1;
    return 0;
}

/* Comma-separated hex bytes s[0..n) into p->data; *len bytes. */
static int hex_bytes(struct parser *p, unsigned line, const char *s, size_t n, uint32_t *len)
{
    size_t i = 0;
    uint32_t k = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n) {
        *len = 0;
        return 0;
    }
    for (;;) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i + 1 >= n || hex_digit_value(s[i]) < 0 || hex_digit_value(s[i + 1]) < 0)
            return fail(p, line, "bad hex byte");
        if (k >= REG_DATA_MAX)
            return fail(p, line, "value too large");
        p->data[k++] = (uint8_t)(hex_digit_value(s[i]) << 4 | hex_digit_value(s[i + 1]));
        i += 2;
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n)
            break;
        if (s[i] != ',')
            return fail(p, line, "expected ',' between hex bytes");
        i++;
    }
    *len = k;
    return 0;
}

/* UTF-16LE code units in p->data[0..*len) to one byte each, in place. */
static int from_utf16(struct parser *p, unsigned line, uint32_t *len)
{
    if (*len % 2)
        return fail(p, line, "odd number of bytes in a UTF-16 string");
    for (uint32_t i = 0; i < *len / 2; i++) {
        if (p->data[2 * i + 1] != 0)
            return fail(p, line, "character outside Latin-1");
        p->data[i] = p->data[2 * i];
    }
    *len /= 2;
    return 0;
}

/* Decoded characters in p->data[0..*len) to the stored form of type (reg.h). */
static int normalize(struct parser *p, unsigned line, uint32_t type, uint32_t *len)
{
    uint32_t n = *len;
    if (type == REG_SZ || type == REG_EXPAND_SZ) {
        uint32_t end = 0;
        while (end < n && p->data[end])
            end++;
        if (end >= REG_DATA_MAX)
            return fail(p, line, "value too large");
        p->data[end] = 0;
        *len = end + 1;
        return 0;
    }
    /* REG_MULTI_SZ: strings up to the first empty one; an unterminated last one is ended */
    uint32_t out = 0, i = 0;
    while (i < n && p->data[i]) {
        while (i < n && p->data[i])
            p->data[out++] = p->data[i++];
        if (out >= REG_DATA_MAX - 1)
            return fail(p, line, "value too large");
        p->data[out++] = 0;
        i++;
    }
    p->data[out++] = 0;
    *len = out;
    return 0;
}

/* The data part of a value line, s[0..n) after '='. */
static int value_data(struct parser *p, unsigned line, const char *s, size_t n, uint32_t *type,
                      uint32_t *len)
{
    size_t i = 0;
    if (n > 0 && s[0] == '"') {
        size_t k;
        int rc = quoted(p, line, s, n, &i, (char *)p->data, REG_DATA_MAX - 1, &k);
        if (rc)
            return rc;
        if (i != n)
            return fail(p, line, "text after the closing quote");
        *type = REG_SZ;
        *len = (uint32_t)k + 1;
        return 0;
    }
    if (n >= 6 && memcmp(s, "dword:", 6) == 0) {
        uint32_t v = 0;
        if (n == 6 || n > 14)
            return fail(p, line, "dword needs 1 to 8 hex digits");
        for (i = 6; i < n; i++) {
            if (hex_digit_value(s[i]) < 0)
                return fail(p, line, "bad hex digit in dword");
            v = v << 4 | (uint32_t)hex_digit_value(s[i]);
        }
        for (int b = 0; b < 4; b++)
            p->data[b] = (uint8_t)(v >> (8 * b));
        *type = REG_DWORD;
        *len = 4;
        return 0;
    }
    if (n < 4 || memcmp(s, "hex", 3) != 0)
        return fail(p, line, "unknown value data (expected \"...\", dword: or hex:)");
    *type = REG_BINARY;
    i = 3;
    if (s[i] == '(') {
        uint32_t v = 0;
        size_t d = 0;
        for (i = 4; i < n && hex_digit_value(s[i]) >= 0 && d < 8; i++, d++)
            v = v << 4 | (uint32_t)hex_digit_value(s[i]);
        if (d == 0 || i >= n || s[i] != ')')
            return fail(p, line, "bad hex(N) type");
        i++;
        *type = v;
    }
    if (i >= n || s[i] != ':')
        return fail(p, line, "expected ':' after hex");
    int rc = hex_bytes(p, line, s + i + 1, n - i - 1, len);
    if (rc)
        return rc;
    switch (*type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_MULTI_SZ:
        if ((rc = from_utf16(p, line, len)))
            return rc;
        return normalize(p, line, *type, len);
    case REG_BINARY:
        return 0;
    case REG_DWORD:
        return *len == 4 ? 0 : fail(p, line, "hex(4) needs 4 bytes");
    case REG_QWORD:
        return *len == 8 ? 0 : fail(p, line, "hex(b) needs 8 bytes");
    default:
        return fail(p, line, "unsupported value type");
    }
}

static int section(struct parser *p, unsigned line, char *s, size_t n)
{
    if (n < 3 || s[n - 1] != ']')
        return fail(p, line, "section without ']'");
    bool del = s[1] == '-';
    s[n - 1] = 0;
    const char *path = s + (del ? 2 : 1);
    struct reg_key *k;
    int rc = del ? reg_key_open(p->t, path, &k) : reg_key_create(p->t, path, false, &k);
    p->key = del ? NULL : k;
    if (rc == ERR_NO_MEMORY)
        return rc;
    if (del && rc == ERR_NOT_FOUND)
        return 0;
    if (rc)
        return fail(p, line, rc == ERR_TOO_BIG ? "key path too deep" : "bad key path");
    if (del && reg_key_delete(p->t, k))
        return fail(p, line, "cannot delete a hive root");
    return 0;
}

static int value_line(struct parser *p, unsigned line, const char *s, size_t n)
{
    char name[REG_NAME_MAX + 1];
    size_t i = 0, k;
    if (!p->key)
        return fail(p, line, "value outside a key section");
    if (s[0] == '@') {
        name[0] = 0;
        i = 1;
    } else {
        int rc = quoted(p, line, s, n, &i, name, REG_NAME_MAX, &k);
        if (rc)
            return rc;
    }
    while (i < n && is_blank(s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return fail(p, line, "expected '=' after the value name");
    i++;
    while (i < n && is_blank(s[i]))
        i++;
    if (n - i == 1 && s[i] == '-') {
        reg_value_delete(p->t, p->key, name);
        return 0;
    }
    uint32_t type, len;
    int rc = value_data(p, line, s + i, n - i, &type, &len);
    if (rc)
        return rc;
    rc = reg_value_set(p->t, p->key, name, type, p->data, len);
    if (rc == ERR_NO_MEMORY)
        return rc;
    return rc ? fail(p, line, "bad value data") : 0;
}

static bool header_ok(const char *s, size_t n)
{
    static const char *const headers[] = { "REGEDIT4", "Windows Registry Editor Version 5.00" };
    for (size_t h = 0; h < 2; h++)
        if (strlen(headers[h]) == n && memcmp(s, headers[h], n) == 0)
            return true;
    return false;
}

static int parse_lines(struct parser *p)
{
    bool header = false;
    unsigned line;
    int rc;
    while ((rc = read_logical(p, &line)) > 0) {
        char *s = p->line;
        size_t n = p->len;
        if (!header && line == 1 && n >= 3 && (uint8_t)s[0] == 0xEF && (uint8_t)s[1] == 0xBB &&
            (uint8_t)s[2] == 0xBF) {
            s += 3;
            n -= 3;
        }
        while (n > 0 && is_blank(*s)) {
            s++;
            n--;
        }
        if (n == 0 || s[0] == ';')
            continue;
        if (!header) {
            if (!header_ok(s, n))
                return fail(p, line, "missing REGEDIT4 header");
            header = true;
            continue;
        }
        if (s[0] == '[')
            rc = section(p, line, s, n);
        else if (s[0] == '"' || s[0] == '@')
            rc = value_line(p, line, s, n);
        else
            rc = fail(p, line, "expected [KEY], \"NAME\"= or @=");
        if (rc)
            return rc;
    }
    if (rc == 0 && !header)
        return fail(p, p->lineno ? p->lineno : 1, "missing REGEDIT4 header");
    return rc;
}

int reg_parse(struct reg_tree *t, const char *text, size_t len, struct reg_error *err)
{
    struct parser p = { .t = t, .text = text, .size = len, .err = err };
    if (len > REG_HIVE_MAX) {
        fail(&p, 0, "hive too large");
        return ERR_TOO_BIG;
    }
    p.line = t->env->alloc(t->env->ctx, len + 1);
    p.data = t->env->alloc(t->env->ctx, REG_DATA_MAX);
    int rc = p.line && p.data ? parse_lines(&p) : ERR_NO_MEMORY;
    if (rc == ERR_NO_MEMORY)
        fail(&p, p.lineno, "out of memory");
    t->env->free(t->env->ctx, p.line);
    t->env->free(t->env->ctx, p.data);
    return rc;
}

int reg_hive_verify(const char *text, size_t len)
{
    const size_t plen = sizeof REG_CRC_PREFIX - 1;
    if (len < plen + 9 || text[len - 1] != '\n')
        return ERR_NOT_FOUND;
    size_t end = len - 1;
    if (end > 0 && text[end - 1] == '\r')
        end--;
    if (end < plen + 8)
        return ERR_NOT_FOUND;
    size_t start = end - 8 - plen;
    if ((start > 0 && text[start - 1] != '\n') || memcmp(text + start, REG_CRC_PREFIX, plen))
        return ERR_NOT_FOUND;
    uint32_t want = 0;
    for (size_t i = start + plen; i < end; i++) {
        int h = hex_digit_value(text[i]);
        if (h < 0)
            return ERR_NOT_FOUND;
        want = want << 4 | (uint32_t)h;
    }
    return crc32c(0, text, start) == want ? 0 : ERR_CHECKSUM;
}
