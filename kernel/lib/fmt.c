/* printf-style formatter: parses each conversion into a struct fmt_spec, renders it into
 * a few pieces (padding, sign/prefix, zeros, digits or text) and hands them to the sink.
 * fmt_vsnprintf is fmt_vformat with a sink that fills a bounded buffer. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fmt.h"

_Static_assert(sizeof(size_t) == sizeof(ptrdiff_t), "%zd and %tu read the other type");

/* INT_MAX without <limits.h>: the most chars one call may emit. */
#define FMT_INT_MAX ((size_t)(~0u >> 1))
/* Widths and precisions are clamped here while parsing: anything larger cannot be printed
 * within an int count and fails with ERR_RANGE. */
#define FMT_LIMIT (FMT_INT_MAX + 1)

enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

/* One parsed conversion. */
struct fmt_spec {
    bool minus, zero, plus, space, alt;
    bool has_prec;
    size_t width;           /* 0 if none; at most FMT_LIMIT */
    size_t prec;            /* valid if has_prec; at most FMT_LIMIT */
    enum fmt_len len;
    char conv;
};

/* Output state: every byte goes through fmt_emit, which enforces the INT_MAX limit. */
struct fmt_out {
    fmt_sink_t sink;
    void *ctx;
    size_t count;           /* chars emitted so far, at most INT_MAX */
    bool overflow;          /* set once the limit is hit; then nothing more is emitted */
};

/* Ensures n more chars fit under INT_MAX; on failure latches overflow. */
static bool fmt_room(struct fmt_out *o, size_t n)
{
    if (o->overflow || n > FMT_INT_MAX - o->count) {
        o->overflow = true;
        return false;
    }
    return true;
}

static void fmt_emit(struct fmt_out *o, const char *s, size_t n)
{
    if (n == 0 || !fmt_room(o, n))
        return;
    o->sink(o->ctx, s, n);
    o->count += n;
}

/* Emits n copies of c (' ' or '0') in chunks. */
static void fmt_pad(struct fmt_out *o, char c, size_t n)
{
    static const char spaces[] = "                                ";
    static const char zeros[] = "00000000000000000000000000000000";
    const char *run = c == '0' ? zeros : spaces;

    if (!fmt_room(o, n))
        return;
    while (n > 0) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        fmt_emit(o, run, k);
        n -= k;
    }
}

/* Emits a field of `len` chars of text padded to the spec's width with spaces. */
static void fmt_field(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t len)
{
    size_t pad = sp->width > len ? sp->width - len : 0;

    if (!fmt_room(o, len + pad))
        return;
    if (!sp->minus)
        fmt_pad(o, ' ', pad);
    fmt_emit(o, s, len);
    if (sp->minus)
        fmt_pad(o, ' ', pad);
}

/* Renders an integer conversion (d i u o x X) of magnitude `mag`, negative if `neg`. */
static void fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, uintmax_t mag, bool neg)
{
    const char *digit_set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X') ? 16 : 10;
    bool is_signed = sp->conv == 'd' || sp->conv == 'i';
    char digits[sizeof(uintmax_t) * 8 / 3 + 1];
    char prefix[2];
    size_t ndig = 0, nzero = 0, npre = 0;

    /* Digits, least significant first into the end of the buffer; none for 0 with
     * precision 0. */
    for (uintmax_t v = mag; v != 0 || (ndig == 0 && !(sp->has_prec && sp->prec == 0));
         v /= base)
        digits[sizeof(digits) - ++ndig] = digit_set[v % base];

    if (sp->has_prec && sp->prec > ndig)
        nzero = sp->prec - ndig;
    /* '#' with o: the first digit must be 0 (already so for a printed 0). */
    if (sp->alt && base == 8 && nzero == 0 && (mag != 0 || ndig == 0))
        nzero = 1;

    if (is_signed && neg)
        prefix[npre++] = '-';
    else if (is_signed && sp->plus)
        prefix[npre++] = '+';
    else if (is_signed && sp->space)
        prefix[npre++] = ' ';
    else if (sp->alt && base == 16 && mag != 0) {
        prefix[npre++] = '0';
        prefix[npre++] = sp->conv;
    }

    size_t body = npre + nzero + ndig;
    size_t pad = sp->width > body ? sp->width - body : 0;
    if (!fmt_room(o, body + pad))
        return;
    if (sp->minus) {
        fmt_emit(o, prefix, npre);
        fmt_pad(o, '0', nzero);
        fmt_emit(o, digits + sizeof(digits) - ndig, ndig);
        fmt_pad(o, ' ', pad);
    } else if (sp->zero && !sp->has_prec) {
        fmt_emit(o, prefix, npre);
        fmt_pad(o, '0', pad + nzero);
        fmt_emit(o, digits + sizeof(digits) - ndig, ndig);
    } else {
        fmt_pad(o, ' ', pad);
        fmt_emit(o, prefix, npre);
        fmt_pad(o, '0', nzero);
        fmt_emit(o, digits + sizeof(digits) - ndig, ndig);
    }
}

/* Renders %p: fixed-width lower-case hex, padded only by width and '-'. */
static void fmt_pointer(struct fmt_out *o, const struct fmt_spec *sp, const void *ptr)
{
    char text[2 + 2 * sizeof(uintptr_t)];
    uintptr_t v = (uintptr_t)ptr;

    text[0] = '0';
    text[1] = 'x';
    for (size_t i = sizeof(text); i > 2; i--, v >>= 4)
        text[i - 1] = "0123456789abcdef"[v & 0xf];
    fmt_field(o, sp, text, sizeof(text));
}

