/* The dump writer. Everything it runs at bugcheck time is in .text.dumpwriter (checksummed at
 * boot, re-checked before use) or in the checksummed clone; it allocates nothing, takes no
 * lock and keeps its changing state on the stack. Memory that changes while the dump is
 * written (the kernel's data, bss and stacks, the clone's state pages) is snapshotted first
 * and written from the snapshot, so each chunk's CRC matches what reaches the disk; the
 * writer's own buffers read as zeros in the dump. Everything else goes to the disk straight
 * from physical memory, in large transfers. The disk never waits for a checksum: the data is
 * written as fast as the driver takes it, and checksummed (in file order, a step at a time)
 * whenever the driver is busy, the rest beside the final flush. */
#include <string.h>
#include "dump/stack/dump_writer.h"
#include "dump/stack/dump_stack.h"
#include "dump/dump_format.h"
#include "dump/dump_mini.h"
#include "mm/paging.h"
#include "bugcheck/bsod.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "arch/timer.h"
#include "arch/rtc.h"
#include "lib/crc32c.h"
#include "lib/crc32c_hw.h"
#include "klog.h"
#include "arch/gdt.h"
#include "version.h"
#include "err.h"

#define WRITER __attribute__((section(".text.dumpwriter")))
#define SPAN_DEFAULT (1ull << 20)              /* bytes per straight-from-memory write, unless the driver says */
#define SPAN_MAX (16ull << 20)                 /* ... and at most */
#define ZERO_BLOCK (256u << 10)                /* zeros the work area is written from, per call */
#define CRC_STEP (256u << 10)                  /* bytes checksummed between two looks at the driver */
#define SNAP_RANGES 3                          /* kernel data..end, the clone's state pages, the klog area */
#define DEADMAN_NS (10ull * 1000 * 1000 * 1000) /* no progress for this long: give up */
#define PROGRESS_SERIAL_STEP 10                /* COM1 gets a line every 10 % */
#define PROGRESS_VGA_NS (50ull * 1000 * 1000)  /* the screen's percentage: at most 20 redraws a second */
#define FILETIME_UNIX_EPOCH 116444736000000000ull  /* 1970-01-01 in 100 ns since 1601 */
#define ALIGN4K(x) (((x) + 4095ull) & ~4095ull)

extern char __data_start[], __kernel_end[], __kernel_phys_start[];
extern const char __dump_writer_start[], __dump_writer_end[];

/* Boot-time layout of the work area (physically contiguous, below 4 GiB). [I] after prepare. */
static struct {
    uint64_t phys, size;          /* the whole area; written to the dump as zeros */
    uint64_t hdr_off;             /* 0x2000-byte header */
    uint64_t bmp_off, bmp_size;   /* bitmap second header + bitmap, padded to 4 KiB */
    uint64_t crc_off, crc_size;   /* chunk CRC table */
    uint64_t zero_off;            /* ZERO_BLOCK bytes of zeros */
    uint64_t mini_off;            /* a whole small dump's data (directory and streams) */
    uint64_t wide_off;            /* crc32c_wide's tables (rebuilt at bugcheck before use) */
    uint64_t zcrc_off;            /* struct zero_pages (rebuilt at bugcheck before use) */
    uint64_t snap_off, snap_size; /* snapshot of the ranges below */
    uint64_t snap_lo[SNAP_RANGES], snap_hi[SNAP_RANGES]; /* physical; see snap_ranges() */
    uint32_t (*crc_fn)(uint32_t, const void *, size_t); /* the fastest CRC32C on this CPU */
    uint64_t span;                /* bytes per data write: the driver's write_span, bounded */
} work;

#define CRC_PROBE_BYTES (64u * 1024u)   /* bytes each CRC32C implementation is timed on */
#define CRC_PROBE_ROUNDS 3u             /* the best of this many runs counts */

static inline void *wv(uint64_t off) { return phys_to_virt(work.phys + off); }

/* The CRC32C operator over one page of zeros, and how many pages of the dump being written
 * it served: most of a machine's free memory is zeros, and testing a page for zeros costs a
 * fraction of checksumming it. */
struct zero_pages {
    uint32_t op[CRC32C_ZEROS_ENTRIES];
    uint64_t count;
};

static WRITER bool page_is_zero(const uint64_t *q)
{
    for (unsigned i = 0; i < PAGE_SIZE / 8; i += 4)
        if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
            return false;
    return true;
}

/* CRC32C of dump data: whole pages of zeros through the zero operator, the rest through the
 * fastest implementation. */
