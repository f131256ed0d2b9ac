/* libFuzzer target for everything that parses dump bytes on the host: the bytes are taken as
 * a dump file and go through dump_validate, the data chunk CRC check (bbdump check), the
 * memory views (dumpmem_open: runs, bitmap, minidump streams, the guarded page-table walk)
 * with reads at the addresses the header names, dump_phys_to_offset, and the streaming
 * copy-and-validate of bbdump extract. Each input is also tried with its header CRC made right,
 * so mutations reach the checks behind it. Built and run by tests/unit/test_fuzz.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump_mini.h"
#include "tools/dumptool/bbdump.h"
#include "tests/fuzz/fuzz_dumpcrc.h"
#include "tools/dumptool/bbdump_extract.h"
#include "err.h"

const char *tool_name = "fuzz_dump";

struct mem {
    const uint8_t *data;
    size_t size;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct mem *m = ctx;
    if (off % COPY_ALIGN || off > m->size || len > m->size - off)
        return ERR_INVALID_ARGS;
    memcpy(buf, m->data + off, len);
    return 0;
}

static void views(const struct dumpfile *d)
{
    const struct dump_header *h = (const struct dump_header *)d->map;
    struct dumpmem m;
    uint8_t buf[64];

    if (dumpmem_open(&m, d) != 0)
        return;
    const uint64_t va[] = { h->context.rip, h->context.rsp, h->context.rbp,
                            h->bb.direct_map_base, h->bb.kernel_vma };
    for (size_t i = 0; i < sizeof va / sizeof va[0]; i++)
        dumpmem_read_virt(&m, va[i], buf, sizeof buf);
    for (size_t i = 0; i < m.nvirt; i++)
        dumpmem_read_virt(&m, m.virt[i].addr + m.virt[i].len - 1, buf, 1);
    for (size_t i = 0; i < m.nphys; i++)
        dumpmem_read_phys(&m, m.phys[i].addr, buf, sizeof buf);
    dumpmem_close(&m);
}

static void one(const uint8_t *data, size_t size)
{
    struct dumpfile d;
    dumpfile_mem(&d, "fuzz-input", data, size);
    if (d.rc == 0) {
        uint64_t bad, first, off, avail;
        dumpfile_check_data(&d, &bad, &first);
        views(&d);
        const uint64_t pa[] = { 0, 0x1000, 0x5000, 0x101000, d.l.ram_pages * DUMP_PAGE_SIZE - 1 };
        for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++)
            dump_phys_to_offset(d.map, d.size, &d.l, pa[i], &off, &avail);
        if (d.l.dump_type == DUMP_TYPE_SMALL) {
            struct dump_mini_stream s;
            for (uint32_t i = 0; i <= d.l.stream_count; i++)
                dump_mini_stream_get(d.map + DUMP_HEADER_SIZE,
                                     (size_t)(d.l.prefix - DUMP_HEADER_SIZE), i, &s);
        }
    }
    struct mem m = { data, size };
    struct copy_src src = { &m, size, mem_read };
    struct copy_result r;
    dump_copy(&src, -1, size & 1, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dump_both_ways(data, size, one);
    return 0;
}
