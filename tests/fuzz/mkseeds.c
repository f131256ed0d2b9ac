/* Writes the fuzz target's seed corpus: tiny valid dumps of each kind, made with the dump
 * format core the way the kernel writes them (tests/unit/dump_util.h): a full dump with an
 * inline CRC table, one followed by slack (a pagefile), one with an external CRC table, one
 * of four CPUs (CPU 2 crashed, CPU 3 offline), a bitmap (kernel) dump, the full-content
 * bitmap layout ("FDMP") of a complete dump of RAM in more runs than the header lists, and a
 * small dump. Usage: mkseeds DIR. */
#include <stdio.h>
#include <stdlib.h>
#include "tests/unit/dump_util.h"

static int keep_odd(uint64_t page)
{
    return page & 1;
}

static int save(const char *dir, const char *name, uint8_t *f, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *o = f ? fopen(path, "wb") : NULL;
    int bad = !o || fwrite(f, 1, size, o) != size;
    if (o && fclose(o) != 0)
        bad = 1;
    if (bad)
        fprintf(stderr, "mkseeds: %s: cannot make or write it\n", path);
    free(f);
    return bad;
}

int main(int argc, char **argv)
{
    static const struct dump_run runs[] = { { 0, 4 }, { 8, 4 } };
    static const struct dump_run many[] = { { 0, 120 } };
    struct dump_run split[DUMP_MAX_RUNS + 7];      /* one page each, a hole after each */
    for (unsigned i = 0; i < DUMP_MAX_RUNS + 7; i++)
        split[i] = (struct dump_run){ 2 * i, 1 };
    size_t size = 0;
    uint8_t *f;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds DIR\n");
        return 2;
    }
    f = dump_test_full(runs, 2, 4096, 0, &size);
    bad |= save(argv[1], "full.dmp", f, size);
    f = dump_test_full(runs, 2, 8192, 4096, &size);
    bad |= save(argv[1], "full-slack.dmp", f, size);
    f = dump_test_full(many, 1, 512, 0, &size);
    bad |= save(argv[1], "full-table.dmp", f, size);
    f = dump_test_full_cpus(runs, 2, 4096, 0, &size, 4, 2, 3);
    bad |= save(argv[1], "full-cpus.dmp", f, size);
    f = dump_test_bitmap(runs, 2, keep_odd, &size);
    bad |= save(argv[1], "bitmap.dmp", f, size);
    f = dump_test_bitmap(split, DUMP_MAX_RUNS + 7, NULL, &size);
    bad |= save(argv[1], "fdmp-many-runs.dmp", f, size);
    f = dump_test_small(&size);
    bad |= save(argv[1], "small.dmp", f, size);
    return bad;
}
