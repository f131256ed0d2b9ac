/* libFuzzer target for bbdump's commands that read a dump (tools/dumptool): the input is a
 * dump file, validated as `bbdump` opens it, and, when it validates, converted to a small dump
 * (bbdump mini), written as an ELF core (bbdump elf, no kernel ELF at hand) and as a crash
 * report (bbdump report) into scratch files, its crashed CPU's stack walked (analyze and
 * ocad's bucket), and its CPU block read and every CPU's stack walked (analyze). Each input is also tried with its header CRC made right. Seeds: the dumps
 * of tests/fuzz/mkseeds (build/fuzz/seeds). */
#include <string.h>

#include "tests/fuzz/fuzz_tmpdir.h"
#include "tests/fuzz/fuzz_dumpcrc.h"
#include "tools/dumptool/bbdump.h"

const char *tool_name = "fuzz_bbdump";

static void one(const uint8_t *data, size_t size)
{
    struct dumpfile d;
    struct dumpmem m;
    struct stack s;
    dumpfile_mem(&d, "fuzz-input", data, size);
    if (d.rc != 0)
        return;
    cmd_mini(&d, tmp_path(0));
    cmd_elf(&d, tmp_path(1), "/nonexistent/blackbox.elf");
    cmd_report(&d, tmp_path(2));
    if (dumpmem_open(&m, &d) == 0) {
        stack_walk(&m, &((const struct dump_header *)d.map)->context, &s);
        const uint8_t *blk;
        struct dump_cpu_block cb;
        uint32_t n = dumpfile_cpus(&d, &blk, &cb) == 0 ? cb.count : 0;
        for (uint32_t i = 0; i < n; i++) {
            struct dump_cpu_record r;
            struct dump_context c;
            dump_cpu_record_get(blk, i, &r);
            dump_context_from_cpu(&c, &r);
            stack_walk(&m, &c, &s);
        }
        dumpmem_close(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dump_both_ways(data, size, one);
    return 0;
}
