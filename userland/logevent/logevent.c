/* logevent: append records to the system event log, like Windows' eventcreate.
 * usage: logevent [-n COUNT] SOURCE ID LEVEL MESSAGE...   (LEVEL 1..4 or critical/error/
 * warning/information; the MESSAGE words are joined by blanks; with -n, COUNT records end
 * in " (i/COUNT)" and each is reported as it is written). Exit 0 when all are on disk. */
#include "bb.h"
#include "lib/num.h"

static const char *const levels[] = { "critical", "error", "warning", "information" };

/* A whole decimal or 0x number up to UINT32_MAX: 0, ERR_INVALID_ARGS or ERR_RANGE. */
static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    int rc = num_parse(s, UINT32_MAX, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

static int parse_level(const char *s, uint32_t *out)
{
    for (uint32_t i = 0; i < 4; i++) {
        const char *a = s, *b = levels[i];
        while (*a && (*a | 0x20) == *b) {
            a++;
            b++;
        }
        if (!*a && !*b) {
            *out = i + 1;
            return 0;
        }
    }
    return parse_u32(s, out);
}

int main(int argc, char **argv)
{
    static char message[SYS_EVENT_MESSAGE_MAX + 1], numbered[SYS_EVENT_MESSAGE_MAX + 1];
    uint32_t id, level, count = 1;
    if (argc >= 3 && strcmp(argv[1], "-n") == 0) {
        if (parse_u32(argv[2], &count) || count == 0) {
            dprintf(2, "logevent: count '%s' is not a number above 0\n", argv[2]);
            return 2;
        }
        argc -= 2;
        argv += 2;
    }
    if (argc < 5) {
        dprintf(2, "usage: logevent [-n COUNT] SOURCE ID LEVEL MESSAGE...\n");
        return 2;
    }
    if (parse_u32(argv[2], &id)) {
        dprintf(2, "logevent: event id '%s' is not a number\n", argv[2]);
        return 2;
    }
    if (parse_level(argv[3], &level)) {
        dprintf(2, "logevent: level '%s': use 1..4 or critical/error/warning/information\n",
                argv[3]);
        return 2;
    }
    size_t used = 0;
    for (int i = 4; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (used + n + (i > 4) >= sizeof message) {
            dprintf(2, "logevent: message longer than %d bytes\n", SYS_EVENT_MESSAGE_MAX - 1);
            return 2;
        }
        if (i > 4)
            message[used++] = ' ';
        memcpy(message + used, argv[i], n);
        used += n;
    }
    message[used] = 0;
    for (uint32_t i = 1; i <= count; i++) {
        const char *text = message;
        if (count > 1) {
            snprintf(numbered, sizeof numbered, "%s (%u/%u)", message, i, count);
            text = numbered;
        }
        int rc = event_write(argv[1], id, level, text);
        if (rc) {
            dprintf(2, "logevent: %s\n", err_str(rc));
            return 1;
        }
        if (count > 1)
            printf("logged %u\n", i);
    }
    return 0;
}
