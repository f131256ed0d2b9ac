/* werfault: the crash report (dump/recovery/dump_report.h: a header and the minidump) queued
 * in C:\REPORTS\QUEUE\ for wersend to deliver. Written as Rnnnnnnn.TMP, then renamed in
 * place to Rnnnnnnn.RPT (nnnnnnn: the dump's sequence number), so the queue never holds half
 * a report and a run cut short writes the same report again. */
#include "werfault.h"
#include "crashdump.h"
#include "dump/recovery/dump_report.h"

#define REPORTS "C:\\REPORTS"
#define QUEUE   REPORTS "\\QUEUE"

static uint8_t report[DUMP_REPORT_MAX];

/* The whole minidump file into report + header room. */
static int load_minidump(const char *path, size_t *len)
{
    int fd = open(path, SYS_O_READ);
    if (fd < 0)
        return fd;
    long n = read(fd, report + DUMP_REPORT_HEADER_SIZE, DUMP_SMALL_MAX);
    uint8_t more;
    long extra = n >= 0 ? read(fd, &more, 1) : 0;
    close(fd);
    if (n < 0)
        return (int)n;
    if (extra != 0)
        return ERR_TOO_BIG;
    *len = (size_t)n;
    return 0;
}

int wer_queue_report(struct crash *c)
{
    char tmp[SYS_PATH_MAX], final[SYS_PATH_MAX];
    size_t len = 0;
    if (!c->minidump[0])
        return ERR_NOT_FOUND;
    int rc = load_minidump(c->minidump, &len);
    if (rc)
        return rc;
    const uint8_t *dump = report + DUMP_REPORT_HEADER_SIZE;
    uint64_t id = dump_report_make_id(dump, len);
    if ((rc = dump_report_build_header(report, dump, len, id)) != 0)
        return rc;
    if (((rc = mkdir(REPORTS)) != 0 && rc != ERR_EXISTS) ||
        ((rc = mkdir(QUEUE)) != 0 && rc != ERR_EXISTS))
        return rc;
    unsigned long n = (unsigned long)(c->seq % 10000000u);
    snprintf(tmp, sizeof tmp, "%s\\R%07lu.TMP", QUEUE, n);
    snprintf(final, sizeof final, "%s\\R%07lu.RPT", QUEUE, n);
    int fd = open(tmp, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (fd < 0)
        return fd;
    long put = write_all(fd, report, DUMP_REPORT_HEADER_SIZE + len);
    rc = close(fd);
    if (put != (long)(DUMP_REPORT_HEADER_SIZE + len))
        return put < 0 ? (int)put : ERR_IO;
    if (rc)
        return rc;
    if (((rc = unlink(final)) != 0 && rc != ERR_NOT_FOUND) || (rc = rename(tmp, final)) != 0)
        return rc;
    wer_note("crash report %016lx queued as %s", (unsigned long)id, final);
    return 0;
}
