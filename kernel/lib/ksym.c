/* The kernel symbol table (layout and contract in ksym.h). Entries are copied out with
 * memcpy, so the blob needs no alignment, and every offset is checked against the blob's
 * length before it is used. Depends on nothing but <string.h>, so mkksyms links it alone. */
#include <string.h>

#include "err.h"
#include "ksym.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the blob is read in place");

/* A blob whose header and sizes have been checked against its length. */
struct table {
    const uint8_t *entries;   /* count entries, all inside the blob */
    const char *strtab;       /* strtab_size bytes inside the blob, strtab[strtab_size-1] == 0 */
    uint32_t count;
    uint32_t strtab_size;
};

/* Checks what every use of the blob relies on, in constant time. */
static int table_open(const void *blob, size_t len, struct table *t)
{
    struct ksym_hdr h;
    size_t rest;

    if (len < sizeof h)
        return ERR_CORRUPT;
    memcpy(&h, blob, sizeof h);
    if (memcmp(h.magic, KSYM_MAGIC, KSYM_MAGIC_LEN) != 0)
        return ERR_CORRUPT;
    rest = len - sizeof h;
    if (h.count > rest / sizeof(struct ksym_entry))
        return ERR_CORRUPT;
    rest -= (size_t)h.count * sizeof(struct ksym_entry);
    if (h.strtab_size == 0 || h.strtab_size > rest)
        return ERR_CORRUPT;
    t->entries = (const uint8_t *)blob + sizeof h;
    t->strtab = (const char *)t->entries + (size_t)h.count * sizeof(struct ksym_entry);
    t->count = h.count;
    t->strtab_size = h.strtab_size;
    if (t->strtab[t->strtab_size - 1] != '\0')
        return ERR_CORRUPT;
    return 0;
}

static struct ksym_entry entry(const struct table *t, uint32_t i)
{
    struct ksym_entry e;
    memcpy(&e, t->entries + (size_t)i * sizeof e, sizeof e);
    return e;
}

int ksym_validate(const void *blob, size_t len)
{
    struct table t;
    struct ksym_entry e;
    uint64_t prev = 0;

    if (blob == NULL)
        return ERR_INVALID_ARGS;
    if (table_open(blob, len, &t) != 0 || t.count > (uint32_t)INT32_MAX)
        return ERR_CORRUPT;
    for (uint32_t i = 0; i < t.count; i++) {
        e = entry(&t, i);
        if (i > 0 && e.addr <= prev)
            return ERR_CORRUPT;
        if (e.name_off >= t.strtab_size || t.strtab[e.name_off] == '\0')
            return ERR_CORRUPT;
        if (e.size > 0 && e.addr + e.size - 1 < e.addr)
            return ERR_CORRUPT;
        prev = e.addr;
    }
    return (int)t.count;
}

int ksym_lookup(const void *blob, size_t len, uint64_t addr, const char **name,
                uint64_t *offset)
{
    struct table t;
    struct ksym_entry e;
    uint32_t lo = 0, hi;

    if (blob == NULL || name == NULL || offset == NULL)
        return ERR_INVALID_ARGS;
    if (table_open(blob, len, &t) != 0)
        return ERR_CORRUPT;
    /* Find the first entry above addr; the one before it is the candidate. */
    hi = t.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (entry(&t, mid).addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return ERR_NOT_FOUND;
    e = entry(&t, lo - 1);
    if (e.name_off >= t.strtab_size)
        return ERR_CORRUPT;
    if (e.size > 0 && addr - e.addr >= e.size)
        return ERR_NOT_FOUND;
    *name = t.strtab + e.name_off;
    *offset = addr - e.addr;
    return 0;
}

/* Appends to a bounded buffer; `full` records that something did not fit. */
struct out {
    char *buf;
    size_t size;   /* > 0 */
    size_t n;      /* < size */
    int full;
};

static void put(struct out *o, char c)
{
    if (o->n + 1 < o->size)
        o->buf[o->n++] = c;
    else
        o->full = 1;
}

/* Lower-case hex of v: at least `digits` digits, zero-padded. */
static void put_hex(struct out *o, uint64_t v, int digits)
{
    int n = 1;

    while (n < 16 && (v >> (4 * n)) != 0)
        n++;
    if (n < digits)
        n = digits;
    put(o, '0');
    put(o, 'x');
    while (n-- > 0)
        put(o, "0123456789abcdef"[(v >> (4 * n)) & 0xf]);
}

int ksym_format(const void *blob, size_t len, uint64_t addr, char *buf, size_t size)
{
    struct out o = { .buf = buf, .size = size };
    const char *name;
    uint64_t off;

    if (buf == NULL || size == 0)
        return ERR_INVALID_ARGS;
    if (ksym_lookup(blob, len, addr, &name, &off) == 0) {
        while (*name != '\0')
            put(&o, *name++);
        put(&o, '+');
        put_hex(&o, off, 1);
    } else {
        put_hex(&o, addr, 16);
    }
    buf[o.n] = '\0';
    return o.full ? ERR_NO_SPACE : (int)o.n;
}
