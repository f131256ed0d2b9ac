/* Unit tests of the Windows 7 retention decision (dump/recovery/dump_retention.c): every rule,
 * their order (an earlier rule wins over a later one), the 25 GiB boundary, product types
 * in any case, and the reason text. */
#include <string.h>

#include "dump/recovery/dump_retention.h"
#include "err.h"
#include "ut.h"

#define GIB (1ull << 30)

static struct dump_retention_in home(uint64_t free_bytes)
{
    return (struct dump_retention_in){ .always_keep = 0, .product_type = "WinNT",
                                       .domain_joined = false, .free_bytes = free_bytes,
                                       .report = DUMP_REPORT_DONE };
}

#define DECIDE(in_, keep_, rule_) do { \
    struct dump_retention_in i_ = (in_); \
    UT_EQ_INT(dump_retention_decide(&i_, &out), 0); \
    UT_EQ_INT(out.keep, (keep_)); \
    UT_EQ_INT(out.rule, (rule_)); } while (0)

static void test_home_machine_by_free_space(void)
{
    struct dump_retention_out out;
    DECIDE(home(64 * GIB), true, 5);       /* a 64 GiB disk keeps */
    UT_ASSERT(strstr(out.reason, "free space 64.0 GiB is at least 25 GiB") != NULL);
    UT_ASSERT(strstr(out.reason, "memory dump kept (rule 5)") != NULL);
    DECIDE(home(16 * GIB), false, 5);      /* a 16 GiB disk deletes */
    UT_EQ_STR(out.reason, "free space 16.0 GiB is below 25 GiB: memory dump deleted (rule 5)");
    DECIDE(home(0), false, 5);
    DECIDE(home(UINT64_MAX), true, 5);
}

static void test_threshold_boundary(void)
{
    struct dump_retention_out out;
    UT_EQ_U64(DUMP_RETENTION_MIN_FREE, 26843545600ull);
    DECIDE(home(25 * GIB), true, 5);       /* exactly the threshold: ">= 25GB" keeps */
    DECIDE(home(25 * GIB - 1), false, 5);
    UT_ASSERT(strstr(out.reason, "24.9 GiB is below") != NULL);
    DECIDE(home(25000000000ull), false, 5);   /* 25 decimal GB is below 25 GiB */
    DECIDE(home(25 * GIB + 1), true, 5);
}

static void test_rule1_report_first(void)
{
    struct dump_retention_out out;
    struct dump_retention_in in = home(1 * GIB);
    in.report = DUMP_REPORT_NOT_RUN;
    DECIDE(in, true, 1);                   /* nothing is deleted before the report */
    UT_ASSERT(strstr(out.reason, "not reported yet") != NULL);
    in.always_keep = 1;
    in.product_type = "ServerNT";
    DECIDE(in, true, 1);                   /* rule 1 comes before every other */
    in = home(1 * GIB);
    in.report = DUMP_REPORT_FAILED;
    DECIDE(in, false, 5);                  /* a failed report: the other rules decide */
    UT_ASSERT(!strncmp(out.reason, "fault report failed; free space 1.0 GiB", 39));
}

static void test_rule2_always_keep(void)
{
    struct dump_retention_out out;
    struct dump_retention_in in = home(1 * GIB);
    in.always_keep = 1;
    DECIDE(in, true, 2);                   /* AlwaysKeep on a small disk keeps */
    UT_EQ_STR(out.reason, "AlwaysKeepMemoryDump is set: memory dump kept (rule 2)");
    in.always_keep = 7;
    DECIDE(in, true, 2);
    in.product_type = "LanmanNT";
    in.domain_joined = true;
    DECIDE(in, true, 2);                   /* before the server and domain rules */
}

static void test_rule3_server(void)
{
    struct dump_retention_out out;
    static const char *const servers[] = { "ServerNT", "LanmanNT", "servernt", "LANMANNT" };
    static const char *const clients[] = { "WinNT", "winnt", "", "Server", "ServerNTX", NULL };
    for (unsigned i = 0; i < 4; i++) {
        struct dump_retention_in in = home(1 * GIB);
        in.product_type = servers[i];
        DECIDE(in, true, 3);
        in.domain_joined = true;
        DECIDE(in, true, 3);               /* before the domain rule */
    }
    for (unsigned i = 0; i < 6; i++) {
        struct dump_retention_in in = home(1 * GIB);
        in.product_type = clients[i];
        DECIDE(in, false, 5);
    }
    UT_ASSERT(!dump_retention_is_server(NULL));
}

static void test_rule4_domain(void)
{
    struct dump_retention_out out;
    struct dump_retention_in in = home(1 * GIB);
    in.domain_joined = true;
    DECIDE(in, true, 4);
    UT_EQ_STR(out.reason, "joined to a domain: memory dump kept (rule 4)");
}

static void test_bad_args(void)
{
    struct dump_retention_in in = home(0);
    struct dump_retention_out out;
    UT_EQ_INT(dump_retention_decide(NULL, &out), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_retention_decide(&in, NULL), ERR_INVALID_ARGS);
}

static const struct ut_case cases[] = {
    { "home_machine_by_free_space", test_home_machine_by_free_space },
    { "threshold_boundary", test_threshold_boundary },
    { "rule1_report_first", test_rule1_report_first },
    { "rule2_always_keep", test_rule2_always_keep },
    { "rule3_server", test_rule3_server },
    { "rule4_domain", test_rule4_domain },
    { "bad_args", test_bad_args },
};

UT_MAIN(cases)
