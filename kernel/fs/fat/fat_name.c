/* FAT32 names: validating long names, decoding stored ones (refusing what FAT forbids),
 * deciding whether a name fits 8.3 exactly (with the NT lowercase flags), generating
 * NAME~N.EXT aliases, the long-name checksum, formatting stored 8.3 names (what FAT forbids
 * shown as '?'), and filling VFAT long-name slots. ASCII only; other bytes are refused. */
#include <string.h>
#include "fs/fat/fat_priv.h"
#include "err.h"

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

/* Characters allowed in an 8.3 name besides letters and digits. */
static bool sfn_char(char c)
{
    if ((c >= '0' && c <= '9') || is_lower(c) || is_upper(c))
        return true;
    for (const char *p = "$%'-_@~`!(){}^#&"; *p; p++)
        if (*p == c)
            return true;
    return false;
}

static bool one_of(const char *set, unsigned c)
{
    for (const char *p = set; *p; p++)
        if ((unsigned char)*p == c)
            return true;
    return false;
}

/* A character FAT forbids in a long name: below 0x20, or one of " * / : < > ? \ |. */
static bool forbidden(unsigned c)
{
    return c < 0x20 || one_of("\"*/:<>?\\|", c);
}

int fat_name_check(const char *name, size_t len)
{
    if (len == 0 || len > FAT_NAME_MAX)
        return ERR_INVALID_ARGS;
    for (size_t i = 0; i < len; i++)
        if (forbidden((unsigned char)name[i]) || (unsigned char)name[i] > 0x7E)
            return ERR_INVALID_ARGS;
    if (name[len - 1] == '.' || name[len - 1] == ' ')
        return ERR_INVALID_ARGS;
    return 0;
}

int fat_lfn_decode(const uint16_t *units, size_t n, char *out)
{
    size_t len = 0;
    int rc = 0;
    for (; len < n && units[len]; len++) {
        if (len == FAT_NAME_MAX || forbidden(units[len])) {
            rc = ERR_CORRUPT;
            break;
        }
        if (units[len] > 0x7E)
            rc = ERR_NOT_SUPPORTED;
        out[len] = (char)units[len];
    }
    if (rc == 0 && (len == 0 || out[len - 1] == '.' || out[len - 1] == ' '))
        rc = ERR_CORRUPT;
    out[rc == 0 ? len : 0] = 0;
    return rc ? rc : (int)len;
}

/* One part (base or extension) of an exact 8.3 name: valid characters, a single case. */
static bool part_ok(const char *s, size_t n, size_t max, bool *lowercase)
{
    bool lo = false, up = false;
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!sfn_char(s[i]))
            return false;
        lo |= is_lower(s[i]);
        up |= is_upper(s[i]);
    }
    *lowercase = lo;
    return !(lo && up);
}

bool fat_name_fits_83(const char *name, size_t len, uint8_t sfn[11], uint8_t *nt)
{
    size_t dot = len;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.') {
            if (dot != len)
                return false;
            dot = i;
        }
    size_t ext_len = dot == len ? 0 : len - dot - 1;
    bool lo_base, lo_ext = false;
    if (dot == 0 || !part_ok(name, dot, 8, &lo_base) ||
        !part_ok(name + len - ext_len, ext_len, 3, &lo_ext))
        return false;
    memset(sfn, ' ', 11);
    for (size_t i = 0; i < dot; i++)
        sfn[i] = (uint8_t)upper(name[i]);
    for (size_t i = 0; i < ext_len; i++)
        sfn[8 + i] = (uint8_t)upper(name[dot + 1 + i]);
    *nt = (uint8_t)((lo_base ? NT_LOWER_BASE : 0) | (lo_ext ? NT_LOWER_EXT : 0));
    return true;
}

/* Copy up to max alias characters of s[0..n): uppercase, spaces and periods dropped,
 * characters not allowed in 8.3 names replaced by '_'. Returns the count. */
static size_t alias_part(const char *s, size_t n, uint8_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        if (s[i] == ' ' || s[i] == '.')
            continue;
        out[k++] = (uint8_t)(sfn_char(s[i]) ? upper(s[i]) : '_');
    }
    return k;
}

void fat_name_alias(const char *name, size_t len, uint32_t n, uint8_t sfn[11])
{
    while (len && (*name == '.' || *name == ' ')) {
        name++;
        len--;
    }
    size_t dot = len;
    for (size_t i = len; i-- > 0;)
        if (name[i] == '.') {
            dot = i;
            break;
        }
    char tail[8];
    size_t tl = 0;
    for (uint32_t x = n; x; x /= 10)
        tail[tl++] = (char)('0' + x % 10);
    tail[tl++] = '~';
    memset(sfn, ' ', 11);
    size_t bl = alias_part(name, dot, sfn, 8 - tl);
    if (bl == 0)
        sfn[bl++] = '_';
    while (tl)
        sfn[bl++] = (uint8_t)tail[--tl];
    if (dot < len)
        alias_part(name + dot + 1, len - dot - 1, sfn + 8, 3);
}

uint8_t fat_lfn_checksum(const uint8_t sfn[11])
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + sfn[i]);
    return sum;
}

/* One stored 8.3 character as shown: a character FAT forbids in 8.3 names (as in long names,
 * plus + , ; = [ ]) or one outside printable ASCII is shown as '?', which no path can name,
 * so a crafted entry is listed but can never be reached as (or confused with) another path.
 * Dots stay: the "." and ".." entries are stored that way. */
static char sfn_out(uint8_t c, bool lo)
{
    if (c > 0x7E || forbidden(c) || one_of("+,;=[]", c))
        return '?';
    return lo ? lower((char)c) : (char)c;
}

void fat_sfn_format(const uint8_t sfn[11], uint8_t nt, char out[13])
{
    size_t k = 0, b = 8, e = 3;
    while (b && sfn[b - 1] == ' ')
        b--;
    while (e && sfn[8 + e - 1] == ' ')
        e--;
    for (size_t i = 0; i < b; i++)
        out[k++] = sfn_out(i == 0 && sfn[0] == DE_KANJI_E5 ? DE_FREE : sfn[i],
                           nt & NT_LOWER_BASE);
    if (e)
        out[k++] = '.';
    for (size_t i = 0; i < e; i++)
        out[k++] = sfn_out(sfn[8 + i], nt & NT_LOWER_EXT);
    out[k] = 0;
}

bool fat_name_eq(const char *a, size_t alen, const char *b)
{
    for (size_t i = 0; i < alen; i++)
        if (!b[i] || upper(a[i]) != upper(b[i]))
            return false;
    return b[alen] == 0;
}

void fat_lfn_fill(uint8_t *slot, const char *name, size_t len, uint32_t ord, bool last,
                  uint8_t sum)
{
    memset(slot, 0, DIRENT_SIZE);
    slot[LFN_ORD] = (uint8_t)(ord | (last ? LFN_LAST : 0));
    slot[LFN_ATTR] = LFN_ATTR_VAL;
    slot[LFN_CHKSUM] = sum;
    for (uint32_t k = 0; k < LFN_CHARS; k++) {
        size_t i = (size_t)(ord - 1) * LFN_CHARS + k;
        uint16_t u = i < len ? (uint8_t)name[i] : i == len ? 0 : 0xFFFF;
        uint32_t off = k < 5 ? LFN_NAME1 + 2 * k : k < 11 ? LFN_NAME2 + 2 * (k - 5)
                                                         : LFN_NAME3 + 2 * (k - 11);
        fat_put16(slot + off, u);
    }
}
