/* num_parse: decimal or 0x hexadecimal, bounded, overflow-safe (num.h). */
#include <stdbool.h>
#include <string.h>
#include "lib/num.h"
#include "lib/hex.h"
#include "err.h"

int num_parse_len(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return ERR_INVALID_ARGS;
    uint64_t v = 0;
    bool over = false;
    for (; len; s++, len--) {
        int d = hex_digit_value(*s);
        if (d < 0 || (unsigned)d >= base)
            return ERR_INVALID_ARGS;
        if ((uint64_t)d > max || v > (max - (uint64_t)d) / base)
            over = true;
        else
            v = v * base + (uint64_t)d;
    }
    if (over)
        return ERR_RANGE;
    *out = v;
    return 0;
}

int num_parse(const char *s, uint64_t max, uint64_t *out)
{
    return num_parse_len(s, strlen(s), max, out);
}
