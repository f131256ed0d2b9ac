/* ocad: the Blackbox crash-report collector. `ocad serve SOCKET DB [--kernel ELF]...` listens
 * on a UNIX socket (tools/run-qemu --com2 connects the guest's COM2 to it), takes the frames
 * wersend sends (dump/recovery/dump_report.h), validates each report and its minidump,
 * buckets it by STOP code + faulting function (the minidump's stack symbolized with the
 * kernel ELF of the same build-id, as `bbdump analyze` does), stores it in SQLite, and only
 * after the commit answers "ACK <id>". `ocad report DB` prints the buckets. Garbage costs
 * linear time: the buffer is scanned forward once, consumed by moving an offset, a frame
 * header whose report header is already wrong is dropped without waiting for its body, and a
 * candidate's report CRC comes from running CRCs of the buffer, not a pass over its body. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tools/dumptool/bbdump.h"
#include "tools/ocad.h"
#include "lib/crc32c.h"
#include "err.h"

const char *tool_name = "ocad";

#define MAX_KERNELS    16
/* Room for two of the largest frames: a frame still arriving at rx_head is always under
 * half the buffer, so the bytes before it are moved out of the way only after half a buffer
 * was consumed (each byte moves O(1) times however the frames overlap). */
#define RX_CAP         (2u * (DUMP_FRAME_HEADER_SIZE + DUMP_REPORT_MAX))
#define STALL_MS       10000   /* a frame that stops arriving this long is given up */
#define DROPS_SHOWN    16      /* dropped frames described one by one per connection */
#define DEFAULT_KERNEL "build/blackbox.elf"

struct kernel {
    const char *path;
    struct symtab *sym;
    const uint8_t *id;
    int id_len;
};

struct server {
    sqlite3 *db;
    struct kernel k[MAX_KERNELS];
    int nk;
    int conn;                /* the connection (QEMU), or -1 */
    uint8_t *rx;             /* RX_CAP bytes: received ones not consumed yet are rx_head.. */
    size_t rx_head, rx_len;  /* ..rx_len (rx_head <= rx_len <= RX_CAP) */
    uint32_t *run;           /* RX_CAP + 1 running CRCs: run[i] = crc32c(0, rx, i), i <= rx_len */
    size_t noise;            /* bytes skipped since the last frame handled */
    unsigned conn_drops;     /* frames dropped on this connection */
    unsigned stored, dups, dropped;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: ocad serve SOCKET DB [--kernel ELF]...\n"
            "                 collect crash reports from the UNIX socket SOCKET (tools/run-qemu\n"
            "                 --com2 SOCKET) into the SQLite database DB; each --kernel ELF is\n"
            "                 used for the reports of its build-id (default " DEFAULT_KERNEL ")\n"
            "       ocad report DB\n"
            "                 buckets with counts, first and last seen, and an example report\n");
}

static const struct kernel *kernel_for(const struct server *s, const struct dump_report_info *in)
{
    for (int i = 0; i < s->nk; i++)
        if (s->k[i].id_len == in->build_id_len &&
            !memcmp(s->k[i].id, in->build_id, in->build_id_len))
            return &s->k[i];
    return NULL;
}

/* Faulting function of the report's minidump, as `bbdump analyze` finds it. */
static const char *fault_function(const struct kernel *k, const struct dump_report_info *in,
                                  uint64_t *addr)
{
    struct dumpfile d;
    struct dumpmem m;
    struct stack st;
    char name[64];
    snprintf(name, sizeof name, "report %016" PRIx64, in->report_id);
    dumpfile_mem(&d, name, in->dump, in->dump_size);
    if (d.rc != 0 || dumpmem_open(&m, &d) != 0)
        return NULL;
    const struct dump_header *h = (const struct dump_header *)in->dump;
    stack_walk(&m, &h->context, &st);
    const char *fn = stack_fault_function(k->sym, &st, addr);
    dumpmem_close(&m);
    return fn;
}

static void send_line(struct server *s, uint64_t id, bool ok, const char *reason)
{
    char line[DUMP_ACK_LINE_MAX + 1];
    int n = dump_ack_format(line, sizeof line, id, ok, reason);
    for (int done = 0; n > 0 && done < n && s->conn >= 0;) {
        ssize_t w = send(s->conn, line + done, (size_t)(n - done), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "ocad: answer to report %016" PRIx64 " not sent: %s\n", id,
                    strerror(errno));
            return;
        }
        done += (int)w;
    }
}

/* A frame given up (its bytes are resynchronized in): counted, described while few. */
static void drop(struct server *s, size_t len, const char *why)
{
    s->dropped++;
    if (++s->conn_drops <= DROPS_SHOWN)
        printf("ocad: frame of %zu bytes dropped: %s%s\n", len, why,
               s->conn_drops == DROPS_SHOWN ? " (further drops only counted)" : "");
}

