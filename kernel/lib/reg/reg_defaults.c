/* The values every Blackbox hive has, with Windows' names and defaults: CrashControl
 * (DESIGN.md, "Configuration"), the paging file, the product type and the domain the machine
 * belongs to (an empty TCP/IP Domain: a workgroup machine), for the retention policy. */
#include <string.h>
#include "lib/reg/reg.h"
#include "err.h"

#define CONTROL REG_HKLM "\\SYSTEM\\CurrentControlSet\\Control"

struct reg_default {
    const char *key;
    const char *name;
    uint32_t type;
    uint32_t dword;        /* REG_DWORD */
    const char *text;      /* REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ (one string) */
};

static const struct reg_default defaults[] = {
    { REG_CRASHCONTROL, "CrashDumpEnabled", REG_DWORD, 7, NULL },
    { REG_CRASHCONTROL, "AutoReboot", REG_DWORD, 1, NULL },
    { REG_CRASHCONTROL, "LogEvent", REG_DWORD, 1, NULL },
    { REG_CRASHCONTROL, "Overwrite", REG_DWORD, 1, NULL },
    { REG_CRASHCONTROL, "MinidumpsCount", REG_DWORD, 50, NULL },
    { REG_CRASHCONTROL, "DumpFile", REG_EXPAND_SZ, 0, "%SystemRoot%\\MEMORY.DMP" },
    { REG_CRASHCONTROL, "MinidumpDir", REG_EXPAND_SZ, 0, "%SystemRoot%\\Minidump" },
    { REG_CRASHCONTROL, "AlwaysKeepMemoryDump", REG_DWORD, 0, NULL },
    { CONTROL "\\Session Manager\\Memory Management", "PagingFiles", REG_MULTI_SZ, 0,
      "C:\\pagefile.sys 0 0" },
    { CONTROL "\\ProductOptions", "ProductType", REG_SZ, 0, "WinNT" },
    { REG_HKLM "\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters", "Domain", REG_SZ, 0,
      "" },
};

static int apply(struct reg_tree *t, const struct reg_default *d)
{
    struct reg_key *k;
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
    memcpy(buf, d->text, n + 1);
    if (d->type == REG_MULTI_SZ)
        buf[++n] = 0;
    return reg_value_set(t, k, d->name, d->type, buf, (uint32_t)n + 1);
}

int reg_defaults_apply(struct reg_tree *t)
{
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        int rc = apply(t, &defaults[i]);
        if (rc)
            return rc;
    }
    return 0;
}
