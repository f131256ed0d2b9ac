/* The memory a dump holds, by physical and by kernel virtual address. Physical ranges come
 * from the runs (complete dump), the bitmap (kernel dump) or the streams' physical addresses
 * (small dump). Virtual ranges come from a guarded walk of the page tables at CR3 (each table
 * must be in the dump; a budget bounds the walk), else from the direct map and the kernel
 * image mapping, or from a small dump's streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump_mini.h"
#include "tools/dumptool/bbdump.h"

#define PTE_PRESENT   0x1ull
#define PTE_HUGE      0x80ull
#define PTE_ADDR      0x000ffffffffff000ull
#define WALK_BUDGET   (1u << 16)     /* page tables visited at most */
#define LOW_2G        0x80000000ull  /* the kernel image mapping covers physical [0, 2 GiB) */

struct list {
    struct mem_piece *v;
    size_t n, cap;
    int oom;
};

/* Appends, merging with the last piece when both address and file offset continue it. */
static void add(struct list *l, uint64_t addr, uint64_t len, uint64_t off)
{
    if (l->oom || len == 0)
        return;
    if (l->n) {
        struct mem_piece *p = &l->v[l->n - 1];
        if (p->addr + p->len == addr && p->off + p->len == off) {
            p->len += len;
            return;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct mem_piece *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct mem_piece){ addr, len, off };
}

static int by_addr(const void *a, const void *b)
{
    const struct mem_piece *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The piece holding addr, or NULL. */
static const struct mem_piece *find(const struct mem_piece *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < v[mid].addr)
            hi = mid;
        else if (addr - v[mid].addr >= v[mid].len)
            lo = mid + 1;
        else
            return &v[mid];
    }
    return NULL;
}

static int read_list(const struct dumpfile *d, const struct mem_piece *v, size_t n,
                     uint64_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        const struct mem_piece *p = find(v, n, addr);
        if (!p)
            return -1;
        uint64_t in = addr - p->addr, k = p->len - in < len ? p->len - in : len;
        memcpy(out, d->map + p->off + in, k);
        out += k;
        addr += k;
        len -= k;
    }
    return 0;
}

int dumpmem_read_virt(const struct dumpmem *m, uint64_t va, void *buf, size_t len)
{
    return read_list(m->d, m->virt, m->nvirt, va, buf, len);
}

int dumpmem_read_phys(const struct dumpmem *m, uint64_t pa, void *buf, size_t len)
{
    return read_list(m->d, m->phys, m->nphys, pa, buf, len);
}

static void phys_full(const struct dumpfile *d, struct list *l)
{
    const struct dump_header *h = (const struct dump_header *)d->map;
    for (uint32_t i = 0; i < d->l.run_count; i++) {
        uint64_t at = h->physical_memory_block.run[i].base_page * DUMP_PAGE_SIZE;
        uint64_t end = at + h->physical_memory_block.run[i].page_count * DUMP_PAGE_SIZE;
        while (at < end) {
            uint64_t off, avail;
            if (dump_phys_to_offset(d->map, d->size, &d->l, at, &off, &avail) != 0 || !avail)
                break;
            if (avail > end - at)
                avail = end - at;
            add(l, at, avail, off);
            at += avail;
        }
    }
}

static void phys_bitmap(const struct dumpfile *d, struct list *l)
{
    const uint8_t *bm = d->map + DUMP_BMP_BITMAP_OFFSET;
    uint64_t pos = d->l.pages_offset;
    for (uint64_t pg = 0; pg < d->l.bitmap_pages; pg++) {
        if (!dump_bitmap_test(bm, pg))
            continue;
        add(l, pg * DUMP_PAGE_SIZE, DUMP_PAGE_SIZE, pos);
        pos += DUMP_PAGE_SIZE;
    }
}

/* Small dump: physical pieces from streams with a physical address, virtual pieces from the
 * stack and memory streams. */
static void small_streams(const struct dumpfile *d, struct list *phys, struct list *virt)
{
    const uint8_t *dir = d->map + DUMP_HEADER_SIZE;
    for (uint32_t i = 0; i < d->l.stream_count; i++) {
        struct dump_mini_stream s;
        if (dump_mini_stream_get(dir, (size_t)(d->l.prefix - DUMP_HEADER_SIZE), i, &s) != 0)
            continue;
        if (s.type != DUMP_STREAM_STACK && s.type != DUMP_STREAM_MEMORY)
            continue;
        if (s.paddr != DUMP_NO_PADDR && s.size <= UINT64_MAX - s.paddr)
            add(phys, s.paddr, s.size, s.offset);
        if (s.vaddr && s.size <= UINT64_MAX - s.vaddr)
            add(virt, s.vaddr, s.size, s.offset);
    }
}

/* Sorts and drops overlaps (a later piece loses the bytes an earlier one already covers). */
static void normalize(struct list *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof(*l->v), by_addr);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct mem_piece p = l->v[i];
        if (w) {
            const struct mem_piece *q = &l->v[w - 1];
            uint64_t qend = q->addr + q->len;
            if (p.addr < qend) {
                uint64_t cut = qend - p.addr;
                if (cut >= p.len)
                    continue;
                p.addr += cut;
                p.off += cut;
                p.len -= cut;
            }
        }
        l->v[w++] = p;
    }
    l->n = w;
}