static WRITER uint32_t crc_data(uint32_t crc, const void *data, size_t len)
{
    struct zero_pages *z = wv(work.zcrc_off);
    const uint8_t *p = data;
    while (len) {
        size_t n = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1));
        if (n > len)
            n = len;
        if (n == PAGE_SIZE && page_is_zero((const uint64_t *)p)) {
            crc = crc32c_zeros(z->op, crc);
            z->count++;
        } else {
            crc = work.crc_fn(crc, p, n);
        }
        p += n;
        len -= n;
    }
    return crc;
}

static WRITER uint32_t crc_wide(uint32_t crc, const void *data, size_t len)
{
    return crc32c_wide(wv(work.wide_off), crc, data, len);
}

/* Time each CRC32C implementation on the same bytes and keep the fastest that agrees with
 * the table-driven one: on real CPUs the SSE4.2 instruction wins by far; under emulation it
 * is the slowest, and the wide tables beat the byte tables. */
static void pick_crc(const void *probe)
{
    static const struct { const char *name; uint32_t (*fn)(uint32_t, const void *, size_t); } impl[] = {
        { "table-driven", crc32c }, { "wide tables", crc_wide }, { "SSE4.2", crc32c_hw },
    };
    unsigned n = crc32c_hw_available() ? 3 : 2, best = 0;
    uint64_t us[3];
    uint32_t want = crc32c(0, probe, CRC_PROBE_BYTES);
    crc32c_wide_init(wv(work.wide_off));
    for (unsigned i = 0; i < n; i++) {
        us[i] = UINT64_MAX;
        for (unsigned r = 0; r < CRC_PROBE_ROUNDS; r++) {
            uint64_t t0 = timer_ns();
            uint32_t got = impl[i].fn(0, probe, CRC_PROBE_BYTES);
            uint64_t t = (timer_ns() - t0) / 1000u;
            if (got == want && t < us[i])
                us[i] = t;
        }
        if (us[i] < us[best])
            best = i;
    }
    work.crc_fn = impl[best].fn;
    klog(KLOG_INFO, "dump: CRC32C %s (us per 64 KiB: table %lu, wide %lu, SSE4.2 %ld)", impl[best].name,
         (unsigned long)us[0], (unsigned long)us[1], n > 2 ? (long)us[2] : -1L);
}

/* The memory that changes while a dump is written, in page-aligned ranges that do not
 * overlap: the kernel's data, bss and stacks; the clone's state pages; the klog area, where
 * the blue screen's lines go. Checksums are computed apart from the writes, so these are
 * written from the snapshot taken at bugcheck. */
static void snap_ranges(const struct dump_stack *st)
{
    work.snap_lo[0] = (uint64_t)__data_start - KERNEL_VMA;
    work.snap_hi[0] = (uint64_t)__kernel_end - KERNEL_VMA;
    work.snap_lo[1] = st->driver.state_phys;
    work.snap_hi[1] = st->driver.state_phys + st->driver.state_size;
    uint64_t lo = klog_area_phys() & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t hi = ALIGN4K(klog_area_phys() + KLOG_AREA_SIZE);
    work.snap_lo[2] = work.snap_hi[2] = 0;
    for (int i = 0; i < 2 && klog_area_phys(); i++)
        if (lo < work.snap_hi[i] && hi > work.snap_lo[i])
            return;
    if (klog_area_phys()) {
        work.snap_lo[2] = lo;
        work.snap_hi[2] = hi;
    }
}

int dump_writer_prepare(void)
{
    const struct dump_stack *st = dump_stack_get();
    uint64_t span = st->driver.params->write_span & ~(uint64_t)(PAGE_SIZE - 1);
    work.span = span == 0 ? SPAN_DEFAULT : span > SPAN_MAX ? SPAN_MAX : span;
    if (work.phys)
        return 0;          /* a re-arm: the buffers only depend on RAM and the clone's state */
    uint64_t frames = pfn_ram_top() / PAGE_SIZE;
    uint64_t data_max = DUMP_HEADER_SIZE + 0x38 + frames / 8 + pfn_ram_top();
    snap_ranges(st);
    work.hdr_off = 0;
    work.bmp_off = DUMP_HEADER_SIZE;
    work.bmp_size = ALIGN4K(0x38 + (frames + 7) / 8);
    work.crc_off = work.bmp_off + work.bmp_size;
    work.crc_size = ALIGN4K((data_max / DUMP_CHUNK_DEFAULT + 2) * 4);
    work.zero_off = work.crc_off + work.crc_size;
    work.mini_off = work.zero_off + ZERO_BLOCK;
    work.wide_off = work.mini_off + DUMP_SMALL_MAX;
    work.zcrc_off = work.wide_off + CRC32C_WIDE_ENTRIES * sizeof(uint32_t);
    work.snap_off = work.zcrc_off + ALIGN4K(sizeof(struct zero_pages));
    work.snap_size = 0;
    for (int i = 0; i < SNAP_RANGES; i++)
        work.snap_size += work.snap_hi[i] - work.snap_lo[i];
    work.size = ALIGN4K(work.snap_off + work.snap_size);
    int rc = pfn_alloc_contig(work.size / PAGE_SIZE, 1, 1ull << 32, PFN_DMA, &work.phys);
    if (rc == 0)
        pick_crc(phys_to_virt((uint64_t)__kernel_phys_start));
    return rc;
}

