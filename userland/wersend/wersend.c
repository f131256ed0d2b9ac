/* wersend: delivers the crash reports queued in C:\REPORTS\QUEUE\ to the host collector over
 * COM2 (protocol in dump/recovery/dump_report.h), oldest first. A report is deleted only
 * after the collector's ACK naming its id; the first report not acknowledged in time stops
 * the run and it and the rest stay queued for a later boot. A file that is not a valid
 * report is moved to C:\REPORTS\BAD\ so it cannot block the queue; *.TMP files (a report
 * still being written) are left alone. One line per report.
 * Exit code: 0 when the queue is empty at the end, 1 when reports stay queued. */
#include "bb.h"
#include "dump/recovery/dump_report.h"

#define QUEUE_DIR   "C:\\REPORTS\\QUEUE"
#define BAD_DIR     "C:\\REPORTS\\BAD"
#define MAX_QUEUED  64
#define ACK_WAIT_MS 4000u     /* from the last byte sent to the ACK line */

struct entry {
    char name[SYS_PATH_MAX];
    uint32_t stamp;           /* FAT date << 16 | time: the order the reports were queued */
};

static struct entry queue[MAX_QUEUED];
static uint8_t report[DUMP_REPORT_MAX];

static bool is_tmp(const char *name)
{
    size_t n = strlen(name);
    if (n < 4 || name[n - 4] != '.')
        return false;
    const char *e = name + n - 3;
    return (e[0] | 0x20) == 't' && (e[1] | 0x20) == 'm' && (e[2] | 0x20) == 'p';
}

static void path_of(char *out, const char *dir, const char *name)
{
    snprintf(out, SYS_PATH_MAX, "%s\\%s", dir, name);
}

/* The queue's files, oldest first (then by name). Returns the count or an ERR_* code. */
static int list_queue(void)
{
    int fd = opendir(QUEUE_DIR);
    if (fd < 0)
        return fd;
    static struct sys_dirent e;
    int n = 0, rc;
    while ((rc = readdir(fd, &e)) == 1 && n < MAX_QUEUED) {
        if ((e.attr & SYS_ATTR_DIR) || is_tmp(e.name) ||
            strlen(e.name) + sizeof QUEUE_DIR + 1 > SYS_PATH_MAX)
            continue;
        char path[SYS_PATH_MAX];
        struct sys_stat st;
        path_of(path, QUEUE_DIR, e.name);
        if (stat(path, &st) != 0)
            continue;
        struct entry x;
        memcpy(x.name, e.name, strlen(e.name) + 1);
        x.stamp = (uint32_t)st.mdate << 16 | st.mtime;
        int i = n++;
        for (; i > 0 && (queue[i - 1].stamp > x.stamp ||
                         (queue[i - 1].stamp == x.stamp && strcmp(queue[i - 1].name, x.name) > 0));
             i--)
            queue[i] = queue[i - 1];
        queue[i] = x;
    }
    close(fd);
    return rc < 0 ? rc : n;
}

/* Reads the whole file into `report`: its size or an ERR_* code (ERR_TOO_BIG above the
 * largest report). */
static long load(const char *path)
{
    int fd = open(path, SYS_O_READ);
    if (fd < 0)
        return fd;
    size_t n = 0;
    long r;
    while ((r = read(fd, report + n, sizeof report - n)) > 0)
        n += (size_t)r;
    if (r == 0 && n == sizeof report) {
        uint8_t extra;
        if (read(fd, &extra, 1) > 0)
            r = ERR_TOO_BIG;
    }
    close(fd);
    return r < 0 ? r : (long)n;
}

static void quarantine(const char *name, const char *path)
{
    char to[SYS_PATH_MAX];
    mkdir("C:\\REPORTS");
    mkdir(BAD_DIR);
    path_of(to, BAD_DIR, name);
    int rc = rename(path, to);
    if (rc == ERR_EXISTS && (rc = unlink(to)) == 0)
        rc = rename(path, to);
    if (rc)
        printf("wersend: %s: cannot move it to %s: %s\n", name, BAD_DIR, err_str(rc));
    else
        printf("wersend: %s: moved to %s\n", name, BAD_DIR);
}

