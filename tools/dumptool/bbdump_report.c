/* bbdump report: turns a small dump into a crash-report file (dump/recovery/dump_report.h)
 * with the same portable encoder the guest uses, e.g. to queue it in C:\REPORTS\QUEUE\ or to
 * re-submit a dump to the collector. The report id is the encoder's (dump_report_make_id),
 * so re-encoding the same dump gives the same id and the collector counts it once. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/recovery/dump_report.h"
#include "tools/dumptool/bbdump.h"
#include "err.h"

int cmd_report(struct dumpfile *d, const char *out)
{
    if (d->rc != 0)
        return problem(d);
    if (d->l.dump_type != DUMP_TYPE_SMALL || !d->l.complete)
        return die(d, "a report holds a complete small dump (CrashDumpEnabled=3), this is a "
                   "%s dump%s", dump_type_name(d->l.dump_type),
                   d->l.complete ? "" : " (not complete)");
    if (d->l.total > DUMP_SMALL_MAX)
        return die(d, "%" PRIu64 " bytes: larger than a small dump may be", d->l.total);
    /* a pagefile holds the dump at its start, followed by whatever the file held before */
    size_t len = (size_t)d->l.total;
    uint8_t hdr[DUMP_REPORT_HEADER_SIZE];
    uint64_t id = dump_report_make_id(d->map, len);
    int rc = dump_report_build_header(hdr, d->map, len, id);
    if (rc)
        return die(d, "cannot encode the report: %s", err_str(rc));
    FILE *f = fopen(out, "wb");
    if (!f)
        return die(d, "%s: %s", out, strerror(errno));
    bool ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr && fwrite(d->map, 1, len, f) == len;
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        remove(out);
        return die(d, "%s: write failed", out);
    }
    const struct dump_header *h = (const struct dump_header *)d->map;
    printf("%s: report %016" PRIx64 ", STOP 0x%08X, sequence %" PRIu64 ", %zu bytes\n", out,
           id, h->bug_check_code, h->bb.sequence, sizeof hdr + len);
    return 0;
}
