/* The kernel's registry: one tree in kernel heap memory, loaded from C:'s hive at boot with
 * the defaults filled in, and saved through config/reg_hive.c after every persistent change. */
#include <stdbool.h>
#include <string.h>
#include "config/registry.h"
#include "lib/reg/crash_control.h"
#include "lib/reg/reg_cmd.h"
#include "config/reg_hive.h"
#include "block/volume.h"
#include "mm/heap.h"
#include "klog.h"
#include "err.h"

static const struct reg_env env = { NULL, heap_env_alloc, heap_env_free };
static struct reg_tree tree;
static struct reg_hive hive;
static bool have_hive;     /* hive.vol is C:'s volume: changes can be saved */

static void log_status(void)
{
    for (int i = 0; i < REG_HIVE_FILES; i++) {
        const struct reg_hive_status *st = &hive.status[i];
        if (st->rc == 0 || st->rc == ERR_NOT_FOUND)
            continue;
        if (st->rc == ERR_CORRUPT)
            klog(KLOG_WARN, "registry: C:\\%s: line %u: %s", reg_hive_path(i), st->perr.line,
                 st->perr.msg);
        else if (st->rc == ERR_CHECKSUM)
            klog(KLOG_WARN, "registry: C:\\%s: integrity line missing or wrong (torn or "
                 "damaged file)", reg_hive_path(i));
        else
            klog(KLOG_WARN, "registry: C:\\%s: %s", reg_hive_path(i), err_str(st->rc));
    }
}

void registry_init(void)
{
    reg_tree_init(&tree, &env);
    struct volume *v = volume_by_letter('C');
    if (!v || !v->fat) {
        klog(KLOG_WARN, "registry: C: is not mounted; using defaults, changes will not be saved");
    } else {
        have_hive = true;
        int rc = reg_hive_load(&hive, v->fat, &tree);
        log_status();
        if (rc >= 0 && rc != REG_HIVE_REG)
            klog(KLOG_WARN, "registry: loaded the fallback C:\\%s", reg_hive_path(rc));
        else if (rc >= 0)
            klog(KLOG_INFO, "registry: loaded C:\\%s", reg_hive_path(rc));
        else if (hive.reg_bad)
            klog(KLOG_WARN, "registry: no usable hive; booting with defaults (the corrupt "
                 "C:\\%s becomes SYSTEM.BAD at the next change)", reg_hive_path(REG_HIVE_REG));
        else if (hive.reg_exists)
            klog(KLOG_WARN, "registry: no usable hive; booting with defaults");
        else
            klog(KLOG_NOTICE, "registry: no hive yet; using defaults");
        if (hive.reg_exists && !hive.reg_valid && !hive.reg_bad)
            klog(KLOG_WARN, "registry: C:\\%s is kept as it is (not loaded: %s); changes will "
                 "not be saved this boot", reg_hive_path(REG_HIVE_REG),
                 err_str(hive.status[REG_HIVE_REG].rc));
    }
    if (reg_defaults_apply(&tree))
        klog(KLOG_ERR, "registry: out of memory setting the defaults");
}

/* Save after a change under key k (nothing to do for a volatile key). */
static int save(const struct reg_key *k)
{
    if (k && k->is_volatile)
        return 0;
    if (!have_hive)
        return ERR_NOT_FOUND;
    int rc = reg_hive_save(&hive, &tree);
    if (rc)
        klog(KLOG_ERR, "registry: saving C:\\%s failed: %s", reg_hive_path(REG_HIVE_REG),
             err_str(rc));
    return rc;
}

static int find(const char *key, const char *name, uint32_t type, const struct reg_value **out)
{
    struct reg_key *k;
    int rc = reg_key_open(&tree, key, &k);
    if (rc)
        return rc == ERR_NOT_FOUND ? rc : ERR_INVALID_ARGS;
    const struct reg_value *v = reg_value_find(k, name);
    if (!v)
        return ERR_NOT_FOUND;
    if (v->type != type && !(type == REG_SZ && v->type == REG_EXPAND_SZ))
        return ERR_BAD_STATE;
    *out = v;
    return 0;
}

int reg_get_dword(const char *key, const char *name, uint32_t *out)
{
    const struct reg_value *v;
    int rc = find(key, name, REG_DWORD, &v);
    if (rc == 0)
        memcpy(out, v->data, 4);
    return rc;
}

int reg_get_string(const char *key, const char *name, char *buf, size_t cap)
{
    const struct reg_value *v;
    int rc = find(key, name, REG_SZ, &v);
    return rc ? rc : cc_expand(v->type, (const char *)v->data, buf, cap);
}

int reg_get_raw(const char *key, const char *name, uint32_t *type, void *buf, size_t cap,
                size_t *len)
{
    return cc_tree_get(&tree, key, name, 0, type, buf, cap, len);
}

static int cc_get(void *ctx, const char *key, const char *name, uint32_t want, uint32_t *type,
                  void *buf, size_t cap, size_t *len)
{
    (void)ctx, (void)want;
    return reg_get_raw(key, name, type, buf, cap, len);
}

const struct cc_source registry_cc = { cc_get, NULL };

int reg_set_value(const char *key, const char *name, uint32_t type, const void *data,
                  uint32_t len)
{
    struct reg_key *k;
    int rc = reg_key_open(&tree, key, &k);
    if (rc == ERR_NOT_FOUND)
        rc = reg_key_create(&tree, key, false, &k);
    if (rc == 0)
        rc = reg_value_set(&tree, k, name, type, data, len);
    return rc ? rc : save(k);
}

int reg_set_dword(const char *key, const char *name, uint32_t value)
{
    return reg_set_value(key, name, REG_DWORD, &value, 4);
}

int reg_set_string(const char *key, const char *name, uint32_t type, const char *value)
{
    if (type != REG_SZ && type != REG_EXPAND_SZ)
        return ERR_INVALID_ARGS;
    size_t n = strlen(value);
    if (n >= REG_DATA_MAX)
        return ERR_TOO_BIG;
    return reg_set_value(key, name, type, value, (uint32_t)n + 1);
}

int reg_delete_value(const char *key, const char *name)
{
    struct reg_key *k;
    int rc = reg_key_open(&tree, key, &k);
    if (rc == 0)
        rc = reg_value_delete(&tree, k, name);
    return rc ? rc : save(k);
}

int reg_delete_key(const char *key)
{
    struct reg_key *k;
    int rc = reg_key_open(&tree, key, &k);
    if (rc)
        return rc;
    bool is_volatile = k->is_volatile;
    if ((rc = reg_key_delete(&tree, k)) != 0)
        return rc;
    return is_volatile ? 0 : save(NULL);
}

int reg_create_volatile_key(const char *key)
{
    return reg_key_create(&tree, key, true, NULL);
}

int registry_command(int argc, char **argv, fmt_sink_t sink, void *ctx)
{
    bool changed;
    int rc = reg_cmd_run(&tree, argc, argv, sink, ctx, &changed);
    if (changed && (rc = save(NULL))) {
        const char *msg = "ERROR: The change was made in memory but could not be saved to "
                          "C:\\" REG_HIVE_DIR "\\SYSTEM.REG: ";
        sink(ctx, msg, strlen(msg));
        sink(ctx, err_str(rc), strlen(err_str(rc)));
        sink(ctx, ".\n", 2);
    }
    return rc;
}
