/* werfault: Windows 7's retention policy for MEMORY.DMP (dump/recovery/dump_retention.h) fed
 * from the registry and the dump volume's free space. */
#include "werfault.h"
#include "crashdump.h"
#include "dump/recovery/dump_retention.h"

#define PRODUCT_OPTIONS "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
#define TCPIP_PARAMS    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"

int wer_keep_or_delete(struct crash *c, bool reported, bool report_ok, unsigned *rule)
{
    char product[32] = "WinNT", domain[256] = "";
    struct sys_volinfo vi;
    int rc = volinfo(c->saved, &vi);
    if (rc)
        return rc;
    reg_get_sz(PRODUCT_OPTIONS, "ProductType", product, sizeof product);
    reg_get_sz(TCPIP_PARAMS, "Domain", domain, sizeof domain);
    struct dump_retention_in in = {
        .always_keep = crash_reg_dword(CC_ALWAYS_KEEP_MEMORY_DUMP),
        .product_type = product,
        .domain_joined = domain[0] != 0,
        .free_bytes = vi.free_bytes,
        .report = !reported ? DUMP_REPORT_NOT_RUN : report_ok ? DUMP_REPORT_DONE : DUMP_REPORT_FAILED,
    };
    struct dump_retention_out out;
    if ((rc = dump_retention_decide(&in, &out)) != 0)
        return rc;
    *rule = out.rule;
    snprintf(c->why_not, sizeof c->why_not, "%s", out.reason);
    wer_note("retention: %s", out.reason);
    if (out.keep)
        return 0;
    if ((rc = unlink(c->saved)) != 0 && rc != ERR_NOT_FOUND)
        return rc;
    return 1;
}