/* Maps [va, va+len) → [pa, pa+len) for the parts of it the dump holds. */
static void map_range(const struct dumpmem *m, struct list *virt, uint64_t va, uint64_t pa,
                      uint64_t len)
{
    while (len) {
        const struct mem_piece *p = find(m->phys, m->nphys, pa);
        uint64_t k;
        if (p) {
            uint64_t in = pa - p->addr;
            k = p->len - in < len ? p->len - in : len;
            add(virt, va, k, p->off + in);
        } else {
            /* skip to the next present piece, or to the end */
            size_t lo = 0, hi = m->nphys;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (m->phys[mid].addr <= pa)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == m->nphys || m->phys[lo].addr - pa >= len)
                return;
            k = m->phys[lo].addr - pa;
        }
        va += k;
        pa += k;
        len -= k;
    }
}

struct walk {
    const struct dumpmem *m;
    struct list *virt;
    unsigned budget;         /* tables still allowed */
    size_t max_pieces;       /* tables aliasing each other must not blow the list up */
    int failed;
};

static uint64_t canonical(uint64_t va)
{
    return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

/* One page table at `pa`, level 3 (PML4) .. 0 (PT), covering virtual addresses from base. */
static void walk_table(struct walk *w, uint64_t pa, int level, uint64_t base)
{
    uint64_t t[512];
    if (w->failed || w->budget-- == 0 || w->virt->n > w->max_pieces ||
        dumpmem_read_phys(w->m, pa, t, sizeof t) != 0) {
        w->failed = 1;
        return;
    }
    unsigned shift = 12 + 9 * (unsigned)level;
    for (unsigned i = 0; i < 512 && !w->failed; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_PRESENT))
            continue;
        uint64_t va = canonical(base + ((uint64_t)i << shift));
        if (level == 0 || ((e & PTE_HUGE) && level <= 2)) {
            uint64_t size = 1ull << shift;
            map_range(w->m, w->virt, va, (e & PTE_ADDR) & ~(size - 1), size);
            if (w->virt->n > w->max_pieces)
                w->failed = 1;
        } else {
            walk_table(w, e & PTE_ADDR, level - 1, va);
        }
    }
}

/* Without usable page tables: the direct map of every present page and the kernel image
 * mapping of the low 2 GiB. */
static void linear(const struct dumpmem *m, struct list *virt)
{
    const struct dump_bb_fields *bb = &((const struct dump_header *)m->d->map)->bb;
    for (size_t i = 0; i < m->nphys; i++) {
        const struct mem_piece *p = &m->phys[i];
        add(virt, bb->direct_map_base + p->addr, p->len, p->off);
        if (p->addr < LOW_2G) {
            uint64_t len = p->len < LOW_2G - p->addr ? p->len : LOW_2G - p->addr;
            add(virt, bb->kernel_vma + p->addr, len, p->off);
        }
    }
}

/* Page tables worth believing map the crash RIP where the kernel image mapping puts it. */
static bool maps_kernel_image(const struct dumpmem *m, struct list *virt)
{
    const struct dump_header *h = (const struct dump_header *)m->d->map;
    uint64_t rip = h->context.rip, pa = rip - h->bb.kernel_vma, want, have;
    if (rip < h->bb.kernel_vma || pa >= LOW_2G)
        return true;
    const struct mem_piece *v = find(virt->v, virt->n, rip), *p = find(m->phys, m->nphys, pa);
    if (!p)
        return true;
    if (!v)
        return false;
    want = p->off + (pa - p->addr);
    have = v->off + (rip - v->addr);
    return want == have;
}

int dumpmem_open(struct dumpmem *m, const struct dumpfile *d)
{
    const struct dump_header *h = (const struct dump_header *)d->map;
    struct list phys = { 0 }, virt = { 0 };

    memset(m, 0, sizeof(*m));
    m->d = d;
    if (d->l.dump_type == DUMP_TYPE_FULL)
        phys_full(d, &phys);
    else if (d->l.dump_type == DUMP_TYPE_BITMAP)
        phys_bitmap(d, &phys);
    else
        small_streams(d, &phys, &virt);
    normalize(&phys);
    m->phys = phys.v;
    m->nphys = phys.n;
    if (d->l.dump_type == DUMP_TYPE_SMALL) {
        m->virt_source = "streams";
    } else if (!phys.oom) {
        struct walk w = { m, &virt, WALK_BUDGET, 4 * phys.n + WALK_BUDGET, 0 };
        walk_table(&w, h->directory_table_base & PTE_ADDR, 3, 0);
        m->virt_source = "page tables";
        normalize(&virt);
        if (!w.failed && !maps_kernel_image(m, &virt))
            w.failed = 1;
        if (w.failed || virt.n == 0) {
            free(virt.v);
            memset(&virt, 0, sizeof virt);
            linear(m, &virt);
            m->virt_source = "direct map";
        }
    }
    normalize(&virt);
    m->virt = virt.v;
    m->nvirt = virt.n;
    if (phys.oom || virt.oom) {
        dumpmem_close(m);
        return die(d, "out of memory");
    }
    return 0;
}

void dumpmem_close(struct dumpmem *m)
{
    free(m->phys);
    free(m->virt);
    m->phys = m->virt = NULL;
    m->nphys = m->nvirt = 0;
}
