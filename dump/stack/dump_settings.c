/* The dump stack's settings from the kernel registry, read through lib/reg/crash_control.h (its
 * names and Windows' defaults for anything missing). */
#include <string.h>
#include "dump/stack/dump_stack.h"
#include "lib/reg/crash_control.h"
#include "config/registry.h"
#include "lib/fmt.h"
#include "klog.h"
#include "err.h"

/* A source that holds nothing: every value is its default. */
static int get_none(void *ctx, const char *key, const char *name, uint32_t want,
                    uint32_t *type, void *buf, size_t cap, size_t *len)
{
    (void)ctx, (void)key, (void)name, (void)want, (void)type, (void)buf, (void)cap, (void)len;
    return ERR_NOT_FOUND;
}

/* A size in MB out of range (cc_file_mb_check) becomes 0, system-managed, and the
 * settings' warning says so. */
static void check_mb(struct dump_settings *s, const char *what, uint64_t *mb)
{
    if (cc_file_mb_check(*mb) == 0)
        return;
    fmt_snprintf(s->warning, sizeof s->warning, "%s %lu MB is out of range (0 = system-managed, "
                 "at most %u: a FAT32 file): system-managed", what, (unsigned long)*mb, CC_FILE_MB_MAX);
    klog(KLOG_WARN, "dump: %s", s->warning);
    *mb = 0;
}

/* The settings from src; unreadable values (other than absent ones) are logged. */
static void load(struct dump_settings *s, const struct cc_source *src)
{
    uint32_t v;
    memset(s, 0, sizeof *s);
    int rc = cc_get_dword(src, CC_CRASH_DUMP_ENABLED, &s->crash_dump_enabled);
    if (rc && rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: CrashDumpEnabled unreadable (%s); using %u", err_str(rc),
             s->crash_dump_enabled);
    cc_get_dword(src, CC_OVERWRITE, &v);
    s->overwrite = v != 0;
    rc = cc_get_string(src, CC_DEDICATED_DUMP_FILE, s->dedicated_dump_file,
                       sizeof s->dedicated_dump_file);
    if (rc && rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: DedicatedDumpFile unreadable (%s); using the paging file",
             err_str(rc));
    rc = cc_get_string(src, CC_DUMP_PARTITION, s->dump_partition, sizeof s->dump_partition);
    if (rc && rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: DumpPartition unreadable (%s); the first that fits is used",
             err_str(rc));
    cc_get_dword(src, CC_DUMP_FILE_SIZE, &v);
    s->dump_file_size_mb = v;
    cc_get_dword(src, CC_DUMP_TIMEOUT, &s->dump_timeout_s);
    rc = cc_get_paging_file(src, 0, s->paging_file, sizeof s->paging_file, &s->paging_file_mb);
    if (rc && rc != ERR_NOT_FOUND)
        klog(KLOG_WARN, "dump: PagingFiles entry not understood (%s); using %s", err_str(rc),
             s->paging_file);
    check_mb(s, "DumpFileSize", &s->dump_file_size_mb);
    check_mb(s, "PagingFiles' initial size", &s->paging_file_mb);
    uint64_t t;
    s->last_crash_time = cc_get_qword(src, CC_LAST_CRASH_TIME, &t) == 0;
}

void dump_settings_default(struct dump_settings *s)
{
    load(s, &(const struct cc_source){ get_none, NULL });
}

void dump_settings_load(struct dump_settings *s)
{
    load(s, &registry_cc);
}
