/* Unit tests of the block-device layer: range checks, slices (partition windows) over an
 * image file opened through tools/lib/imgdev, with 512- and 4096-byte sectors. */
#include <stdlib.h>
#include <unistd.h>
#include "ut.h"
#include "err.h"
#include "lib/blockdev.h"
#include "tools/lib/imgdev.h"

static char path[64];

static int make_image(size_t bytes)
{
    strcpy(path, "/tmp/bb-blockdev-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)bytes);
    close(fd);
    return rc;
}

static void range_checks(void)
{
    UT_ASSERT(make_image(64 * 512) == 0);
    struct imgdev d;
    UT_EQ_INT(imgdev_open(&d, path, 512, true), 0);
    UT_EQ_U64(d.bd.sectors, 64);
    uint8_t buf[1024] = {0};
    UT_EQ_INT(blockdev_read(&d.bd, 63, 1, buf), 0);
    UT_EQ_INT(blockdev_read(&d.bd, 63, 2, buf), ERR_RANGE);
    UT_EQ_INT(blockdev_read(&d.bd, 64, 1, buf), ERR_RANGE);
    UT_EQ_INT(blockdev_read(&d.bd, UINT64_MAX, 2, buf), ERR_RANGE);
    UT_EQ_INT(blockdev_write(&d.bd, 0, 0, buf), ERR_INVALID_ARGS);
    UT_EQ_INT(blockdev_read(&d.bd, 0, 1, NULL), ERR_INVALID_ARGS);
    imgdev_close(&d);
    unlink(path);
}

static void slice_maps_onto_parent(void)
{
    UT_ASSERT(make_image(16 * 4096) == 0);
    struct imgdev d;
    UT_EQ_INT(imgdev_open(&d, path, 4096, true), 0);
    struct blockdev_slice s;
    UT_EQ_INT(blockdev_slice_init(&s, &d.bd, 4, 8, "img p1"), 0);
    UT_EQ_INT(blockdev_slice_init(&s, &d.bd, 10, 8, "too big"), ERR_RANGE);
    UT_EQ_INT(blockdev_slice_init(&s, &d.bd, 4, 8, "img p1"), 0);
    UT_EQ_INT(s.bd.sector_size, 4096);
    static uint8_t out[2 * 4096], in[2 * 4096];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 7 + 1);
    UT_EQ_INT(blockdev_write(&s.bd, 6, 2, out), 0);
    UT_EQ_INT(blockdev_write(&s.bd, 7, 2, out), ERR_RANGE);
    UT_EQ_INT(blockdev_flush(&s.bd), 0);
    UT_EQ_INT(blockdev_read(&d.bd, 10, 2, in), 0);      /* slice 6 = parent 10 */
    UT_ASSERT(memcmp(in, out, sizeof in) == 0);
    imgdev_close(&d);
    unlink(path);
}

static void open_errors(void)
{
    struct imgdev d;
    UT_EQ_INT(imgdev_open(&d, "/nonexistent/bb.img", 512, false), ERR_NOT_FOUND);
    UT_EQ_INT(imgdev_open(&d, "/dev/null", 1000, false), ERR_INVALID_ARGS);
}

static const struct ut_case cases[] = {
    { "range_checks", range_checks },
    { "slice_maps_onto_parent", slice_maps_onto_parent },
    { "open_errors", open_errors },
};
UT_MAIN(cases)
