/* The checksum team (struct crc_team): every CPU checksums whole chunks of the data of the
 * dump being written, the parked CPUs beside the crashing one, each chunk's CRC of the
 * bytes the disk gets (the same walk). A stalled helper never costs the dump: the crashing
 * CPU redoes a chunk whose helper stopped beating. */
#include "dump/stack/dump_writer_priv.h"
#include "dump/stack/dump_writer.h"
#include "bugcheck/dumper.h"
#include "arch/cpu.h"
#include "arch/timer.h"

static volatile bool stall_helper_requested;   /* `crash stall-helper` */

static WRITER struct crc_team *team(void)
{
    return dump_work_at(dump_work.team_off);
}

WRITER void writer_team_open(const struct walk *start, uint32_t *table, uint64_t data_size,
                             uint32_t chunk_size)
{
    struct crc_team *t = team();
    t->start = *start;
    t->table = table;
    t->data_size = data_size;
    t->chunk_size = chunk_size;
    t->chunks = dump_chunk_count(data_size, chunk_size);
    t->done = dump_work_at(dump_work.done_off);
    for (uint64_t i = 0; i < t->chunks; i++)
        t->done[i] = 0;
    t->next = 0;
    t->settled = 0;
    t->redone = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++)
        t->cpu[i] = (struct crc_cpu){ .chunk = CHUNK_NONE };
    __atomic_store_n(&t->open, 1, __ATOMIC_RELEASE);
    bugcheck_park_work(writer_help);
}

WRITER void writer_team_close(void)
{
    __atomic_store_n(&team()->open, 0, __ATOMIC_RELEASE);
    bugcheck_park_work(NULL);
}

WRITER void writer_cursor_init(struct chunk_cursor *c)
{
    c->k = team()->start;
    c->at = c->k.off;
    c->len = 0;
    c->more = true;
    c->chunk = CHUNK_NONE;
}

/* Start chunk i at the cursor. */
static WRITER void cursor_begin(struct chunk_cursor *c, uint64_t i)
{
    const struct crc_team *t = team();
    c->chunk = i;
    c->pos = DUMP_HEADER_SIZE + i * t->chunk_size;
    c->end = i + 1 == t->chunks ? DUMP_HEADER_SIZE + t->data_size : c->pos + t->chunk_size;
    c->crc = 0;
}

/* Up to `max` bytes of the chunk at hand; true once it is complete (its CRC in the table). */
static WRITER bool cursor_crc(struct chunk_cursor *c, struct crc_cpu *me, uint64_t max)
{
    struct crc_team *t = team();
    uint64_t t0 = timer_ns();
    while (max && c->pos < c->end) {
        while (c->more && c->at + c->len <= c->pos) {
            c->at += c->len;
            c->more = writer_walk_next(&c->k, &c->src, &c->len);
            if (c->more)
                c->at = c->k.off - c->len;
        }
        if (!c->more) {
            c->pos = c->end;   /* the walk covers data_size bytes: never taken */
            break;
        }
        uint64_t in = c->pos - c->at, n = c->len - in;
        if (n > c->end - c->pos)
            n = c->end - c->pos;
        if (n > max)
            n = max;
        c->crc = writer_crc_data(c->crc, phys_to_virt(c->src + in), n, &me->zero_pages);
        c->pos += n;
        me->bytes += n;
        max -= n;
    }
    uint64_t now = timer_ns();
    me->ns += now - t0;
    me->beat_ns = now;
    if (c->pos < c->end)
        return false;
    t->table[c->chunk] = c->crc;
    __atomic_store_n(&t->done[c->chunk], 1, __ATOMIC_RELEASE);
    c->chunk = CHUNK_NONE;
    return true;
}

WRITER bool writer_team_step(struct chunk_cursor *c, unsigned cpu, uint64_t max)
{
    struct crc_team *t = team();
    struct crc_cpu *me = &t->cpu[cpu];
    if (c->chunk == CHUNK_NONE) {
        if (__atomic_load_n(&t->next, __ATOMIC_RELAXED) >= t->chunks)
            return false;
        uint64_t i = __atomic_fetch_add(&t->next, 1, __ATOMIC_ACQ_REL);
        if (i >= t->chunks)
            return false;
        cursor_begin(c, i);
        me->chunk = i;
        me->beat_ns = timer_ns();
    }
    if (cursor_crc(c, me, max))
        me->chunk = CHUNK_NONE;
    return true;
}

WRITER bool writer_team_settle(struct chunk_cursor *redo, unsigned cpu)
{
    struct crc_team *t = team();
    if (redo->chunk == CHUNK_NONE) {   /* not redoing one: look at the lowest chunk not done */
        uint64_t i = t->settled;
        while (i < t->chunks && __atomic_load_n(&t->done[i], __ATOMIC_ACQUIRE))
            i++;
        t->settled = i;
        if (i >= t->chunks)
            return false;
        uint64_t now = timer_ns();
        for (unsigned h = 0; h < MAX_CPUS; h++)
            if (h != cpu && t->cpu[h].chunk == i &&
                (int64_t)(now - t->cpu[h].beat_ns) < (int64_t)HELPER_STALL_NS) {
                cpu_pause();
                return true;   /* its helper is at it */
            }
        cursor_begin(redo, i);   /* claimed by none, or its helper fell silent */
        t->redone++;
    }
    cursor_crc(redo, &t->cpu[cpu], CRC_STEP);
    return true;
}

void dump_writer_stall_helper(void)
{
    stall_helper_requested = true;
}

/* A parked CPU's share: chunks until none is left to claim (then it halts). */
WRITER void writer_help(unsigned cpu)
{
    struct crc_team *t = team();
    if (cpu >= MAX_CPUS || !__atomic_load_n(&t->open, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&t->next, __ATOMIC_RELAXED) >= t->chunks)
        return;
    struct chunk_cursor c;
    writer_cursor_init(&c);
    if (__atomic_exchange_n(&stall_helper_requested, false, __ATOMIC_ACQ_REL) &&
        writer_team_step(&c, cpu, PAGE_SIZE))
        for (;;)
            __asm__ volatile("cli; pause");   /* `crash stall-helper`: hung mid-chunk */
    while (writer_team_step(&c, cpu, CRC_STEP))
        ;
}
