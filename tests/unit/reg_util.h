/* Helpers shared by the registry unit tests: a malloc environment that counts live blocks
 * (so every test also checks nothing leaks), and parse/serialize shorthands. */
#ifndef BB_TESTS_REG_UTIL_H
#define BB_TESTS_REG_UTIL_H

#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "lib/reg/reg.h"

static long ru_live;   /* blocks allocated and not yet freed */

static void *ru_alloc(void *ctx, size_t n)
{
    (void)ctx;
    void *p = malloc(n);
    if (p)
        ru_live++;
    return p;
}

static void ru_free(void *ctx, void *p)
{
    (void)ctx;
    if (p)
        ru_live--;
    free(p);
}

static const struct reg_env ru_env = { NULL, ru_alloc, ru_free };

/* Parse NUL-terminated text into a fresh tree t. */
static inline int ru_parse(struct reg_tree *t, const char *text, struct reg_error *err)
{
    reg_tree_init(t, &ru_env);
    return reg_parse(t, text, strlen(text), err);
}

/* The value at key/name, or NULL. */
static inline struct reg_value *ru_value(struct reg_tree *t, const char *key, const char *name)
{
    struct reg_key *k;
    return reg_key_open(t, key, &k) ? NULL : reg_value_find(k, name);
}

static inline uint32_t ru_dword(const struct reg_value *v)
{
    return (uint32_t)v->data[0] | (uint32_t)v->data[1] << 8 | (uint32_t)v->data[2] << 16 |
           (uint32_t)v->data[3] << 24;
}

#endif