/* State of one dump being written (on the stack). */
struct wr {
    const struct dump_stack *st;
    const struct dump_drv_params *prm;
    struct dump_crc_acc acc;
    uint64_t done, total;         /* data bytes written / to write */
    unsigned pct_vga, pct_serial;
    uint64_t last_progress_ns, last_vga_ns;
    uint64_t crc_ns, disk_ns, flush_ns;   /* checksumming; waiting for the disk; the data's flush
                                             (beside the checksums still to do) */
    uint64_t flush_t0;                    /* when that flush started */
};

/* Write `bytes` (a multiple of the sector size) from physical `phys` at file offset `off`. */
static WRITER int write_file(struct wr *w, uint64_t off, uint64_t phys, uint64_t bytes)
{
    uint64_t ss = w->prm->sector_size;
    if (off % ss || bytes % ss)
        return ERR_INVALID_ARGS;
    uint64_t sector = off / ss, left = bytes / ss, base = 0;
    for (uint32_t i = 0; i < w->prm->extent_count && left; i++) {
        const struct dump_drv_extent *e = &w->prm->extents[i];
        if (sector >= base + e->sectors) {
            base += e->sectors;
            continue;
        }
        uint64_t n = e->sectors - (sector - base);
        if (n > left)
            n = left;
        int rc = w->st->driver.write(e->lba + (sector - base), phys, n);
        if (rc)
            return rc;
        phys += n * ss;
        sector += n;
        left -= n;
        base += e->sectors;
    }
    return left ? ERR_NO_SPACE : 0;
}

/* Count `bytes` done; redraw the percentage when it changed, at most every PROGRESS_VGA_NS
 * (a redraw costs about a millisecond under emulation), and print a COM1 line every
 * PROGRESS_SERIAL_STEP percent. */
static WRITER void progress(struct wr *w, uint64_t bytes)
{
    w->done += bytes;
    uint64_t now = timer_ns();
    w->last_progress_ns = now;
    unsigned pct = (unsigned)(w->total ? w->done * 100 / w->total : 100);
    if (pct >= 50)
        bugcheck_nested_fault_point();
    bool line = pct >= w->pct_serial + PROGRESS_SERIAL_STEP || pct == 100;
    if (pct != w->pct_vga && (line || now - w->last_vga_ns >= PROGRESS_VGA_NS)) {
        w->pct_vga = pct;
        w->last_vga_ns = now;
        bsod_progress(pct, line);
        if (line)
            w->pct_serial = pct - pct % PROGRESS_SERIAL_STEP;
    }
}

/* Where the bytes of physical page range [pa, limit) come from: straight from memory, from
 * the snapshot, or zeros (the writer's own work area). Returns the source address and sets
 * *len to how far that source holds. */
static WRITER uint64_t source(uint64_t pa, uint64_t limit, uint64_t *len)
{
    uint64_t end = limit - pa < work.span ? limit : pa + work.span;
    if (pa >= work.phys && pa < work.phys + work.size) {
        uint64_t stop = work.phys + work.size < end ? work.phys + work.size : end;
        *len = stop - pa < ZERO_BLOCK ? stop - pa : ZERO_BLOCK;
        return work.phys + work.zero_off;
    }
    if (work.phys > pa && work.phys < end)
        end = work.phys;
    uint64_t snap = work.snap_off;
    for (int i = 0; i < SNAP_RANGES; i++) {
        if (pa >= work.snap_lo[i] && pa < work.snap_hi[i]) {
            *len = (work.snap_hi[i] < end ? work.snap_hi[i] : end) - pa;
            return work.phys + snap + (pa - work.snap_lo[i]);
        }
        if (work.snap_lo[i] > pa && work.snap_lo[i] < end)
            end = work.snap_lo[i];
        snap += work.snap_hi[i] - work.snap_lo[i];
    }
    *len = end - pa;
    return pa;
}

