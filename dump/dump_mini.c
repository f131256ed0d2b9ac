/* The small dump's stream directory: laying out streams before they are written, and
 * reading an entry back. Safe at bugcheck time; see dump_mini.h for the contract. */
#include <string.h>
#include "dump/dump_mini.h"
#include "err.h"

int dump_mini_begin(struct dump_mini_builder *b, void *dir, uint32_t capacity)
{
    struct dump_mini_dir d;

    if (!b || !dir || capacity == 0 || capacity > DUMP_MINI_MAX_STREAMS)
        return ERR_INVALID_ARGS;
    memset(dir, 0, (size_t)dump_mini_dir_bytes(capacity));
    d.signature = DUMP_MINI_SIGNATURE;
    d.version = DUMP_MINI_VERSION;
    d.stream_count = 0;
    d.capacity = capacity;
    memcpy(dir, &d, sizeof(d));
    b->dir = (uint8_t *)dir;
    b->capacity = capacity;
    b->count = 0;
    b->next = DUMP_HEADER_SIZE + dump_mini_dir_bytes(capacity);
    b->next = (b->next + 7) & ~7ull;
    return 0;
}

int dump_mini_add(struct dump_mini_builder *b, uint32_t type, uint32_t flags, uint64_t vaddr,
                  uint64_t paddr, uint64_t size, uint64_t *offset)
{
    struct dump_mini_stream s;

    if (!b || !b->dir)
        return ERR_INVALID_ARGS;
    if (b->count >= b->capacity)
        return ERR_NO_SPACE;
    if (size > DUMP_SMALL_MAX || b->next + size > DUMP_SMALL_MAX)
        return ERR_TOO_BIG;
    s.type = type;
    s.flags = flags;
    s.offset = b->next;
    s.size = size;
    s.vaddr = vaddr;
    s.paddr = paddr;
    memcpy(b->dir + sizeof(struct dump_mini_dir) + (size_t)b->count * sizeof(s), &s, sizeof(s));
    b->count++;
    uint32_t count = b->count;
    memcpy(b->dir + offsetof(struct dump_mini_dir, stream_count), &count, sizeof(count));
    if (offset)
        *offset = s.offset;
    b->next = (b->next + size + 7) & ~7ull;
    return 0;
}

uint64_t dump_mini_size(const struct dump_mini_builder *b)
{
    return b->next - DUMP_HEADER_SIZE;
}

int dump_mini_stream_get(const void *dir, size_t dir_len, uint32_t i,
                         struct dump_mini_stream *out)
{
    struct dump_mini_dir d;

    if (!dir || !out || dir_len < sizeof(d))
        return ERR_RANGE;
    memcpy(&d, dir, sizeof(d));
    uint64_t at = sizeof(d) + (uint64_t)i * sizeof(*out);
    if (i >= d.stream_count || i >= d.capacity || at + sizeof(*out) > dir_len)
        return ERR_RANGE;
    memcpy(out, (const uint8_t *)dir + at, sizeof(*out));
    return 0;
}