/* Say how much garbage preceded the frame about to be handled. */
static void report_noise(struct server *s)
{
    if (s->noise)
        printf("ocad: %zu bytes of noise skipped\n", s->noise);
    s->noise = 0;
}

/* One complete frame's report: check, bucket, store, commit, then answer. `dump_crc` is the
 * CRC of its minidump (the bytes after the report header), from the running CRCs. Returns
 * false when the bytes are not a report whose CRC holds (the caller resynchronizes inside
 * them). */
static bool handle_report(struct server *s, const uint8_t *buf, size_t len, uint32_t dump_crc)
{
    struct dump_report_info in;
    if (dump_report_decode_known_crc(buf, len, dump_crc, &in) != 0) {
        if (in.problem < DUMP_REPORT_P_DUMP) {    /* id not trustworthy: no answer */
            drop(s, len, dump_report_problem_str(in.problem));
            return false;
        }
        s->dropped++;
        report_noise(s);
        struct dump_report_header h;
        memcpy(&h, buf, sizeof h);
        const char *why = dump_report_problem_str(in.problem);
        char reason[128];
        if (in.problem == DUMP_REPORT_P_DUMP)
            snprintf(reason, sizeof reason, "%s: %s", why,
                     dump_problem_str((enum dump_problem)in.dump_problem));
        else
            snprintf(reason, sizeof reason, "%s", why);
        printf("ocad: report %016" PRIx64 " refused: %s\n", h.report_id, reason);
        send_line(s, h.report_id, false, reason);
        return true;
    }
    report_noise(s);
    const struct kernel *k = kernel_for(s, &in);
    uint64_t addr = 0;
    const char *fn = k ? fault_function(k, &in, &addr) : NULL;
    if (!k) {
        char id[2 * DUMP_BUILD_ID_MAX + 1];
        for (unsigned i = 0; i < in.build_id_len; i++)
            sprintf(id + 2 * i, "%02x", in.build_id[i]);
        fprintf(stderr, "ocad: report %016" PRIx64 ": no --kernel ELF with build-id %s: "
                "bucketed by STOP code only\n", in.report_id, id);
    }
    char bucket[160];
    bucket_id(bucket, sizeof bucket, in.bugcheck_code, fn);
    struct ocad_row row = { &in, fn, addr, bucket };
    bool dup = false;
    if (ocad_db_store(s->db, &row, &dup) != 0) {
        send_line(s, in.report_id, false, "database error");
        return true;
    }
    if (dup)
        s->dups++;
    else
        s->stored++;
    printf("ocad: report %016" PRIx64 " STOP 0x%08X bucket %s: %s\n", in.report_id,
           in.bugcheck_code, bucket, dup ? "already stored, acknowledged again" : "stored");
    send_line(s, in.report_id, true, NULL);
    return true;
}

static void consume(struct server *s, size_t n)
{
    s->rx_head += n;
    s->noise += n;
}

/* Takes every complete frame out of the receive buffer, scanning each byte for a frame
 * header once: garbage and failed frames are skipped by moving rx_head (a failed frame only
 * by one byte: a real frame may start inside it). A frame header whose report header is
 * wrong is dropped as soon as that header is in, without waiting for the rest. With
 * `stalled`, a frame that stopped arriving is given up. */
static void process_rx(struct server *s, bool stalled)
{
    for (;;) {
        size_t skip;
        uint32_t rl;
        int found = dump_frame_find(s->rx + s->rx_head, s->rx_len - s->rx_head, &skip, &rl);
        consume(s, skip);
        if (!found)
            return;
        const uint8_t *body = s->rx + s->rx_head + DUMP_FRAME_HEADER_SIZE;
        size_t have = s->rx_len - s->rx_head - DUMP_FRAME_HEADER_SIZE;
        enum dump_report_problem p = dump_report_header_check(body, have, rl);
        if (p != DUMP_REPORT_OK && p != DUMP_REPORT_P_TRUNCATED) {
            drop(s, rl, dump_report_problem_str(p));
            consume(s, 1);
            continue;
        }
        if (have < rl) {
            if (!stalled)
                return;
            char why[64];
            snprintf(why, sizeof why, "cut short at %zu", have);
            drop(s, rl, why);
            consume(s, 1);
            stalled = false;
            continue;
        }
        size_t from = s->rx_head + DUMP_FRAME_HEADER_SIZE + DUMP_REPORT_HEADER_SIZE;
        size_t to = s->rx_head + DUMP_FRAME_HEADER_SIZE + rl;
        bool whole = handle_report(s, body, rl, crc32c_combine(s->run[from], s->run[to], to - from));
        if (whole) {
            s->rx_head += DUMP_FRAME_HEADER_SIZE + rl;
            continue;
        }
        consume(s, 1);
    }
}