/* A walk over a dump's data in file order, one source range at a time: the bitmap block
 * (kernel dumps), then the pages, of the RAM runs (complete dumps) or of the runs of set
 * bits (kernel dumps). Two walks over the same dump take the same ranges, as source()
 * depends only on the address and the limit. */
struct walk {
    const struct pfn_range *runs;   /* complete dump: the RAM runs ... */
    unsigned nruns, run;            /* ... how many, and the next one */
    const uint8_t *bm;              /* kernel dump: the bitmap (NULL for a complete dump) */
    uint64_t frames, frame;         /* its frames, and the next one to look at */
    uint64_t block;                 /* bytes of the bitmap block still to come */
    uint64_t pa, hi;                /* the page range being walked */
    uint64_t off;                   /* file offset of the next range */
};

/* The next range: *src (physical) and *len; false at the end of the data. */
static WRITER bool walk_next(struct walk *k, uint64_t *src, uint64_t *len)
{
    if (k->block) {
        *src = work.phys + work.bmp_off;
        *len = k->block;
        k->block = 0;
        k->off += *len;
        return true;
    }
    while (k->pa >= k->hi) {
        if (k->bm) {
            while (k->frame < k->frames && !dump_bitmap_test(k->bm, k->frame))
                k->frame++;
            if (k->frame >= k->frames)
                return false;
            uint64_t g = k->frame;
            while (g < k->frames && dump_bitmap_test(k->bm, g))
                g++;
            k->pa = k->frame * PAGE_SIZE;
            k->hi = g * PAGE_SIZE;
            k->frame = g;
        } else {
            if (k->run >= k->nruns)
                return false;
            k->pa = k->runs[k->run].lo;
            k->hi = k->runs[k->run].hi;
            k->run++;
        }
    }
    *src = source(k->pa, k->hi, len);
    k->pa += *len;
    k->off += *len;
    return true;
}

/* The checksums' side: CRC_STEP bytes of the range at hand, taking the next when it is done.
 * Sets *more to false once all data is checksummed. */
struct crc_side {
    struct walk k;
    uint64_t src, len;    /* what is left of the range at hand */
    bool more;
};

static WRITER int crc_step(struct wr *w, struct crc_side *c)
{
    uint64_t n = c->len < CRC_STEP ? c->len : CRC_STEP, t0 = timer_ns();
    int rc = dump_crc_update(&w->acc, phys_to_virt(c->src), n);
    w->crc_ns += timer_ns() - t0;
    c->src += n;
    c->len -= n;
    if (c->len == 0)
        c->more = walk_next(&c->k, &c->src, &c->len);
    return rc;
}

/* All data from `start` on to the file, with its CRCs: each range is written as soon as the
 * driver can take it; while the driver is busy, the writer checksums. Then the flush starts,
 * and what is not checksummed yet is checksummed beside it (the next driver call waits for
 * that flush to end). */
static WRITER int write_data(struct wr *w, const struct walk *start)
{
    struct crc_side c = { .k = *start };
    struct walk k = *start;
    uint64_t src, len;
    c.more = walk_next(&c.k, &c.src, &c.len);
    bool more = walk_next(&k, &src, &len);
    int rc = 0;
    while (more) {
        int busy = w->st->driver.poll();
        if (busy < 0)
            return busy;
        if (busy && c.more) {
            if ((rc = crc_step(w, &c)) != 0)
                return rc;
            continue;
        }
        uint64_t t0 = timer_ns();
        rc = write_file(w, k.off - len, src, len);
        w->disk_ns += timer_ns() - t0;
        if (rc)
            return rc;
        if (timer_ns() - w->last_progress_ns > DEADMAN_NS)
            return ERR_TIMED_OUT;
        progress(w, len);
        more = walk_next(&k, &src, &len);
    }
    w->flush_t0 = timer_ns();
    if ((rc = w->st->driver.flush_start()) != 0)
        return rc;
    int busy = 1;
    while (c.more) {
        if ((rc = crc_step(w, &c)) != 0)
            return rc;
        if (busy == 1 && (busy = w->st->driver.poll()) == 0)
            w->flush_ns = timer_ns() - w->flush_t0;
    }
    return busy < 0 ? busy : 0;
}

/* Freeze what changes while the dump is written (see the top of this file); rebuild the
 * CRC tables (wide lanes, the zero-page operator) from constants, as nothing checksums
 * their pages. */
