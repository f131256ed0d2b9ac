/* libFuzzer target for the event log core (lib/evlog): the input is a SYSTEM.EVT file, kept in
 * a writable copy. Every slot is decoded on its own; the log is opened (header, scan), its
 * records read and formatted as `eventlog` lists them, one record appended and read back.
 * Seeds: tests/fuzz/seeds/evlog/. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lib/evlog/evlog.h"

#define FILE_MAX (1u << 20)   /* larger inputs are cut: the scan is linear */

struct file {
    uint8_t *data;
    size_t size;
};

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct file *f = ctx;
    if (off > f->size || len > f->size - off)
        return ERR_RANGE;
    memcpy(buf, f->data + off, len);
    return 0;
}

static int file_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct file *f = ctx;
    if (off > f->size || len > f->size - off)
        return ERR_RANGE;
    memcpy(f->data + off, buf, len);
    return 0;
}

static int file_sync(void *ctx)
{
    (void)ctx;
    return 0;
}

static void list(struct evlog *lg)
{
    struct evlog_record r;
    char line[EVLOG_MESSAGE_MAX + 96];
    int64_t first = evlog_first_of_last(lg, UINT32_MAX);
    for (uint64_t s = first < 0 ? 1 : (uint64_t)first; s <= lg->last_seq; s++)
        if (evlog_read(lg, s, &r) == 0)
            evlog_format_line(line, sizeof line, &r);
    evlog_first_of_last(lg, 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct evlog lg;
    struct evlog_record r;
    uint32_t slots;
    struct file f = { NULL, (size < FILE_MAX ? size : FILE_MAX) / EVLOG_SLOT * EVLOG_SLOT };

    evlog_header_decode(data, size, &slots);
    for (size_t off = EVLOG_SLOT; off < f.size; off += EVLOG_SLOT)
        evlog_record_decode(data + off, size - off, &r);
    if (!(f.data = malloc(f.size ? f.size : 1)))
        return 0;
    memcpy(f.data, data, f.size);
    struct evlog_io io = { &f, file_read, file_write, file_sync };
    if (evlog_open(&lg, &io, f.size) == 0) {
        list(&lg);
        r = (struct evlog_record){ .time = { 2024, 5, 17, 12, 34, 56, 0 }, .event_id = 1001,
                                   .level = EVLOG_ERROR, .source = "Fuzz",
                                   .message = "appended by the fuzz target" };
        if (evlog_append(&lg, &r, true) == 0 && evlog_read(&lg, r.seq, &r) != 0)
            abort();
        list(&lg);
    }
    free(f.data);
    return 0;
}