/* Extends the running CRCs over rx[from..rx_len). */
static void run_crcs(struct server *s, size_t from)
{
    for (size_t i = from; i < s->rx_len; i++)
        s->run[i + 1] = crc32c(s->run[i], s->rx + i, 1);
}

/* Room to receive into: the unconsumed bytes move to the front once the consumed ones are
 * half the buffer or the buffer is full (each byte moves O(1) times on average), and their
 * running CRCs are taken again from the new start. */
static void make_room(struct server *s)
{
    if (s->rx_head && (s->rx_head >= RX_CAP / 2 || s->rx_len == RX_CAP)) {
        memmove(s->rx, s->rx + s->rx_head, s->rx_len - s->rx_head);
        s->rx_len -= s->rx_head;
        s->rx_head = 0;
        run_crcs(s, 0);
    }
}

/* A new or closed connection starts from an empty buffer. */
static void reset_rx(struct server *s)
{
    s->rx_head = s->rx_len = s->noise = 0;
    s->conn_drops = 0;
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "ocad: %s: socket path too long\n", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            fprintf(stderr, "ocad: %s: exists and is not a socket\n", path);
            return -1;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM, 0);
        bool live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof a) == 0;
        if (probe >= 0)
            close(probe);
        if (live) {
            fprintf(stderr, "ocad: %s: another collector listens there\n", path);
            return -1;
        }
        unlink(path);                       /* left over by a collector that died */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        fprintf(stderr, "ocad: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int serve_loop(struct server *s, int lfd)
{
    int64_t last_rx = now_ms();
    while (!stop_signal) {
        struct pollfd p[2] = { { lfd, POLLIN, 0 }, { s->conn, POLLIN, 0 } };
        bool pending = s->rx_len > s->rx_head;
        int r = poll(p, s->conn >= 0 ? 2 : 1, pending ? 1000 : -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "ocad: poll: %s\n", strerror(errno));
            return 1;
        }
        if (p[0].revents & POLLIN) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                if (s->conn >= 0) {
                    printf("ocad: new connection replaces the previous one\n");
                    close(s->conn);
                }
                s->conn = c;
                reset_rx(s);
                printf("ocad: guest connected\n");
                continue;
            }
        }
        if (s->conn >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            make_room(s);
            ssize_t n = recv(s->conn, s->rx + s->rx_len, RX_CAP - s->rx_len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                printf("ocad: guest disconnected\n");
                close(s->conn);
                s->conn = -1;
                reset_rx(s);
                continue;
            }
            s->rx_len += (size_t)n;
            run_crcs(s, s->rx_len - (size_t)n);
            last_rx = now_ms();
            process_rx(s, false);
        } else if (pending && now_ms() - last_rx >= STALL_MS) {
            process_rx(s, true);
            last_rx = now_ms();
        }
    }
    printf("ocad: stopped by signal %d: %u stored, %u duplicates, %u dropped\n",
           (int)stop_signal, s->stored, s->dups, s->dropped);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    const char *sock = argv[2], *dbpath = argv[3];
    struct server s = { .conn = -1 };
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--kernel") != 0 || i + 1 >= argc || s.nk == MAX_KERNELS) {
            usage(stderr);
            return 2;
        }
        s.k[s.nk++].path = argv[++i];
    }
    if (s.nk == 0)
        s.k[s.nk++].path = DEFAULT_KERNEL;
    int rc = 1, lfd = -1;
    for (int i = 0; i < s.nk; i++) {
        if (!(s.k[i].sym = sym_open(s.k[i].path)))
            goto out;
        if ((s.k[i].id_len = sym_build_id(s.k[i].sym, &s.k[i].id)) <= 0) {
            fprintf(stderr, "ocad: %s: no GNU build-id\n", s.k[i].path);
            goto out;
        }
    }
    if (!(s.rx = malloc(RX_CAP)) || !(s.run = calloc(RX_CAP + 1, sizeof *s.run))) {
        fprintf(stderr, "ocad: out of memory\n");
        goto out;
    }
    if (!(s.db = ocad_db_open(dbpath, true)) || (lfd = listen_on(sock)) < 0)
        goto out;
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("ocad: listening on %s, database %s, %d kernel ELF%s\n", sock, dbpath, s.nk,
           s.nk == 1 ? "" : "s");
    rc = serve_loop(&s, lfd);
    close(lfd);
    unlink(sock);
out:
    if (s.conn >= 0)
        close(s.conn);
    if (s.db)
        ocad_db_close(s.db);
    for (int i = 0; i < s.nk; i++)
        sym_close(s.k[i].sym);
    free(s.rx);
    free(s.run);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "serve"))
        return cmd_serve(argc, argv);
    if (argc == 3 && !strcmp(argv[1], "report")) {
        sqlite3 *db = ocad_db_open(argv[2], false);
        if (!db)
            return 1;
        int rc = ocad_db_print(db, argv[2]);
        ocad_db_close(db);
        return rc;
    }
    usage(stderr);
    return 2;
}
