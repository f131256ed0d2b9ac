/* bbdump: the host tool for Blackbox crash dumps. `info` prints the header, `check`
 * validates the header and every data chunk's CRC32C, `read` prints the bytes of physical
 * memory at an address, `analyze` explains the crash (bbdump_analyze.c), `elf` writes a core
 * file for gdb (bbdump_elf.c), `mini` converts it to a small dump (bbdump_mini.c), `events`
 * prints the system event log (bbdump_events.c), `report` makes a crash-report file of a
 * small dump (bbdump_report.c), `extract` copies dumps out of disk images
 * (bbdump_extract.c). Links the portable cores; never re-implements them. A dump is mapped
 * read-only (bbdump_file.c): malformed input never causes a huge allocation or a crash. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump_format.h"
#include "dump/dump_mini.h"
#include "dump/dump_validate.h"
#include "lib/bugcodes.h"
#include "lib/num.h"
#include "tools/dumptool/bbdump.h"
#include "tools/dumptool/bbdump_extract.h"
#include "err.h"

const char *tool_name = "bbdump";

static void usage(FILE *to)
{
    fprintf(to,
            "usage: bbdump info DUMP          header fields, type, time, build-id, CRC status\n"
            "       bbdump check DUMP         validate header, every chunk CRC and the CPU block\n"
            "                                 (exit 0 = good)\n"
            "       bbdump read DUMP PHYS LEN [-o FILE]\n"
            "                                 physical memory from the dump: hex on stdout,\n"
            "                                 or raw bytes into FILE (- for stdout)\n"
            "       bbdump analyze DUMP [--kernel ELF] [--force]\n"
            "                                 explain the crash like !analyze -v (default ELF:\n"
            "                                 build/blackbox.elf; --force: build-id mismatch)\n"
            "       bbdump elf DUMP -o CORE [--kernel ELF]\n"
            "                                 ELF core file for gdb (gdb ELF -c CORE); a small\n"
            "                                 dump's core maps ELF's code (default\n"
            "                                 build/blackbox.elf)\n"
            "       bbdump mini DUMP -o OUT   small dump (minidump) made from a complete or\n"
            "                                 bitmap dump\n"
            "       bbdump events IMAGE|FILE [N]\n"
            "                                 the system event log (last N records, default\n"
            "                                 all) of a disk image or a copy of SYSTEM.EVT\n"
            "       bbdump report DUMP -o FILE\n"
            "                                 crash-report file of a small dump (for\n"
            "                                 C:\\REPORTS\\QUEUE\\ or the collector ocad)\n"

            "       bbdump extract IMAGE [IMAGE...] [-o DIR] [--force]\n"
            "                                 copy MEMORY.DMP, minidumps, the event log and any\n"
            "                                 unrecovered dump (pagefile, DUMPxxxx.TMP, dedicated\n"
            "                                 file) out of disk images, validating each (exit 0 =\n"
            "                                 a valid dump was copied); names made safe, only\n"
            "                                 inside DIR, no file replaced without --force\n");
}

static void print_hex(const char *label, const uint8_t *b, size_t n)
{
    printf("%-22s", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("%s\n", n ? "" : "(none)");
}

const char *config_name(unsigned c)
{
    switch (c) {
    case 0: return "none";
    case DUMP_CONFIG_COMPLETE: return "complete";
    case DUMP_CONFIG_KERNEL: return "kernel";
    case DUMP_CONFIG_SMALL: return "small";
    case DUMP_CONFIG_AUTOMATIC: return "automatic";
    default: return "unknown";
    }
}

static void print_flags(uint32_t f)
{
    printf("%-22s0x%x", "flags:", f);
    static const char *const names[] = { "VALID", "COMPLETE", "CLEARED", "FALLBACK",
                                         "CONVERTED", "ABANDONED" };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & (1u << i))
            printf(" %s", names[i]);
    printf("\n");
}

static int cmd_info(struct dumpfile *d)
{
    const struct dump_header *h = (const struct dump_header *)d->map;
    enum dump_problem p = d->l.problem;

    /* Without a signature and Blackbox fields nothing below would mean anything. */
    if (p == DUMP_P_TRUNCATED || p == DUMP_P_SIGNATURE || p == DUMP_P_DUMP32 ||
        p == DUMP_P_NOT_BLACKBOX || p == DUMP_P_VERSION)
        return problem(d);
    const struct dump_bb_fields *bb = &h->bb;
    const char *name = bugcode_name(h->bug_check_code);
    printf("%-22s%s\n", "file:", d->path);
    printf("%-22s%" PRIu64 " bytes\n", "file size:", d->size);
    printf("%-22s%u (%s)\n", "dump type:", h->dump_type, dump_type_name(h->dump_type));
    printf("%-22s%u.%u\n", "version:", h->major_version, h->minor_version);
    printf("%-22s0x%08X %s\n", "bugcheck:", h->bug_check_code, name ? name : "(unknown code)");
    for (int i = 0; i < 4; i++)
        printf("  parameter %d:         0x%016" PRIx64 "\n", i + 1, h->bug_check_parameter[i]);
    printf("%-22s0x%016" PRIx64 "\n", "rip:", h->context.rip);
    printf("%-22s0x%016" PRIx64 "\n", "rsp:", h->context.rsp);
    printf("%-22s0x%016" PRIx64 "\n", "cr3:", h->directory_table_base);
    if (bb->bugcheck_vector == BUGCHECK_NO_VECTOR)
        printf("%-22s(called bugcheck)\n", "vector:");
    else
        printf("%-22s%u (error code 0x%" PRIx64 ", cr2 0x%" PRIx64 ")\n", "vector:",
               bb->bugcheck_vector, bb->error_code, bb->cr2);
    printf("%-22s%u\n", "processors:", h->number_processors);
    uint32_t nruns = h->physical_memory_block.number_of_runs;
    char listed[48] = "";
    if (nruns > DUMP_MAX_RUNS)
        snprintf(listed, sizeof listed, " (the header lists the first %u)", DUMP_MAX_RUNS);
    printf("%-22s%u runs%s, %" PRIu64 " pages (%" PRIu64 " MiB)\n", "physical memory:", nruns,
           listed,
           h->physical_memory_block.number_of_pages,
           h->physical_memory_block.number_of_pages * DUMP_PAGE_SIZE >> 20);
    printf("%-22s%" PRIu64 " bytes\n", "required space:", h->required_dump_space);
    printf("%-22s%" PRIu64 ".%09" PRIu64 " s after boot\n", "dump time:",
           bb->dump_time_ns / 1000000000u, bb->dump_time_ns % 1000000000u);
    printf("%-22s%" PRIu64 " (FILETIME)\n", "system time:", h->system_time);
    printf("%-22s%.*s\n", "comment:", (int)strnlen((const char *)h->comment, sizeof(h->comment)),
           (const char *)h->comment);
    print_hex("build-id:", bb->build_id,
              bb->build_id_len <= DUMP_BUILD_ID_MAX ? bb->build_id_len : 0);
    printf("%-22s%" PRIu64 "\n", "sequence:", bb->sequence);
    print_flags(bb->flags);
    printf("%-22s%s, written %s, fallback: %s\n", "configured:", config_name(bb->config_type),
           dump_type_name(bb->written_type), dump_fallback_name(bb->fallback_reason));
    printf("%-22s%" PRIu64 " MiB\n", "ram:", bb->ram_bytes >> 20);
    printf("%-22s0x%" PRIx64 ", %" PRIu64 " bytes\n", "klog area:", bb->klog_phys, bb->klog_size);
    printf("%-22s0x%016" PRIx64 "\n", "direct map base:", bb->direct_map_base);
    printf("%-22s0x%" PRIx64 " at 0x%016" PRIx64 "\n", "kernel:", bb->kernel_phys_base,
           bb->kernel_vma);
    printf("%-22s%" PRIu64 " bytes in %" PRIu64 " chunks of %u, CRC table %s\n", "data:",
           bb->data_size, bb->chunk_count, bb->chunk_size,
           bb->crc_table_offset ? "after the data" : "in the header");
    printf("%-22s%s\n", "header CRC:",
           dump_header_crc(d->map) == bb->header_crc ? "ok" : "MISMATCH");
    if (d->rc == 0 && h->dump_type == DUMP_TYPE_BITMAP)
        printf("%-22s%" PRIu64 " of %" PRIu64 " pages present, first at 0x%" PRIx64 ", %s\n",
               "bitmap:", d->l.present_pages, d->l.bitmap_pages, d->l.pages_offset,
               dump_le32(d->map + DUMP_BMP_OFFSET) == DUMP_BMP_FDMP ? "every RAM page (FDMP)"
                                                                    : "kernel pages (SDMP)");
    if (d->rc == 0 && h->dump_type == DUMP_TYPE_SMALL) {
        const uint8_t *dir = d->map + DUMP_HEADER_SIZE;
        for (uint32_t i = 0; i < d->l.stream_count; i++) {
            struct dump_mini_stream s;
            dump_mini_stream_get(dir, (size_t)(d->l.prefix - DUMP_HEADER_SIZE), i, &s);
            printf("  stream %-2u type %u  %7" PRIu64 " bytes at 0x%06" PRIx64
                   "  va 0x%016" PRIx64 "\n", i, s.type, s.size, s.offset, s.vaddr);
        }
    }
    if (d->rc == 0) {
        const uint8_t *blk;
        struct dump_cpu_block cb;
        int crc = dumpfile_cpus(d, &blk, &cb);
        if (crc == 0)
            printf("%-22s%u record%s at 0x%" PRIx64 ", CPU %u crashed\n", "cpu block:", cb.count,
                   cb.count == 1 ? "" : "s", d->l.cpu_offset, cb.crashed);
        else
            printf("%-22sat 0x%" PRIx64 ": damaged (%s)\n", "cpu block:", d->l.cpu_offset,
                   err_str(crc));
    }
    if (d->rc != 0) {
        printf("%-22sINVALID\n", "status:");
        return problem(d);
    }
    printf("%-22s%s\n", "status:", d->l.complete ? "valid, complete" : "valid, partial");
    return 0;
}

