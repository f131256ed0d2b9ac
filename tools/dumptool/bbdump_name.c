/* bbdump extract's output names: a name read from a disk image (a hive value, a long file
 * name) turned into one file name that is safe to create inside the output folder on a POSIX
 * or Windows host, and the escaped form of such a name for the table. Portable: no OS calls,
 * no allocation (tests/unit/test_bbdump_name.c). */
#include <string.h>
#include <strings.h>

#include "tools/dumptool/bbdump_extract.h"

#define EXT_MAX 16   /* the longest extension (after its '.') kept when a name is cut */

/* Appends s[0..n) to out[*k..cap): what no host may hold in a name becomes '_', a run of
 * dots becomes one dot. */
static void map(const char *s, size_t n, char *out, size_t *k, size_t cap)
{
    for (size_t i = 0; i < n && *k < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        char m = c < 0x20 || c > 0x7E || strchr("\"*/:<>?\\|", c) ? '_' : (char)c;
        if (m == '.' && *k && out[*k - 1] == '.')
            continue;
        out[(*k)++] = m;
    }
}

/* A Windows device name (CON, NUL, COM1...), which Windows opens whatever the extension. */
static bool device(const char *name)
{
    static const char *const names[] = { "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$" };
    size_t n = strcspn(name, ".");
    while (n && name[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(name, names[i], n) == 0)
            return true;
    return n == 4 && (strncasecmp(name, "COM", 3) == 0 || strncasecmp(name, "LPT", 3) == 0) &&
           name[3] >= '0' && name[3] <= '9';
}

bool out_name_sanitise(const char *in, char out[OUT_NAME_MAX + 1])
{
    size_t n = strlen(in), k = 1, ext = 0;   /* out[0] is kept for a '_' before a device */
    const char *dot = strrchr(in, '.');
    if (dot && n - (size_t)(dot - in) <= EXT_MAX + 1)
        ext = n - (size_t)(dot - in);
    map(in, n - ext, out, &k, OUT_NAME_MAX - ext);
    map(in + n - ext, ext, out, &k, OUT_NAME_MAX);
    size_t start = 1;
    while (start < k && (out[start] == '.' || out[start] == ' '))
        start++;
    while (k > start && (out[k - 1] == '.' || out[k - 1] == ' '))
        k--;
    out[k] = 0;
    if (k == start || device(out + start))
        out[--start] = '_';
    memmove(out, out + start, k - start + 1);
    return strcmp(out, in) != 0;
}

/* Bytes of c in the escaped form. */
static size_t escaped_len(unsigned char c)
{
    return c >= 0x20 && c <= 0x7E ? 1 : 4;
}

void out_name_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t need = 0, k = 0;
    for (const char *p = in; *p; p++)
        need += escaped_len((unsigned char)*p);
    for (; *in; in++) {
        unsigned char c = (unsigned char)*in;
        size_t m = escaped_len(c);
        if (need >= cap && k + m + 3 >= cap) {   /* cut: "..." and the NUL must fit */
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        if (m == 1) {
            out[k++] = (char)c;
        } else {
            memcpy(out + k, "\\x", 2);
            out[k + 2] = hex[c >> 4];
            out[k + 3] = hex[c & 15];
            k += 4;
        }
    }
    out[k] = 0;
}
