/* The kernel's registry: the SYSTEM hive loaded from C:\CONFIG\SYSTEM.REG at boot (after the
 * volumes are mounted), Windows' defaults filled in for anything it lacks, and the API the
 * rest of the kernel reads its configuration through. Persistent changes are saved at once by
 * the crash-safe protocol of config/reg_hive.h; volatile keys live in memory only.
 * %SystemRoot% is C: (so %SystemRoot%\MEMORY.DMP is C:\MEMORY.DMP). Keys are full paths
 * ("HKLM\SYSTEM\CurrentControlSet\Control\CrashControl", REG_CRASHCONTROL). Callers
 * serialize (today everything runs on the boot thread); nothing here is for interrupt or
 * bugcheck time. */
#ifndef BB_CONFIG_REGISTRY_H
#define BB_CONFIG_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "lib/fmt.h"
#include "lib/reg/reg.h"
#include "lib/reg/crash_control.h"

/* Load the hive (C: must be mounted for it to be found; otherwise, or when no hive file is
 * good, the defaults alone, with a klog warning saying why). Never fails the boot. */
void registry_init(void);

/* A REG_DWORD: 0, ERR_NOT_FOUND (no such key or value), ERR_BAD_STATE (another type). */
int reg_get_dword(const char *key, const char *name, uint32_t *out);
/* A REG_SZ or REG_EXPAND_SZ into buf (NUL-terminated); an EXPAND_SZ has %SystemRoot%
 * expanded (cc_expand, lib/reg/crash_control.h: any case; other %VARS% are left as they are).
 * ERR_TOO_BIG when cap is short, ERR_NOT_FOUND, ERR_BAD_STATE. */
int reg_get_string(const char *key, const char *name, char *buf, size_t cap);
/* Any value as it is stored: its REG_* type and its len bytes of data (lib/reg/reg.h's
 * forms) into buf (cc_tree_get). 0, ERR_NOT_FOUND, ERR_INVALID_ARGS or ERR_NOT_SUPPORTED
 * (a bad key path), ERR_TOO_BIG when the data needs more than cap bytes. */
int reg_get_raw(const char *key, const char *name, uint32_t *type, void *buf, size_t cap,
                size_t *len);
/* The kernel registry as a source of CrashControl settings (lib/reg/crash_control.h): read
 * them with cc_get_dword(&registry_cc, ...) and the like. */
extern const struct cc_source registry_cc;

/* Set a value, creating the key (persistent, unless it exists as a volatile key). A change to
 * a persistent key is saved to the hive before returning: 0, or the save's ERR_* (the new
 * value is then in memory only). ERR_INVALID_ARGS for a bad key, ERR_TOO_BIG. */
int reg_set_dword(const char *key, const char *name, uint32_t value);
/* type REG_SZ or REG_EXPAND_SZ. */
int reg_set_string(const char *key, const char *name, uint32_t type, const char *value);
/* Any type, data in the form of reg.h. */
int reg_set_value(const char *key, const char *name, uint32_t type, const void *data,
                  uint32_t len);
/* Delete a value (ERR_NOT_FOUND), saving as reg_set_*. */
int reg_delete_value(const char *key, const char *name);

/* Delete a key with its values and subkeys (ERR_NOT_FOUND, ERR_ACCESS for a hive root),
 * saving as reg_set_* unless the key was volatile. */
int reg_delete_key(const char *key);

/* Create a volatile key (and missing parents below a persistent parent as volatile keys): it
 * and everything set under it are never saved, and are gone at the next boot. ERR_ACCESS if
 * it exists as a persistent key. */
int reg_create_volatile_key(const char *key);

/* Run a reg.exe command (lib/reg/reg_cmd.h; argv[0] = "query", "add" or "delete") with its
 * output to sink, saving the hive when it changed. 0 or the ERR_* reported. */
int registry_command(int argc, char **argv, fmt_sink_t sink, void *ctx);

#endif
