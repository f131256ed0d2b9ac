/* The dump writer's complete and kernel dumps (a complete dump of RAM in more runs than the
 * header lists is a bitmap dump with full content, "FDMP"): header in progress, the data
 * written as fast as the clone takes it and checksummed by every CPU (dump_writer_team.c),
 * the CRC table, the sealed header; a flush after each step. */
#include <string.h>
#include "dump/stack/dump_writer_priv.h"
#include "mm/pfn.h"
#include "arch/timer.h"
#include "err.h"

/* writer_data's work, with the team open. */
static WRITER int writer_data_team(struct wr *w, const struct walk *start)
{
    struct chunk_cursor c, redo;
    writer_cursor_init(&c);
    writer_cursor_init(&redo);
    struct walk k = *start;
    uint64_t src, len;
    bool more = writer_walk_next(&k, &src, &len), crc_more = true;
    int rc = 0;
    while (more) {
        int busy = w->st->clone.poll();
        if (busy < 0)
            return busy;
        if (busy && crc_more && (crc_more = writer_team_step(&c, w->cpu, CRC_STEP)))
            continue;
        uint64_t t0 = timer_ns();
        /* every range is whole pages but the CPU block, whose page is padded with zeros */
        rc = writer_file(w, k.off - len, src, ALIGN4K(len));
        w->disk_ns += timer_ns() - t0;
        if (rc)
            return rc;
        if (timer_ns() - w->last_progress_ns > DEADMAN_NS)
            return ERR_TIMED_OUT;
        writer_progress(w, len);
        more = writer_walk_next(&k, &src, &len);
    }
    w->flush_t0 = timer_ns();
    if ((rc = w->st->clone.flush_start()) != 0)
        return rc;
    int busy = 1;
    while (writer_team_step(&c, w->cpu, CRC_STEP) || writer_team_settle(&redo, w->cpu)) {
        if (busy == 1 && (busy = w->st->clone.poll()) == 0)
            w->flush_ns = timer_ns() - w->flush_t0;
    }
    return busy < 0 ? busy : 0;
}

/* All data from `start` on to the file, with its chunk CRCs in `table`: each range is
 * written as soon as the clone can take it; the parked CPUs checksum chunks all along, and
 * this CPU too while the clone is busy. Then the flush starts, and the chunks not done yet
 * are done beside it (the next clone call waits for that flush to end). */
static WRITER int writer_data(struct wr *w, const struct walk *start, uint32_t *table,
                              uint32_t chunk_size)
{
    writer_team_open(start, table, w->total, chunk_size);
    int rc = writer_data_team(w, start);
    writer_team_close();
    return rc;
}

WRITER int writer_full(struct wr *w, const struct bugcheck_data *bd, uint32_t type, uint32_t fallback)
{
    const struct pfn_range *pr;
    unsigned nruns = pfn_ram_runs(&pr);
    struct dump_run runs[DUMP_MAX_RUNS];
    struct dump_params p;
    int rc = writer_common_params(w, bd, type, runs, &p);
    if (rc)
        return rc;
    p.fallback_reason = fallback;
    uint64_t frames = pfn_ram_top() / PAGE_SIZE;
    uint8_t *bm = (uint8_t *)dump_work_at(dump_work.bmp_off) + 0x38;
    bool complete = type == DUMP_TYPE_FULL;
    if (complete && (type = dump_complete_type(nruns)) == DUMP_TYPE_BITMAP) {
        p.dump_type = type;
        p.bitmap_full_content = true;
    }
    if (type == DUMP_TYPE_BITMAP) {
        p.bitmap_pages = frames;
        p.bitmap_present = complete ? writer_ram_bitmap(bm, frames, pr, nruns)
                                    : writer_build_bitmap(bm, frames);
    }
    struct dump_plan plan;
    rc = dump_header_build(dump_work_at(dump_work.hdr_off), &p, &plan);
    if (rc)
        return rc;
    if (ALIGN4K(plan.total) > w->st->target_bytes || plan.chunk_count * 4 > dump_work.crc_size)
        return ERR_NO_SPACE;
    if (type == DUMP_TYPE_BITMAP && (rc = dump_bitmap_header_build(dump_work_at(dump_work.bmp_off), &p)) != 0)
        return rc;
    /* 1. the header of a dump being written (flags 0: never taken for a valid one) */
    if ((rc = writer_file(w, 0, dump_work.phys + dump_work.hdr_off, DUMP_HEADER_SIZE)) != 0 ||
        (rc = w->st->clone.flush()) != 0)
        return rc;
    w->phase = WR_HEADER_OUT;
    /* 2. the data, flushed */
    uint32_t *table = dump_work_at(dump_work.crc_off);
    w->total = plan.data_end - DUMP_HEADER_SIZE;
    struct walk k = { .runs = pr, .nruns = nruns, .off = DUMP_HEADER_SIZE,
                      .tail = plan.data_end - plan.cpu_offset };
    if (type == DUMP_TYPE_BITMAP) {
        k.block = plan.pages_offset - DUMP_HEADER_SIZE;
        if (k.block > dump_work.bmp_size)
            return ERR_NO_SPACE;
        memset(bm + (frames + 7) / 8, 0, dump_work.bmp_size - 0x38 - (frames + 7) / 8);
        if (!complete) {
            k.bm = bm;
            k.frames = frames;
        }
    }
    if ((rc = writer_data(w, &k, table, plan.chunk_size)) != 0)
        return rc;
    /* 3. the external CRC table, flushed, 4. the sealed header, then flush */
    uint64_t t0 = timer_ns();
    uint32_t table_crc = 0;
    if (!plan.crc_table_offset) {
        memcpy((uint8_t *)dump_work_at(dump_work.hdr_off) + DUMP_CRC_INLINE_OFFSET, table, plan.chunk_count * 4);
    } else {
        table_crc = crc32c(0, table, plan.crc_table_bytes);
        memset((uint8_t *)table + plan.crc_table_bytes, 0, ALIGN4K(plan.crc_table_bytes) - plan.crc_table_bytes);
        if ((rc = writer_file(w, plan.crc_table_offset, dump_work.phys + dump_work.crc_off, ALIGN4K(plan.crc_table_bytes))) != 0)
            return rc;
    }
    if ((rc = w->st->clone.flush()) != 0)
        return rc;
    w->disk_ns += timer_ns() - t0;
    if (!w->flush_ns)
        w->flush_ns = timer_ns() - w->flush_t0;
    w->phase = WR_SEALING;
    if ((rc = dump_header_seal(dump_work_at(dump_work.hdr_off), DUMP_BB_VALID | DUMP_BB_COMPLETE, table_crc)) != 0)
        return rc;
    if ((rc = writer_file(w, 0, dump_work.phys + dump_work.hdr_off, DUMP_HEADER_SIZE)) != 0)
        return rc;
    return w->st->clone.flush();
}

