/* libFuzzer target for the registry's text form (lib/reg): the input is a hive file, checked
 * for its integrity line and parsed into an empty tree; a tree that parses is serialized,
 * and that text must verify and parse again into a tree that serializes the same. The
 * defaults are then applied. Nothing may leak (the tree is cleared). Seeds:
 * tests/fuzz/seeds/reg/. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/memdisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_tree t, u;
    struct reg_error err;
    char *text, *again;
    size_t len, len2;

    reg_hive_verify((const char *)data, size);
    reg_tree_init(&t, &md_reg_env);
    if (reg_parse(&t, (const char *)data, size, &err) == 0 &&
        reg_serialize(&t, &text, &len) == 0) {
        if (reg_hive_verify(text, len) != 0)
            abort();
        reg_tree_init(&u, &md_reg_env);
        if (reg_parse(&u, text, len, &err) != 0 || reg_serialize(&u, &again, &len2) != 0)
            abort();
        if (len2 != len || memcmp(text, again, len) != 0)
            abort();
        free(again);
        free(text);
        reg_tree_clear(&u);
        reg_defaults_apply(&t);
    }
    reg_tree_clear(&t);
    return 0;
}