static WRITER void snapshot(void)
{
    uint8_t *dst = wv(work.snap_off);
    for (int i = 0; i < SNAP_RANGES; i++) {
        uint64_t n = work.snap_hi[i] - work.snap_lo[i];
        memcpy(dst, phys_to_virt(work.snap_lo[i]), n);
        dst += n;
    }
    memset(wv(work.zero_off), 0, ZERO_BLOCK);
    if (work.crc_fn == crc_wide)
        crc32c_wide_init(wv(work.wide_off));
    struct zero_pages *z = wv(work.zcrc_off);
    crc32c_zeros_init(z->op, PAGE_SIZE);
    z->count = 0;
}

static WRITER uint64_t filetime_now(void)
{
    struct rtc_time t;
    if (rtc_read(&t))
        return 0;
    /* days from 1970-01-01 (civil-from-days inverse, proleptic Gregorian) */
    int64_t y = t.year - (t.month <= 2), era = y / 400;
    int64_t yoe = y - era * 400, mp = (t.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + t.day - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    uint64_t secs = (uint64_t)days * 86400 + t.hour * 3600u + t.minute * 60u + t.second;
    return FILETIME_UNIX_EPOCH + secs * 10000000ull;
}

/* Mark the pages a kernel dump keeps: kernel, page tables, DMA; not free, user or reserved. */
static WRITER uint64_t build_bitmap(uint8_t *bm, uint64_t frames)
{
    uint64_t present = 0;
    memset(bm, 0, (frames + 7) / 8);
    for (uint64_t f = 0; f < frames; f++) {
        enum pfn_state s = pfn_state_of(f * PAGE_SIZE);
        if (s == PFN_KERNEL || s == PFN_PAGETABLE || s == PFN_DMA) {
            dump_bitmap_set(bm, f);
            present++;
        }
    }
    return present;
}

static WRITER int verify(const struct dump_stack *st)
{
    uint32_t img = dump_driver_crc(&st->driver);
    uint32_t wrc = crc32c(0, __dump_writer_start, (size_t)(__dump_writer_end - __dump_writer_start));
    const struct dump_drv_params *p = st->driver.params;
    uint32_t map = crc32c(0, (const void *)p->extents, sizeof(p->extents[0]) * p->extent_count);
    if (img != st->crc_driver)
        bsod_status("Crash dump not written: %s image checksum failed (0x%08x, expected 0x%08x).",
                    st->driver.name, img, st->crc_driver);
    else if (wrc != st->crc_writer)
        bsod_status("Crash dump not written: dump writer checksum failed (0x%08x, expected 0x%08x).",
                    wrc, st->crc_writer);
    else if (map != st->crc_blockmap)
        bsod_status("Crash dump not written: block map checksum failed (0x%08x, expected 0x%08x).",
                    map, st->crc_blockmap);
    else
        return 0;
    return ERR_CHECKSUM;
}

/* The header inputs every dump type shares. `runs` must hold DUMP_MAX_RUNS entries. */
static WRITER int common_params(struct wr *w, const struct bugcheck_data *bd, uint32_t type,
                                struct dump_run *runs, struct dump_params *p)
{
    const struct pfn_range *pr;
    unsigned nruns = pfn_ram_runs(&pr);
    if (nruns > DUMP_MAX_RUNS)
        return ERR_TOO_BIG;
    uint64_t ram = 0;
    for (unsigned i = 0; i < nruns; i++) {
        runs[i] = (struct dump_run){ pr[i].lo / PAGE_SIZE, (pr[i].hi - pr[i].lo) / PAGE_SIZE };
        ram += pr[i].hi - pr[i].lo;
    }
    const uint8_t *id;
    size_t idlen = version_build_id(&id);
    *p = (struct dump_params){
        .dump_type = type, .bugcheck_code = bd->code, .ctx = &bd->ctx, .runs = runs,
        .run_count = nruns, .processors = 1, .sequence = w->st->sequence, .build_id = id,
        .build_id_len = idlen, .config_type = w->st->settings.crash_dump_enabled,
        .dump_time_ns = timer_ns(), .system_time = filetime_now(), .ram_bytes = ram,
        .klog_phys = klog_area_phys(), .klog_size = KLOG_AREA_SIZE,
        .direct_map_base = DIRECT_MAP_BASE, .kernel_phys_base = (uint64_t)__kernel_phys_start,
        .kernel_vma = KERNEL_VMA, .comment = "Blackbox " BLACKBOX_VERSION,
    };
    for (int i = 0; i < 4; i++)
        p->bugcheck_params[i] = bd->params[i];
    return 0;
}

static WRITER int write_dump(struct wr *w, const struct bugcheck_data *bd, uint32_t type)
{
    const struct pfn_range *pr;
    unsigned nruns = pfn_ram_runs(&pr);
    struct dump_run runs[DUMP_MAX_RUNS];
    struct dump_params p;
    int rc = common_params(w, bd, type, runs, &p);
    if (rc)
        return rc;
    uint64_t frames = pfn_ram_top() / PAGE_SIZE;
    uint8_t *bm = (uint8_t *)wv(work.bmp_off) + 0x38;
    if (type == DUMP_TYPE_BITMAP) {
        p.bitmap_pages = frames;
        p.bitmap_present = build_bitmap(bm, frames);
    }
    struct dump_plan plan;
    rc = dump_header_build(wv(work.hdr_off), &p, &plan);
    if (rc)
        return rc;
    if (ALIGN4K(plan.total) > w->st->target_bytes || plan.chunk_count * 4 > work.crc_size)
        return ERR_NO_SPACE;
    if (type == DUMP_TYPE_BITMAP && (rc = dump_bitmap_header_build(wv(work.bmp_off), &p)) != 0)
        return rc;
    /* 1. the header of a dump being written (flags 0: never taken for a valid one) */
    if ((rc = write_file(w, 0, work.phys + work.hdr_off, DUMP_HEADER_SIZE)) != 0 ||
        (rc = w->st->driver.flush()) != 0)
        return rc;
    /* 2. the data, flushed */
    uint32_t *table = wv(work.crc_off);
    if ((rc = dump_crc_begin(&w->acc, table, plan.data_end - DUMP_HEADER_SIZE, plan.chunk_size)) != 0)
        return rc;
    w->acc.crc_fn = crc_data;
    w->total = plan.data_end - DUMP_HEADER_SIZE;
    struct walk k = { .runs = pr, .nruns = nruns, .off = DUMP_HEADER_SIZE };
    if (type == DUMP_TYPE_BITMAP) {
        k.block = plan.pages_offset - DUMP_HEADER_SIZE;
        if (k.block > work.bmp_size)
            return ERR_NO_SPACE;
        memset(bm + (frames + 7) / 8, 0, work.bmp_size - 0x38 - (frames + 7) / 8);
        k.bm = bm;
        k.frames = frames;
    }
    if ((rc = write_data(w, &k)) != 0 || (rc = dump_crc_end(&w->acc)) != 0)
        return rc;
    /* 3. the external CRC table, flushed, 4. the sealed header, then flush */
    uint64_t t0 = timer_ns();
    uint32_t table_crc = 0;
    if (!plan.crc_table_offset) {
        memcpy((uint8_t *)wv(work.hdr_off) + DUMP_CRC_INLINE_OFFSET, table, plan.chunk_count * 4);
    } else {
        table_crc = crc32c(0, table, plan.crc_table_bytes);
        memset((uint8_t *)table + plan.crc_table_bytes, 0, ALIGN4K(plan.crc_table_bytes) - plan.crc_table_bytes);
        if ((rc = write_file(w, plan.crc_table_offset, work.phys + work.crc_off, ALIGN4K(plan.crc_table_bytes))) != 0)
            return rc;
    }
    if ((rc = w->st->driver.flush()) != 0)
        return rc;
    w->disk_ns += timer_ns() - t0;
    if (!w->flush_ns)
        w->flush_ns = timer_ns() - w->flush_t0;
    if ((rc = dump_header_seal(wv(work.hdr_off), DUMP_BB_VALID | DUMP_BB_COMPLETE, table_crc)) != 0)
        return rc;
    if ((rc = write_file(w, 0, work.phys + work.hdr_off, DUMP_HEADER_SIZE)) != 0)
        return rc;
    return w->st->driver.flush();
}

/* Copy [va, va+len) through the page tables into dst; unmapped bytes read as zero. */
static WRITER void copy_virt(uint8_t *dst, uint64_t va, uint64_t len)
{
    while (len) {
        uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1)), pa;
        if (n > len)
            n = len;
        if (paging_virt_to_phys(va, &pa) == 0)
            memcpy(dst, phys_to_virt(pa), n);
        else
            memset(dst, 0, n);
        dst += n;
        va += n;
        len -= n;
    }
}

