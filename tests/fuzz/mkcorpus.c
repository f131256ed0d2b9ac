/* Writes the committed seed corpora of the fuzz targets into DIR/NAME/ (tests/fuzz/seeds), with
 * mkfs.fat, sgdisk and gcc for what they make and the portable cores for the rest: FAT32
 * images with folders, long names and a deleted file (cut after their last used sector, as
 * the targets lay an input over a zero disk), hives, event logs, klog rings, crash reports,
 * GPT disks and small executables. Run by hand: `make fuzz-corpus`. Usage: mkcorpus DIR. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/reg_hive.h"
#include "dump/recovery/dump_report.h"
#include "eventlog/evlog_fat.h"
#include "lib/gpt.h"
#include "lib/klog_ring.h"
#include "tests/unit/dump_util.h"
#include "tools/lib/hostenv.h"
#include "tools/lib/imgdev.h"
#include "tools/lib/imgvol.h"

static const char *out_dir;
static char scratch[64];
static int failed;

static void fail(const char *what)
{
    fprintf(stderr, "mkcorpus: %s\n", what);
    failed = 1;
}

static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail(cmd);
    return rc;
}

static const char *tmp(const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", scratch, name);
    return p;
}

/* Writes len bytes as DIR/target/name; with trim, cut after the last 512 bytes not all zero. */
static void save(const char *target, const char *name, const void *buf, size_t len, bool trim)
{
    char path[512];
    const uint8_t *b = buf;
    while (trim && len >= 512) {
        size_t i = 0;
        while (i < 512 && !b[len - 512 + i])
            i++;
        if (i < 512)
            break;
        len -= 512;
    }
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
        fail(path);
}

static void save_file(const char *target, const char *name, const char *from, bool trim)
{
    FILE *f = fopen(from, "rb");
    static uint8_t buf[16 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (!f)
        fail(from);
    else
        fclose(f);
    save(target, name, buf, n, trim);
}

static void put(struct fat_vol *vol, const char *path, size_t len)
{
    struct fat_file f;
    size_t done;
    uint8_t *buf = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)("Blackbox fuzz seed\n"[i % 19]);
    if (fat_create(vol, path, &f) != 0 || fat_write(&f, 0, buf, len, &done) != 0)
        fail(path);
    free(buf);
}

/* A 4 MiB (8 MiB for 4096-byte sectors) FAT32 image made by mkfs.fat, mounted. */
static struct fat_vol *fat_image(struct imgdev *dev, const char *path, uint32_t ss)
{
    struct fat_vol *vol = NULL;
    if (sh("rm -f %s && truncate -s %uM %s && mkfs.fat -F 32 -S %u -s 1 -n SEED %s >/dev/null "
           "2>&1", path, ss == 512 ? 4 : 8, path, ss, path) != 0 ||
        imgdev_open(dev, path, ss, true) != 0 || fat_mount(&dev->bd, &host_fat_env, &vol) != 0)
        fail(path);
    return vol;
}

static void fat_done(struct imgdev *dev, struct fat_vol *vol, const char *target,
                     const char *name, const char *path)
{
    if (fat_unmount(vol) != 0)
        fail(path);
    imgdev_close(dev);
    save_file(target, name, path, true);
}

static void save_hive(struct fat_vol *vol, int times)
{
    for (int i = 0; i < times; i++) {
        struct reg_hive h;
        struct reg_tree t;
        reg_tree_init(&t, &host_reg_env);
        reg_hive_load(&h, vol, &t);
        if (reg_defaults_apply(&t) != 0 ||
            reg_key_create(&t, REG_HKLM "\\SOFTWARE\\Fuzz seed", false, NULL) != 0 ||
            reg_hive_save(&h, &t) != 0)
            fail("hive save");
        reg_tree_clear(&t);
    }
}

static void fat_seeds(void)
{
    struct imgdev dev;
    struct fat_vol *vol;
    const char *p = tmp("fat.img");

    if ((vol = fat_image(&dev, p, 512))) {
        fat_done(&dev, vol, "fat", "empty.img", p);
        save_file("reg_hive", "no-hive.img", p, true);
    }
    if ((vol = fat_image(&dev, p, 512))) {
        fat_mkdir(vol, "Documents");
        fat_mkdir(vol, "Documents\\Reports of the year 2024");
        fat_mkdir(vol, "EMPTY");
        put(vol, "readme.txt", 300);
        put(vol, "A long file name with spaces and more.txt", 1200);
        put(vol, "Documents\\Reports of the year 2024\\big.bin", 5000);
        put(vol, "Documents\\deleted later.txt", 700);
        fat_unlink(vol, "Documents\\deleted later.txt");
        put(vol, "UPPER.TXT", 10);
        fat_done(&dev, vol, "fat", "files.img", p);
    }
    if ((vol = fat_image(&dev, p, 4096))) {
        fat_mkdir(vol, "Folder with a long name");
        put(vol, "Folder with a long name\\file.txt", 9000);
        put(vol, "x.bin", 100);
        fat_done(&dev, vol, "fat", "sector4k.img", p);
    }
    if ((vol = fat_image(&dev, p, 512))) {
        save_hive(vol, 1);
        fat_done(&dev, vol, "reg_hive", "hive.img", p);
    }
    if ((vol = fat_image(&dev, p, 512))) {
        save_hive(vol, 3);
        fat_done(&dev, vol, "reg_hive", "hive-old.img", p);
    }
}

