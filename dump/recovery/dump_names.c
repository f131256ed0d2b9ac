/* Minidump names (MMDDYY-NNNNN-NN.dmp) and DUMPxxxx.TMP names: formatting, strict parsing,
 * picking a free NN, and choosing the oldest minidumps to delete (an in-place heap sort of
 * the caller's index array). See dump_names.h for the contract. */
#include <string.h>
#include "dump/recovery/dump_names.h"
#include "err.h"

static bool leap(unsigned y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in(unsigned y, unsigned m)
{
    static const unsigned char d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

static bool fields_ok(const struct dump_mini_name *n)
{
    return n->year >= 1 && n->year <= 9999 && n->month >= 1 && n->month <= 12 &&
           n->day >= 1 && n->day <= days_in(n->year, n->month) &&
           n->number < DUMP_MINI_NUMBER_MOD && n->dup >= 1 && n->dup <= DUMP_MINI_DUP_MAX;
}

/* Writes `v` as `width` decimal digits. */
static void digits(char *p, unsigned long v, unsigned width)
{
    for (unsigned i = width; i-- > 0; v /= 10)
        p[i] = (char)('0' + v % 10);
}

/* Reads `width` decimal digits; false if any is not a digit. */
static bool read_digits(const char *p, unsigned width, unsigned long *v)
{
    *v = 0;
    for (unsigned i = 0; i < width; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        *v = *v * 10 + (unsigned long)(p[i] - '0');
    }
    return true;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_text(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

int dump_mini_name_format(const struct dump_mini_name *n, char *buf, size_t size)
{
    if (!n || !buf || !fields_ok(n))
        return ERR_INVALID_ARGS;
    if (size < DUMP_MINI_NAME_LEN + 1)
        return ERR_RANGE;
    digits(buf, n->month, 2);
    digits(buf + 2, n->day, 2);
    digits(buf + 4, n->year % 100, 2);
    buf[6] = '-';
    digits(buf + 7, n->number, 5);
    buf[12] = '-';
    digits(buf + 13, n->dup, 2);
    memcpy(buf + 15, ".dmp", 5);
    return (int)DUMP_MINI_NAME_LEN;
}

int dump_mini_name_parse(const char *name, unsigned ref_year, struct dump_mini_name *out)
{
    unsigned long mm, dd, yy, num, dup;
    if (!name || !out || ref_year < 1 || ref_year > 9998)
        return ERR_INVALID_ARGS;
    if (strnlen(name, DUMP_MINI_NAME_LEN + 1) != DUMP_MINI_NAME_LEN || name[6] != '-' ||
        name[12] != '-' || !same_text(name + 15, ".dmp", 4) || !read_digits(name, 2, &mm) ||
        !read_digits(name + 2, 2, &dd) || !read_digits(name + 4, 2, &yy) ||
        !read_digits(name + 7, 5, &num) || !read_digits(name + 13, 2, &dup))
        return ERR_NOT_FOUND;
    unsigned limit = ref_year + 1;
    unsigned back = (limit % 100 + 100 - (unsigned)yy) % 100;
    if (back >= limit)
        return ERR_NOT_FOUND;             /* would be year 0 or before */
    struct dump_mini_name n = { limit - back, (unsigned)mm, (unsigned)dd, (uint32_t)num,
                                (unsigned)dup };
    if (!fields_ok(&n))
        return ERR_NOT_FOUND;
    *out = n;
    return 0;
}

int dump_mini_name_pick(struct dump_mini_name *n, dump_name_exists_fn exists, void *ctx,
                        char *buf, size_t size)
{
    if (!n || !exists)
        return ERR_INVALID_ARGS;
    for (unsigned dup = n->dup ? n->dup : 1; dup <= DUMP_MINI_DUP_MAX; dup++) {
        n->dup = dup;
        int rc = dump_mini_name_format(n, buf, size);
        if (rc < 0)
            return rc;
        rc = exists(ctx, buf);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return (int)DUMP_MINI_NAME_LEN;
    }
    return ERR_EXISTS;
}

/* Age of a parsed name as one number: date, then NNNNN, then NN. */
static uint64_t age_key(const struct dump_mini_name *n)
{
    uint64_t date = ((uint64_t)n->year * 100 + n->month) * 100 + n->day;
    return (date * DUMP_MINI_NUMBER_MOD + n->number) * 100 + n->dup;
}

struct sorter {
    const char *const *names;
    unsigned ref_year;
    size_t *v;
};

/* Names a and b (indices) in age order; ties (names equal but for case) by index. */
static bool older(const struct sorter *s, size_t a, size_t b)
{
    struct dump_mini_name x, y;
    dump_mini_name_parse(s->names[a], s->ref_year, &x);
    dump_mini_name_parse(s->names[b], s->ref_year, &y);
    uint64_t kx = age_key(&x), ky = age_key(&y);
    return kx != ky ? kx < ky : a < b;
}

static void sift_down(struct sorter *s, size_t root, size_t n)
{
    for (;;) {
        size_t big = root, l = 2 * root + 1, r = l + 1;
        if (l < n && older(s, s->v[big], s->v[l]))
            big = l;
        if (r < n && older(s, s->v[big], s->v[r]))
            big = r;
        if (big == root)
            return;
        size_t t = s->v[root];
        s->v[root] = s->v[big];
        s->v[big] = t;
        root = big;
    }
}

int dump_mini_names_prune(const char *const *names, size_t n, uint32_t keep, unsigned ref_year,
                          size_t *order, size_t *del_count, size_t *kept_count)
{
    struct dump_mini_name tmp;
    if ((n && (!names || !order)) || !del_count || !kept_count || ref_year < 1 ||
        ref_year > 9998)
        return ERR_INVALID_ARGS;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (names[i] && dump_mini_name_parse(names[i], ref_year, &tmp) == 0)
            order[m++] = i;
    struct sorter s = { names, ref_year, order };
    for (size_t i = m / 2; i-- > 0;)
        sift_down(&s, i, m);
    for (size_t end = m; end > 1; end--) {
        size_t t = order[0];
        order[0] = order[end - 1];
        order[end - 1] = t;
        sift_down(&s, 0, end - 1);
    }
    *del_count = m > keep ? m - keep : 0;
    *kept_count = m - *del_count;
    return 0;
}

int dump_tmp_name_format(uint16_t number, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!buf)
        return ERR_INVALID_ARGS;
    if (size < DUMP_TMP_NAME_LEN + 1)
        return ERR_RANGE;
    memcpy(buf, "DUMP", 4);
    for (unsigned i = 0; i < 4; i++)
        buf[4 + i] = hex[(number >> (12 - 4 * i)) & 0xF];
    memcpy(buf + 8, ".TMP", 5);
    return (int)DUMP_TMP_NAME_LEN;
}

int dump_tmp_name_parse(const char *name, uint16_t *number)
{
    if (!name || !number)
        return ERR_INVALID_ARGS;
    if (strnlen(name, DUMP_TMP_NAME_LEN + 1) != DUMP_TMP_NAME_LEN ||
        !same_text(name, "DUMP", 4) || !same_text(name + 8, ".TMP", 4))
        return ERR_NOT_FOUND;
    unsigned v = 0;
    for (unsigned i = 4; i < 8; i++) {
        char c = lower(name[i]);
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16u;
        if (d == 16)
            return ERR_NOT_FOUND;
        v = v * 16 + d;
    }
    *number = (uint16_t)v;
    return 0;
}