#define MINI_STACK_BYTES (16u * 1024u)   /* top of the faulting thread's stack kept */
#define MINI_CAPACITY 32u

/* Add the page holding register value `v` (flag bit `reg`) unless it is not a mapped kernel
 * address or already added. */
static WRITER void mini_reg_page(uint64_t *pages, uint32_t *flags, unsigned *n, uint64_t v, uint32_t reg)
{
    uint64_t pa;
    if (v < DIRECT_MAP_BASE || paging_virt_to_phys(v, &pa))
        return;
    uint64_t page = v & ~(PAGE_SIZE - 1);
    for (unsigned i = 0; i < *n; i++)
        if (pages[i] == page) {
            flags[i] |= reg;
            return;
        }
    if (*n < MINI_CAPACITY - 4) {
        pages[*n] = page;
        flags[(*n)++] = reg;
    }
}

/* A small dump (DumpType 4): the header, then a directory of streams — modules, the top of
 * the faulting stack, the pages the registers point at, the klog ring — assembled in the
 * work area (at most 248 KiB) and written in one go. */
static WRITER int write_small(struct wr *w, const struct bugcheck_data *bd, uint32_t fallback)
{
    const struct bugcheck_context *c = &bd->ctx;
    uint8_t *buf = wv(work.mini_off);
    struct dump_mini_builder b;
    int rc = dump_mini_begin(&b, buf, MINI_CAPACITY);
    if (rc)
        return rc;
    uint64_t off;
    /* modules: the kernel image and the dump driver */
    struct dump_mini_module mods[2];
    memset(mods, 0, sizeof mods);
    const uint8_t *id;
    mods[0].base = KERNEL_VMA + (uint64_t)__kernel_phys_start;
    mods[0].size = (uint64_t)__kernel_end - mods[0].base;
    memcpy(mods[0].name, "blackbox", 8);
    mods[0].build_id_len = (uint8_t)version_build_id(&id);
    memcpy(mods[0].build_id, id, mods[0].build_id_len);
    mods[1].base = w->st->driver.image_virt;
    mods[1].size = w->st->driver.image_size;
    memcpy(mods[1].name, w->st->driver.name, sizeof w->st->driver.name);
    if ((rc = dump_mini_add(&b, DUMP_STREAM_MODULES, 0, 0, DUMP_NO_PADDR, sizeof mods, &off)) != 0)
        return rc;
    memcpy(buf + off - DUMP_HEADER_SIZE, mods, sizeof mods);
    /* the top of the faulting stack, as far as it is a known kernel stack */
    uint64_t sp = c->rsp & ~15ull, len = MINI_STACK_BYTES;
    while (len && !gdt_addr_on_kernel_stack(sp, len))
        len -= 16;
    if (len && dump_mini_add(&b, DUMP_STREAM_STACK, 0, sp, DUMP_NO_PADDR, len, &off) == 0)
        copy_virt(buf + off - DUMP_HEADER_SIZE, sp, len);
    /* the pages the registers point at */
    const uint64_t regs[18] = { c->rax, c->rcx, c->rdx, c->rbx, c->rsp, c->rbp, c->rsi, c->rdi,
                                c->r8, c->r9, c->r10, c->r11, c->r12, c->r13, c->r14, c->r15,
                                c->rip, c->cr2 };
    uint64_t pages[MINI_CAPACITY];
    uint32_t flags[MINI_CAPACITY];
    unsigned np = 0;
    for (unsigned i = 0; i < 18; i++)
        mini_reg_page(pages, flags, &np, regs[i], 1u << i);
    for (unsigned i = 0; i < np; i++) {
        uint64_t pa;
        paging_virt_to_phys(pages[i], &pa);
        if (dump_mini_add(&b, DUMP_STREAM_MEMORY, flags[i], pages[i], pa, PAGE_SIZE, &off) == 0)
            copy_virt(buf + off - DUMP_HEADER_SIZE, pages[i], PAGE_SIZE);
    }
    /* the kernel log ring, whole, if it still fits */
    if (dump_mini_add(&b, DUMP_STREAM_KLOG, 0, (uint64_t)phys_to_virt(klog_area_phys()), klog_area_phys(),
                      KLOG_AREA_SIZE, &off) == 0)
        memcpy(buf + off - DUMP_HEADER_SIZE, phys_to_virt(klog_area_phys()), KLOG_AREA_SIZE);

    struct dump_run runs[DUMP_MAX_RUNS];
    struct dump_params p;
    if ((rc = common_params(w, bd, DUMP_TYPE_SMALL, runs, &p)) != 0)
        return rc;
    p.data_size = dump_mini_size(&b);
    p.fallback_reason = fallback;
    struct dump_plan plan;
    if ((rc = dump_header_build(wv(work.hdr_off), &p, &plan)) != 0)
        return rc;
    uint64_t padded = ALIGN4K(p.data_size);
    if (ALIGN4K(plan.total) > w->st->target_bytes || plan.crc_table_offset)
        return ERR_NO_SPACE;
    memset(buf + p.data_size, 0, padded - p.data_size);
    w->total = padded;
    uint32_t *table = wv(work.crc_off);
    if ((rc = write_file(w, 0, work.phys + work.hdr_off, DUMP_HEADER_SIZE)) != 0 ||
        (rc = w->st->driver.flush()) != 0 ||
        (rc = dump_crc_begin(&w->acc, table, p.data_size, plan.chunk_size)) != 0 ||
        (rc = dump_crc_update(&w->acc, buf, p.data_size)) != 0 ||
        (rc = dump_crc_end(&w->acc)) != 0 ||
        (rc = write_file(w, DUMP_HEADER_SIZE, work.phys + work.mini_off, padded)) != 0 ||
        (rc = w->st->driver.flush()) != 0)
        return rc;
    progress(w, padded);
    memcpy((uint8_t *)wv(work.hdr_off) + DUMP_CRC_INLINE_OFFSET, table, plan.chunk_count * 4);
    if ((rc = dump_header_seal(wv(work.hdr_off), DUMP_BB_VALID | DUMP_BB_COMPLETE, 0)) != 0 ||
        (rc = write_file(w, 0, work.phys + work.hdr_off, DUMP_HEADER_SIZE)) != 0)
        return rc;
    return w->st->driver.flush();
}

