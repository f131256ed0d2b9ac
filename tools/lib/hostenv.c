/* The host's environment for the portable cores (hostenv.h). */
#include <stdlib.h>
#include <time.h>
#include "tools/lib/hostenv.h"

static void *env_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

static void env_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static void env_now(void *ctx, struct fat_time *out)
{
    (void)ctx;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    int year = tm.tm_year + 1900 < 1980 ? 1980 : tm.tm_year + 1900;
    out->date = (uint16_t)((year - 1980) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
    out->time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    out->tenths = (uint8_t)(tm.tm_sec % 2 * 100);
}

const struct fat_env host_fat_env = { NULL, env_alloc, env_free, env_now };
const struct reg_env host_reg_env = { NULL, env_alloc, env_free };