/* Renders %s; NULL prints as glibc does. The string is not read past the precision. */
static void fmt_string(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
    if (s == NULL)
        s = sp->has_prec && sp->prec < 6 ? "" : "(null)";
    fmt_field(o, sp, s, sp->has_prec ? strnlen(s, sp->prec) : strlen(s));
}

/* Fetches a d/i argument of the spec's length and returns its value widened. */
static intmax_t fmt_arg_signed(enum fmt_len len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z:
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    case LEN_J: return va_arg(*ap, intmax_t);
    default: return va_arg(*ap, int);
    }
}

/* Fetches a u/o/x/X argument of the spec's length and returns its value widened. */
static uintmax_t fmt_arg_unsigned(enum fmt_len len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z:
    case LEN_T: return va_arg(*ap, size_t);
    case LEN_J: return va_arg(*ap, uintmax_t);
    default: return va_arg(*ap, unsigned);
    }
}

/* Parses a decimal width or precision at *pp, clamped to FMT_LIMIT. */
static size_t fmt_parse_num(const char **pp)
{
    const char *p = *pp;
    size_t v = 0;

    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (size_t)(*p++ - '0');
        if (v > FMT_LIMIT)
            v = FMT_LIMIT;
    }
    *pp = p;
    return v;
}

/* Parses flags, width, precision and length after a '%' at *pp, leaving *pp at the
 * conversion character (which may be the terminating NUL). */
static void fmt_parse_spec(const char **pp, struct fmt_spec *sp, va_list *ap)
{
    const char *p = *pp;

    memset(sp, 0, sizeof(*sp));
    for (;; p++) {
        if (*p == '-')
            sp->minus = true;
        else if (*p == '0')
            sp->zero = true;
        else if (*p == '+')
            sp->plus = true;
        else if (*p == ' ')
            sp->space = true;
        else if (*p == '#')
            sp->alt = true;
        else
            break;
    }

    if (*p == '*') {
        int w = va_arg(*ap, int);
        p++;
        if (w < 0) {
            sp->minus = true;
            sp->width = (size_t)0 - (size_t)w;   /* |INT_MIN| == FMT_LIMIT */
        } else {
            sp->width = (size_t)w;
        }
    } else {
        sp->width = fmt_parse_num(&p);
    }

    if (*p == '.') {
        p++;
        sp->has_prec = true;
        if (*p == '*') {
            int pr = va_arg(*ap, int);
            p++;
            sp->has_prec = pr >= 0;
            sp->prec = pr >= 0 ? (size_t)pr : 0;
        } else {
            sp->prec = fmt_parse_num(&p);
        }
    }

    switch (*p) {
    case 'h':
        sp->len = p[1] == 'h' ? LEN_HH : LEN_H;
        p += p[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        sp->len = p[1] == 'l' ? LEN_LL : LEN_L;
        p += p[1] == 'l' ? 2 : 1;
        break;
    case 'z': sp->len = LEN_Z; p++; break;
    case 't': sp->len = LEN_T; p++; break;
    case 'j': sp->len = LEN_J; p++; break;
    default: break;
    }
    sp->conv = *p;
    *pp = p;
}

/* Renders one parsed conversion, fetching its argument. Returns false for a conversion we
 * do not know, which the caller prints literally. */
static bool fmt_convert(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case 'd':
    case 'i': {
        intmax_t v = fmt_arg_signed(sp->len, ap);
        /* Negate in unsigned arithmetic so INTMAX_MIN has a magnitude. */
        fmt_integer(o, sp, v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v, v < 0);
        return true;
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X':
        fmt_integer(o, sp, fmt_arg_unsigned(sp->len, ap), false);
        return true;
    case 'c': {
        unsigned char c = (unsigned char)va_arg(*ap, int);
        fmt_field(o, sp, (const char *)&c, 1);
        return true;
    }
    case 's':
        fmt_string(o, sp, va_arg(*ap, const char *));
        return true;
    case 'p':
        fmt_pointer(o, sp, va_arg(*ap, const void *));
        return true;
    case '%':
        fmt_emit(o, "%", 1);
        return true;
    default:
        return false;
    }
}

int fmt_vformat(fmt_sink_t sink, void *ctx, const char *fmt, va_list ap)
{
    struct fmt_out o = { .sink = sink, .ctx = ctx, .count = 0, .overflow = false };
    va_list args;
    const char *p = fmt;

    va_copy(args, ap);
    while (*p != '\0' && !o.overflow) {
        const char *run = p;
        while (*p != '\0' && *p != '%')
            p++;
        fmt_emit(&o, run, (size_t)(p - run));
        if (*p == '\0')
            break;

        const char *start = p++;
        struct fmt_spec sp;
        fmt_parse_spec(&p, &sp, &args);
        if (sp.conv == '\0') {
            fmt_emit(&o, start, (size_t)(p - start));
            break;
        }
        p++;
        if (!fmt_convert(&o, &sp, &args))
            fmt_emit(&o, start, (size_t)(p - start));
    }
    va_end(args);
    return o.overflow ? ERR_RANGE : (int)o.count;
}

/* Bounded buffer behind fmt_vsnprintf: keeps the first `cap` chars, counts the rest. */
struct fmt_buf {
    char *buf;
    size_t cap;             /* size - 1: room for the NUL is kept back */
    size_t len;             /* chars stored, at most cap */
};

static void fmt_buf_sink(void *ctx, const char *s, size_t n)
{
    struct fmt_buf *b = ctx;
    size_t k = b->cap - b->len;

    if (k > n)
        k = n;
    if (k == 0)
        return;
    memcpy(b->buf + b->len, s, k);
    b->len += k;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_buf b = { .buf = buf, .cap = size > 0 ? size - 1 : 0, .len = 0 };
    int n = fmt_vformat(fmt_buf_sink, &b, fmt, ap);

    if (size > 0)
        buf[b.len] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