static const struct evlog_time when = { 2024, 5, 17, 12, 34, 56, 0 };

struct memfile {
    uint8_t *data;
    size_t size;
};

static int mf_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memfile *m = ctx;
    memcpy(buf, m->data + off, len);
    return 0;
}

static int mf_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct memfile *m = ctx;
    memcpy(m->data + off, buf, len);
    return 0;
}

static int mf_sync(void *ctx)
{
    (void)ctx;
    return 0;
}

static void append(struct evlog *lg, struct evlog_file *ef, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct evlog_record r = { .time = when, .event_id = 1000 + i,
                                  .level = 1 + i % 4, .source = "Seed" };
        snprintf(r.message, sizeof r.message, "record %u of the seed log", i);
        if (ef ? evlog_fat_append(ef, &r, true) != 0 : evlog_append(lg, &r, true) != 0)
            fail("evlog append");
    }
}

static void evlog_seeds(void)
{
    static struct evlog lg;
    static uint8_t data[9 * EVLOG_SLOT];
    struct memfile m = { data, sizeof data };
    struct evlog_io io = { &m, mf_read, mf_write, mf_sync };
    static const unsigned records[] = { 0, 5, 19 };
    static const char *names[] = { "empty.evt", "five.evt", "wrapped.evt" };
    for (size_t i = 0; i < 3; i++) {
        if (evlog_format(&lg, &io, sizeof data, &when) != 0 ||
            evlog_open(&lg, &io, sizeof data) != 0)
            fail("evlog format");
        append(&lg, NULL, records[i]);
        save("evlog", names[i], data, sizeof data, false);
    }
    save("bbdump_disk", "five.evt", data, sizeof data, false);
}

static void klog_seeds(void)
{
    static uint64_t area[KLOG_RING_AREA_SIZE(2048) / 8];
    struct klog_ring r;
    char text[700];
    static const unsigned records[] = { 3, 60 };
    static const char *names[] = { "three.ring", "wrapped.ring" };
    memset(text, 'k', sizeof text);
    for (size_t i = 0; i < 2; i++) {
        if (klog_ring_format(&r, area, sizeof area) != 0)
            fail("klog format");
        for (unsigned k = 0; k < records[i]; k++)
            klog_ring_write(&r, k % 8, k * 1000, text, k * 53 % sizeof text);
        save("klog_ring", names[i], area, sizeof area, false);
    }
}

static void report_seeds(void)
{
    size_t size, len;
    uint8_t *dump = dump_test_small(&size);
    uint8_t *rep = dump ? malloc(DUMP_FRAME_HEADER_SIZE + size + DUMP_REPORT_HEADER_SIZE + 64) : 0;
    if (!rep || dump_report_encode(rep + DUMP_FRAME_HEADER_SIZE + 5,
                                   size + DUMP_REPORT_HEADER_SIZE, dump, size,
                                   dump_report_make_id(dump, size), &len) != 0) {
        fail("report");
    } else {
        save("report", "report.rpt", rep + DUMP_FRAME_HEADER_SIZE + 5, len, false);
        memcpy(rep, "noise", 5);
        dump_frame_header(rep + 5, (uint32_t)len);
        memmove(rep + 5 + DUMP_FRAME_HEADER_SIZE, rep + DUMP_FRAME_HEADER_SIZE + 5, len);
        save("report", "frame.bin", rep, 5 + DUMP_FRAME_HEADER_SIZE + len, false);
    }
    static const char acks[] = "ACK 0123456789abcdef\nNAK fedcba9876543210 disk full\n";
    save("report", "answers.txt", acks, sizeof acks - 1, false);
    free(rep);
    free(dump);
}

static void text_seeds(void)
{
    static const char hand[] =
        "\xEF\xBB\xBFWindows Registry Editor Version 5.00\r\n\r\n"
        "; a comment\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl]\r\n"
        "\"CrashDumpEnabled\"=dword:00000001\r\n\"DumpFile\"=hex(2):25,00,53,00,79,00,73,00,"
        "00,00\r\n\"Bin\"=hex:01,02,\\\r\n  03,04\r\n\"Multi\"=hex(7):61,00,00,00,62,00,00,00,"
        "00,00\r\n\"Q\"=hex(b):01,02,03,04,05,06,07,08\r\n@=\"default \\\"quoted\\\" \\\\\"\r\n"
        "\r\n[HKLM\\SOFTWARE\\Gone]\r\n[-HKLM\\SOFTWARE\\Gone]\r\n[HKLM\\SOFTWARE]\r\n\"x\"=-\r\n";
    save("reg", "hand.reg", hand, sizeof hand - 1, false);
    struct reg_tree t;
    char *text;
    size_t len;
    reg_tree_init(&t, &host_reg_env);
    if (reg_defaults_apply(&t) != 0 || reg_serialize(&t, &text, &len) != 0) {
        fail("serialize");
    } else {
        save("reg", "defaults.reg", text, len, false);
        free(text);
    }
    reg_tree_clear(&t);
}