static int cmd_check(struct dumpfile *d)
{
    if (d->rc != 0)
        return problem(d);
    uint64_t bad = 0, first_bad = 0;
    int rc = dumpfile_check_data(d, &bad, &first_bad);
    if (rc == ERR_CHECKSUM)
        return die(d, "CRC table at 0x%" PRIx64 " is damaged", d->l.crc_table_offset);
    if (rc == ERR_NO_MEMORY)
        return die(d, "%s", err_str(rc));
    if (rc) {
        uint64_t off = 0, len = 0;
        dump_chunk_range(d->map, first_bad, &off, &len);
        return die(d, "data CRC mismatch in chunk %" PRIu64 " (file bytes 0x%" PRIx64
                   "..0x%" PRIx64 ")%s", first_bad, off, off + len,
                   bad > 1 ? " and other chunks" : "");
    }
    const uint8_t *blk;
    struct dump_cpu_block cb;
    if ((rc = dumpfile_cpus(d, &blk, &cb)) != 0)
        return die(d, "CPU block at 0x%" PRIx64 " is damaged (%s)", d->l.cpu_offset, err_str(rc));
    if (!d->l.complete)
        return die(d, "valid but not complete");
    printf("%s: valid %s dump, %" PRIu64 " bytes, %" PRIu64 " data chunks OK, %u CPU%s\n",
           d->path, dump_type_name(d->l.dump_type), d->l.total, d->l.chunk_count, cb.count,
           cb.count == 1 ? "" : "s");
    return 0;
}

