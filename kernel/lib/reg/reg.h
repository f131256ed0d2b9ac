/* The registry: an in-memory tree of keys and values with Windows' types, the REGEDIT4 text
 * form it is stored in (parser and serializer, with a whole-file CRC32C line), and the
 * defaults every hive starts from. Portable core: the kernel and tools/bbreg share it; memory
 * only through struct reg_env. Not thread-safe: the caller serializes every call on a tree. */
#ifndef BB_LIB_REG_H
#define BB_LIB_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types, with Windows' numbers (winnt.h); also the N of "hex(N):" in a .reg file. */
#define REG_SZ         1u
#define REG_EXPAND_SZ  2u
#define REG_BINARY     3u
#define REG_DWORD      4u
#define REG_MULTI_SZ   7u
#define REG_QWORD      11u

#define REG_NAME_MAX   255u           /* longest key component or value name, in bytes */
#define REG_DEPTH_MAX  32u            /* most components in a key path */
#define REG_DATA_MAX   (64u * 1024u)  /* largest value, in bytes */
#define REG_HIVE_MAX   (1024u * 1024u) /* largest hive text accepted by the parser */
#define REG_PATH_MAX   (REG_DEPTH_MAX * (REG_NAME_MAX + 1)) /* longest full key path */

#define REG_HKLM "HKEY_LOCAL_MACHINE"

/* What the host environment provides; both functions required. */
struct reg_env {
    void *ctx;                                  /* passed back to every call */
    void *(*alloc)(void *ctx, size_t bytes);    /* NULL when out of memory */
    void (*free)(void *ctx, void *p);
};

/* A value. Data forms, always `len` bytes at `data`:
 *   REG_SZ, REG_EXPAND_SZ  the characters and one NUL (len >= 1)
 *   REG_MULTI_SZ           each string followed by a NUL, then one more NUL (empty list: one
 *                          NUL); no string is empty
 *   REG_DWORD / REG_QWORD  4 / 8 bytes, little-endian
 *   REG_BINARY             any bytes, len may be 0
 * Characters are bytes 1..255 (the .reg form stores them as UTF-16LE code units 1..255). */
struct reg_value {
    struct reg_value *next;   /* next value of the key, in creation order */
    char *name;               /* "" for the default value ("@" in a .reg file) */
    uint32_t type;            /* REG_* */
    uint32_t len;
    uint8_t *data;
};

/* A key. Children are kept sorted by name (case-insensitive); names keep their case. */
struct reg_key {
    struct reg_key *parent;   /* NULL only for the tree's root */
    struct reg_key *next;     /* next sibling */
    struct reg_key *children;
    struct reg_value *values;
    char *name;
    bool is_volatile;         /* never serialized, nor is anything below it */
};

/* The root is nameless; its only children are hive roots ("HKEY_LOCAL_MACHINE"). */
struct reg_tree {
    const struct reg_env *env;
    struct reg_key root;
};

/* Names: compared case-insensitively (ASCII). Key paths: components separated by '\', the
 * first being HKEY_LOCAL_MACHINE or its short form HKLM; one trailing '\' is allowed. A
 * component is 1..REG_NAME_MAX bytes of 0x20..0xFF without '\'. ERR_INVALID_ARGS otherwise,
 * ERR_NOT_SUPPORTED for another root (HKCU...). */

void reg_tree_init(struct reg_tree *t, const struct reg_env *env);
/* Free every key and value; the tree is empty (and usable) afterwards. */
void reg_tree_clear(struct reg_tree *t);

/* Find a key: 0, ERR_NOT_FOUND, ERR_INVALID_ARGS, ERR_NOT_SUPPORTED. */
int reg_key_open(struct reg_tree *t, const char *path, struct reg_key **out);
/* Open the key, creating it and any missing parent (the whole path is checked first, so a
 * bad path creates nothing). A created key is volatile if `is_volatile` or its parent is; a
 * persistent key cannot be created under a volatile one, nor an existing persistent key
 * opened as volatile (ERR_ACCESS). out may be NULL. ERR_NO_MEMORY, ERR_TOO_BIG past
 * REG_DEPTH_MAX. */
