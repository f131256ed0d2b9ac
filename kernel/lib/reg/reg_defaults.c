/* The values every Blackbox hive has, with Windows' names and defaults: CrashControl and the
 * paging file (from lib/reg/crash_control.h, the one table of them), the product type and the
 * domain the machine belongs to (an empty TCP/IP Domain: a workgroup machine), for the
 * retention policy. */
#include <string.h>
#include "lib/reg/reg.h"
#include "lib/reg/crash_control.h"
#include "err.h"

/* The values besides CrashControl's, in cc_settings' form. */
static const struct cc_setting others[] = {
    { REG_HKLM "\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions", "ProductType", REG_SZ, 0,
      "WinNT", true },
    { REG_HKLM "\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters", "Domain", REG_SZ, 0,
      "", true },
};

static int apply(struct reg_tree *t, const struct cc_setting *d)
{
    struct reg_key *k;
    if (!d->in_hive)
        return 0;
    int rc = reg_key_create(t, d->key, false, &k);
    if (rc || reg_value_find(k, d->name))
        return rc;
    if (d->type == REG_DWORD) {
        uint8_t b[4] = { (uint8_t)d->dword, (uint8_t)(d->dword >> 8), (uint8_t)(d->dword >> 16),
                         (uint8_t)(d->dword >> 24) };
        return reg_value_set(t, k, d->name, REG_DWORD, b, 4);
    }
    /* one string and its NUL, plus the list's closing NUL for REG_MULTI_SZ */
    char buf[64];
    size_t n = strlen(d->text);
    if (n + 2 > sizeof buf)
        return ERR_TOO_BIG;
    memcpy(buf, d->text, n + 1);
    if (d->type == REG_MULTI_SZ)
        buf[++n] = 0;
    return reg_value_set(t, k, d->name, d->type, buf, (uint32_t)n + 1);
}

int reg_defaults_apply(struct reg_tree *t)
{
    for (size_t i = 0; i < CC_VALUES; i++) {
        int rc = apply(t, &cc_settings[i]);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int rc = apply(t, &others[i]);
        if (rc)
            return rc;
    }
    return 0;
}