static int cmd_read(struct dumpfile *d, uint64_t phys, uint64_t len, const char *out)
{
    if (d->rc != 0)
        return problem(d);
    if (len > UINT64_MAX - phys)
        return die(d, "range overflows");
    FILE *to = stdout;
    if (out && strcmp(out, "-") != 0 && !(to = fopen(out, "wb")))
        return die(d, "%s: %s", out, strerror(errno));
    uint64_t at = phys, left = len;
    int rc = 0;
    while (left && !rc) {
        uint64_t off, avail;
        if (dump_phys_to_offset(d->map, d->size, &d->l, at, &off, &avail) != 0 ||
            avail == 0 || off > d->size || avail > d->size - off) {
            rc = die(d, "physical 0x%" PRIx64 " is not in the dump", at);
            break;
        }
        uint64_t n = avail < left ? avail : left;
        if (out) {
            if (fwrite(d->map + off, 1, n, to) != n)
                rc = die(d, "write: %s", strerror(errno));
        } else {
            for (uint64_t i = 0; i < n; i += 16) {
                printf("%016" PRIx64 ":", at + i);
                for (uint64_t j = i; j < i + 16 && j < n; j++)
                    printf(" %02x", d->map[off + j]);
                printf("\n");
            }
        }
        at += n;
        left -= n;
    }
    if (to != stdout && fclose(to) != 0 && !rc)
        rc = die(d, "%s: %s", out, strerror(errno));
    return rc;
}

