/* `eventlog [N]`: the last N records of the system event log (default 20), oldest first,
 * one line each: date, time, level, source, event id, message. */
#include "shell/shell.h"
#include "console/console.h"
#include "eventlog/eventlog.h"
#include "err.h"

#define DEFAULT_COUNT 20u
#define MAX_COUNT 1000000u

int shell_cmd_eventlog(int argc, char **argv)
{
    uint64_t n = DEFAULT_COUNT;
    if (argc > 2)
        return ERR_INVALID_ARGS;
    if (argc == 2 && (num_parse(argv[1], MAX_COUNT, &n) || n == 0)) {
        kprintf("eventlog: '%s' is not a record count (1..%u)\n", argv[1], MAX_COUNT);
        return ERR_INVALID_ARGS;
    }
    struct evlog_iter it;
    struct evlog_record r;
    int rc = evlog_iter_last(&it, (uint32_t)n);
    if (rc == 0 && it.skipped)
        kprintf("(%u records skipped: sequence number out of range or inconsistent with their "
                "neighbours)\n", it.skipped);
    unsigned shown = 0;
    while (rc == 0 && (rc = evlog_iter_next(&it, &r)) == 1) {
        char line[EVLOG_MESSAGE_MAX + 96];
        evlog_format_line(line, sizeof line, &r);
        kprintf("%s\n", line);
        shown++;
        rc = 0;
    }
    if (rc == 0 && shown == 0)
        kprintf("(the event log is empty)\n");
    return rc;
}
