/* Windows 7's MEMORY.DMP retention decision: rules 1..5 in order, the first that applies
 * decides; see dump_retention.h for the rules and the 25 GiB threshold. */
#include "dump/recovery/dump_retention.h"
#include "lib/fmt.h"
#include "err.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_text(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b)) {
        a++;
        b++;
    }
    return *a == 0 && *b == 0;
}

bool dump_retention_is_server(const char *product_type)
{
    return product_type &&
           (same_text(product_type, "ServerNT") || same_text(product_type, "LanmanNT"));
}

static void decided(struct dump_retention_out *out, bool keep, unsigned rule,
                    const struct dump_retention_in *in, const char *why)
{
    out->keep = keep;
    out->rule = rule;
    fmt_snprintf(out->reason, sizeof out->reason, "%s%s: memory dump %s (rule %u)",
                 in->report == DUMP_REPORT_FAILED ? "fault report failed; " : "", why,
                 keep ? "kept" : "deleted", rule);
}

int dump_retention_decide(const struct dump_retention_in *in, struct dump_retention_out *out)
{
    if (!in || !out)
        return ERR_INVALID_ARGS;
    if (in->report == DUMP_REPORT_NOT_RUN) {
        decided(out, true, 1, in, "kernel fault not reported yet");
        return 0;
    }
    if (in->always_keep) {
        decided(out, true, 2, in, "AlwaysKeepMemoryDump is set");
        return 0;
    }
    if (dump_retention_is_server(in->product_type)) {
        decided(out, true, 3, in, "server product");
        return 0;
    }
    if (in->domain_joined) {
        decided(out, true, 4, in, "joined to a domain");
        return 0;
    }
    char why[80];
    uint64_t tenths = (in->free_bytes >> 20) * 10 / 1024;   /* GiB, one decimal, no overflow */
    bool keep = in->free_bytes >= DUMP_RETENTION_MIN_FREE;
    fmt_snprintf(why, sizeof why, "free space %llu.%llu GiB %s 25 GiB",
                 (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10),
                 keep ? "is at least" : "is below");
    decided(out, keep, 5, in, why);
    return 0;
}