int main(int argc, char **argv)
{
    struct dumpfile d;
    int rc;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "extract"))
        return cmd_extract(argc - 2, argv + 2);
    if (!strcmp(cmd, "events")) {
        uint64_t n = 0;
        if (argc > 4 || (argc == 4 && (num_parse(argv[3], UINT32_MAX, &n) || n == 0))) {
            if (argc == 4)
                fprintf(stderr, "%s: '%s' is not a record count\n", tool_name, argv[3]);
            usage(stderr);
            return 2;
        }
        return cmd_events(argv[2], (uint32_t)n);
    }
    if (!strcmp(cmd, "info") || !strcmp(cmd, "check")) {
        if (argc != 3) {
            usage(stderr);
            return 2;
        }
        if (dumpfile_open(&d, argv[2]))
            return 1;
        rc = !strcmp(cmd, "info") ? cmd_info(&d) : cmd_check(&d);
    } else if (!strcmp(cmd, "read")) {
        uint64_t phys, len;
        const char *out = NULL;
        if (argc == 7 && !strcmp(argv[5], "-o"))
            out = argv[6];
        else if (argc != 5) {
            usage(stderr);
            return 2;
        }
        if (num_parse(argv[3], UINT64_MAX, &phys) || num_parse(argv[4], UINT64_MAX, &len)) {
            fprintf(stderr, "%s: bad number in \"%s %s\"\n", tool_name, argv[3], argv[4]);
            return 2;
        }
        if (dumpfile_open(&d, argv[2]))
            return 1;
        rc = cmd_read(&d, phys, len, out);
    } else if (!strcmp(cmd, "analyze")) {
        const char *elf = "build/blackbox.elf";
        bool force = false;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--force")) {
                force = true;
            } else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
                elf = argv[++i];
            } else {
                usage(stderr);
                return 2;
            }
        }
        if (dumpfile_open(&d, argv[2]))
            return 1;
        rc = cmd_analyze(&d, elf, force);
    } else if (!strcmp(cmd, "elf") || !strcmp(cmd, "mini") || !strcmp(cmd, "report")) {
        bool elf = !strcmp(cmd, "elf");
        bool with_kernel = elf && argc == 7 && !strcmp(argv[5], "--kernel");
        const char *kernel = with_kernel ? argv[6] : "build/blackbox.elf";
        if ((argc != 5 && !with_kernel) || strcmp(argv[3], "-o") != 0) {
            usage(stderr);
            return 2;
        }
        if (dumpfile_open(&d, argv[2]))
            return 1;
        if (elf)
            rc = cmd_elf(&d, argv[4], kernel);
        else
            rc = !strcmp(cmd, "mini") ? cmd_mini(&d, argv[4]) : cmd_report(&d, argv[4]);
    } else {
        fprintf(stderr, "%s: unknown command %s\n", tool_name, cmd);
        usage(stderr);
        return 2;
    }
    dumpfile_close(&d);
    return rc;
}