static void gpt_seeds(void)
{
    const char *p = tmp("gpt.img");
    if (sh("rm -f %s && truncate -s 64K %s && sgdisk -a 1 -n 1:34:60 -t 1:0700 -c 1:Data "
           "-n 2:61:90 -t 2:8300 %s >/dev/null", p, p, p) == 0)
        save_file("gpt", "two.img", p, false);
    if (sh("dd if=/dev/zero of=%s bs=512 seek=1 count=1 conv=notrunc status=none", p) == 0)
        save_file("gpt", "backup-only.img", p, false);
}

static void elf_seeds(void)
{
    const char *c = tmp("tiny.c"), *e = tmp("tiny");
    FILE *f = fopen(c, "w");
    if (!f || fputs("int data[64] = { 1 };\nvoid _start(void) { for (;;) data[1]++; }\n", f) < 0 ||
        fclose(f) != 0)
        fail(c);
    if (sh("gcc -O1 -static -nostdlib -fno-pie -no-pie -o %s %s && strip -s %s", e, c, e) == 0)
        save_file("elf64", "tiny.elf", e, false);
}

/* An 8 MiB disk (its backup GPT cut): GPT, one basic-data partition from sector 34, FAT32 with the hive, a
 * MEMORY.DMP (a small dump) and the event log. */
static void disk_seed(void)
{
    const char *p = tmp("disk.img");
    struct imgvol iv;
    const char *step;
    static struct evlog_file ef;
    size_t size;
    if (sh("rm -f %s && truncate -s 8M %s && sgdisk -a 1 -n 1:34:0 -t 1:0700 %s >/dev/null && "
           "mkfs.fat -F 32 -s 1 --offset 34 %s 8000 >/dev/null 2>&1", p, p, p, p) != 0)
        return;
    if (imgvol_open(&iv, p, true, &step) != 0) {
        fail(step);
        return;
    }
    save_hive(iv.vol, 1);
    uint8_t *dump = dump_test_small(&size);
    struct fat_file f;
    size_t done;
    if (!dump || fat_create(iv.vol, "MEMORY.DMP", &f) != 0 ||
        fat_write(&f, 0, dump, size, &done) != 0)
        fail("MEMORY.DMP");
    free(dump);
    if (fat_mkdir(iv.vol, "EVENTS") != 0 ||
        evlog_fat_open(&ef, iv.vol, &iv.part.bd, EVLOG_FAT_PATH, 8192, &when) != 0)
        fail("event log");
    else
        append(NULL, &ef, 4);
    if (imgvol_close(&iv) != 0)
        fail("unmount");
    /* the backup GPT goes: the target pads the input with zeros to 8 MiB anyway */
    sh("dd if=/dev/zero of=%s bs=512 seek=%u count=33 conv=notrunc status=none", p,
       (8u << 11) - 33);
    save_file("bbdump_disk", "disk.img", p, true);
}

/* An 8 MiB disk with one Blackbox dump partition (sectors 34..8191) holding a small dump at
 * its start, as the dump stack writes one: bbdump extract's dump-partition source. */
static void dump_partition_seed(void)
{
    const char *p = tmp("dumppart.img");
    size_t size;
    if (sh("rm -f %s && truncate -s 8M %s && sgdisk -a 1 -n 1:34:8191 -t 1:%s %s >/dev/null",
           p, p, GPT_TYPE_BB_DUMP_TEXT, p) != 0)
        return;
    uint8_t *dump = dump_test_small(&size);
    FILE *f = fopen(p, "r+b");
    if (!dump || !f || fseek(f, 34 * 512, SEEK_SET) != 0 || fwrite(dump, 1, size, f) != size)
        fail("dump partition");
    if (f)
        fclose(f);
    free(dump);
    /* the backup GPT goes: the target pads the input with zeros to 8 MiB anyway */
    sh("dd if=/dev/zero of=%s bs=512 seek=%u count=33 conv=notrunc status=none", p,
       (8u << 11) - 33);
    save_file("bbdump_disk", "dumppart.img", p, true);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkcorpus DIR\n");
        return 2;
    }
    out_dir = argv[1];
    snprintf(scratch, sizeof scratch, "/tmp/mkcorpus-XXXXXX");
    if (!mkdtemp(scratch))
        return 1;
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
    fat_seeds();
    evlog_seeds();
    klog_seeds();
    report_seeds();
    text_seeds();
    gpt_seeds();
    elf_seeds();
    disk_seed();
    dump_partition_seed();
    sh("rm -rf %s", scratch);
    return failed;
}