WRITER int dump_write(const struct bugcheck_data *bd)
{
    const struct dump_stack *st = dump_stack_get();
    if (st->state != DUMP_ARMED) {
        bsod_status("No crash dump: %s.", st->reason[0] ? st->reason : "dump stack not configured");
        return ERR_BAD_STATE;
    }
    uint32_t type = st->planned_type == DUMP_CONFIG_COMPLETE ? DUMP_TYPE_FULL
                  : st->planned_type == DUMP_CONFIG_SMALL ? DUMP_TYPE_SMALL : DUMP_TYPE_BITMAP;
    uint32_t fallback = st->planned_type != st->settings.crash_dump_enabled ? DUMP_FALLBACK_TOO_SMALL
                                                                            : DUMP_FALLBACK_NONE;
    bsod_status("Collecting data for crash dump...");
    int rc = verify(st);
    if (rc)
        return rc;
    snapshot();
    bsod_status("Initializing disk for crash dump...");
    uint64_t t0 = timer_ns();
    rc = st->driver.init();
    if (rc) {
        bsod_status("Crash dump not written: %s could not take the disk: %s.", st->driver.name, err_str(rc));
        return rc;
    }
    bsod_status("Beginning dump of physical memory.");
    struct wr w = { .st = st, .prm = st->driver.params, .pct_vga = ~0u, .last_progress_ns = timer_ns() };
    rc = type == DUMP_TYPE_SMALL ? write_small(&w, bd, fallback) : write_dump(&w, bd, type);
    if (rc == ERR_NO_SPACE && type != DUMP_TYPE_SMALL && w.done == 0) {
        bsod_status("The %s does not fit in %s: writing a minidump instead.",
                    type == DUMP_TYPE_FULL ? "complete dump" : "kernel dump", st->target);
        type = DUMP_TYPE_SMALL;
        rc = write_small(&w, bd, DUMP_FALLBACK_TOO_SMALL);
    }
    if (rc == ERR_TIMED_OUT && timer_ns() - w.last_progress_ns > DEADMAN_NS)
        bsod_status("Crash dump abandoned: no progress for 10 seconds.");
    else if (rc)
        bsod_status("Crash dump failed: %s. The partial dump is marked incomplete.", err_str(rc));
    if (rc) {
        bsod_status("%s says: %s", st->driver.name, st->driver.log());
        return rc;
    }
    uint64_t ms = (timer_ns() - t0) / 1000000u;
    bsod_status("Physical memory dump complete.");
    bsod_status("Dump #%lu: %s, %lu MiB in %lu ms (%lu MB/s) to %s.", (unsigned long)st->sequence,
                type == DUMP_TYPE_FULL ? "complete" : type == DUMP_TYPE_SMALL ? "small" : "kernel",
                (unsigned long)(w.total >> 20),
                (unsigned long)ms, (unsigned long)(ms ? w.total / 1000u / ms : 0), st->target);
    if (type != DUMP_TYPE_SMALL)
        bsod_status("Of which: checksums %lu ms (%lu MiB of zero pages), waiting for the disk %lu ms; "
                    "the flush took %lu ms, beside the last checksums.", (unsigned long)(w.crc_ns / 1000000u),
                    (unsigned long)(((struct zero_pages *)wv(work.zcrc_off))->count >> 8),
                    (unsigned long)(w.disk_ns / 1000000u), (unsigned long)(w.flush_ns / 1000000u));
    return 0;
}
