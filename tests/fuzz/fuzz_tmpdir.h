/* A scratch folder for the fuzz targets that drive bbdump commands, which read and write
 * files by path: made once (mkdtemp) when the target starts, its files and itself removed at
 * exit. The commands' stdout and stderr are left to libFuzzer's -close_fd_mask. */
#ifndef BB_TESTS_FUZZ_TMPDIR_H
#define BB_TESTS_FUZZ_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TMP_FILES 4
static char tmp_dir[32];
static char tmp_file[TMP_FILES][64];

static void tmp_remove(void)
{
    for (size_t i = 0; i < TMP_FILES; i++)
        unlink(tmp_file[i]);
    rmdir(tmp_dir);
}

/* Path of scratch file i (0..TMP_FILES-1), the folder made on first use. */
static inline const char *tmp_path(size_t i)
{
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/bbfuzz-XXXXXX");
        if (!mkdtemp(tmp_dir))
            abort();
        for (size_t k = 0; k < TMP_FILES; k++)
            snprintf(tmp_file[k], sizeof tmp_file[k], "%s/f%zu", tmp_dir, k);
        atexit(tmp_remove);
    }
    return tmp_file[i];
}

#endif
