/* Whether the WerFault stage keeps or deletes MEMORY.DMP after a crash: Windows 7's retention
 * algorithm (the rules below, as the WerFault stage applies them) as a pure decision over plain inputs,
 * with the rule that decided and a short reason for the event log (event 1018 on delete).
 * Portable core (userland and host tools); no allocation, no I/O. */
#ifndef BB_DUMP_RETENTION_H
#define BB_DUMP_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The rules, tried in this order; the first that applies decides:
 *   1  the fault report step has not run yet: keep (the algorithm reports the kernel fault
 *      first; nothing is deleted before that). Once it ran, succeeded or failed, go on.
 *   2  CrashControl AlwaysKeepMemoryDump = 1 (any non-zero value): keep.
 *   3  a server SKU (ProductType "ServerNT" or "LanmanNT"): keep.
 *   4  joined to a domain: keep.
 *   5  free bytes on the dump's volume (measured with the dump in place) >=
 *      DUMP_RETENTION_MIN_FREE: keep; below it: delete.
 *
 * The threshold. The algorithm says "25GB" and Windows Internals (6th ed., ch. 14) "25 GB";
 * neither gives the unit, and no public source we found does. We take 25 x 2^30 bytes
 * (26,843,545,600): Windows counts and shows disk space in binary units (Explorer's "GB" is
 * 2^30 bytes), so "25 GB free" in Windows' own words is 25 GiB; the two readings differ only
 * for free space in [25,000,000,000, 26,843,545,600), where this choice deletes. The
 * boundary follows the algorithm's ">= 25GB: store".
 */
#define DUMP_RETENTION_MIN_FREE (25ull << 30)

/* Where the fault report step stands (rule 1). */
enum dump_report_state {
    DUMP_REPORT_NOT_RUN = 0,   /* not attempted yet */
    DUMP_REPORT_FAILED,        /* attempted and failed (the reason text says so) */
    DUMP_REPORT_DONE,          /* reported (queued) */
};

struct dump_retention_in {
    uint32_t always_keep;            /* CrashControl\AlwaysKeepMemoryDump (REG_DWORD) */
    const char *product_type;        /* ProductOptions\ProductType: "WinNT", "ServerNT",
                                        "LanmanNT" (case-insensitive); NULL or anything else
                                        counts as a client ("WinNT") */
    bool domain_joined;              /* the machine is a member of a domain */
    uint64_t free_bytes;             /* free bytes on the dump's volume, dump in place */
    enum dump_report_state report;   /* the fault report step */
};

#define DUMP_RETENTION_REASON_MAX 112u   /* bytes of reason, NUL included */

struct dump_retention_out {
    bool keep;                               /* true: keep MEMORY.DMP; false: delete it */
    unsigned rule;                           /* 1..5: the rule that decided */
    char reason[DUMP_RETENTION_REASON_MAX];  /* one line for the event log, NUL-terminated,
                                                e.g. "free space 16 GiB is below 25 GiB:
                                                memory dump deleted (rule 5)" */
};

/* Decides. Returns 0 with *out filled, or ERR_INVALID_ARGS (in or out NULL). Pure. */
int dump_retention_decide(const struct dump_retention_in *in, struct dump_retention_out *out);

/* True for the ProductType strings of a server SKU ("ServerNT", "LanmanNT"; any case). */
bool dump_retention_is_server(const char *product_type);

#endif
