/* The dump stack's settings from the registry, with Windows' defaults for anything missing. */
#include <string.h>
#include "dump/stack/dump_stack.h"
#include "config/registry.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

#define REG_MEMORY_MANAGEMENT "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management"

void dump_settings_default(struct dump_settings *s)
{
    memset(s, 0, sizeof *s);
    s->crash_dump_enabled = DUMP_CONFIG_AUTOMATIC;
    fmt_snprintf(s->paging_file, sizeof s->paging_file, "C:\\pagefile.sys");
    s->overwrite = true;
}

/* "C:\pagefile.sys 0 0": the path, then the initial size in MB. */
static void parse_paging_file(struct dump_settings *s, const char *entry)
{
    size_t n = 0;
    while (entry[n] && entry[n] != ' ')
        n++;
    const char *sp = entry[n] ? entry + n : NULL;
    if (n == 0 || n >= sizeof s->paging_file) {
        klog(KLOG_WARN, "dump: PagingFiles entry '%s' not understood; using %s", entry, s->paging_file);
        return;
    }
    memcpy(s->paging_file, entry, n);
    s->paging_file[n] = 0;
    uint64_t mb = 0;
    for (const char *p = sp ? sp + 1 : ""; *p >= '0' && *p <= '9'; p++)
        mb = mb * 10 + (uint64_t)(*p - '0');
    s->paging_file_mb = mb;
}

void dump_settings_load(struct dump_settings *s)
{
    dump_settings_default(s);
    uint32_t v;
    int rc = reg_get_dword(REG_CRASHCONTROL, "CrashDumpEnabled", &v);
    if (rc == 0)
        s->crash_dump_enabled = v;
    else if (rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: CrashDumpEnabled unreadable (%s); using %u", err_str(rc), s->crash_dump_enabled);
    if (reg_get_dword(REG_CRASHCONTROL, "Overwrite", &v) == 0)
        s->overwrite = v != 0;
    rc = reg_get_string(REG_CRASHCONTROL, "DedicatedDumpFile", s->dedicated_dump_file,
                        sizeof s->dedicated_dump_file);
    if (rc && rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: DedicatedDumpFile unreadable (%s); using the paging file", err_str(rc));
    if (rc)
        s->dedicated_dump_file[0] = 0;
    if (reg_get_dword(REG_CRASHCONTROL, "DumpFileSize", &v) == 0)
        s->dump_file_size_mb = v;
    char entry[96];
    rc = reg_get_multi_sz(REG_MEMORY_MANAGEMENT, "PagingFiles", 0, entry, sizeof entry);
    if (rc == 0)
        parse_paging_file(s, entry);
    else if (rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: PagingFiles unreadable (%s); using %s", err_str(rc), s->paging_file);
}