int reg_key_create(struct reg_tree *t, const char *path, bool is_volatile, struct reg_key **out);
/* Delete a key with everything below it (ERR_ACCESS for a hive root or the root). */
int reg_key_delete(struct reg_tree *t, struct reg_key *k);
/* The key's full path ("HKEY_LOCAL_MACHINE\SYSTEM") into buf; ERR_TOO_BIG if cap is short. */
int reg_key_path(const struct reg_key *k, char *buf, size_t cap);

/* The value named `name` ("" = default) or NULL. */
struct reg_value *reg_value_find(const struct reg_key *k, const char *name);
/* Create or replace a value; data is copied and checked against the type's form above
 * (ERR_INVALID_ARGS; ERR_TOO_BIG past REG_DATA_MAX or REG_NAME_MAX). A replaced value keeps
 * its place and takes the new name's case. */
int reg_value_set(struct reg_tree *t, struct reg_key *k, const char *name, uint32_t type,
                  const void *data, uint32_t len);
/* Delete one value (ERR_NOT_FOUND), or all of them with reg_value_delete_all. */
int reg_value_delete(struct reg_tree *t, struct reg_key *k, const char *name);
void reg_value_delete_all(struct reg_tree *t, struct reg_key *k);
/* Check data against the form of `type` (above): 0 or ERR_INVALID_ARGS / ERR_TOO_BIG. */
int reg_data_check(uint32_t type, const void *data, uint32_t len);

/* "REG_DWORD" for REG_DWORD...; NULL for a type not listed above. reg_type_parse is the
 * reverse (case-insensitive): 0 or ERR_INVALID_ARGS. */
const char *reg_type_name(uint32_t type);
int reg_type_parse(const char *s, uint32_t *type);
/* ASCII case-insensitive equality of two NUL-terminated names. */
bool reg_name_eq(const char *a, const char *b);

/* ---- The text form ---- */

/* Where the parser stopped: 1-based line and a short English reason. */
struct reg_error {
    unsigned line;
    const char *msg;
};

/* Parse REGEDIT4 text into t (merging: sections create keys, values replace values;
 * "[-KEY]" deletes a key, "NAME"=- a value). Accepted: an optional UTF-8 BOM, the
 * "REGEDIT4" header (or "Windows Registry Editor Version 5.00"), "[KEY]" sections,
 * "NAME"=... or @=... with "string" (escapes \\ and \" only), dword:HHHHHHHH, hex:BB,...
 * (REG_BINARY), hex(N):BB,... for N in 1, 2, 7 (UTF-16LE code units, as regedit writes them),
 * 3, 4 (4 bytes), b (8 bytes); a value line continued with a trailing '\'; blank lines;
 * ';' comments; CRLF or LF. Anything else, a NUL byte, more than REG_HIVE_MAX bytes, or
 * past a limit above is refused: ERR_CORRUPT (ERR_TOO_BIG, ERR_NO_MEMORY) with *err set
 * when err is non-NULL. On failure t holds what came before the bad line: parse into an
 * empty tree and discard it on error. Never reads past text + len. */
int reg_parse(struct reg_tree *t, const char *text, size_t len, struct reg_error *err);

/* The integrity line that ends every hive Blackbox writes: "; crc32c=XXXXXXXX" and a
 * newline, the CRC32C (upper-case hex) of every byte before the line. */
#define REG_CRC_PREFIX "; crc32c="
/* 0 when text ends with a matching integrity line; ERR_NOT_FOUND when its last line is not
 * one (a torn or hand-written file); ERR_CHECKSUM when the CRC differs. */
int reg_hive_verify(const char *text, size_t len);

/* Serialize every persistent key of t (volatile subtrees skipped) as REGEDIT4 text ending in
 * the integrity line, into a buffer from t->env (NUL-terminated; *len excludes the NUL). The
 * caller frees *out through the env. Keys in tree order; each key gets its own section, so
 * empty keys persist. ERR_NO_MEMORY. reg_parse of the result rebuilds the same tree. */
int reg_serialize(const struct reg_tree *t, char **out, size_t *len);

/* ---- Defaults ---- */

#define REG_CRASHCONTROL REG_HKLM "\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"

/* Add every default value Blackbox needs that t lacks (existing values are kept): Windows'
 * CrashControl values and PagingFiles (crash_control.h), ProductType and the TCP/IP Domain
 * (what the dump retention reads). 0 or ERR_NO_MEMORY. */
int reg_defaults_apply(struct reg_tree *t);

#endif
