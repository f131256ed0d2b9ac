/* num_parse: decimal or 0x hexadecimal, bounded, overflow-safe (num.h). */
#include <stdbool.h>
#include "lib/num.h"
#include "lib/hex.h"
#include "err.h"

int num_parse(const char *s, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return ERR_INVALID_ARGS;
    uint64_t v = 0;
    bool over = false;
    for (; *s; s++) {
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
