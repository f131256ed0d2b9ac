/* Test helper: runs a host tool (build/tools/...) through the shell with its stdout and
 * stderr captured into the caller's buffers, through two files in the test's scratch
 * folder. Run from the tree's root (test_unit.py does). */
#ifndef BB_TEST_TOOL_UTIL_H
#define BB_TEST_TOOL_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* The file at `path` into buf (size bytes, NUL-terminated, cut to fit; "" when missing). */
static inline void tool_slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Runs `tool args`; its stdout lands in out, its stderr in err (through dir/out and dir/err).
 * Returns the exit code, 128 when it did not exit. */
static inline int tool_run(const char *tool, const char *dir, const char *args, char *out,
                           size_t out_size, char *err, size_t err_size)
{
    char cmd[1024], o[256], e[256];
    snprintf(o, sizeof o, "%s/out", dir);
    snprintf(e, sizeof e, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", tool, args, o, e);
    int st = system(cmd);
    tool_slurp(o, out, out_size);
    tool_slurp(e, err, err_size);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif
