/* libFuzzer target for bbdump's readers of the guest's disk images (tools/dumptool): the input
 * is the start of an 8 MiB image file (the rest zeros; an input that starts as an event log
 * is a SYSTEM.EVT copy as it is). bbdump extract's view opens it (GPT, FAT32 volumes, the
 * crash settings from the SYSTEM hive) and validates the dump DumpFile names, the first
 * paging file and each dump partition as it would copy them; bbdump events lists its event log. Seeds:
 * tests/fuzz/seeds/bbdump_disk/ (sgdisk + mkfs.fat images). */
#include <fcntl.h>
#include <string.h>

#include "lib/evlog/evlog.h"
#include "tests/fuzz/fuzz_tmpdir.h"
#include "tools/dumptool/bbdump.h"
#include "tools/dumptool/bbdump_extract.h"

#define IMAGE_BYTES (8u << 20)

const char *tool_name = "fuzz_bbdump_disk";

static void validate(struct disks *d, const char *winpath)
{
    struct disk_volume *v;
    const char *inner;
    struct fat_src f;
    struct copy_result r;
    if (!winpath[0] || disks_resolve(d, winpath, &v, &inner) != 0 ||
        fat_src_open(&f, v, inner) != 0)
        return;
    dump_copy(&f.src, -1, true, &r);
    fat_src_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct disks d;
    static struct crash_settings s;
    char *path = (char *)tmp_path(0);
    bool evt = size >= 8 && memcmp(data, EVLOG_FILE_MAGIC, 8) == 0;
    if (size > IMAGE_BYTES)
        size = IMAGE_BYTES;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
        (!evt && ftruncate(fd, IMAGE_BYTES) != 0))
        abort();
    close(fd);
    if (disks_open(&d, &path, 1) == 0) {
        if (crash_settings_read(&d, &s) == 0) {
            validate(&d, s.dump_file);
            if (s.npaging)
                validate(&d, s.paging[0]);
        }
        for (unsigned i = 0; i < d.npart; i++) {
            struct part_src p;
            struct copy_result r;
            if (part_src_open(&p, &d.part[i]) == 0) {
                dump_copy(&p.src, -1, true, &r);
                part_src_close(&p);
            }
        }
        disks_close(&d);
    }
    cmd_events(path, 0);
    return 0;
}