/* Sends one report and waits for the collector's answer naming its id. Returns 1 ACK, 0
 * NAK (reason in `why`), or an ERR_* code (ERR_TIMED_OUT: no answer). */
static int deliver(size_t len, uint64_t id, char *why, size_t why_cap)
{
    char line[DUMP_ACK_LINE_MAX + 1], c;
    uint8_t frame[DUMP_FRAME_HEADER_SIZE];
    while (com2_read(line, sizeof line, 0) > 0)
        ;                                    /* answers to an earlier attempt */
    dump_frame_header(frame, (uint32_t)len);
    long w = com2_write(frame, sizeof frame);
    if (w != (long)sizeof frame)
        return w < 0 ? (int)w : ERR_TIMED_OUT;
    for (size_t done = 0; done < len; done += (size_t)w)
        if ((w = com2_write(report + done, len - done)) <= 0)
            return w < 0 ? (int)w : ERR_TIMED_OUT;
    size_t n = 0;
    for (;;) {
        long r = com2_read(&c, 1, ACK_WAIT_MS);
        if (r <= 0)
            return r < 0 ? (int)r : ERR_TIMED_OUT;
        if (c != '\n') {
            if (n < DUMP_ACK_LINE_MAX)
                line[n++] = c;
            continue;
        }
        uint64_t got;
        int kind = dump_ack_parse(line, n, &got);
        if (kind >= 0 && got == id) {
            if (kind == 0) {
                size_t k = n > 21 ? n - 21 : 0;
                snprintf(why, why_cap, "%.*s", (int)k, line + 21);
            }
            return kind;
        }
        n = 0;                               /* another report's answer, or noise */
    }
}

int main(void)
{
    int n = list_queue();
    if (n == ERR_NOT_FOUND || n == 0)
        return 0;                            /* nothing queued: nothing to say */
    if (n < 0) {
        printf("wersend: %s: %s\n", QUEUE_DIR, err_str(n));
        return 1;
    }
    int sent = 0, left = n;
    for (int i = 0; i < n; i++) {
        char path[SYS_PATH_MAX], why[DUMP_ACK_LINE_MAX];
        const char *name = queue[i].name;
        path_of(path, QUEUE_DIR, name);
        long len = load(path);
        struct dump_report_info info;
        int rc = len < 0 ? (int)len : dump_report_decode(report, (size_t)len, &info);
        if (rc < 0) {
            printf("wersend: %s: not a valid report (%s)\n", name,
                   len < 0 ? err_str(rc) : dump_report_problem_str(info.problem));
            quarantine(name, path);
            left--;
            continue;
        }
        why[0] = 0;
        rc = deliver((size_t)len, info.report_id, why, sizeof why);
        if (rc == 1) {
            int urc = unlink(path);
            left--;
            sent++;
            printf("wersend: %s: report %016lx (STOP 0x%08X, %ld bytes) delivered%s%s\n", name,
                   (unsigned long)info.report_id, info.bugcheck_code, len,
                   urc ? ", but deleting it failed: " : "", urc ? err_str(urc) : "");
            continue;
        }
        if (rc == 0)
            printf("wersend: %s: report %016lx refused by the collector: %s\n", name,
                   (unsigned long)info.report_id, why);
        else if (rc == ERR_NOT_FOUND)
            printf("wersend: %s: no report channel (COM2 absent)\n", name);
        else
            printf("wersend: %s: report %016lx not acknowledged (%s): collector absent?\n",
                   name, (unsigned long)info.report_id, err_str(rc));
        break;
    }
    printf("wersend: %d delivered, %d still queued\n", sent, left);
    return left ? 1 : 0;
}
